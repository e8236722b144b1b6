package web

import (
	nethttp "net/http"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
)

// sessionCookie holds a browser session's secret.
const sessionCookie = "yishi_session"

// Session is a signed-in visitor: the token their session cookie stands
// for. The cookie carries the token's secret (HttpOnly, so no script reads
// it); the pages call the API with it, so the session has exactly the
// token's role and scope, and revoking the token ends the session.
type Session struct {
	Token  auth.Token
	secret string
}

// Name is how the layout greets the visitor.
func (s *Session) Name() string {
	if s.Token.Name != "" {
		return s.Token.Name
	}
	return string(s.Token.Role)
}

// Staff reports whether the visitor records things for others (a grid
// worker, facilitator or admin): the layout offers them the staff pages.
func (s *Session) Staff() bool {
	switch s.Token.Role {
	case auth.RoleAdmin, auth.RoleFacilitator, auth.RoleGridWorker:
		return true
	}
	return false
}

// readSession finds the session of the request's cookie, if it is valid;
// a revoked or unknown one is dropped (the visitor is anonymous again).
func (w *Web) readSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			if tok, err := w.cfg.Tokens.Authenticate(ck.Value); err == nil {
				c.Set(sessionKey, &Session{Token: tok, secret: ck.Value})
			} else {
				clearSession(c)
			}
		}
		return next(c)
	}
}

// sessionOf returns the request's session, nil when anonymous.
func sessionOf(c echo.Context) *Session {
	s, _ := c.Get(sessionKey).(*Session)
	return s
}

// clearSession deletes the session cookie.
func clearSession(c echo.Context) {
	c.SetCookie(expiredCookie(sessionCookie, secure(c)))
}

// expiredCookie deletes cookie name.
func expiredCookie(name string, secure bool) *nethttp.Cookie {
	return &nethttp.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: nethttp.SameSiteLaxMode}
}

// signInFirst sends an anonymous visitor of a page that needs a session to
// the sign-in page.
func signInFirst(c echo.Context) error {
	return c.Redirect(nethttp.StatusSeeOther, "/signin?need=1")
}
