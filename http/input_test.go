package http

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	nethttp "net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
)

// fieldsOf returns the fields a problem names in errors[], sorted.
func fieldsOf(p Problem) []string {
	var out []string
	for _, f := range p.Errors {
		out = append(out, f.Field)
	}
	sort.Strings(out)
	return out
}

// wantFields fails unless p names exactly fields in errors[].
func wantFields(tb testing.TB, p Problem, fields ...string) {
	tb.Helper()
	sort.Strings(fields)
	got := fieldsOf(p)
	if len(got) != len(fields) {
		tb.Fatalf("errors name %v, want %v: %+v", got, fields, p)
	}
	for i := range got {
		if got[i] != fields[i] {
			tb.Fatalf("errors name %v, want %v: %+v", got, fields, p)
		}
	}
}

// newProposal submits a proposal in grid g1 as the facilitator's resident
// r1 and returns its id.
func newProposal(t *testing.T, e *env, c cast) string {
	t.Helper()
	return e.write(t, c.r1, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "楼道灯不亮", "text": "3号楼楼道灯坏了一周",
		"category": "facilities", "place": "3号楼", "channel": "online",
	}, 201).ID
}

// TestDatesMustBePlausible: a new action's due date cannot already have
// passed, and an occurrence cannot be dated after today (issue 9, 15).
func TestDatesMustBePlausible(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pid := newProposal(t, e, c)
	action := func(due string) map[string]any {
		return map[string]any{
			"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid, "title": "修灯", "recurrence": "每周",
			"owner": map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"}, "due": due,
		}
	}
	p := e.do(req{method: "POST", path: "/v1/actions", token: c.facilitator, body: action(soon(-72 * time.Hour))}).wantProblem(t, 422, "validation")
	if p.Field != "due" || p.Reason != "in_the_past" {
		t.Fatalf("past due date: %+v", p)
	}
	aid := e.write(t, c.facilitator, "/v1/actions", action(soon(2*time.Hour)), 201).ID
	e.write(t, c.worker, "/v1/actions/"+aid+"/start", nil, 200)
	p = e.do(req{method: "POST", path: "/v1/actions/" + aid + "/occurrences", token: c.worker,
		body: map[string]any{"held_on": soon(72 * time.Hour), "participants": 10}}).wantProblem(t, 422, "validation")
	if p.Field != "held_on" || p.Reason != "in_the_future" {
		t.Fatalf("future occurrence: %+v", p)
	}
	e.write(t, c.worker, "/v1/actions/"+aid+"/occurrences", map[string]any{"held_on": soon(-2 * time.Hour), "participants": 10}, 200)
}

// TestValidationReportsEveryField: one answer names every bad field, not
// only the first (issue 9, 17).
func TestValidationReportsEveryField(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	p := e.do(req{method: "POST", path: "/v1/proposals", token: c.r1, body: map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": " ", "text": "有内容", "channel": "carrier_pigeon",
	}}).wantProblem(t, 422, "validation")
	wantFields(t, p, "title", "category", "place", "channel")
	pid := newProposal(t, e, c)
	p = e.do(req{method: "POST", path: "/v1/actions", token: c.facilitator, body: map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid, "motion_id": "m1",
		"owner": map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"},
	}}).wantProblem(t, 422, "validation")
	wantFields(t, p, "title", "due", "motion_id")
}

// TestUnparseableTimeNamesField: "due":"next week" is a 400 naming due, and
// a zero-width title is a missing title (issue 9, 16; issue 10, 15).
func TestUnparseableTimeNamesField(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pid := newProposal(t, e, c)
	p := e.do(req{method: "POST", path: "/v1/actions", token: c.facilitator, body: map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid, "title": "修灯",
		"owner": map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"}, "due": "next week",
	}}).wantProblem(t, 400, "bad-request")
	if p.Field != "due" {
		t.Fatalf("unparseable due: %+v", p)
	}
	p = e.do(req{method: "POST", path: "/v1/proposals", token: c.r1, body: map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "\u200b\u200b", "text": "内容",
		"category": "facilities", "place": "3号楼", "channel": "online",
	}}).wantProblem(t, 422, "validation")
	if p.Field != "title" || p.Reason != "required" {
		t.Fatalf("zero-width title: %+v", p)
	}
	p = e.do(req{method: "POST", path: "/v1/proposals", token: c.r1, body: "{\"community_id\":\"hengyuan\",\"grid_id\":\"g1\",\"title\":\"\xff\xfe\",\"text\":\"内容\"}"}).wantProblem(t, 400, "bad-request")
	if p.Field != "title" {
		t.Fatalf("invalid UTF-8 in title: %+v", p)
	}
}

