// Package i18n holds Yishi's message catalogues (files per language
// under catalog/, embedded: see mustLoad) and chooses a request's language. The web
// pages take every string from the catalogues; the JSON API takes its
// problem titles from them and its language choice from Negotiate, so that
// both doors speak alike. Simplified Chinese is the default, English the
// second language.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// Lang is a language the service speaks.
type Lang int

// The languages, the default first.
const (
	ZH Lang = iota // zh-CN, the default
	EN
)

// Langs lists every language, the default first.
var Langs = []Lang{ZH, EN}

// Tag returns the language's BCP 47 tag, as Content-Language and the
// pages' lang attribute carry it: "zh-CN" or "en".
func (l Lang) Tag() string {
	if l == EN {
		return "en"
	}
	return "zh-CN"
}

// Parse returns the language a tag names ("zh-CN", "zh", "en", any case),
// and false for any other tag.
func Parse(tag string) (Lang, bool) {
	switch strings.ToLower(tag) {
	case "zh-cn", "zh", "zh-hans":
		return ZH, true
	case "en":
		return EN, true
	}
	return ZH, false
}

var matcher = language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.English})

// Negotiate picks a request's language from Accept-Language: English when
// the client prefers it, Simplified Chinese otherwise (also when the header
// is missing or malformed).
func Negotiate(r *http.Request) Lang {
	h := r.Header.Get("Accept-Language")
	if h == "" {
		return ZH
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return ZH
	}
	_, i, conf := matcher.Match(tags...)
	if i == 1 && conf != language.No {
		return EN
	}
	return ZH
}

//go:embed catalog/*.json
var files embed.FS

// catalogues holds each language's messages by key.
var catalogues = mustLoad()

// mustLoad reads every language's catalogue: the file "<tag>.json" and
// any number of "<tag>.<part>.json" beside it (one part per area of the
// product, e.g. "en.minutes.json"), so that areas built side by side do
// not edit one file. A key defined twice in one language is an error.
func mustLoad() map[Lang]map[string]string {
	out := make(map[Lang]map[string]string, len(Langs))
	entries, err := files.ReadDir("catalog")
	if err != nil {
		panic(fmt.Sprintf("i18n: catalogues: %v", err))
	}
	for _, l := range Langs {
		m := map[string]string{}
		found := false
		for _, e := range entries {
			name := e.Name()
			if name != l.Tag()+".json" && !(strings.HasPrefix(name, l.Tag()+".") && strings.HasSuffix(name, ".json")) {
				continue
			}
			found = true
			b, err := files.ReadFile("catalog/" + name)
			if err != nil {
				panic(fmt.Sprintf("i18n: catalogue %s: %v", name, err))
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				panic(fmt.Sprintf("i18n: catalogue %s: %v", name, err))
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					panic(fmt.Sprintf("i18n: catalogue %s: key %q defined twice", name, k))
				}
				m[k] = v
			}
		}
		if !found {
			panic(fmt.Sprintf("i18n: no catalogue for %s", l.Tag()))
		}
		out[l] = m
	}
	return out
}

// T returns the message key in l, formatted with args as fmt.Sprintf does
// when there are any. A key missing from the catalogue returns the key
// itself, so that a slip shows on the page instead of an empty string (a
// test checks that every key used exists in every catalogue).
func (l Lang) T(key string, args ...any) string {
	msg, ok := catalogues[l][key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Has reports whether every catalogue holds key.
func Has(key string) bool {
	for _, l := range Langs {
		if _, ok := catalogues[l][key]; !ok {
			return false
		}
	}
	return true
}

// Keys returns the keys of l's catalogue, unordered.
func (l Lang) Keys() []string {
	out := make([]string, 0, len(catalogues[l]))
	for k := range catalogues[l] {
		out = append(out, k)
	}
	return out
}
