package http

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/pb33f/libopenapi"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
)

func TestHealthz(t *testing.T) {
	e := mustServe(t)
	var h health
	e.do(req{method: "GET", path: "/healthz"}).want(t, 200).decode(t, &h)
	if h.Status != "ok" {
		t.Fatalf("status %q", h.Status)
	}
}

func TestReadyzWithoutViewsIsNotReady(t *testing.T) {
	e := mustServe(t, func(c *Config) { c.Runner = nil })
	r := e.do(req{method: "GET", path: "/readyz"})
	r.wantProblem(t, 503, "not-ready")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After on 503")
	}
	e.do(req{method: "GET", path: "/v1/register"}).wantProblem(t, 503, "not-ready")
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := mustServe(t)
	e.do(req{method: "GET", path: "/v1/nothing-here", undocumented: true}).wantProblem(t, 404, "not-found")
	e.do(req{method: "PUT", path: "/healthz", undocumented: true}).wantProblem(t, 405, "method-not-allowed")
}

func TestProblemTypesAreDocumented(t *testing.T) {
	e := mustServe(t)
	for _, k := range kinds {
		var d problemDoc
		e.do(req{method: "GET", path: "/problems/" + k.slug}).want(t, 200).decode(t, &d)
		if d.Status != k.status || d.TitleEN != k.title.en {
			t.Errorf("%s: got %+v", k.slug, d)
		}
	}
	e.do(req{method: "GET", path: "/problems/no-such"}).wantProblem(t, 404, "not-found")
}

func TestProblemLanguage(t *testing.T) {
	e := mustServe(t)
	zh := e.do(req{method: "GET", path: "/v1/tokens"}).wantProblem(t, 401, "unauthorized")
	en := e.do(req{method: "GET", path: "/v1/tokens", header: map[string]string{"Accept-Language": "en-GB,en;q=0.9"}}).wantProblem(t, 401, "unauthorized")
	if zh.Title != kindUnauthorized.title.zh || en.Title != kindUnauthorized.title.en {
		t.Fatalf("titles %q / %q", zh.Title, en.Title)
	}
	if zh.Detail == en.Detail {
		t.Fatalf("same detail in both languages: %q", zh.Detail)
	}
	fr := e.do(req{method: "GET", path: "/v1/tokens", header: map[string]string{"Accept-Language": "fr"}}).wantProblem(t, 401, "unauthorized")
	if fr.Title != kindUnauthorized.title.zh {
		t.Fatalf("unsupported language should fall back to zh-CN, got %q", fr.Title)
	}
}

func TestAuthentication(t *testing.T) {
	e := mustServe(t)
	admin := e.token(auth.RoleAdmin, auth.Scope{}, "")
	auditor := e.token(auth.RoleAuditor, auth.Scope{}, "")

	e.do(req{method: "GET", path: "/v1/tokens"}).wantProblem(t, 401, "unauthorized")
	r := e.do(req{method: "GET", path: "/v1/tokens", token: "yst_not-a-real-token"})
	r.wantProblem(t, 401, "unauthorized")
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
	e.do(req{method: "GET", path: "/v1/tokens", header: map[string]string{"Authorization": "Basic abc"}}).wantProblem(t, 401, "unauthorized")
	e.do(req{method: "GET", path: "/v1/tokens", token: auditor}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: "/v1/tokens", token: admin}).want(t, 200)
}

