package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	yhttp "github.com/yishi-civic/yishi/http"
)

// Every write of the staff pages goes through one handler, doCommand, on
// one of three kinds of path:
//
//	POST /staff/intake, /staff/meetings, /staff/actions   create (a proposal, a meeting, an action)
//	POST /staff/<proposals|meetings|actions>/:id/:cmd     a command on one of them
//	POST /staff/persons/:person/erasure                    a person's erasure
//
// A form posts there without JavaScript and is answered with a redirect
// (303) to the page it came from (its "back" field) or to what it created;
// the console's script (static/console.js, sendCommand) posts the same
// form to the same path with "Accept: application/json" and an
// Idempotency-Key of its own, and is answered with JSON: the notice and
// the write's result, or the API's problem with its status. Each command
// is one API call, mapped from the form by the table below.

// staffCommand maps a form to one API command.
type staffCommand struct {
	// method and path of the API call; {id} and {person} are the path's,
	// {motion}, {mediation}, {community}, {team} and {partner} the form's
	// fields of those names.
	method, path string
	// fields are the form's fields and how each becomes the JSON body: a
	// dotted name nests ("speaker.name"), a suffix gives the type
	// (":int", ":bool", ":time" for a datetime-local input, ":date",
	// ":list" for every value, ":options" for one option label per line,
	// ":party" for one "kind|id|name" value, ":parties" for several,
	// ":voter" for one "id|name" value (or a person not in the register,
	// named in <name>_name), ":voters" for several, ":words" for a list
	// typed on one line (separated by commas, 、 or spaces), ":slug" for an
	// id derived from the form's "name" when left empty,
	// ":notes" for the minutes' notes, paired from the fields
	// <name>.item_id and <name>.text, ":photos" for uploaded files).
	fields []string
	// created is where to go once the command created something ("%s" is
	// its id); empty goes back to the form's page.
	created string
}

