package http

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/projections"
)

// cast is the people of the bicycle-shed story and their tokens.
type cast struct {
	admin, facilitator, otherFacilitator, worker, auditor string
	r1, r2, r3, unit                                      string
}

func newCast(e *env) cast {
	scope := auth.Scope{Community: "hengyuan", Grid: "g1"}
	return cast{
		admin:            e.tokenNamed(auth.RoleAdmin, auth.Scope{Community: "hengyuan"}, "admin-1", "社区管理员"),
		facilitator:      e.tokenNamed(auth.RoleFacilitator, scope, "head-1", "网格长李红"),
		otherFacilitator: e.tokenNamed(auth.RoleFacilitator, auth.Scope{Community: "hengyuan", Grid: "g2"}, "head-2", "网格长王军"),
		worker:           e.tokenNamed(auth.RoleGridWorker, scope, "worker-1", "网格员赵强"),
		auditor:          e.tokenNamed(auth.RoleAuditor, auth.Scope{}, "auditor-1", "街道督查"),
		r1:               e.tokenNamed(auth.RoleResident, scope, "r1", "张三"),
		r2:               e.tokenNamed(auth.RoleResident, scope, "r2", "李四"),
		r3:               e.tokenNamed(auth.RoleResident, scope, "r3", "王五"),
		unit:             e.tokenNamed(auth.RoleUnitRep, scope, "pm-1", "物业"),
	}
}

// soon is a time d from now, as the API takes it.
func soon(d time.Duration) string { return time.Now().Add(d).Format(time.RFC3339) }

// write sends a JSON write and returns its result, failing unless status.
func (e *env) write(tb testing.TB, token, path string, body any, status int) WriteResult {
	tb.Helper()
	var w WriteResult
	e.do(req{method: "POST", path: path, token: token, body: body}).want(tb, status).decode(tb, &w)
	return w
}

// organise registers 衡苑社区 with grids g1 and g2, a compound and a
// partner, as its admin.
func organise(t *testing.T, e *env, c cast) {
	t.Helper()
	e.write(t, c.admin, "/v1/communities", map[string]string{"community_id": "hengyuan", "name": "衡苑社区", "kind": "community", "street": "衡山街道"}, 201)
	for _, g := range []string{"g1", "g2"} {
		e.write(t, c.admin, "/v1/communities/hengyuan/grids", map[string]string{"grid_id": g, "name": "第" + g + "网格", "kind": "residential"}, 201)
	}
	e.do(req{method: "PUT", path: "/v1/communities/hengyuan/grids/g1/head", token: c.admin, body: map[string]string{"person_id": "head-1", "name": "网格长李红"}}).want(t, 200)
	e.write(t, c.admin, "/v1/communities/hengyuan/grids/g1/workers", map[string]string{"person_id": "worker-1", "name": "网格员赵强", "employment": "full_time"}, 201)
	e.write(t, c.admin, "/v1/communities/hengyuan/compounds", map[string]string{"compound_id": "c1", "grid_id": "g1", "name": "3号院"}, 201)
	e.write(t, c.admin, "/v1/communities/hengyuan/partners", map[string]string{"partner_id": "pm-1", "name": "物业公司", "kind": "property_management", "contact": "010-88886666"}, 201)
}