func TestTokenLifecycleThroughAPI(t *testing.T) {
	e := mustServe(t)
	admin := e.token(auth.RoleAdmin, auth.Scope{Community: "hengyuan"}, "")
	root := e.token(auth.RoleAdmin, auth.Scope{}, "root")
	e.write(t, root, "/v1/communities", map[string]string{"community_id": "hengyuan", "name": "衡苑社区", "kind": "community", "street": "衡山街道"}, 201)
	e.write(t, root, "/v1/communities/hengyuan/grids", map[string]string{"grid_id": "g1", "name": "第一网格", "kind": "residential"}, 201)

	var issued IssuedToken
	e.do(req{method: "POST", path: "/v1/tokens", token: admin, body: map[string]string{
		"role": "facilitator", "community": "hengyuan", "grid": "g1", "name": "网格长 李",
	}}).want(t, 201).decode(t, &issued)
	if !strings.HasPrefix(issued.Secret, "yst_") || issued.Role != "facilitator" || issued.Grid != "g1" {
		t.Fatalf("issued %+v", issued)
	}
	// The new token works at once, and the listing never shows a secret.
	list := e.do(req{method: "GET", path: "/v1/tokens", token: admin}).want(t, 200)
	if bytes.Contains(list.body, []byte(issued.Secret)) || bytes.Contains(list.body, []byte(auth.HashSecret(issued.Secret))) {
		t.Fatal("listing shows a secret or its hash")
	}
	if !bytes.Contains(list.body, []byte(issued.ID)) {
		t.Fatalf("listing misses the new token: %s", list.body)
	}
	e.do(req{method: "GET", path: "/v1/tokens", token: issued.Secret}).wantProblem(t, 403, "forbidden")

	// A community admin can neither issue outside its community nor unscoped.
	e.do(req{method: "POST", path: "/v1/tokens", token: admin, body: map[string]string{"role": "resident", "community": "other"}}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "POST", path: "/v1/tokens", token: admin, body: map[string]string{"role": "auditor"}}).wantProblem(t, 403, "forbidden")
	p := e.do(req{method: "POST", path: "/v1/tokens", token: admin, body: map[string]string{"role": "mayor", "community": "hengyuan"}}).wantProblem(t, 422, "validation")
	if p.Field != "role" {
		t.Fatalf("field %q, want role", p.Field)
	}

	// Revocation is an event; the token stops working; revoking again is a conflict.
	var w WriteResult
	e.do(req{method: "DELETE", path: "/v1/tokens/" + issued.ID, token: admin}).want(t, 200).decode(t, &w)
	if w.Stream != "token-"+issued.ID || w.Revision != 1 {
		t.Fatalf("revocation result %+v", w)
	}
	e.do(req{method: "GET", path: "/healthz", token: issued.Secret}).wantProblem(t, 401, "unauthorized")
	e.do(req{method: "DELETE", path: "/v1/tokens/" + issued.ID, token: admin}).wantProblem(t, 409, "conflict")
	e.do(req{method: "DELETE", path: "/v1/tokens/not-a-uuid", token: admin}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "DELETE", path: "/v1/tokens/0190b7c1-0000-7000-8000-000000000000", token: admin}).wantProblem(t, 404, "not-found")

	var types []string
	for ev, err := range e.store.ReadStream(context.Background(), "token-"+issued.ID, eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, ev.Type)
		if bytes.Contains(ev.Data, []byte(issued.Secret)) {
			t.Fatal("the secret was recorded")
		}
	}
	if !slices.Equal(types, []string{auth.TypeIssued, auth.TypeRevoked}) {
		t.Fatalf("token stream %v", types)
	}
}

func TestRequestDecodingRefusals(t *testing.T) {
	e := mustServe(t)
	admin := e.token(auth.RoleAdmin, auth.Scope{}, "")
	cases := []struct {
		name   string
		body   any
		ct     string
		status int
		slug   string
		field  string
	}{
		{"unknown field", `{"role":"resident","colour":"red"}`, "", 400, "bad-request", "colour"},
		{"wrong type", `{"role":7}`, "", 400, "bad-request", "role"},
		{"syntax", `{"role":`, "", 400, "bad-request", ""},
		{"trailing data", `{"role":"resident"} {}`, "", 400, "bad-request", ""},
		{"duplicate key", `{"role":"resident","name":"a","role":"admin"}`, "", 400, "bad-request", "role"},
		{"empty", ``, "", 400, "bad-request", ""},
		{"invalid utf-8", []byte("{\"role\":\"\xff\xfe\"}"), "", 400, "bad-request", "role"},
		{"not json", `role=resident`, "application/x-www-form-urlencoded", 415, "unsupported-media-type", ""},
		{"too large", `{"name":"` + strings.Repeat("x", maxJSONBody) + `"}`, "", 413, "too-large", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.ct != "" {
				h["Content-Type"] = c.ct
			}
			p := e.do(req{method: "POST", path: "/v1/tokens", token: admin, body: c.body, header: h}).wantProblem(t, c.status, c.slug)
			if p.Field != c.field {
				t.Fatalf("field %q, want %q (%+v)", p.Field, c.field, p)
			}
		})
	}
	// Nothing was appended by any refusal: only the admin token exists.
	n := 0
	for _, err := range e.store.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d events in the log, want 1", n)
	}
}

