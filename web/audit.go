package web

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	nethttp "net/http"

	"github.com/labstack/echo/v4"
	"golang.org/x/mod/sumdb/note"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/i18n"
	"github.com/yishi-civic/yishi/seal"
)

// The auditor's door (docs/audit.md, "The auditor's door"): the event
// explorer, time travel on the public pages (?as_of=), the comparison of
// two moments, the verification run on the live server, the checkpoints
// and the downloads. Admins and auditors only; each page reads the API as
// the visitor, so an admin sees no hash chain and no secret choice, as
// through the API.

// Auditor reports whether the visitor may use the auditor's door: an
// auditor or an admin.
func (s *Session) Auditor() bool {
	return s != nil && (s.Token.Role == auth.RoleAuditor || s.Token.Role == auth.RoleAdmin)
}

// auditPage wraps a page of the auditor's door: 403 to everyone but
// auditors and admins, anonymous visitors included.
func auditPage(f func(*Web, echo.Context) error) func(*Web) echo.HandlerFunc {
	return func(w *Web) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !sessionOf(c).Auditor() {
				return &apiError{Problem: yhttp.Problem{Type: "/problems/forbidden", Title: "forbidden", Status: nethttp.StatusForbidden,
					Detail: w.lang(c).T("audit.only")}}
			}
			return f(w, c)
		}
	}
}

// pageTime reads a moment a form gave: an RFC 3339 time as is, or a
// date-time picker's value (2026-01-16T10:00, seconds optional) or a date
// in China time, as RFC 3339. ok is false for anything else.
func pageTime(v string) (string, bool) {
	if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return v, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, v, china); err == nil {
			return t.Format(time.RFC3339), true
		}
	}
	return "", false
}

// moment reads a moment given as a global position or a time (pageTime):
// the API's as_of. An empty value is none; a bad one is a 400 naming
// field.
func moment(l i18n.Lang, field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if _, err := strconv.ParseUint(v, 10, 64); err == nil {
		return v, nil
	}
	if t, ok := pageTime(v); ok {
		return t, nil
	}
	return "", &apiError{Problem: yhttp.Problem{Type: "/problems/bad-request", Title: "bad request", Status: nethttp.StatusBadRequest,
		Detail: l.T("audit.asof.bad", field), Field: field, Errors: []yhttp.FieldError{{Field: field, Reason: l.T("audit.asof.bad", field)}}}}
}

// asOfViews are the API's views a page's ?as_of= travels to: every view
// the public pages read. Others (a session's own data, aggregates) are
// read as they are now.
var asOfViews = []string{"/v1/board", "/v1/register", "/v1/outcomes", "/v1/stats", "/v1/calendar", "/v1/places", "/v1/reports/street"}

// travels reports whether an API read of path follows the page's as_of.
func travels(path string) bool {
	if strings.HasPrefix(path, "/v1/proposals/") && strings.HasSuffix(path, "/timeline") {
		return true
	}
	for _, v := range asOfViews {
		if path == v || strings.HasPrefix(path, v+"/") {
			return true
		}
	}
	return false
}

// withAsOf adds the page's ?as_of= to a read of a view (unless the read
// names its own moment). The API decides who may travel: admins and
// auditors; anyone else gets its refusal, never an answer of now.
func (w *Web) withAsOf(c echo.Context, path string, q url.Values) (url.Values, error) {
	v := c.QueryParam("as_of")
	if v == "" || !travels(path) || q.Get("as_of") != "" {
		return q, nil
	}
	at, err := moment(w.lang(c), "as_of", v)
	if err != nil || at == "" {
		return q, err
	}
	out := url.Values{}
	for k, vs := range q {
		out[k] = vs
	}
	out.Set("as_of", at)
	return out, nil
}

// AsOf is the moment the page shows (its ?as_of=), written for the
// banner: a position, or a time in China time; empty for now.
func (p Page) AsOf() string {
	if p.url == nil {
		return ""
	}
	v := p.url.Query().Get("as_of")
	if v == "" {
		return ""
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		return p.Lang.T("audit.asof.position", n)
	}
	if s, ok := pageTime(v); ok {
		t, _ := time.Parse(time.RFC3339Nano, s)
		return words{p.Lang}.when(t)
	}
	return v
}

// NowURL is the page's address without its as_of: the page as it is now.
func (p Page) NowURL() string {
	if p.url == nil {
		return "/"
	}
	q := p.url.Query()
	q.Del("as_of")
	if len(q) == 0 {
		return p.url.Path
	}
	return p.url.Path + "?" + q.Encode()
}