// TestBicycleShedStory walks the seed's first story through HTTP: a
// resident's photo report of junk in the bicycle-shed passage, support,
// triage, a 楼院 meeting with a vote, an action, its completion with
// evidence, the residents' verification and the close, then every view.
func TestBicycleShedStory(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)

	var photo Attachment
	e.do(req{method: "POST", path: "/v1/attachments", token: c.r1, body: pngBytes, header: map[string]string{"Content-Type": "image/png"}}).want(t, 201).decode(t, &photo)

	sub := e.write(t, c.r1, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "compound_id": "c1", "title": "停车棚夹道乱堆乱放",
		"text": "车棚夹道堆满杂物，电话13812345678", "category": "环境", "place": "3号院车棚", "photos": []string{photo.SHA256}, "channel": "photo_report",
	}, 201)
	pid := sub.ID
	if sub.Stream != "proposal-"+pid || sub.Revision != 0 || sub.Position == 0 {
		t.Fatalf("submit result %+v", sub)
	}
	e.write(t, c.r2, "/v1/proposals/"+pid+"/support", nil, 200)
	p := e.do(req{method: "POST", path: "/v1/proposals/" + pid + "/support", token: c.r2}).wantProblem(t, 409, "conflict")
	if p.Reason == "" {
		t.Fatalf("domain refusal without reason: %+v", p)
	}
	// Another grid's facilitator cannot triage it; this grid's can.
	e.do(req{method: "POST", path: "/v1/proposals/" + pid + "/accept", token: c.otherFacilitator}).wantProblem(t, 403, "forbidden")
	e.write(t, c.facilitator, "/v1/proposals/"+pid+"/accept", map[string]string{"note": "组织清理"}, 200)

	m := e.write(t, c.facilitator, "/v1/meetings", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "compound_id": "c1", "title": "车棚夹道治理楼院议事",
		"place": "3号院", "starts_at": soon(24 * time.Hour), "format": "courtyard",
	}, 201)
	mid := m.ID
	base := "/v1/meetings/" + mid
	item := e.write(t, c.facilitator, base+"/agenda", map[string]string{"title": "车棚夹道清理", "proposal_id": pid}, 201).ID
	for _, r := range []struct{ id, name string }{{"r1", "张三"}, {"r2", "李四"}} {
		e.write(t, c.worker, base+"/participants", map[string]string{"person_id": r.id, "name": r.name, "kind": "resident"}, 200)
	}
	e.do(req{method: "POST", path: base + "/open", token: c.otherFacilitator}).wantProblem(t, 403, "forbidden")
	e.write(t, c.facilitator, base+"/open", nil, 200)
	for _, r := range []struct{ id, name string }{{"r1", "张三"}, {"r2", "李四"}} {
		e.write(t, c.worker, base+"/attendance", map[string]string{"person_id": r.id, "name": r.name, "attendance": "present"}, 200)
	}
	e.write(t, c.worker, base+"/statements", map[string]any{"item_id": item, "speaker": map[string]string{"person_id": "r1", "name": "张三"}, "summary": "夹道堵塞影响通行"}, 200)
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{
		"item_id": item, "text": "由网格员和志愿者周六清理夹道", "options": []map[string]string{{"id": "yes", "label": "同意"}, {"id": "no", "label": "不同意"}},
		"rule": map[string]any{"kind": "simple_majority"},
	}, 201).ID
	mbase := base + "/motions/" + motion
	e.write(t, c.facilitator, mbase+"/voting", nil, 200)
	e.write(t, c.r1, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	e.write(t, c.r2, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	// 王五 was not invited: not in the electorate.
	e.do(req{method: "POST", path: mbase + "/votes", token: c.r3, body: map[string]string{"option_id": "no"}}).wantProblem(t, 403, "forbidden")
	// A facilitator cannot vote at all.
	e.do(req{method: "POST", path: mbase + "/votes", token: c.facilitator, body: map[string]string{"option_id": "no"}}).wantProblem(t, 403, "forbidden")
	closed := e.write(t, c.facilitator, mbase+"/voting/close", nil, 200)
	e.write(t, c.facilitator, base+"/adjourn", nil, 200)
	e.write(t, c.facilitator, base+"/minutes", map[string]string{"summary": "一致同意周六清理", "objection_until": soon(7 * 24 * time.Hour)}, 200)

	act := e.write(t, c.facilitator, "/v1/actions", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid, "meeting_id": mid, "motion_id": motion,
		"title": "清理车棚夹道", "owner": map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"}, "due": soon(5 * 24 * time.Hour),
	}, 201)
	abase := "/v1/actions/" + act.ID
	e.write(t, c.worker, abase+"/start", nil, 200)
	e.write(t, c.worker, abase+"/progress", map[string]any{"percent": 50, "note": "清理一半", "photos": []string{photo.SHA256}}, 200)
	e.do(req{method: "POST", path: abase + "/progress", token: c.worker, body: map[string]any{"percent": 60, "photos": []string{strings.Repeat("a", 64)}}}).wantProblem(t, 422, "validation")
	e.write(t, c.worker, abase+"/complete", map[string]any{"evidence": []string{photo.SHA256}, "note": "已清理完毕"}, 200)
	e.do(req{method: "POST", path: abase + "/verify", token: c.r1, body: map[string]any{}}).wantProblem(t, 422, "validation")
	e.do(req{method: "POST", path: abase + "/verify", token: c.r1, body: map[string]any{"satisfied": true, "photos": []string{strings.Repeat("b", 64)}}}).wantProblem(t, 422, "validation")
	var seen Attachment
	e.do(req{method: "POST", path: "/v1/attachments", token: c.r1, body: jpegWithGPS(t), header: map[string]string{"Content-Type": "image/jpeg"}}).want(t, 201).decode(t, &seen)
	verified := e.write(t, c.r1, abase+"/verify", map[string]any{"satisfied": true, "photos": []string{seen.SHA256}}, 200)
	// The verifier's photo is the action's: read through it like the evidence.
	e.do(req{method: "GET", path: "/v1/attachments/" + seen.SHA256 + "?item=action-" + act.ID, token: c.auditor}).want(t, 200)
	done := e.write(t, c.facilitator, "/v1/proposals/"+pid+"/close", map[string]string{"note": "居民满意"}, 200)

	// The views, read after the last write.
	wait := fmt.Sprintf("?wait_for=%d", max(done.HeadPosition, verified.HeadPosition, closed.HeadPosition))
	reg := e.do(req{method: "GET", path: "/v1/register" + wait}).want(t, 200)
	var regPage struct {
		Items []map[string]any `json:"items"`
	}
	reg.decode(t, &regPage)
	if len(regPage.Items) != 1 || regPage.Items[0]["proposal_id"] != pid {
		t.Fatalf("register: %s", reg.body)
	}
	if bytes.Contains(reg.body, []byte("张三")) || bytes.Contains(reg.body, []byte("李四")) {
		t.Fatalf("public register shows names: %s", reg.body)
	}
	e.do(req{method: "GET", path: "/v1/register/" + mid + "/" + motion}).want(t, 200)
	e.do(req{method: "GET", path: "/v1/register/" + mid + "/nope"}).wantProblem(t, 404, "not-found")

	tl := e.do(req{method: "GET", path: "/v1/proposals/" + pid + "/timeline" + wait}).want(t, 200)
	if bytes.Contains(tl.body, []byte("13812345678")) || bytes.Contains(tl.body, []byte("张三")) {
		t.Fatalf("public timeline leaks personal data: %s", tl.body)
	}
	var story struct {
		Entries []map[string]any `json:"entries"`
	}
	tl.decode(t, &story)
	if len(story.Entries) < 5 {
		t.Fatalf("timeline has %d entries: %s", len(story.Entries), tl.body)
	}
	full := e.do(req{method: "GET", path: "/v1/proposals/" + pid + "/timeline" + wait, token: c.auditor}).want(t, 200)
	if !bytes.Contains(full.body, []byte("张三")) {
		t.Fatalf("auditor's timeline is masked: %s", full.body)
	}

	var stats statsAnswer
	e.do(req{method: "GET", path: "/v1/stats?community=hengyuan&by=grid"}).want(t, 200).decode(t, &stats)
	if stats.Figures.Collected != 1 || stats.Figures.Solved != 1 || stats.Figures.MeetingsHeld != 1 {
		t.Fatalf("stats %+v", stats.Figures)
	}
	out := e.do(req{method: "GET", path: "/v1/outcomes?proposal=" + pid, token: c.facilitator}).want(t, 200)
	if !bytes.Contains(out.body, []byte(act.ID)) {
		t.Fatalf("outcomes lack the action: %s", out.body)
	}
	// A grid-scoped facilitator reads its own grid only.
	e.do(req{method: "GET", path: "/v1/board?grid=g2", token: c.facilitator}).wantProblem(t, 403, "forbidden")
	board := e.do(req{method: "GET", path: "/v1/board", token: c.facilitator}).want(t, 200)
	if bytes.Contains(board.body, []byte(pid)) {
		t.Fatalf("closed proposal still on the board: %s", board.body)
	}
	e.do(req{method: "GET", path: "/v1/board/grids?community=hengyuan", token: c.admin}).want(t, 200)
	live := e.do(req{method: "GET", path: base + "/live", token: c.facilitator}).want(t, 200)
	if !bytes.Contains(live.body, []byte(`"status"`)) {
		t.Fatalf("live state: %s", live.body)
	}
	e.do(req{method: "GET", path: base + "/live", token: c.otherFacilitator}).wantProblem(t, 403, "forbidden")

	// Aggregate reads carry the revision as ETag.
	agg := e.do(req{method: "GET", path: "/v1/proposals/" + pid, token: c.facilitator}).want(t, 200)
	if agg.header.Get("ETag") != etag(int64(done.Revision)) {
		t.Fatalf("ETag %q, want revision %d", agg.header.Get("ETag"), done.Revision)
	}
	e.do(req{method: "GET", path: "/v1/meetings/" + mid, token: c.auditor}).want(t, 200)
	e.do(req{method: "GET", path: "/v1/actions/" + act.ID, token: c.r1}).want(t, 200)
	org := e.do(req{method: "GET", path: "/v1/communities/hengyuan", token: c.r1}).want(t, 200)
	if bytes.Contains(org.body, []byte("88886666")) {
		t.Fatalf("a resident sees a phone number: %s", org.body)
	}
	e.do(req{method: "GET", path: "/v1/proposals/" + pid, token: c.otherFacilitator}).wantProblem(t, 403, "forbidden")

	// A public view outside a token's scope reads as the public does.
	other := e.do(req{method: "GET", path: "/v1/register?community=hengyuan&grid=g1", token: c.otherFacilitator}).want(t, 200)
	if bytes.Contains(other.body, []byte("张三")) || !bytes.Contains(other.body, []byte(motion)) {
		t.Fatalf("register outside the scope: %s", other.body)
	}

	// As-of: the auditor sees the register before the vote closed.
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/register?as_of=%d", closed.Position-1), token: c.auditor}).want(t, 200)
	e.do(req{method: "GET", path: "/v1/register?as_of=1", token: c.r1}).wantProblem(t, 403, "forbidden")
}