// pngBytes is a 1×1 PNG (well formed: uploads are parsed to strip metadata).
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\b\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x11IDATx\x9cbb```\x00\x04\x00\x00\xff\xff\x00\x0f\x00\x03\xfe\x8f\xeb\xcf\x00\x00\x00\x00IEND\xaeB`\x82")

func TestAttachments(t *testing.T) {
	e := mustServe(t)
	resident := e.token(auth.RoleResident, auth.Scope{Community: "c"}, "r1")
	auditor := e.token(auth.RoleAuditor, auth.Scope{}, "")
	post := func(tok, ct string, body []byte) response {
		return e.do(req{method: "POST", path: "/v1/attachments", token: tok, body: body, header: map[string]string{"Content-Type": ct}})
	}
	var a Attachment
	post(resident, "image/png", pngBytes).want(t, 201).decode(t, &a)
	if len(a.SHA256) != 64 || a.ContentType != "image/png" || a.Size != int64(len(pngBytes)) {
		t.Fatalf("attachment %+v", a)
	}
	var again Attachment
	post(resident, "image/png", pngBytes).want(t, 201).decode(t, &again)
	if again.SHA256 != a.SHA256 || again.URL != a.URL || again.UploadID == a.UploadID {
		t.Fatalf("same bytes, different address (or the same upload record): %+v vs %+v", again, a)
	}
	got := e.do(req{method: "GET", path: a.URL, token: auditor}).want(t, 200)
	if got.header.Get("Content-Type") != "image/png" || !bytes.Equal(got.body, pngBytes) {
		t.Fatalf("served %q, %d bytes", got.header.Get("Content-Type"), len(got.body))
	}
	post(resident, "image/jpeg", pngBytes).wantProblem(t, 415, "unsupported-media-type")
	post(resident, "application/pdf", []byte("%PDF-1.4")).wantProblem(t, 415, "unsupported-media-type")
	post(resident, "image/png", append(slices.Clone(pngBytes), make([]byte, maxAttachment)...)).wantProblem(t, 413, "too-large")
	post("", "image/png", pngBytes).wantProblem(t, 401, "unauthorized")
	post(auditor, "image/png", pngBytes).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: "/v1/attachments/abc"}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "GET", path: "/v1/attachments/" + strings.Repeat("0", 64), token: auditor}).wantProblem(t, 404, "not-found")
}

func TestRateLimitPerToken(t *testing.T) {
	e := mustServe(t, func(c *Config) { c.RatePerSecond, c.Burst = 0.001, 2 })
	tok := e.token(auth.RoleResident, auth.Scope{}, "")
	other := e.token(auth.RoleResident, auth.Scope{}, "")
	e.do(req{method: "GET", path: "/v1/register", token: tok}).want(t, 200)
	e.do(req{method: "GET", path: "/v1/register", token: tok}).want(t, 200)
	r := e.do(req{method: "GET", path: "/v1/register", token: tok})
	r.wantProblem(t, 429, "rate-limited")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	e.do(req{method: "GET", path: "/v1/register", token: other}).want(t, 200)
}

func TestMetrics(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	m := e.do(req{method: "GET", path: "/metrics", token: c.admin}).want(t, 200)
	for _, name := range []string{
		`yishi_http_request_duration_seconds_bucket{method="POST",route="/v1/communities",status="201"`,
		`yishi_appends_total{category="organisation"} 7`,
		`yishi_events_appended_total{category="organisation"} 7`,
		"yishi_projection_lag_positions", "yishi_sse_clients", "go_goroutines",
	} {
		if !bytes.Contains(m.body, []byte(name)) {
			t.Errorf("metrics lack %s", name)
		}
	}
}