// TestOneIdempotencyKeyConcurrentRequests: different requests sent at once
// with one key: exactly one is executed, every other is refused naming the
// key, never executed as well (issue 9, 19).
func TestOneIdempotencyKeyConcurrentRequests(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pid := newProposal(t, e, c)
	const n = 10
	got := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got[i] = e.do(req{method: "POST", path: "/v1/proposals/" + pid + "/accept", token: c.facilitator,
				body: map[string]string{"note": fmt.Sprintf("第%d种说明", i)}, header: map[string]string{"Idempotency-Key": "accept-once"}})
		})
	}
	wg.Wait()
	ok := 0
	for _, r := range got {
		if r.status == 200 {
			ok++
			continue
		}
		p := r.wantProblem(t, 422, "validation")
		if p.Field != headerIdempotencyKey {
			t.Fatalf("refusal names %q: %+v", p.Field, p)
		}
	}
	if ok != 1 {
		t.Fatalf("%d requests under one key were executed", ok)
	}
}

// TestWriteAnswersOwnAndHeadPosition: a command with follow-ups answers its
// own event's position and, apart, the highest position written (issue 10,
// 16).
func TestWriteAnswersOwnAndHeadPosition(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pid := newProposal(t, e, c)
	e.write(t, c.facilitator, "/v1/proposals/"+pid+"/accept", nil, 200)
	w := e.write(t, c.facilitator, "/v1/actions", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid, "title": "修灯",
		"owner": map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"}, "due": soon(48 * time.Hour),
	}, 201)
	if w.Position == 0 || w.HeadPosition <= w.Position {
		t.Fatalf("action with a follow-up: %+v", w)
	}
	var own, follow eventstore.Position
	for ev, err := range e.store.ReadStream(context.Background(), "action-"+w.ID, eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		own = ev.Position
	}
	for ev, err := range e.store.ReadStream(context.Background(), "proposal-"+pid, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.LastRevision, Max: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		follow = ev.Position
	}
	if uint64(own) != w.Position || uint64(follow) != w.HeadPosition {
		t.Fatalf("answer %+v; action event at %d, follow-up at %d", w, own, follow)
	}
	plain := e.write(t, c.r2, "/v1/proposals/"+pid+"/support", nil, 200)
	if plain.Position != plain.HeadPosition {
		t.Fatalf("a write without follow-ups: %+v", plain)
	}
}

// TestHTTPHygiene: HEAD works on GET routes, JSON answers are not for
// caches, a client's request id is kept only when it is safe (issue 10, 14).
func TestHTTPHygiene(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	for _, path := range []string{"/v1/register", "/v1/stats", "/healthz", "/v1/communities/hengyuan"} {
		get := e.do(req{method: "GET", path: path, token: c.admin}).want(t, 200)
		head := e.do(req{method: "HEAD", path: path, token: c.admin, undocumented: true}).want(t, 200)
		if len(head.body) != 0 || head.header.Get("Content-Type") != get.header.Get("Content-Type") {
			t.Fatalf("HEAD %s: %q, %q", path, head.body, head.header.Get("Content-Type"))
		}
		if cc := get.header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("GET %s: Cache-Control %q", path, cc)
		}
	}
	p := e.do(req{method: "POST", path: "/v1/proposals", token: c.r1, body: map[string]any{}})
	if p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("problem Cache-Control %q", p.header.Get("Cache-Control"))
	}
	for rid, kept := range map[string]bool{
		"abc-123_x.y:z":              true,
		"<script>alert(1)</script>":  false,
		"a b":                        false,
		"id\"quoted":                 false,
		strings.Repeat("a", 65):      false,
		"01a23554-3db8-7400-ad6a-ef": true,
	} {
		r := e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": rid}})
		if got := r.header.Get("X-Request-Id"); (got == rid) != kept || got == "" {
			t.Errorf("X-Request-Id %q answered as %q (kept %v)", rid, got, kept)
		}
	}
}

