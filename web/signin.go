package web

import (
	"errors"
	nethttp "net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	yhttp "github.com/yishi-civic/yishi/http"
)

// sessionMaxAge is how long a browser keeps its session cookie; the
// session itself lasts until it is revoked (signing out, or an admin).
const sessionMaxAge = 180 * 24 * time.Hour

// signInData is the sign-in page's data.
type signInData struct {
	// Code is the sign-in code of the link followed, and Name whom it
	// signs in; CodeProblem says why it cannot be used.
	Code, Name  string
	CodeProblem string
	Form        form
}

// signInPage shows the sign-in page. With ?code= (a sign-in link or QR
// code) it asks to confirm whom the code signs in: following the link
// changes nothing, so a link preview cannot use the code up. Without one
// it says how to get one, and lets staff sign in with their access token.
func (w *Web) signInPage(c echo.Context) error {
	d := signInData{Code: c.QueryParam("code"), Form: newForm(c)}
	l := w.lang(c)
	if d.Code != "" {
		switch tok, err := w.cfg.Tokens.Code(d.Code); {
		case errors.Is(err, auth.ErrRevoked):
			d.CodeProblem = l.T("signin.code.used")
		case err != nil:
			d.CodeProblem = l.T("signin.code.unknown")
		case w.now().Sub(tok.Issued) > auth.SignInTTL:
			d.CodeProblem = l.T("signin.code.expired")
		default:
			d.Name = tok.Name
			if d.Name == "" {
				d.Name = tok.Subject
			}
		}
	}
	return w.render(c, nethttp.StatusOK, "signin", Page{Title: l.T("signin.title"), Data: d})
}

// signIn exchanges a sign-in code (POST /v1/sessions), or takes a staff
// member's access token, and keeps the session's secret in an HttpOnly
// cookie.
func (w *Web) signIn(c echo.Context) error {
	f := newForm(c)
	d := signInData{Code: f.Value("code"), Form: f}
	l := w.lang(c)
	var secret string
	if token := strings.TrimSpace(f.Value("token")); token != "" {
		if _, err := w.cfg.Tokens.Authenticate(token); err != nil {
			d.Form.Errors["token"] = l.T("signin.token.invalid")
			return w.render(c, nethttp.StatusUnprocessableEntity, "signin", Page{Title: l.T("signin.title"), Data: d})
		}
		secret = token
	} else {
		var sess yhttp.IssuedToken
		err := w.call(c, apiRequest{method: nethttp.MethodPost, path: "/v1/sessions", body: map[string]string{"code": d.Code}}, &sess)
		if d.Form.refused(err, "code") {
			d.CodeProblem = d.Form.Error("code")
			if d.CodeProblem == "" {
				d.CodeProblem = d.Form.Problem
			}
			return w.render(c, nethttp.StatusConflict, "signin", Page{Title: l.T("signin.title"), Data: d})
		}
		if err != nil {
			return err
		}
		secret = sess.Secret
	}
	c.SetCookie(&nethttp.Cookie{Name: sessionCookie, Value: secret, Path: "/", MaxAge: int(sessionMaxAge.Seconds()),
		HttpOnly: true, Secure: secure(c), SameSite: nethttp.SameSiteLaxMode})
	return c.Redirect(nethttp.StatusSeeOther, "/mine?done=signedin")
}

// signOut revokes the session (DELETE /v1/me/token) and drops the cookie.
// A staff member's cookie holds their access token, which signing out
// does not revoke: it only forgets it.
func (w *Web) signOut(c echo.Context) error {
	if s := sessionOf(c); s != nil && s.Token.Kind == auth.KindSession {
		if err := w.call(c, apiRequest{method: nethttp.MethodDelete, path: "/v1/me/token"}, nil); err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Problem.Status != nethttp.StatusUnauthorized {
				return err
			}
		}
	}
	clearSession(c)
	return c.Redirect(nethttp.StatusSeeOther, "/?done=signedout")
}