// neighbourlyStore is a store that reports foreign events skipped, as the
// KurrentDB store does on a server shared with other applications.
type neighbourlyStore struct{ eventstore.Store }

func (neighbourlyStore) ForeignEvents() uint64 { return 3 }

func TestMetricsCountForeignEvents(t *testing.T) {
	e := mustServe(t, func(c *Config) { c.Store = neighbourlyStore{c.Store} })
	c := newCast(e)
	m := e.do(req{method: "GET", path: "/metrics", token: c.admin}).want(t, 200)
	if !bytes.Contains(m.body, []byte("yishi_store_foreign_events_skipped_total 3")) {
		t.Errorf("metrics lack the foreign events skipped:\n%s", grepLines(string(m.body), "foreign"))
	}
}

// TestLogsNeverShowTokens checks the request log: one JSON line per
// request with its id, route and the token's id, never the token itself.
func TestLogsNeverShowTokens(t *testing.T) {
	var buf syncBuffer
	e := mustServe(t, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	secret := e.token(auth.RoleAdmin, auth.Scope{}, "")
	e.do(req{method: "GET", path: "/v1/tokens", token: secret, header: map[string]string{"X-Request-Id": "log-test-1"}}).want(t, 200)
	e.do(req{method: "GET", path: "/v1/tokens", token: secret + "x"}).wantProblem(t, 401, "unauthorized")
	logs := buf.String()
	if strings.Contains(logs, secret) || strings.Contains(logs, auth.HashSecret(secret)) {
		t.Fatalf("a token reached the log:\n%s", logs)
	}
	var line struct {
		RequestID string `json:"request_id"`
		Route     string `json:"route"`
		Status    int    `json:"status"`
		Token     string `json:"token"`
	}
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if line.RequestID == "log-test-1" {
			break
		}
	}
	if line.RequestID != "log-test-1" || line.Route != "/v1/tokens" || line.Status != 200 || line.Token == "" {
		t.Fatalf("request log line %+v in\n%s", line, logs)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRequestIDs(t *testing.T) {
	e := mustServe(t)
	r := e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "abc-123"}})
	if r.header.Get("X-Request-Id") != "abc-123" {
		t.Fatalf("request id %q", r.header.Get("X-Request-Id"))
	}
	r = e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "bad id with spaces"}})
	if id := r.header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Fatalf("request id %q", id)
	}
	p := e.do(req{method: "GET", path: "/nope", undocumented: true, header: map[string]string{"X-Request-Id": "trace-1"}}).wantProblem(t, 404, "not-found")
	if p.RequestID != "trace-1" {
		t.Fatalf("problem request id %q", p.RequestID)
	}
}

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	id, event, data string
}

// openSSE connects to path and returns a channel of its events; it ends
// when the test does.
func (e *env) openSSE(path, token string, header map[string]string) <-chan sseEvent {
	e.tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.tb.Cleanup(cancel)
	hr, err := nethttp.NewRequestWithContext(ctx, "GET", e.ts.URL+path, nil)
	if err != nil {
		e.tb.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	res, err := e.ts.Client().Do(hr)
	if err != nil {
		e.tb.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		e.tb.Fatalf("SSE %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	succeeded.Store("GET "+routeOf(e.srv, "GET", hr.URL.Path), true)
	out := make(chan sseEvent, 64)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return out
}

// next returns the next SSE event of the given name, skipping others.
func next(tb testing.TB, ch <-chan sseEvent, name string) sseEvent {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				tb.Fatalf("stream ended before a %q event", name)
			}
			if ev.event == name {
				return ev
			}
		case <-deadline:
			tb.Fatalf("no %q event within 10s", name)
		}
	}
}

