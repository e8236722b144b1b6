package web

import (
	nethttp "net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/i18n"
)

// Context keys the pages' middleware sets.
const (
	langKey    = "yishi.web.lang"
	sessionKey = "yishi.web.session"
	csrfKey    = "yishi.web.csrf"
)

// langCookie remembers the language a visitor chose.
const langCookie = "yishi_lang"

// contentSecurityPolicy allows nothing from elsewhere and no inline script
// or style: pages load only their own fingerprinted files and the photos
// the service holds (blob: and data: for a photo previewed before upload).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// middleware is the pages' chain, after the server's own (request id,
// logging, panic recovery, rate limit): refusals as pages, security
// headers, language, compression, session, CSRF.
func (w *Web) middleware() []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{
		w.showRefusals,
		securityHeaders,
		w.chooseLang,
		middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024,
			// An event stream is flushed event by event, never buffered.
			Skipper: func(c echo.Context) bool { return strings.HasSuffix(c.Path(), "/events") }}),
		w.readSession,
		middleware.CSRFWithConfig(middleware.CSRFConfig{
			TokenLookup:    "form:csrf,header:X-CSRF-Token",
			ContextKey:     csrfKey,
			CookieName:     "yishi_csrf",
			CookiePath:     "/",
			CookieHTTPOnly: true,
			CookieSameSite: nethttp.SameSiteStrictMode,
			CookieMaxAge:   int((24 * time.Hour).Seconds()),
			ErrorHandler: func(err error, c echo.Context) error {
				l := w.lang(c)
				return &apiError{Problem: yhttp.Problem{Type: "/problems/forbidden", Status: nethttp.StatusForbidden,
					Title: l.T("problem.forbidden"), Detail: l.T("error.csrf")}}
			},
		}),
	}
}

// securityHeaders sets the headers every page carries.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set(echo.HeaderXContentTypeOptions, "nosniff")
		h.Set(echo.HeaderXFrameOptions, "DENY")
		// A sign-in link's code must not leak to another site.
		h.Set("Referrer-Policy", "same-origin")
		return next(c)
	}
}

// chooseLang sets the request's language: ?lang= (which the language
// switch on every page links to, and which is remembered in a cookie for a
// year), else the cookie, else Accept-Language.
func (w *Web) chooseLang(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if tag := c.QueryParam("lang"); tag != "" {
			if l, ok := i18n.Parse(tag); ok {
				c.SetCookie(&nethttp.Cookie{Name: langCookie, Value: l.Tag(), Path: "/", MaxAge: 365 * 24 * 3600,
					SameSite: nethttp.SameSiteLaxMode, HttpOnly: true, Secure: secure(c)})
				c.Set(langKey, l)
			}
		}
		c.Response().Header().Add(echo.HeaderVary, "Accept-Language")
		return next(c)
	}
}

// lang returns the request's language (see chooseLang); it works on a
// request the pages' middleware did not see (an unknown path's error page).
func (w *Web) lang(c echo.Context) i18n.Lang {
	if l, ok := c.Get(langKey).(i18n.Lang); ok {
		return l
	}
	l := i18n.Negotiate(c.Request())
	if ck, err := c.Cookie(langCookie); err == nil {
		if cl, ok := i18n.Parse(ck.Value); ok {
			l = cl
		}
	}
	if tag := c.QueryParam("lang"); tag != "" {
		if ql, ok := i18n.Parse(tag); ok {
			l = ql
		}
	}
	c.Set(langKey, l)
	return l
}

// secure reports whether the request came over TLS (directly, or through a
// proxy that says so), so that cookies are marked Secure.
func secure(c echo.Context) bool {
	return c.Request().TLS != nil || c.Request().Header.Get(echo.HeaderXForwardedProto) == "https"
}
