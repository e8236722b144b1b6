package web

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/projections"
)

// auditPaths are the auditor's door's pages and downloads.
var auditPaths = []string{"/audit", "/audit/events", "/audit/compare", "/audit/verify", "/audit/travel?as_of=1&view=/board",
	"/audit/export.jsonl", "/audit/register.csv", "/audit/outcomes.csv", "/audit/verify/stream", "/audit/report", "/audit/report.csv"}

// as fetches path with a session cookie holding secret (anonymous when
// empty), without following redirects.
func as(t *testing.T, s *server, secret, path string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if secret == "" {
		return fetch(t, c, s.url+path)
	}
	return fetch(t, c, s.url+path, "Cookie", sessionCookie+"="+secret)
}

// TestAuditPagesAreForAuditors: every page of the auditor's door answers
// 403 to the anonymous, residents and facilitators, and serves auditors
// and admins.
func TestAuditPagesAreForAuditors(t *testing.T) {
	s := mustServe(t, true)
	_, resident := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: "hengyuan"}, Subject: "hy-r1", Name: "张明"})
	_, facilitator := s.mustToken(t, auth.IssueRequest{Role: auth.RoleFacilitator, Scope: auth.Scope{Community: "hengyuan", Grid: "hy-grid-1"}, Subject: "hy-w1", Name: "网格长"})
	_, auditor := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAuditor, Subject: "auditor-1", Name: "街道督查"})
	_, admin := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Subject: "admin-1", Name: "街道管理员"})
	for _, path := range auditPaths {
		for who, secret := range map[string]string{"anonymous": "", "resident": resident, "facilitator": facilitator} {
			if res, body := as(t, s, secret, path); res.StatusCode != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403\n%.300s", who, path, res.StatusCode, body)
			}
		}
		if path == "/audit/verify/stream" {
			continue // runs a verification: TestAuditVerificationStream
		}
		for who, secret := range map[string]string{"auditor": auditor, "admin": admin} {
			res, body := as(t, s, secret, path)
			want := http.StatusOK
			switch {
			case strings.HasPrefix(path, "/audit/travel"):
				want = http.StatusSeeOther
			case path == "/audit/export.jsonl" && who == "admin":
				want = http.StatusForbidden // the API gives an admin no event of the log
			}
			if res.StatusCode != want {
				t.Errorf("%s GET %s: %d, want %d\n%.300s", who, path, res.StatusCode, want, body)
			}
		}
	}
	// The navigation offers the door to auditors and admins only.
	if _, body := as(t, s, auditor, "/"); !strings.Contains(body, `href="/audit"`) {
		t.Error("an auditor's navigation has no link to /audit")
	}
	if _, body := as(t, s, resident, "/"); strings.Contains(body, `href="/audit"`) {
		t.Error("a resident's navigation links to /audit")
	}
}

// TestAuditExplorerShowsTheEventsBehindADecision: from the register an
// auditor follows a decision to its meeting's events, each with payload,
// hash and previous hash chained, and follows a correlation id across
// streams; an admin sees the same events without the hash chain, as the
// API gives them.
func TestAuditExplorerShowsTheEventsBehindADecision(t *testing.T) {
	s := mustServe(t, true)
	_, auditor := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAuditor, Subject: "auditor-1", Name: "街道督查"})
	_, admin := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Subject: "admin-1", Name: "街道管理员"})

	_, register := as(t, s, auditor, "/register?community=hengyuan")
	stream := "meeting-" + demo.ID("hy/parking/meeting")
	link := `href="/audit/events?from=`
	if !strings.Contains(register, link) || !strings.Contains(register, `&amp;order=newest&amp;stream=`+stream+`"`) {
		t.Fatalf("the register lacks the link %s to the parking decision's events", link)
	}
	_, story := as(t, s, auditor, "/proposals/"+demo.ID("hy/parking"))
	if !strings.Contains(story, `href="/audit/events?from=`) {
		t.Error("the story's steps do not link to their events")
	}
	_, board := as(t, s, auditor, "/board?community=hengyuan")
	if !strings.Contains(board, `/audit/events?stream=proposal-`) {
		t.Error("the board's items do not link to their events")
	}
	_, outcomes := as(t, s, auditor, "/outcomes?community=hengyuan&show=all")
	if !strings.Contains(outcomes, `/audit/events?stream=action-`) {
		t.Error("the outcomes do not link to their events")
	}
	if _, public := as(t, s, "", "/register?community=hengyuan"); strings.Contains(public, "/audit/events") {
		t.Error("the public register links to the explorer")
	}

	res, page := as(t, s, auditor, "/audit/events?limit=100&stream="+stream)
	if res.StatusCode != 200 {
		t.Fatalf("explorer: %d\n%s", res.StatusCode, page)
	}
	for _, want := range []string{"meeting.scheduled.v1", "meeting.voting_closed.v1", stream + "</a>@0", "前一哈希", "无：该事件流的第一个事件"} {
		if !strings.Contains(page, want) {
			t.Errorf("the meeting's events lack %q", want)
		}
	}
	// The hashes chain: each event's previous hash is the hash before it.
	hashes := hashCells(page)
	if len(hashes) < 6 {
		t.Fatalf("hash cells %v", hashes)
	}
	for i := 2; i+1 < len(hashes); i += 2 {
		if hashes[i+1] != hashes[i-2] {
			t.Fatalf("event %d's previous hash %s is not the hash %s before it", i/2, hashes[i+1], hashes[i-2])
		}
	}
	// Follow the first correlation id: every event shown carries it.
	corr := between(page, `class="corr" href="/audit/events?correlation=`, `"`)
	if corr == "" {
		t.Fatal("no correlation link")
	}
	_, corrPage := as(t, s, auditor, "/audit/events?correlation="+corr)
	if n, m := strings.Count(corrPage, `class="card event"`), strings.Count(corrPage, `class="corr" href="/audit/events?correlation=`+corr+`"`); n == 0 || n != m {
		t.Fatalf("correlation %s: %d events, %d carrying it", corr, n, m)
	}
	// Newest first, one at a time, and the next page goes on.
	_, newest := as(t, s, auditor, "/audit/events?order=newest&limit=1")
	next := between(newest, `id="e-next" href="`, `"`)
	if strings.Count(newest, `class="card event"`) != 1 || !strings.Contains(next, "order=newest") || !strings.Contains(next, "from=") {
		t.Fatalf("newest first: next %q\n%s", next, newest)
	}
	// An admin reads no hash chain, as through the API.
	_, adminPage := as(t, s, admin, "/audit/events?stream="+stream)
	if !strings.Contains(adminPage, "meeting.scheduled.v1") || !strings.Contains(adminPage, "您的角色看不到") || len(hashCells(adminPage)) != 0 {
		t.Error("the admin's explorer shows the hash chain")
	}
	// A bad moment is the explorer's 400 naming it.
	if res, body := as(t, s, auditor, "/audit/events?order=sideways"); res.StatusCode != 400 || !strings.Contains(body, "order") {
		t.Errorf("bad order: %d\n%.400s", res.StatusCode, body)
	}
}