func TestIfMatchAndIdempotency(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	body := map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "路窄刮车", "text": "道路狭窄经常刮车",
		"category": "交通", "place": "3号院主路", "channel": "online"}
	key := map[string]string{"Idempotency-Key": "submit-1"}
	var first, again WriteResult
	e.do(req{method: "POST", path: "/v1/proposals", token: c.r1, body: body, header: key}).want(t, 201).decode(t, &first)
	r := e.do(req{method: "POST", path: "/v1/proposals", token: c.r1, body: body, header: key}).want(t, 201)
	r.decode(t, &again)
	if again.ID != first.ID || again.Position != first.Position || !again.Replayed || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry %+v, first %+v", again, first)
	}
	// The same key for a different request is refused, and appends nothing.
	changed := map[string]any{}
	for k, v := range body {
		changed[k] = v
	}
	changed["title"] = "路窄刮车（改）"
	e.do(req{method: "POST", path: "/v1/proposals", token: c.r1, body: changed, header: key}).wantProblem(t, 422, "validation")
	// The same key from another token is another command.
	var other WriteResult
	e.do(req{method: "POST", path: "/v1/proposals", token: c.r2, body: body, header: key}).want(t, 201).decode(t, &other)
	if other.ID == first.ID {
		t.Fatal("idempotency keys are not scoped to the token")
	}
	agg := e.do(req{method: "GET", path: "/v1/proposals/" + first.ID, token: c.facilitator}).want(t, 200)
	var a Aggregate
	agg.decode(t, &a)
	if len(a.Events) != 1 {
		t.Fatalf("retry appended: %d events", len(a.Events))
	}
	tag := agg.header.Get("ETag")
	e.do(req{method: "POST", path: "/v1/proposals/" + first.ID + "/support", token: c.r2}).want(t, 200)
	// The facilitator read before the support: its If-Match no longer holds.
	e.do(req{method: "POST", path: "/v1/proposals/" + first.ID + "/accept", token: c.facilitator, header: map[string]string{"If-Match": tag}}).wantProblem(t, 412, "precondition-failed")
	e.do(req{method: "POST", path: "/v1/proposals/" + first.ID + "/accept", token: c.facilitator, header: map[string]string{"If-Match": "yesterday"}}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "POST", path: "/v1/proposals/" + first.ID + "/accept", token: c.facilitator, header: map[string]string{"If-Match": `"1"`}}).want(t, 200)
	e.do(req{method: "POST", path: "/v1/proposals/" + first.ID + "/accept", token: c.facilitator, header: map[string]string{"Idempotency-Key": "bad key"}}).wantProblem(t, 400, "bad-request")
}