// staffCommands are the commands of the staff pages, by "<kind>/<cmd>".
var staffCommands = map[string]staffCommand{
	"intake": {"POST", "/v1/proposals", []string{"community_id", "grid_id", "compound_id", "title", "text", "category", "place", "channel",
		"author:party", "photos:photos"}, "/staff/proposals/%s"},
	"proposals/accept": {"POST", "/v1/proposals/{id}/accept", []string{"note"}, ""},
	"proposals/reject": {"POST", "/v1/proposals/{id}/reject", []string{"reason"}, ""},
	"proposals/merge":  {"POST", "/v1/proposals/{id}/merge", []string{"survivor_id", "reason"}, ""},
	"proposals/handle": {"POST", "/v1/proposals/{id}/handle-directly", []string{"note"}, ""},
	"proposals/close":  {"POST", "/v1/proposals/{id}/close", []string{"note"}, ""},

	"schedule":            {"POST", "/v1/meetings", []string{"community_id", "grid_id", "compound_id", "title", "place", "starts_at:time", "format"}, "/staff/meetings/%s"},
	"meetings/agenda":     {"POST", "/v1/meetings/{id}/agenda", []string{"title", "proposal_id"}, ""},
	"meetings/invite":     {"POST", "/v1/meetings/{id}/participants", []string{"person_id", "name", "kind", "partner_id"}, ""},
	"meetings/open":       {"POST", "/v1/meetings/{id}/open", nil, ""},
	"meetings/attendance": {"POST", "/v1/meetings/{id}/attendance", []string{"person_id", "name", "attendance", "holder_id", "authority"}, ""},
	"meetings/statement":  {"POST", "/v1/meetings/{id}/statements", []string{"item_id", "speaker:voter", "summary"}, ""},
	"meetings/motion": {"POST", "/v1/meetings/{id}/motions", []string{"item_id", "text", "options:options", "rule.kind", "rule.quorum_percent:int",
		"rule.matter:int", "secret:bool"}, ""},
	"meetings/amend": {"PUT", "/v1/meetings/{id}/motions/{motion}", []string{"text", "options:options", "rule.kind", "rule.quorum_percent:int",
		"rule.matter:int", "secret:bool", "reason"}, ""},
	"meetings/voting":          {"POST", "/v1/meetings/{id}/motions/{motion}/voting", []string{"electorate:voters"}, ""},
	"meetings/close-voting":    {"POST", "/v1/meetings/{id}/motions/{motion}/voting/close", nil, ""},
	"meetings/ballots":         {"POST", "/v1/meetings/{id}/motions/{motion}/ballots", []string{"option_id", "voter_ids:list", "method"}, ""},
	"meetings/objection":       {"POST", "/v1/meetings/{id}/motions/{motion}/objections", []string{"reason", "person_id", "name", "how"}, ""},
	"meetings/consensus":       {"POST", "/v1/meetings/{id}/motions/{motion}/consensus", []string{"option_id", "note"}, ""},
	"meetings/mediation":       {"POST", "/v1/meetings/{id}/mediations", []string{"item_id", "dispute", "parties:parties", "options:options"}, ""},
	"meetings/agree":           {"POST", "/v1/meetings/{id}/mediations/{mediation}/agreement", []string{"option_id", "note"}, ""},
	"meetings/adjourn":         {"POST", "/v1/meetings/{id}/adjourn", []string{"note"}, ""},
	"meetings/draft-minutes":   {"PUT", "/v1/meetings/{id}/minutes/draft", []string{"summary", "notes:notes", "remarks"}, ""},
	"meetings/publish-minutes": {"POST", "/v1/meetings/{id}/minutes", []string{"objection_days:int", "draft:int"}, ""},

	"assign": {"POST", "/v1/actions", []string{"community_id", "grid_id", "proposal_id", "meeting_id", "motion_id", "title", "description",
		"owner:party", "due:date"}, "/staff/actions/%s"},
	"actions/start":    {"POST", "/v1/actions/{id}/start", nil, ""},
	"actions/progress": {"POST", "/v1/actions/{id}/progress", []string{"percent:int", "note", "photos:photos"}, ""},
	"actions/complete": {"POST", "/v1/actions/{id}/complete", []string{"evidence:photos", "note"}, ""},
	"actions/verify": {"POST", "/v1/actions/{id}/verify", []string{"satisfied:bool", "reason", "verifier.person_id", "verifier.name",
		"method", "note"}, ""},

	"persons/erasure": {"POST", "/v1/persons/{person}/erasure", []string{"ground", "reason"}, ""},

	// The resource map (资源图谱) and volunteers taking on actions.
	"actions/accept": {"POST", "/v1/actions/{id}/accept", []string{"volunteer.person_id", "volunteer.name"}, ""},
	"resources/volunteer": {"POST", "/v1/communities/{community}/volunteers", []string{"grid_id", "person_id:slug", "name", "phone",
		"skills:words", "categories:words", "availability"}, ""},
	"resources/team":    {"POST", "/v1/communities/{community}/teams", []string{"team_id:slug", "grid_id", "name", "skills:words", "categories:words"}, ""},
	"resources/member":  {"POST", "/v1/communities/{community}/teams/{team}/members", []string{"person_id"}, ""},
	"resources/station": {"POST", "/v1/communities/{community}/stations", []string{"station_id:slug", "grid_id", "name", "kind", "services:words", "categories:words"}, ""},
	"resources/offer":   {"PUT", "/v1/communities/{community}/partners/{partner}/offer", []string{"offer", "skills:words", "categories:words"}, ""},

	// The volunteer service (点单—派单—接单) and points (积分).
	"order":             {"POST", "/v1/services", []string{"community_id", "grid_id", "title", "need", "category", "skill", "resident:voter"}, "/staff/services/%s"},
	"services/dispatch": {"POST", "/v1/services/{id}/dispatch", []string{"assignee:party", "answer_by:time"}, ""},
	"services/accept":   {"POST", "/v1/services/{id}/accept", []string{"attempt:int", "volunteer:voter"}, ""},
	"services/decline":  {"POST", "/v1/services/{id}/decline", []string{"attempt:int", "reason", "volunteer:voter"}, ""},
	"services/expire":   {"POST", "/v1/services/{id}/expire", []string{"attempt:int"}, ""},
	"services/confirm":  {"POST", "/v1/services/{id}/confirm", []string{"satisfied:bool", "reason", "resident.person_id", "resident.name"}, ""},
	"services/cancel":   {"POST", "/v1/services/{id}/cancel", []string{"reason"}, ""},
	"points/redeem":     {"POST", "/v1/communities/{community}/points/{person}/redemptions", []string{"station_id", "points:int", "item"}, ""},
}

