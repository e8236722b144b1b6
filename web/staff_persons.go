package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	nethttp "net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// The personal-data pages (docs/privacy.md): an admin finds a person, sees
// what the ledger holds about them, hands over their own data (PIPL art.
// 45), erases it (art. 47) behind a confirmation, and applies the
// retention rules (art. 19). Each reads or writes through the API's
// routes for it (GET /v1/persons/{person}/export, POST
// /v1/persons/{person}/erasure, GET and POST /v1/retention), which only an
// admin without a community scope may call.

// Erases reports whether the visitor may erase and export a person's data
// and apply the retention rules: an admin without a community scope, as
// the API requires (a person is not bound to one community).
func (s *Session) Erases() bool {
	return s != nil && s.Token.Role == auth.RoleAdmin && s.Token.Scope.Community == ""
}

// erasesPage adapts a personal-data page: an anonymous visitor is sent to
// sign in, anyone but an admin without a community scope is refused (403)
// before the API is asked.
func erasesPage(f func(*Web, echo.Context, *Session) error) func(*Web) echo.HandlerFunc {
	return staffPage(func(w *Web, c echo.Context, s *Session) error {
		if !s.Erases() {
			return &apiError{Problem: yhttp.Problem{Type: "/problems/forbidden", Title: w.lang(c).T("problem.forbidden"), Status: nethttp.StatusForbidden,
				Detail: w.lang(c).T("erasure.onlyadmin")}}
		}
		return f(w, c, s)
	})
}

// personID is the pattern of a person's id, the API's path slug.
var personID = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,100}$`)

// findPerson is the personal-data pages' start: a person's id to look up
// (?person= goes to their page), and the way to the people of a community.
func (w *Web) findPerson(c echo.Context, s *Session) error {
	if id := c.QueryParam("person"); id != "" {
		if personID.MatchString(id) {
			return c.Redirect(nethttp.StatusSeeOther, "/staff/persons/"+url.PathEscape(id))
		}
		return w.render(c, nethttp.StatusBadRequest, "staff_persons", w.staffPageOf(c, "erasure.find.title", "persons",
			findData{ID: id, Error: w.lang(c).T("erasure.find.badid")}))
	}
	return w.render(c, nethttp.StatusOK, "staff_persons", w.staffPageOf(c, "erasure.find.title", "persons", findData{}))
}

// findData is the find page: what was typed and why it was refused.
type findData struct {
	ID, Error string
}

// personData is what the ledger holds about one person, from their own
// data's export.
type personData struct {
	ID, Name string
	Erased   bool
	// ErasedAt and Ground are when and on what ground the erasure was
	// recorded (zero when the export has no erasure event).
	ErasedAt time.Time
	Ground   string
	Events   int
	Items    int
	First    time.Time
	Last     time.Time
	// Roles are the parts the person took, each with how many items.
	Roles []countRow
	// Types are the events that name them, by type, most first.
	Types []countRow
	// Grounds are the grounds the API accepts for an erasure.
	Grounds []string
	Form    staffForm
}

// countRow is one line of a count table.
type countRow struct {
	Key string
	N   int
}

// roleOf is the part a person took in an event that names them, by the
// event's type: the key of its words (erasure.role.<key>).
var roleOf = map[string]string{
	"proposal.submitted.v1":                "author",
	"proposal.withdrawn.v1":                "author",
	"proposal.supported.v1":                "supporter",
	"proposal.accepted.v1":                 "handler",
	"proposal.rejected.v1":                 "handler",
	"proposal.handled_directly.v1":         "handler",
	"proposal.closed.v1":                   "handler",
	"subscriber.item_followed.v1":          "follower",
	"attachment.uploaded.v1":               "uploader",
	"meeting.scheduled.v1":                 "facilitator",
	"meeting.participant_invited.v1":       "participant",
	"meeting.attendance_recorded.v1":       "participant",
	"meeting.statement_recorded.v1":        "speaker",
	"meeting.voting_opened.v1":             "elector",
	"meeting.vote_cast.v1":                 "voter",
	"meeting.vote_changed.v1":              "voter",
	"meeting.motion_objection_raised.v1":   "objector",
	"meeting.minutes_objection_raised.v1":  "objector",
	"meeting.mediation_offered.v1":         "party",
	"action.assigned.v1":                   "actionowner",
	"action.verified.v1":                   "verifier",
	"organisation.grid_head_appointed.v1":  "head",
	"organisation.grid_worker_assigned.v1": "worker",
	"organisation.unit_registered.v1":      "owner",
	"organisation.unit_owners_changed.v1":  "owner",
}

// personPage renders a person's page: what the ledger holds about them
// (their export summed up, personOf) under page and title. As "staff_person"
// it shows whether they were erased, how many events name them, of which
// types, the parts they took, and the ways to their export and erasure; as
// "staff_erase" it is the confirmation step of an erasure: what will be
// gone and what cannot be undone, the ground and the reason, and an
// acknowledgment to tick before the button erases.
func personPage(page, title string) func(*Web, echo.Context, *Session) error {
	return func(w *Web, c echo.Context, s *Session) error {
		var exp ledger.PersonExport
		if err := w.get(c, "/v1/persons/"+url.PathEscape(c.Param("person"))+"/export", nil, &exp); err != nil {
			return err
		}
		d := personOf(exp)
		d.Form = newStaffForm(c)
		return w.render(c, nethttp.StatusOK, page, w.staffPageOf(c, title, "persons", d))
	}
}

// personOf sums up a person's export.
func personOf(exp ledger.PersonExport) personData {
	d := personData{ID: exp.PersonID, Erased: exp.Erased, Events: len(exp.Events), Grounds: grounds}
	types, roles := map[string]int{}, map[string]map[string]bool{}
	items := map[string]bool{}
	for _, ev := range exp.Events {
		types[ev.Type]++
		items[ev.Stream] = true
		if d.First.IsZero() {
			d.First = ev.Recorded
		}
		d.Last = ev.Recorded
		if r, ok := roleOf[ev.Type]; ok {
			if roles[r] == nil {
				roles[r] = map[string]bool{}
			}
			roles[r][ev.Stream] = true
		}
		if n := nameIn(ev.Data, exp.PersonID); n != "" {
			d.Name = n
		}
		if ev.Type == erasedType {
			var e domain.DataErased
			if json.Unmarshal(ev.Data, &e) == nil && e.Subject == domain.ErasePerson {
				d.ErasedAt, d.Ground = ev.Recorded, e.Ground
			}
		}
	}
	d.Items = len(items)
	if d.Erased {
		d.Name = privacy.ErasedName
	}
	for t, n := range types {
		d.Types = append(d.Types, countRow{t, n})
	}
	for r, streams := range roles {
		d.Roles = append(d.Roles, countRow{r, len(streams)})
	}
	byCount := func(a, b countRow) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Key, b.Key)) }
	slices.SortFunc(d.Types, byCount)
	slices.SortFunc(d.Roles, byCount)
	return d
}

// erasedType is the type of an erasure's event.
var erasedType = domain.DataErased{}.EventType()

// grounds are the grounds of an erasure the API accepts (PIPL art. 47).
var grounds = []string{domain.GroundRequest, domain.GroundConsentWithdrawn, domain.GroundPurposeAchieved, domain.GroundRetentionExpired, domain.GroundUnlawful}

// nameIn finds the name given beside the person's id in an event's data
// (an object with person_id, voter_id or id equal to it, and a name), or
// "" when it names them by id only or their name reads as withheld.
func nameIn(data json.RawMessage, person string) string {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	var walk func(any) string
	walk = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			name, _ := x["name"].(string)
			for _, k := range []string{"person_id", "voter_id", "id"} {
				if x[k] == person && name != "" && !privacy.IsMarker(name) {
					return name
				}
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if n := walk(x[k]); n != "" {
					return n
				}
			}
		case []any:
			for _, e := range x {
				if n := walk(e); n != "" {
					return n
				}
			}
		}
		return ""
	}
	return walk(v)
}

// personExport hands over a person's own data (PIPL art. 45) as the API
// gives it, as a file to download.
func (w *Web) personExport(c echo.Context, s *Session) error {
	id := c.Param("person")
	var exp json.RawMessage
	if err := w.get(c, "/v1/persons/"+url.PathEscape(id)+"/export", nil, &exp); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="person-%s.json"`, url.PathEscape(id)))
	h.Set("Cache-Control", "no-store")
	return c.Blob(nethttp.StatusOK, echo.MIMEApplicationJSON, exp)
}