// timeTravels are the pages that offer an auditor the time picker.
var timeTravels = map[string]bool{"home": true, "board": true, "register": true, "outcomes": true, "stats": true}

// TimeTravel reports whether the page offers the time picker: a public
// view, to an auditor or admin.
func (p Page) TimeTravel() bool {
	return timeTravels[p.Nav] && p.Session.Auditor()
}

// eventsHref links to the explorer with a filter: the events behind a
// view's entry.
func eventsHref(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return "/audit/events?" + q.Encode()
}

// auditHome is the auditor's start page: the explorer's search, the time
// picker for every view, the comparison of two moments, the verification
// and the downloads.
func (w *Web) auditHome(c echo.Context) error {
	l := w.lang(c)
	return w.render(c, nethttp.StatusOK, "audit", Page{Title: l.T("audit.title"), Nav: "audit", Data: auditHomeData{
		Export: sessionOf(c).Token.Role == auth.RoleAuditor, Views: []option{
			{Value: "/", Label: l.T("nav.home")}, {Value: "/board", Label: l.T("nav.board")}, {Value: "/register", Label: l.T("nav.register")},
			{Value: "/outcomes", Label: l.T("nav.outcomes")}, {Value: "/stats", Label: l.T("nav.stats")}}}})
}

// auditHomeData is the start page's data: the views the time picker
// offers, and whether the export is offered.
type auditHomeData struct {
	Views []option
	// Export is set for an auditor, whose export the API fills.
	Export bool
}

// travel sends the time picker's choice to the view it names, as_of the
// moment given.
func (w *Web) travel(c echo.Context) error {
	at, err := moment(w.lang(c), "as_of", c.QueryParam("as_of"))
	if err != nil {
		return err
	}
	view := c.QueryParam("view")
	switch view {
	case "/", "/board", "/register", "/outcomes", "/stats":
	default:
		view = "/register"
	}
	if at == "" {
		return c.Redirect(nethttp.StatusSeeOther, view)
	}
	return c.Redirect(nethttp.StatusSeeOther, view+"?"+url.Values{"as_of": {at}}.Encode())
}

// explorerEvent is an event as GET /v1/events answers it.
type explorerEvent struct {
	ID       string              `json:"id"`
	Stream   string              `json:"stream"`
	Revision uint64              `json:"revision"`
	Position uint64              `json:"position"`
	Type     string              `json:"type"`
	Recorded time.Time           `json:"recorded"`
	Data     json.RawMessage     `json:"data"`
	Metadata eventstore.Metadata `json:"metadata"`
}

// eventLine is an event as the explorer shows it.
type eventLine struct {
	explorerEvent
	When, Payload, Meta                    string
	StreamHref, CorrelationHref, ActorHref string
	CausationHref, ProofHref, AroundHref   string
}

// explorerData is the explorer's page.
type explorerData struct {
	Filter               url.Values
	Newest               bool
	Events               []eventLine
	NextHref             string
	Scanned              int
	Filtered, Correlated bool
}

// explorerPage is how many events the explorer shows at a time, unless
// the address says otherwise (limit): a phone's screenful or two.
const explorerPage = "20"

// explorerFilters are the explorer's form fields, passed to GET /v1/events
// (since and until after pageTime).
var explorerFilters = []string{"stream", "type", "actor", "correlation", "since", "until", "from", "order", "limit"}