// commandAnswer is doCommand's JSON answer to the console's script.
type commandAnswer struct {
	// Key names the command's notice (?notice= of a page).
	Key    string            `json:"key"`
	Notice string            `json:"notice"`
	Next   string            `json:"next,omitempty"`
	Result yhttp.WriteResult `json:"result"`
}

// doCommand runs one staff command: the route names it ("intake", or the
// path's kind and :cmd), the form gives its fields.
func doCommand(name string) func(*Web, echo.Context, *Session) error {
	return func(w *Web, c echo.Context, s *Session) error {
		key := name
		if key == "" {
			key = strings.Split(strings.TrimPrefix(c.Path(), "/staff/"), "/")[0] + "/" + c.Param("cmd")
		}
		cmd, ok := staffCommands[key]
		if !ok {
			return echo.ErrNotFound
		}
		form, err := c.FormParams()
		if err != nil {
			return echo.NewHTTPError(nethttp.StatusBadRequest, "unreadable form")
		}
		res, err := w.runCommand(c, cmd, form)
		var ae *apiError
		if errors.As(err, &ae) {
			return w.refused(c, ae.Problem, form)
		}
		if err != nil {
			return err
		}
		l := w.lang(c)
		notice := l.T("staff.done." + strings.ReplaceAll(key, "/", "."))
		next := backTo(form.Get("back"))
		if cmd.created != "" && res.ID != "" {
			next = fmt.Sprintf(cmd.created, res.ID)
		}
		if wantsJSON(c) {
			return c.JSON(nethttp.StatusOK, commandAnswer{Key: strings.ReplaceAll(key, "/", "."), Notice: notice, Next: next, Result: res})
		}
		u, _ := url.Parse(next)
		q := u.Query()
		q.Set("notice", strings.ReplaceAll(key, "/", "."))
		q.Set("wait_for", strconv.FormatUint(res.HeadPosition, 10))
		u.RawQuery = q.Encode()
		return c.Redirect(nethttp.StatusSeeOther, u.String())
	}
}

// headerCommandTime carries the moment the console's script recorded a
// command (it may send it minutes later, once the network is back).
const headerCommandTime = "Yishi-Command-Time"

// runCommand maps form to cmd's API call and runs it with the request's
// Idempotency-Key (the script's header) or the form's key (field "idem",
// fresh in every rendered form). A command on a meeting also passes on
// the script's Yishi-Command-Time, which the API checks against the
// meeting's window and records as the events' time; the other commands
// take the ledger's clock.
func (w *Web) runCommand(c echo.Context, cmd staffCommand, form url.Values) (yhttp.WriteResult, error) {
	var res yhttp.WriteResult
	path := strings.ReplaceAll(cmd.path, "{id}", c.Param("id"))
	path = strings.ReplaceAll(path, "{person}", url.PathEscape(c.Param("person")))
	for _, f := range []string{"motion", "mediation", "community", "team", "partner"} {
		path = strings.ReplaceAll(path, "{"+f+"}", url.PathEscape(form.Get(f)))
	}
	var body any
	if cmd.fields != nil {
		b, err := w.commandBody(c, cmd.fields, form)
		if err != nil {
			return res, err
		}
		body = b
	}
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" {
		key = form.Get("idem")
	}
	var at string
	if strings.HasPrefix(cmd.path, "/v1/meetings/{id}/") {
		at = c.Request().Header.Get(headerCommandTime)
	}
	err := w.call(c, apiRequest{method: cmd.method, path: path, body: body, idempotencyKey: key, commandTime: at}, &res)
	return res, err
}