// TestNetHTTPErrorsAreProblems: the answers net/http writes itself, before
// any handler (431 for huge headers, 400 for a malformed request), are
// problem+json too (issue 10, 14).
func TestNetHTTPErrorsAreProblems(t *testing.T) {
	e := mustServe(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	for _, tc := range []struct {
		raw    string
		status int
		slug   string
	}{
		{"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n", 431, "header-too-large"},
		{"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400, "bad-request"},
		{"GET /healthz HTTP/1.1\r\n\r\n", 400, "bad-request"},
	} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		go func() { _, _ = conn.Write([]byte(tc.raw)) }()
		res, err := nethttp.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%.40q: %v", tc.raw, err)
		}
		body, _ := io.ReadAll(res.Body)
		conn.Close()
		var p Problem
		if res.StatusCode != tc.status || res.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &p) != nil ||
			p.Type != problemBase+tc.slug || p.Status != tc.status {
			t.Fatalf("%.40q: %d %s %s", tc.raw, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
}

// TestCursorAndAsOfZero: a cursor the service never gave is a 400 naming
// cursor, and as_of=0 is the state before the first event, not now
// (issue 10, 15).
func TestCursorAndAsOfZero(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pid := newProposal(t, e, c)
	for _, path := range []string{"/v1/register", "/v1/board", "/v1/outcomes", "/v1/proposals/" + pid + "/timeline"} {
		for _, bad := range []string{"garbage", "12abc", "-1", "1.2", "../../etc"} {
			p := e.do(req{method: "GET", path: path + "?cursor=" + bad, token: c.facilitator}).wantProblem(t, 400, "bad-request")
			if p.Field != "cursor" {
				t.Fatalf("%s?cursor=%s: %+v", path, bad, p)
			}
		}
	}
	var page struct {
		Items    []json.RawMessage `json:"items"`
		Position uint64            `json:"position"`
	}
	w := e.write(t, c.r2, "/v1/proposals/"+pid+"/support", nil, 200)
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/board?wait_for=%d", w.HeadPosition), token: c.auditor}).want(t, 200).decode(t, &page)
	if len(page.Items) == 0 {
		t.Fatal("the board is empty now")
	}
	e.do(req{method: "GET", path: "/v1/board?as_of=0", token: c.auditor}).want(t, 200).decode(t, &page)
	if len(page.Items) != 0 || page.Position != 0 {
		t.Fatalf("as_of=0 answered %d items at position %d", len(page.Items), page.Position)
	}
}

// TestTokensNeedTheOrganisation: a token's community and grid must exist,
// its subject must fit the organisation's registers, a community admin
// cannot mint a second identity for one person, and each token records who
// issued it (issue 10, 9).
func TestTokensNeedTheOrganisation(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	issue := func(body map[string]string) response {
		return e.do(req{method: "POST", path: "/v1/tokens", token: c.admin, body: body})
	}
	for _, tc := range []struct {
		body          map[string]string
		status        int
		field, reason string
	}{
		{map[string]string{"role": "resident", "community": "nowhere", "subject": "x1", "name": "某"}, 403, "", ""},
		{map[string]string{"role": "resident", "community": "hengyuan", "grid": "g9", "subject": "x1", "name": "某"}, 404, "grid", "grid_not_found"},
		{map[string]string{"role": "facilitator", "community": "hengyuan", "grid": "g1", "subject": "r1", "name": "张三"}, 422, "subject", "subject_not_staff"},
		{map[string]string{"role": "resident", "community": "hengyuan", "grid": "g1", "subject": "worker-1", "name": "网格员赵强"}, 422, "subject", "subject_is_staff"},
		{map[string]string{"role": "unit_rep", "community": "hengyuan", "grid": "g1", "subject": "nobody", "name": "某单位"}, 422, "subject", "subject_not_partner"},
		{map[string]string{"role": "resident", "community": "hengyuan", "grid": "g1", "subject": "r1", "name": "张三"}, 409, "subject", "subject_has_token"},
	} {
		r := issue(tc.body)
		if r.status != tc.status {
			t.Fatalf("%v: status %d, want %d: %s", tc.body, r.status, tc.status, r.body)
		}
		if p := r.problem(t); p.Field != tc.field || p.Reason != tc.reason {
			t.Fatalf("%v: %+v", tc.body, p)
		}
	}
	unscoped := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "street-1", "街道管理员")
	p := e.do(req{method: "POST", path: "/v1/tokens", token: unscoped, body: map[string]string{"role": "resident", "community": "nowhere", "subject": "x1"}}).wantProblem(t, 404, "not-found")
	if p.Field != "community" || p.Reason != "community_not_found" {
		t.Fatalf("unknown community: %+v", p)
	}
	var tok IssuedToken
	issue(map[string]string{"role": "resident", "community": "hengyuan", "grid": "g1", "subject": "r9", "name": "赵六"}).want(t, 201).decode(t, &tok)
	if tok.IssuedBy != "admin-1" {
		t.Fatalf("issued_by %q", tok.IssuedBy)
	}
	issue(map[string]string{"role": "resident", "community": "hengyuan", "grid": "g1", "subject": "r9", "name": "赵六"}).wantProblem(t, 409, "conflict")
	issue(map[string]string{"role": "facilitator", "community": "hengyuan", "grid": "g1", "subject": "head-1", "name": "网格长李红"}).wantProblem(t, 409, "conflict")
	e.write(t, c.admin, "/v1/communities/hengyuan/grids/g1/workers", map[string]string{"person_id": "worker-9", "name": "网格员钱九", "employment": "part_time"}, 201)
	issue(map[string]string{"role": "grid_worker", "community": "hengyuan", "grid": "g1", "subject": "worker-9", "name": "网格员钱九"}).want(t, 201)
	issue(map[string]string{"role": "unit_rep", "community": "hengyuan", "grid": "g1", "subject": "pm-2", "name": "物业"}).wantProblem(t, 422, "validation")
}

// TestOpenAPIRequiredFieldsAreTheServers walks docs/openapi.yaml's request
// schemas of the main write routes: a body with only the fields the
// document marks required (and one branch of its anyOf) is accepted, and a
// body without any one of them is refused naming that field (issue 9, 18).
func TestOpenAPIRequiredFieldsAreTheServers(t *testing.T) {
	model := mustOpenAPI(t)
	requiredOf := func(method, path string) []string {
		item := model.Model.Paths.PathItems.GetOrZero(path)
		if item == nil {
			t.Fatalf("%s is not in the document", path)
		}
		op := item.GetOperations().GetOrZero(strings.ToLower(method))
		if op == nil || op.RequestBody == nil {
			t.Fatalf("%s %s has no request body in the document", method, path)
		}
		return op.RequestBody.Content.GetOrZero("application/json").Schema.Schema().Required
	}

	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	root := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "root", "街道管理员")
	var photo Attachment
	e.do(req{method: "POST", path: "/v1/attachments", token: c.worker, body: pngBytes, header: map[string]string{"Content-Type": "image/png"}}).want(t, 201).decode(t, &photo)
	pid := newProposal(t, e, c)
	owner := map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"}
	aid := e.write(t, c.facilitator, "/v1/actions", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid,
		"title": "修灯", "owner": owner, "due": soon(48 * time.Hour)}, 201).ID
	e.write(t, c.worker, "/v1/actions/"+aid+"/start", nil, 200)
	mid := e.write(t, c.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "议事",
		"place": "活动室", "starts_at": soon(time.Hour), "format": "council"}, 201).ID

	for _, tc := range []struct {
		method, doc, path, token string
		body                     map[string]any
		// keep are fields kept in the minimal body besides the required:
		// one branch of the schema's anyOf.
		keep []string
	}{
		{"POST", "/v1/communities", "/v1/communities", root, map[string]any{"community_id": "walk", "name": "走查社区", "kind": "village", "street": "某镇"}, nil},
		{"POST", "/v1/communities/{community}/grids", "/v1/communities/hengyuan/grids", c.admin, map[string]any{"grid_id": "g7", "name": "第七网格", "kind": "dedicated"}, nil},
		{"POST", "/v1/communities/{community}/partners", "/v1/communities/hengyuan/partners", c.admin, map[string]any{"partner_id": "pm-7", "name": "供暖公司", "kind": "heating_company", "contact": "客服"}, nil},
		{"POST", "/v1/proposals", "/v1/proposals", c.r1, map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "路灯", "text": "路灯坏了",
			"category": "facilities", "place": "北门", "channel": "online", "photos": []string{photo.SHA256}}, nil},
		{"POST", "/v1/meetings", "/v1/meetings", c.facilitator, map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "议事会",
			"place": "活动室", "starts_at": soon(2 * time.Hour), "format": "courtyard", "compound_id": "c1"}, nil},
		{"POST", "/v1/meetings/{id}/agenda", "/v1/meetings/" + mid + "/agenda", c.facilitator, map[string]any{"title": "路灯", "proposal_id": pid}, nil},
		{"POST", "/v1/actions", "/v1/actions", c.facilitator, map[string]any{"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid,
			"title": "换灯", "description": "换新灯", "owner": owner, "due": soon(72 * time.Hour)}, []string{"proposal_id"}},
		{"POST", "/v1/actions/{id}/complete", "/v1/actions/" + aid + "/complete", c.worker, map[string]any{"evidence": []string{photo.SHA256}, "note": "已换"}, nil},
	} {
		required := requiredOf(tc.method, tc.doc)
		if len(required) == 0 {
			t.Fatalf("%s %s: the document requires nothing", tc.method, tc.doc)
		}
		for _, f := range required {
			if _, ok := tc.body[f]; !ok {
				t.Fatalf("%s %s: the test's body lacks required %s", tc.method, tc.doc, f)
			}
			without := map[string]any{}
			for k, v := range tc.body {
				if k != f {
					without[k] = v
				}
			}
			r := e.do(req{method: tc.method, path: tc.path, token: tc.token, body: without})
			if r.status < 400 || r.status >= 500 {
				t.Fatalf("%s %s without required %s: %d %s", tc.method, tc.doc, f, r.status, r.body)
			}
			p := r.problem(t)
			named := false
			for _, fe := range p.Errors {
				named = named || fe.Field == f || strings.HasPrefix(fe.Field, f+".") || strings.HasPrefix(fe.Field, f+"[")
			}
			if !named {
				t.Fatalf("%s %s without required %s: the refusal does not name it: %+v", tc.method, tc.doc, f, p)
			}
		}
		minimal := map[string]any{}
		for _, f := range append(required, tc.keep...) {
			minimal[f] = tc.body[f]
		}
		r := e.do(req{method: tc.method, path: tc.path, token: tc.token, body: minimal})
		if r.status >= 300 {
			t.Fatalf("%s %s with the document's required fields only %v: %d %s", tc.method, tc.doc, slices.Sorted(maps.Keys(minimal)), r.status, r.body)
		}
	}
	// An action names its source: neither a proposal nor a meeting is refused
	// naming proposal_id, as the document's anyOf says.
	p := e.do(req{method: "POST", path: "/v1/actions", token: c.facilitator, body: map[string]any{"community_id": "hengyuan", "grid_id": "g1",
		"title": "换灯", "owner": owner, "due": soon(72 * time.Hour)}}).wantProblem(t, 422, "validation")
	if p.Field != "proposal_id" {
		t.Fatalf("an action without a source: %+v", p)
	}
}

// TestOneSubjectOneTokenAtOnce: several community-admin requests at once
// for one subject issue exactly one token (issue 10, 9).
func TestOneSubjectOneTokenAtOnce(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	const n = 6
	status := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			status[i] = e.do(req{method: "POST", path: "/v1/tokens", token: c.admin,
				body: map[string]string{"role": "resident", "community": "hengyuan", "grid": "g1", "subject": "r7", "name": "孙七"}}).status
		})
	}
	wg.Wait()
	issued := 0
	for _, s := range status {
		switch s {
		case 201:
			issued++
		case 409:
		default:
			t.Fatalf("status %d", s)
		}
	}
	if issued != 1 {
		t.Fatalf("%d tokens issued for one subject: %v", issued, status)
	}
}