// TestConcurrentConflictingWrites sends the same triage with the same
// If-Match from many clients at once: exactly one wins.
func TestConcurrentConflictingWrites(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pid := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "健身区器材生锈",
		"text": "器材生锈", "category": "设施", "place": "小广场", "channel": "online"}, 201).ID
	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do(req{method: "POST", path: "/v1/proposals/" + pid + "/reject", token: c.facilitator,
				body: map[string]string{"reason": fmt.Sprintf("理由 %d", i)}, header: map[string]string{"If-Match": `"0"`}})
			statuses[i] = r.status
		}()
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case 200:
			won++
		case 412, 409:
		default:
			t.Errorf("status %d", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d writers won, want exactly 1: %v", won, statuses)
	}
}

// TestScopeMatrix checks every write on an existing meeting with a
// facilitator of the meeting's grid and one of another grid: the other
// grid's is always refused with 403 before the domain sees the command.
func TestScopeMatrix(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	mid := e.write(t, c.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "纳凉议事",
		"place": "小广场", "starts_at": soon(24 * time.Hour), "format": "summer_evening"}, 201).ID
	pid := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "飞线充电",
		"text": "楼道飞线充电", "category": "安全", "place": "5号楼", "channel": "online"}, 201).ID
	aid := e.write(t, c.facilitator, "/v1/actions", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid,
		"title": "劝导拆除飞线", "owner": map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"}, "due": soon(72 * time.Hour)}, 201).ID
	outsider := e.tokenNamed(auth.RoleAdmin, auth.Scope{Community: "ziling"}, "admin-z", "紫陵管理员")
	checked := 0
	for _, rt := range api {
		if rt.method == "GET" || rt.roles == nil || !strings.Contains(rt.path, ":") {
			continue
		}
		if strings.HasPrefix(rt.path, "/v1/me/push-subscriptions/") {
			continue // the caller's own browsers: no community to be outside of
		}
		path := strings.NewReplacer(":community", "hengyuan", ":grid", "g1", ":compound", "c1", ":unit", "u1", ":person", "worker-1",
			":motion", "m1", ":mediation", "md1", ":team", "t1", ":partner", "pm-1", ":item", "proposal-"+pid, ":witness", "street-office").Replace(rt.path)
		switch {
		case strings.HasPrefix(path, "/v1/meetings/"):
			path = strings.Replace(path, ":id", mid, 1)
		case strings.HasPrefix(path, "/v1/proposals/"):
			path = strings.Replace(path, ":id", pid, 1)
		case strings.HasPrefix(path, "/v1/actions/"):
			path = strings.Replace(path, ":id", aid, 1)
		default:
			if strings.Contains(path, ":id") {
				continue // tokens: their own scope rules, tested apart
			}
		}
		for _, tok := range []string{c.otherFacilitator, outsider, c.otherFacilitator} {
			r := e.do(req{method: rt.method, path: path, token: tok, body: "{}"})
			if r.status != 403 {
				t.Errorf("%s %s from outside the scope: %d %s", rt.method, path, r.status, r.body)
			}
			checked++
		}
	}
	if checked < 40 {
		t.Fatalf("only %d scoped writes checked", checked)
	}
}