// commandBody builds the JSON body of a command from the form's fields
// (see staffCommand.fields). Empty fields are left out, so that the API's
// defaults and its own refusals apply.
func (w *Web) commandBody(c echo.Context, fields []string, form url.Values) (map[string]any, error) {
	body := map[string]any{}
	for _, spec := range fields {
		name, kind, _ := strings.Cut(spec, ":")
		var v any
		raw := strings.TrimSpace(form.Get(name))
		switch kind {
		case "":
			if raw != "" {
				v = raw
			}
		case "int":
			if raw != "" {
				n, err := strconv.Atoi(raw)
				if err != nil {
					return nil, fieldProblem(w, c, name, "staff.error.number")
				}
				v = n
			}
		case "bool":
			if raw != "" {
				v = raw == "true" || raw == "on" || raw == "yes"
			}
		case "time", "date":
			if raw != "" {
				layout := "2006-01-02T15:04"
				if kind == "date" {
					layout = "2006-01-02"
				}
				t, err := time.ParseInLocation(layout, raw, time.Local)
				if err != nil {
					return nil, fieldProblem(w, c, name, "staff.error.time")
				}
				if kind == "date" {
					// A due date is due at the end of its day.
					t = t.Add(24*time.Hour - time.Minute)
				}
				v = t
			}
		case "list":
			if vs := nonEmpty(form[name]); len(vs) > 0 {
				v = vs
			}
		case "options":
			var opts []map[string]string
			for i, label := range nonEmpty(strings.Split(raw, "\n")) {
				opts = append(opts, map[string]string{"id": "o" + strconv.Itoa(i+1), "label": label})
			}
			if opts != nil {
				v = opts
			}
		case "party":
			// One "kind|id|name" choice from a register, or a person not
			// in it, named in the field <name>_name (a walk-in resident).
			parts := strings.SplitN(raw, "|", 3)
			if len(parts) == 3 {
				v = map[string]string{"kind": parts[0], "id": parts[1], "name": parts[2]}
			} else if other := strings.TrimSpace(form.Get(name + "_name")); other != "" {
				v = map[string]string{"kind": "person", "id": derivedID("visitor", other), "name": other}
			}
		case "voter":
			if id, n, ok := strings.Cut(raw, "|"); ok {
				v = map[string]string{"person_id": id, "name": n}
			} else if other := strings.TrimSpace(form.Get(name + "_name")); other != "" {
				v = map[string]string{"person_id": derivedID("visitor", other), "name": other}
			}
		case "words":
			if ws := strings.FieldsFunc(raw, func(r rune) bool { return strings.ContainsRune(",，、;； \t\n", r) }); len(ws) > 0 {
				v = ws
			}
		case "slug":
			if raw != "" {
				v = raw
			} else if n := strings.TrimSpace(form.Get("name")); n != "" {
				v = derivedID(strings.TrimSuffix(name, "_id"), n)
			}
		case "voters":
			var vs []map[string]string
			for _, p := range nonEmpty(form[name]) {
				if id, n, ok := strings.Cut(p, "|"); ok {
					vs = append(vs, map[string]string{"person_id": id, "name": n})
				}
			}
			if vs != nil {
				v = vs
			}
		case "parties":
			var parties []map[string]string
			for _, p := range nonEmpty(form[name]) {
				parts := strings.SplitN(p, "|", 3)
				if len(parts) == 3 {
					parties = append(parties, map[string]string{"kind": parts[0], "id": parts[1], "name": parts[2]})
				}
			}
			if parties != nil {
				v = parties
			}
		case "notes":
			if notes := minutesNotes(form[name+".item_id"], form[name+".text"]); notes != nil {
				v = notes
			}
		case "photos":
			sums, err := w.uploadPhotos(c, name)
			if err != nil {
				return nil, err
			}
			if sums != nil {
				v = sums
			}
		default:
			return nil, fmt.Errorf("web: field %q has an unknown kind", spec)
		}
		if v != nil {
			setPath(body, name, v)
		}
	}
	return body, nil
}

