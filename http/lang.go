package http

import (
	nethttp "net/http"

	"github.com/yishi-civic/yishi/i18n"
)

// lang is the language of a response's messages: the pages' languages
// (package i18n), chosen the same way.
type lang = i18n.Lang

const (
	langZH = i18n.ZH // zh-CN, the default
	langEN = i18n.EN
)

// requestLang picks the response language from Accept-Language: English
// when the client prefers it, Simplified Chinese otherwise.
func requestLang(r *nethttp.Request) lang { return i18n.Negotiate(r) }

// catalogued returns the message key of the shared catalogues in both
// languages.
func catalogued(key string) text { return text{i18n.ZH.T(key), i18n.EN.T(key)} }