func TestEventFeedDeliversAndResumes(t *testing.T) {
	e := mustServe(t)
	// Token events are an unscoped admin's alone.
	admin := e.token(auth.RoleAdmin, auth.Scope{}, "")
	feed := e.openSSE("/v1/events/live?stream=token-", admin, nil)
	first := next(t, feed, "event")
	next(t, feed, "caught-up")

	// Live: a token issued now arrives on the open stream.
	e.token(auth.RoleResident, auth.Scope{}, "live")
	live := next(t, feed, "event")
	var fe FeedEvent
	if err := json.Unmarshal([]byte(live.data), &fe); err != nil {
		t.Fatal(err)
	}
	if fe.Type != auth.TypeIssued || live.id != fmt.Sprint(fe.Position) || live.id == first.id {
		t.Fatalf("live event id %s, %+v", live.id, fe)
	}

	// Resumption: from the first event's id, the second comes next and the
	// first is not repeated.
	resumed := e.openSSE("/v1/events/live", admin, map[string]string{"Last-Event-ID": first.id})
	if got := next(t, resumed, "event"); got.id != live.id {
		t.Fatalf("resumed at %s, want %s", got.id, live.id)
	}
	e.do(req{method: "GET", path: "/v1/events/live", token: admin, header: map[string]string{"Last-Event-ID": "x"}}).wantProblem(t, 400, "bad-request")
	resident := e.token(auth.RoleResident, auth.Scope{}, "")
	e.do(req{method: "GET", path: "/v1/events/live", token: resident}).wantProblem(t, 403, "forbidden")
}

func TestServeShutsDownWithOpenStreams(t *testing.T) {
	e := mustServe(t)
	auditor := e.token(auth.RoleAuditor, auth.Scope{}, "")
	feed := e.openSSE("/v1/events/live", auditor, nil)
	next(t, feed, "caught-up")
	e.srv.close()
	for range feed { //nolint:revive // drain until the server ends the stream
	}
}

// echoPath turns "/v1/tokens/{id}" into echo's "/v1/tokens/:id".
var paramPattern = regexp.MustCompile(`\{([^}]+)\}`)

// mustOpenAPI reads docs/openapi.yaml into its OpenAPI 3 model.
func mustOpenAPI(tb testing.TB) *libopenapi.DocumentModel[v3.Document] {
	tb.Helper()
	b, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		tb.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		tb.Fatalf("openapi.yaml: %v", err)
	}
	return model
}

func TestOpenAPIMatchesRouter(t *testing.T) {
	e := mustServe(t)
	model := mustOpenAPI(t)
	if v := model.Model.Version; !strings.HasPrefix(v, "3.1") {
		t.Fatalf("openapi version %s, want 3.1", v)
	}
	if ok, errs := specValidator(t).ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("openapi.yaml is not valid OpenAPI: %s %s", e.Message, e.Reason)
		}
	}
	documented := map[string]bool{}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			documented[strings.ToUpper(method)+" "+paramPattern.ReplaceAllString(path, ":$1")] = true
		}
	}
	routed := map[string]bool{}
	for _, r := range e.srv.echo.Routes() {
		if r.Method == nethttp.MethodHead {
			continue // every GET route but the live streams answers HEAD too (docs/api.md)
		}
		routed[r.Method+" "+r.Path] = true
	}
	for r := range routed {
		if !documented[r] {
			t.Errorf("route %s is not in docs/openapi.yaml", r)
		}
	}
	for d := range documented {
		if !routed[d] {
			t.Errorf("docs/openapi.yaml documents %s, which the router lacks", d)
		}
	}
}

// FuzzDecodeBody checks that no body, however malformed, makes decoding
// panic or accept what it must refuse, and that every refusal is a client
// fault (never an internal error).
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"role":"resident"}`, `{"role":"resident","x":1}`, `{"role":1}`, `[]`, `null`, ``, `{`,
		`{"role":"\ud800"}`, "{\"role\":\"\xff\"}", `{"role":"a"}{}`, `{"name":"张三","community":"衡苑"}`,
		`{"name":"a\u0000"}`, `{"name":"\u001b[2J"}`, `{"name":"\u202e"}`, `{"Role":"a","role":"b"}`, `{"name":"ok\n"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dst tokenRequest
		err := decodeBody(body, &dst)
		if err == nil {
			if !json.Valid(body) {
				t.Fatalf("accepted invalid JSON %q", body)
			}
			for _, v := range []string{dst.Role, dst.Community, dst.Grid, dst.Name, dst.Subject} {
				if strings.IndexFunc(v, forbiddenRune) >= 0 || strings.ContainsRune(v, utf8.RuneError) && !strings.Contains(string(body), "\uFFFD") && !strings.Contains(strings.ToLower(string(body)), `\ufffd`) {
					t.Fatalf("accepted %q from %q", v, body)
				}
			}
			return
		}
		p, _, internal := problemFor(err, langEN)
		if internal || p.Status < 400 || p.Status >= 500 {
			t.Fatalf("body %q: %v mapped to %d (internal %v)", body, err, p.Status, internal)
		}
	})
}