// explorer is the event explorer: the log, filtered, a page at a time,
// each event with its payload, metadata, hash and previous hash.
func (w *Web) explorer(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	form := url.Values{}
	q := url.Values{}
	for _, k := range explorerFilters {
		v := strings.TrimSpace(c.QueryParam(k))
		if v == "" {
			continue
		}
		form.Set(k, v)
		if k == "since" || k == "until" {
			if t, ok := pageTime(v); ok {
				v = t
			}
		}
		q.Set(k, v)
	}
	if q.Get("limit") == "" {
		q.Set("limit", explorerPage)
	}
	var page struct {
		Events   []explorerEvent `json:"events"`
		NextFrom uint64          `json:"next_from"`
		Scanned  int             `json:"scanned"`
	}
	if err := w.get(c, "/v1/events", q, &page); err != nil {
		return err
	}
	d := explorerData{Filter: form, Newest: form.Get("order") == "newest", Scanned: page.Scanned, Correlated: form.Get("correlation") != ""}
	for _, k := range explorerFilters[:6] {
		d.Filtered = d.Filtered || form.Get(k) != ""
	}
	for _, ev := range page.Events {
		d.Events = append(d.Events, eventLine{explorerEvent: ev, When: wd.when(ev.Recorded) + ":" + ev.Recorded.In(china).Format("05"),
			Payload: indent(ev.Data), Meta: indent(mustJSON(ev.Metadata)),
			StreamHref:      eventsHref("stream", ev.Stream),
			CorrelationHref: ifAny(ev.Metadata.CorrelationID, eventsHref("correlation", ev.Metadata.CorrelationID)),
			ActorHref:       ifAny(ev.Metadata.Actor, eventsHref("actor", ev.Metadata.Actor)),
			AroundHref:      eventsHref("from", strconv.FormatUint(ev.Position, 10)),
			ProofHref:       "/v1/proofs/inclusion?" + url.Values{"position": {strconv.FormatUint(ev.Position, 10)}}.Encode(),
		})
	}
	if page.NextFrom != 0 {
		next := url.Values{}
		for k, v := range form {
			next[k] = v
		}
		next.Set("from", strconv.FormatUint(page.NextFrom, 10))
		d.NextHref = "/audit/events?" + next.Encode()
	}
	return w.render(c, nethttp.StatusOK, "audit_events", Page{Title: l.T("audit.events.title"), Nav: "audit", Data: d})
}

// ifAny returns s when v is not empty.
func ifAny(v, s string) string {
	if v == "" {
		return ""
	}
	return s
}

// indent writes JSON indented for reading; anything else as it is.
func indent(raw []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// mustJSON encodes v, which cannot fail for the metadata's plain fields.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// checkpointLine is the latest checkpoint as the verification page shows
// it: what it says, and who signed it.
type checkpointLine struct {
	Origin, Root string
	Size         int64
	Head         uint64
	Text         string
	// Signers are the note's signatures: the server's own (checked with
	// its key) and the witnesses' cosignatures the server holds.
	Signers []signer
}

// signer is a signature of a checkpoint: its key's name and hash, and
// whether the page could check it (the server's key).
type signer struct {
	Name, KeyHash string
	Checked       bool
}

// proofsData is the verification page's data.
type proofsData struct {
	Checkpoint *checkpointLine
	// Missing says why there is no checkpoint (the server signs none).
	Missing string
}

// proofsPage is the verification page: a button that runs the chain and
// Merkle verification on the live server with its progress, and the
// latest checkpoint with its signatures.
func (w *Web) proofsPage(c echo.Context) error {
	l := w.lang(c)
	var d proofsData
	cp, err := w.checkpoint(c)
	if ae, ok := err.(*apiError); ok {
		d.Missing = ae.Problem.Detail
	} else if err != nil {
		return err
	}
	d.Checkpoint = cp
	return w.render(c, nethttp.StatusOK, "audit_verify", Page{Title: l.T("audit.verify.title"), Nav: "audit", Data: d})
}

// checkpoint reads the latest checkpoint and the server's key through the
// API and opens the note: its signature by the server's key is checked,
// the others (witnesses') are listed by name and key hash.
func (w *Web) checkpoint(c echo.Context) (*checkpointLine, error) {
	var msg, key []byte
	if err := w.get(c, "/v1/checkpoint", nil, &msg); err != nil {
		return nil, err
	}
	if err := w.get(c, "/v1/checkpoint/key", nil, &key); err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(key)))
	if err != nil {
		return nil, err
	}
	cp, n, err := seal.OpenNote(msg, v)
	if err != nil {
		return nil, err
	}
	line := &checkpointLine{Origin: cp.Origin, Root: cp.Root.String(), Size: cp.Size, Head: uint64(cp.Head), Text: n.Text}
	for _, s := range n.Sigs {
		line.Signers = append(line.Signers, signer{Name: s.Name, KeyHash: strconv.FormatUint(uint64(s.Hash), 16), Checked: true})
	}
	for _, s := range n.UnverifiedSigs {
		line.Signers = append(line.Signers, signer{Name: s.Name, KeyHash: strconv.FormatUint(uint64(s.Hash), 16)})
	}
	return line, nil
}

// verifyStream relays the API's verification stream
// (GET /v1/verification/stream) to the page: its progress and result as
// the API sends them to the visitor; a refusal (a run in progress, a
// scoped token) comes as one event "refused" with the API's detail.
func (w *Web) verifyStream(c echo.Context) error {
	if c.Request().Method == nethttp.MethodHead {
		return c.NoContent(nethttp.StatusOK) // HEAD starts no verification
	}
	return w.relay(c, "/v1/verification/stream", func(line string) string { return line + "\n" })
}
