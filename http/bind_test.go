package http

import (
	"slices"
	"testing"
	"time"
)

func TestDuplicateKey(t *testing.T) {
	cases := map[string]string{
		`{"a":1,"b":2}`:                   "",
		`{"a":1,"a":2}`:                   "a",
		`{"a":{"b":1,"b":2}}`:             "a.b",
		`{"a":[{"b":1},{"b":2}],"c":1}`:   "",
		`{"a":[{"b":1,"b":2}]}`:           "a.b",
		`{"a":{"x":1},"b":{"x":2},"a":0}`: "a",
		`[{"k":1},{"k":1}]`:               "",
		`{"a":`:                           "",
		`{"a":"a","b":"a"}`:               "",
	}
	for in, want := range cases {
		if got := duplicateKey([]byte(in)); got != want {
			t.Errorf("duplicateKey(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestDuplicateKeyIgnoresCase(t *testing.T) {
	for in, want := range map[string]string{
		`{"title":"a","Title":"b"}`:        "Title",
		`{"TITLE":"a","title":"b"}`:        "title",
		`{"a":{"kind":"x","KIND":"y"}}`:    "a.KIND",
		"{\"k\":1,\"\u212a\":2}":           "\u212a", // KELVIN SIGN folds to k
		`{"title":"a","subtitle":"Title"}`: "",
	} {
		if got := duplicateKey([]byte(in)); got != want {
			t.Errorf("duplicateKey(%s) = %q, want %q", in, got, want)
		}
	}
}

// TestDecodeBodyNamesFields: an unparseable time, a wrong type, invalid
// UTF-8 and control characters inside a field are refused naming every
// field at fault (issue 9, 16 and 17; issue 10, 15).
func TestDecodeBodyNamesFields(t *testing.T) {
	cases := []struct {
		body   string
		fields []string
	}{
		{`{"due":"next week","title":"t"}`, []string{"due"}},
		{`{"due":"next week","percent":"half","nope":1}`, []string{"due", "nope", "percent"}},
		{"{\"title\":\"ok\",\"description\":\"bad \xff byte\"}", []string{"description"}},
		{"{\"owner\":{\"name\":\"\xc3\"}}", []string{"owner.name"}},
		{`{"title":"a\u0000b"}`, []string{"title"}},
		{`{"title":"\u001b[31mred"}`, []string{"title"}},
		{`{"title":"abc\u202edcba","description":"fine\nlines\ttabs"}`, []string{"title"}},
		{`{"owner":{"name":"\u2066x\u2069"},"title":"\u0007"}`, []string{"owner.name", "title"}},
		{`{"title":"\ud800"}`, []string{"title"}},
	}
	for _, tc := range cases {
		var dst struct {
			Title       string        `json:"title"`
			Description string        `json:"description"`
			Due         time.Time     `json:"due"`
			Percent     int           `json:"percent"`
			Owner       *partyRequest `json:"owner"`
		}
		err := decodeBody([]byte(tc.body), &dst)
		if err == nil {
			t.Errorf("%q accepted", tc.body)
			continue
		}
		p, _, _ := problemFor(err, langEN)
		if p.Status != 400 {
			t.Errorf("%q: status %d", tc.body, p.Status)
		}
		var got []string
		for _, f := range p.Errors {
			got = append(got, f.Field)
		}
		if !slices.Equal(got, tc.fields) {
			t.Errorf("%q names %v, want %v (%s)", tc.body, got, tc.fields, p.Detail)
		}
	}
	var ok struct {
		Title string `json:"title"`
	}
	for _, body := range []string{`{"title":"张三\n李四\t王五"}`, `{"title":"\ufffd literal replacement"}`, "{\"title\":\"\uFFFD\"}", `{"title":"👨‍👩‍👧 family"}`} {
		if err := decodeBody([]byte(body), &ok); err != nil {
			t.Errorf("%q refused: %v", body, err)
		}
	}
}