// TestServeShutsDownGracefully runs Serve on a real listener: a request in
// flight when the context ends still gets its answer, and Serve returns nil.
func TestServeShutsDownGracefully(t *testing.T) {
	e := mustServe(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()
	res, err := nethttp.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := nethttp.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

func TestSaveAttachment(t *testing.T) {
	e := mustServe(t)
	sum, err := e.srv.SaveAttachment(pngBytes, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	got := e.do(req{method: "GET", path: "/v1/attachments/" + sum, token: e.token(auth.RoleAdmin, auth.Scope{}, "")}).want(t, 200)
	if !bytes.Equal(got.body, pngBytes) {
		t.Fatal("served bytes differ")
	}
	if _, err := e.srv.SaveAttachment([]byte("not an image"), "image/png"); err == nil {
		t.Fatal("accepted text as a PNG")
	}
}

// FuzzWriteRoutes sends arbitrary bodies to write routes through the real
// router and store: whatever the body, the answer is a success or a
// client error, never a 5xx.
func FuzzWriteRoutes(f *testing.F) {
	for _, s := range []string{
		`{"community_id":"hengyuan","grid_id":"g1","title":"t","text":"x","category":"c","place":"p","channel":"online"}`,
		`{"community_id":"hengyuan","grid_id":"g1","title":"","channel":"photo_report","photos":["zz"]}`,
		`{"author":{"kind":"person","id":"x","name":"y"}}`, `{"percent":101}`, `{"satisfied":"yes"}`,
		`{"starts_at":"not a time"}`, `{"rule":{"kind":"two_thirds","quorum_percent":-1}}`, `[1,2,3]`, "\x00", `{"title":"` + strings.Repeat("长", 3000) + `"}`,
	} {
		f.Add(0, []byte(s))
		f.Add(1, []byte(s))
		f.Add(2, []byte(s))
	}
	e := mustServe(f)
	admin := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "admin-f", "管理员")
	paths := []string{"/v1/proposals", "/v1/meetings", "/v1/actions", "/v1/communities"}
	f.Fuzz(func(t *testing.T, route int, body []byte) {
		path := paths[(route%len(paths)+len(paths))%len(paths)]
		hr, err := nethttp.NewRequest("POST", e.ts.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", "Bearer "+admin)
		res, err := e.ts.Client().Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("POST %s %q: %d", path, body, res.StatusCode)
		}
	})
}

func TestPanicBecomesInternalProblem(t *testing.T) {
	var buf syncBuffer
	e := mustServe(t, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	e.srv.echo.GET("/test-panic", func(echo.Context) error { panic("boom") })
	p := e.do(req{method: "GET", path: "/test-panic", undocumented: true}).wantProblem(t, 500, "internal")
	if p.Detail != "" || strings.Contains(fmt.Sprint(p), "boom") {
		t.Fatalf("internal error text reached the client: %+v", p)
	}
	if !strings.Contains(buf.String(), "boom") {
		t.Fatal("the panic was not logged")
	}
}

func TestOptionalBodies(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	m := e.write(t, c.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "议事",
		"place": "活动室", "starts_at": soon(time.Hour), "format": "council"}, 201)
	// An empty body declared as JSON is no body at all for a command that
	// needs none.
	e.do(req{method: "POST", path: "/v1/meetings/" + m.ID + "/open", token: c.facilitator, body: ""}).want(t, 200)
	e.do(req{method: "POST", path: "/v1/meetings/" + m.ID + "/adjourn", token: c.facilitator, body: `{"nope":1}`}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "POST", path: "/v1/meetings/" + m.ID + "/statements", token: c.facilitator, body: ""}).wantProblem(t, 400, "bad-request")
}
