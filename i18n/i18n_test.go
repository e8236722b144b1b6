package i18n

import (
	"net/http"
	"regexp"
	"slices"
	"testing"
)

// verbs finds fmt verbs, so that a translation takes the same arguments.
var verbs = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)

func TestCataloguesHaveTheSameKeysAndVerbs(t *testing.T) {
	zh, en := ZH.Keys(), EN.Keys()
	slices.Sort(zh)
	slices.Sort(en)
	for _, k := range zh {
		if !Has(k) {
			t.Errorf("key %q is in zh-CN but not in en", k)
		}
	}
	for _, k := range en {
		if !Has(k) {
			t.Errorf("key %q is in en but not in zh-CN", k)
		}
	}
	for _, k := range zh {
		a, b := verbs.FindAllString(catalogues[ZH][k], -1), verbs.FindAllString(catalogues[EN][k], -1)
		if !slices.Equal(a, b) {
			t.Errorf("key %q: zh-CN has verbs %v, en %v", k, a, b)
		}
		if catalogues[ZH][k] == "" || catalogues[EN][k] == "" {
			t.Errorf("key %q is empty in a catalogue", k)
		}
	}
}

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		header string
		want   Lang
	}{
		{"", ZH},
		{"en-GB,en;q=0.9", EN},
		{"zh-CN,zh;q=0.9,en;q=0.8", ZH},
		{"fr-FR", ZH},
		{"fr-FR,en;q=0.5", EN},
		{";;;", ZH},
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Accept-Language", c.header)
		}
		if got := Negotiate(r); got != c.want {
			t.Errorf("Accept-Language %q: got %s, want %s", c.header, got.Tag(), c.want.Tag())
		}
	}
}

func TestTFormatsAndFallsBackToTheKey(t *testing.T) {
	if got := EN.T("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key: got %q", got)
	}
	if got := ZH.T("problem.not-found"); got != "未找到" {
		t.Errorf("zh problem.not-found: got %q", got)
	}
	if l, ok := Parse("EN"); !ok || l != EN {
		t.Errorf("Parse(EN) = %v, %v", l, ok)
	}
	if _, ok := Parse("fr"); ok {
		t.Error("Parse(fr) accepted")
	}
}