// confirmed refuses a form whose acknowledgment field is not ticked,
// before its command reaches the API: what it does cannot be undone.
func confirmed(field string, f func(*Web, echo.Context, *Session) error) func(*Web, echo.Context, *Session) error {
	return func(w *Web, c echo.Context, s *Session) error {
		form, err := c.FormParams()
		if err != nil {
			return echo.NewHTTPError(nethttp.StatusBadRequest, "unreadable form")
		}
		if form.Get(field) != "yes" {
			var ae *apiError
			errors.As(fieldProblem(w, c, field, "erasure.confirm.required"), &ae)
			return w.refused(c, ae.Problem, form)
		}
		return f(w, c, s)
	}
}

// retentionData is the retention page: the rules, what is due, and what
// the last run erased.
type retentionData struct {
	Report *yhttp.RetentionReport
	Run    *yhttp.RetentionRun
	Form   staffForm
}

// retention shows what the retention rules would erase now (a dry run).
func (w *Web) retention(c echo.Context, s *Session) error {
	var rep yhttp.RetentionReport
	if err := w.get(c, "/v1/retention", nil, &rep); err != nil {
		return err
	}
	return w.render(c, nethttp.StatusOK, "staff_retention", w.staffPageOf(c, "erasure.retention.title", "retention",
		retentionData{Report: &rep, Form: newStaffForm(c)}))
}

// runRetention applies the retention rules (one API command) and shows
// what it erased.
func (w *Web) runRetention(c echo.Context, s *Session) error {
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(nethttp.StatusBadRequest, "unreadable form")
	}
	var run yhttp.RetentionRun
	err = w.call(c, apiRequest{method: nethttp.MethodPost, path: "/v1/retention", idempotencyKey: form.Get("idem")}, &run)
	var ae *apiError
	if errors.As(err, &ae) {
		return w.refused(c, ae.Problem, form)
	}
	if err != nil {
		return err
	}
	p := w.staffPageOf(c, "erasure.retention.title", "retention", retentionData{Run: &run, Form: newStaffForm(c)})
	p.Notice = w.lang(c).T("erasure.retention.done", len(run.Erased), run.Due)
	return w.render(c, nethttp.StatusOK, "staff_retention", p)
}
