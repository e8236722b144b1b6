package http

import "testing"

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