// hashCells returns the hex hashes of an explorer page, in order: hash,
// previous hash (empty for a stream's first), for each event.
func hashCells(page string) []string {
	var out []string
	for _, part := range strings.Split(page, `<dd class="hash">`)[1:] {
		v, _, _ := strings.Cut(part, "</dd>")
		if strings.Contains(v, "<span") {
			v = ""
		}
		if len(v) == 64 || v == "" {
			out = append(out, v)
		}
	}
	// Drop the event ids and causations (not 64 hex characters) kept as "".
	var pairs []string
	for _, v := range out {
		if v != "" || len(pairs)%2 == 1 {
			pairs = append(pairs, v)
		}
	}
	return pairs
}

// between returns the text of s after the first prefix up to end.
func between(s, prefix, end string) string {
	_, rest, ok := strings.Cut(s, prefix)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}

// parkingDecided finds the position of the demo's parking decision in the
// register, as token's holder reads it.
func parkingDecided(t *testing.T, s *server, token string) uint64 {
	t.Helper()
	var reg struct {
		Items []projections.Decision `json:"items"`
	}
	s.read(t, token, "/v1/register?community=hengyuan&limit=500", &reg)
	for _, d := range reg.Items {
		if d.ItemTitle == "重新划定停车位" {
			return uint64(d.Position)
		}
	}
	t.Fatal("no parking decision in the demo's register")
	return 0
}

// TestAuditTimeTravelAndComparison: an auditor reads the register as it
// stood before the parking decision (without it) and compares that moment
// with now (the decision added); the public asking as_of is refused.
func TestAuditTimeTravelAndComparison(t *testing.T) {
	s := mustServe(t, true)
	_, auditor := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAuditor, Subject: "auditor-1", Name: "街道督查"})
	before := parkingDecided(t, s, auditor) - 1
	_, now := as(t, s, auditor, "/register?community=hengyuan")
	res, then := as(t, s, auditor, fmt.Sprintf("/register?community=hengyuan&as_of=%d", before))
	if res.StatusCode != 200 {
		t.Fatalf("register as_of: %d\n%s", res.StatusCode, then)
	}
	if !strings.Contains(now, "同意 8 票，不同意 1 票") || strings.Contains(then, "同意 8 票，不同意 1 票") {
		t.Error("the register as of before the parking decision still shows its tally")
	}
	if !strings.Contains(then, fmt.Sprintf("以下是 位置 %d 时的状态。", before)) || !strings.Contains(then, `href="/register?community=hengyuan"`) {
		t.Error("the register as_of lacks its banner and the way back to now")
	}
	// A date-time picker's value reads as China time: long before the
	// demo was loaded, every view is empty.
	if _, early := as(t, s, auditor, "/register?community=hengyuan&as_of=2000-01-01T08:00"); !strings.Contains(early, "2000年1月1日 08:00") || strings.Contains(early, "重新划定停车位") {
		t.Error("the register as of 2000 is not empty or not said")
	}
	if res, _ := as(t, s, "", fmt.Sprintf("/register?as_of=%d", before)); res.StatusCode != 401 && res.StatusCode != 403 {
		t.Errorf("the public's as_of: %d, want a refusal", res.StatusCode)
	}
	if res, body := as(t, s, auditor, "/register?as_of=yesterday"); res.StatusCode != 400 || !strings.Contains(body, "as_of") {
		t.Errorf("bad as_of: %d", res.StatusCode)
	}

	res, cmp := as(t, s, auditor, fmt.Sprintf("/audit/compare?community=hengyuan&from=%d", before))
	if res.StatusCode != 200 {
		t.Fatalf("compare: %d\n%s", res.StatusCode, cmp)
	}
	decisions := between(cmp, `id="c-decisions"`, "</section>")
	if !strings.Contains(decisions, "重新划定停车位") || !strings.Contains(decisions, "通过") {
		t.Errorf("the decisions taken since lack the parking decision:\n%s", decisions)
	}
	if !strings.Contains(between(cmp, `id="c-newactions"`, "</section>"), "西院重新划线") {
		t.Error("the actions assigned since lack 西院重新划线")
	}
	if !strings.Contains(cmp, `<tr class="changed">`) {
		t.Error("no figure changed")
	}
}