// TestLiveMeetingStream follows a meeting's live state over SSE while
// attendance is recorded.
func TestLiveMeetingStream(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	mid := e.write(t, c.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "供暖议事会",
		"place": "社区会议室", "starts_at": soon(time.Hour), "format": "council"}, 201)
	e.do(req{method: "GET", path: "/v1/meetings/" + mid.ID + "/live?wait_for=" + fmt.Sprint(mid.Position), token: c.facilitator}).want(t, 200)
	stream := e.openSSE("/v1/meetings/"+mid.ID+"/live/stream", c.facilitator, nil)
	first := next(t, stream, "state")
	if !strings.Contains(first.data, `"present":0`) {
		t.Fatalf("first state %s", first.data)
	}
	e.write(t, c.worker, "/v1/meetings/"+mid.ID+"/participants", map[string]string{"person_id": "r1", "name": "张三", "kind": "resident"}, 200)
	e.write(t, c.facilitator, "/v1/meetings/"+mid.ID+"/open", nil, 200)
	w := e.write(t, c.worker, "/v1/meetings/"+mid.ID+"/attendance", map[string]string{"person_id": "r1", "name": "张三", "attendance": "present"}, 200)
	for {
		ev := next(t, stream, "state")
		if ev.id == fmt.Sprint(w.Position) {
			if !strings.Contains(ev.data, `"present":1`) {
				t.Fatalf("state after attendance %s", ev.data)
			}
			break
		}
	}
}