// derivedID is an id derived from a name typed on a form, so that the
// form posted twice is the same command (its Idempotency-Key holds).
func derivedID(prefix, name string) string {
	sum := sha256.Sum256([]byte(name))
	return prefix + "-" + hex.EncodeToString(sum[:6])
}

// setPath sets body's dotted name to v, making the nested objects.
func setPath(body map[string]any, name string, v any) {
	parts := strings.Split(name, ".")
	m := body
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// nonEmpty returns vs trimmed, without the empty ones.
func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// uploadPhotos stores the files of multipart field name through the API
// (POST /v1/attachments) and returns their references.
func (w *Web) uploadPhotos(c echo.Context, name string) ([]string, error) {
	mf, err := c.MultipartForm()
	if err != nil || mf == nil {
		return nil, nil
	}
	var sums []string
	for _, fh := range mf.File[name] {
		if fh.Size == 0 {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("web: open upload: %w", err)
		}
		data, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("web: read upload: %w", err)
		}
		var a struct {
			SHA256 string `json:"sha256"`
		}
		if err := w.call(c, apiRequest{method: nethttp.MethodPost, path: "/v1/attachments", raw: data, contentType: fh.Header.Get(echo.HeaderContentType)}, &a); err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				ae.Problem.Field = name
				ae.Problem.Errors = []yhttp.FieldError{{Field: name, Reason: ae.Problem.Detail}}
			}
			return nil, err
		}
		sums = append(sums, a.SHA256)
	}
	return sums, nil
}

// fieldProblem is a refusal of a field the page reads before the API does
// (a number or a time it cannot parse).
func fieldProblem(w *Web, c echo.Context, field, key string) error {
	msg := w.lang(c).T(key)
	return &apiError{Problem: yhttp.Problem{Type: "/problems/validation", Title: w.lang(c).T("problem.validation"),
		Status: nethttp.StatusUnprocessableEntity, Detail: msg, Field: field, Errors: []yhttp.FieldError{{Field: field, Reason: msg}}}}
}

// wantsJSON reports whether the console's script posted (it asks for JSON).
func wantsJSON(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}

// backTo returns the staff page a form names to come back to, or the
// work queue: never another site.
func backTo(back string) string {
	if strings.HasPrefix(back, "/staff") && !strings.HasPrefix(back, "//") && !strings.Contains(back, "\\") {
		return back
	}
	return "/staff"
}

// refusalCookie carries a refused post's problem and what was typed to
// the page the form came from, for one read.
const refusalCookie = "yishi_refusal"

// refusal is what refusalCookie holds.
type refusal struct {
	Problem yhttp.Problem `json:"p"`
	Form    url.Values    `json:"f"`
}

// refused answers a refused command: the problem as JSON to the script;
// to a plain form, a redirect back to its page, which shows the problem
// next to the field at fault and keeps what was typed.
func (w *Web) refused(c echo.Context, p yhttp.Problem, form url.Values) error {
	if wantsJSON(c) {
		return c.JSON(p.Status, p)
	}
	kept := url.Values{}
	for k, vs := range form {
		if k != "csrf" && k != "idem" {
			kept[k] = vs
		}
	}
	b, err := json.Marshal(refusal{Problem: p, Form: kept})
	if err != nil {
		return fmt.Errorf("web: keep refusal: %w", err)
	}
	if len(b) < 3500 {
		c.SetCookie(&nethttp.Cookie{Name: refusalCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/staff", MaxAge: 120,
			HttpOnly: true, Secure: secure(c), SameSite: nethttp.SameSiteStrictMode})
	}
	return c.Redirect(nethttp.StatusSeeOther, backTo(form.Get("back")))
}

// takeRefusal reads (and clears) the refusal a redirect carried.
func takeRefusal(c echo.Context) *refusal {
	ck, err := c.Cookie(refusalCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	c.SetCookie(&nethttp.Cookie{Name: refusalCookie, Value: "", Path: "/staff", MaxAge: -1, HttpOnly: true, Secure: secure(c), SameSite: nethttp.SameSiteStrictMode})
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil
	}
	var r refusal
	if json.Unmarshal(b, &r) != nil || r.Problem.Status == 0 {
		return nil
	}
	return &r
}