// TestAuditDownloads: the export is the log's events as stored, one a
// line; the register and outcomes are CSV with a byte order mark and the
// catalogue's column names, named after the place and the moment.
func TestAuditDownloads(t *testing.T) {
	s := mustServe(t, true)
	_, auditor := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAuditor, Subject: "auditor-1", Name: "街道督查"})

	res, body := as(t, s, auditor, "/audit/export.jsonl")
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="yishi-export-`) || !strings.HasSuffix(cd, `.jsonl"`) {
		t.Errorf("export Content-Disposition %q", cd)
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	lines, last := 0, uint64(0)
	for sc.Scan() {
		var ev struct {
			Stream   string `json:"stream"`
			Position uint64 `json:"position"`
			Metadata struct {
				Hash string `json:"hash"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Stream == "" || ev.Metadata.Hash == "" || ev.Position <= last {
			t.Fatalf("export line %d: %v %s", lines+1, err, sc.Text())
		}
		if strings.HasPrefix(ev.Stream, "token-") {
			t.Fatalf("the auditor's export holds a token stream: %s", sc.Text())
		}
		last = ev.Position
		lines++
	}
	if lines < 500 {
		t.Errorf("export: %d events", lines)
	}

	res, body = as(t, s, auditor, "/audit/register.csv?community=hengyuan")
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("register CSV type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="yishi-register-hengyuan-`) {
		t.Errorf("register CSV Content-Disposition %q", cd)
	}
	if !strings.HasPrefix(body, "\ufeff决定时间,会议,") {
		t.Fatalf("register CSV starts %q", body[:min(len(body), 40)])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows[1:] {
		if len(r) != len(rows[0]) {
			t.Fatalf("row of %d columns, header %d: %q", len(r), len(rows[0]), r)
		}
		found = found || (r[3] == "重新划定停车位" && r[7] == "通过" && r[9] == "同意 8 票，不同意 1 票")
	}
	if !found {
		t.Errorf("the register CSV lacks the parking decision: %q", rows)
	}

	_, body = as(t, s, auditor, "/audit/outcomes.csv?community=hengyuan&lang=en")
	rows, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][0] != "Action" {
		t.Fatalf("outcomes CSV: %v %q", err, rows)
	}
	found = false
	for _, r := range rows[1:] {
		found = found || r[0] == "西院重新划线"
	}
	if !found {
		t.Errorf("the outcomes CSV lacks 西院重新划线")
	}
}

// TestAuditVerificationStream: the page's stream relays the API's
// verification to the end (a result that passes), and a refusal as an
// event "refused".
func TestAuditVerificationStream(t *testing.T) {
	s := mustServe(t, true)
	_, auditor := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAuditor, Subject: "auditor-1", Name: "街道督查"})
	_, scoped := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAuditor, Scope: auth.Scope{Community: "hengyuan"}, Subject: "auditor-2", Name: "社区督查"})
	res, body := as(t, s, auditor, "/audit/verify/stream")
	if res.Header.Get("Content-Type") != "text/event-stream" || !strings.Contains(body, "event: result") || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("verification stream: %s\n%s", res.Header.Get("Content-Type"), body)
	}
	_, body = as(t, s, scoped, "/audit/verify/stream")
	if !strings.Contains(body, "event: refused") {
		t.Fatalf("a scoped auditor's verification: %s", body)
	}
	_, page := as(t, s, auditor, "/audit/verify")
	for _, want := range []string{"yishi web test", "服务器的签名，已核验", "服务器上没有见证方对这个检查点的联署签名。", `id="verify-start"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the verification page lacks %q", want)
		}
	}
}