// TestProposalPlaceWhileTheBoardCatchesUp: a timeline read learns where its
// proposal lives from the board; a board that does not know the proposal
// yet (rebuilt from the start while the timeline was restored, still
// catching up) leaves it to the proposal's first event in the log, and a
// proposal neither knows is not found.
func TestProposalPlaceWhileTheBoardCatchesUp(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	w := propose(t, e, c.r1, "车棚夹道", "杂物堆放")
	id := w.ID
	ctx := context.Background()
	require.NoError(t, e.srv.cfg.Runner.WaitFor(ctx, eventstore.Position(w.Position)))
	community, grid, err := e.srv.proposalPlace(ctx, e.srv.cfg.Runner.Views(), id)
	require.NoError(t, err)
	assert.Equal(t, [2]string{"hengyuan", "g1"}, [2]string{community, grid}, "from the board")

	behind := projections.NewViews() // a board that knows no proposal yet
	_, _, known := behind.Board.Place(id)
	require.False(t, known)
	community, grid, err = e.srv.proposalPlace(ctx, behind, id)
	require.NoError(t, err)
	assert.Equal(t, [2]string{"hengyuan", "g1"}, [2]string{community, grid}, "from the log")

	_, _, err = e.srv.proposalPlace(ctx, behind, "0195a3c4-1d2e-7f00-9a1b-2c3d4e5f6a7b")
	assert.Error(t, err, "no such proposal")
}
