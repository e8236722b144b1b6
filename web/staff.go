package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	nethttp "net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	yhttp "github.com/yishi-civic/yishi/http"
)

// The staff pages (grid workers, facilitators, admins) are the third
// group of pages: the work queue and triage, meetings and their live
// console, the projector view, and actions. Like every page they decide
// nothing: each write is the API's command, called in-process with the
// visitor's session (staff_command.go), so roles and scopes are the API's.

// convenes reports whether the session may triage, convene and decide
// (the API's facilitators); grid workers record, facilitators decide. The
// pages offer only what the role may do; the API refuses the rest anyway.
func convenes(s *Session) bool {
	return s.Token.Role == auth.RoleAdmin || s.Token.Role == auth.RoleFacilitator
}

// staffPage adapts a staff page handler: an anonymous visitor is sent to
// sign in and come back, a resident or auditor gets the API's own refusal.
func staffPage(f func(*Web, echo.Context, *Session) error) func(*Web) echo.HandlerFunc {
	return func(w *Web) echo.HandlerFunc {
		return func(c echo.Context) error {
			s := sessionOf(c)
			if s == nil {
				return signInFirst(c)
			}
			if !s.Staff() {
				return &apiError{Problem: yhttp.Problem{Type: "/problems/forbidden", Title: "forbidden", Status: nethttp.StatusForbidden,
					Detail: w.lang(c).T("staff.onlystaff")}}
			}
			return f(w, c, s)
		}
	}
}

// aggregate reads an aggregate through the API (as the session may see
// it) and decodes its events, for a fold (domain.FoldMeeting …).
func (w *Web) aggregate(c echo.Context, path string) ([]domain.Event, error) {
	var a yhttp.Aggregate
	if err := w.get(c, path, nil, &a); err != nil {
		return nil, err
	}
	out := make([]domain.Event, 0, len(a.Events))
	for _, e := range a.Events {
		ev, err := domain.Decode(e.Type, e.Data)
		if err != nil {
			return nil, fmt.Errorf("web: decode %s of %s: %w", e.Type, path, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// organisation reads the session's community: its grids, compounds with
// their unit registers (owners) and partner units. A session without a
// community in its scope names one with ?community=.
func (w *Web) organisation(c echo.Context, s *Session, community string) (domain.OrganisationState, error) {
	if community == "" {
		community = s.Token.Scope.Community
	}
	if community == "" {
		return domain.OrganisationState{}, nil
	}
	evs, err := w.aggregate(c, "/v1/communities/"+url.PathEscape(community))
	if err != nil {
		return domain.OrganisationState{}, err
	}
	return domain.FoldOrganisation(evs), nil
}

// newKey returns a fresh idempotency key: each rendered form carries one,
// so that posting it twice (a double tap, a reload) acts once.
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// staffForm is what every staff form needs besides its page's data: a
// fresh idempotency key, the refusal of the last post and what was typed.
type staffForm struct {
	Key     string
	Problem *yhttp.Problem
	Values  url.Values
}

// Value returns what was typed in field name before a refusal.
func (f staffForm) Value(name string) string { return f.Values.Get(name) }

// FieldError returns the refusal's reason for field name, if any.
func (f staffForm) FieldError(name string) string {
	if f.Problem == nil {
		return ""
	}
	for _, e := range f.Problem.Errors {
		if e.Field == name || strings.HasPrefix(e.Field, name+".") || strings.HasPrefix(e.Field, name+"[") {
			return e.Reason
		}
	}
	if f.Problem.Field == name {
		return f.Problem.Detail
	}
	return ""
}

// newStaffForm starts the forms of a page, carrying the refusal of the last
// post, if there was one.
func newStaffForm(c echo.Context) staffForm {
	f := staffForm{Key: newKey(), Values: url.Values{}}
	if r := takeRefusal(c); r != nil {
		f.Problem, f.Values = &r.Problem, r.Form
	}
	return f
}

// NewKey returns a fresh idempotency key for one form of a page.
func (p Page) NewKey() string { return newKey() }

// Back is the current page's address for a form to come back to, without
// the one-time notice and wait_for.
func (p Page) Back() string {
	if p.url == nil {
		return "/staff"
	}
	q := p.url.Query()
	q.Del("notice")
	q.Del("wait_for")
	q.Del("lang")
	if len(q) == 0 {
		return p.url.Path
	}
	return p.url.Path + "?" + q.Encode()
}
