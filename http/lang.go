package http

import (
	nethttp "net/http"

	"golang.org/x/text/language"
)

// lang is the language of a response's messages.
type lang int

const (
	langZH lang = iota // zh-CN, the default
	langEN
)

func (l lang) tag() string {
	if l == langEN {
		return "en"
	}
	return "zh-CN"
}

var langMatcher = language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.English})

// requestLang picks the response language from Accept-Language: English
// when the client prefers it, Simplified Chinese otherwise.
func requestLang(r *nethttp.Request) lang {
	h := r.Header.Get("Accept-Language")
	if h == "" {
		return langZH
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return langZH
	}
	_, i, conf := langMatcher.Match(tags...)
	if i == 1 && conf != language.No {
		return langEN
	}
	return langZH
}
