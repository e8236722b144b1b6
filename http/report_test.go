package http

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/projections"
)

// TestStreetReport: a street office's report through the real router —
// one item solved directly, one at a meeting convening the property
// company, one opinion collected at a policy talk; who may read it, and
// the refusals of bad period parameters naming the field.
func TestStreetReport(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	photo, err := e.srv.SaveAttachment(pngBytes, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	submit := func(title, meeting string) WriteResult {
		body := map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": title, "text": title, "category": "设施",
			"place": "3号院", "channel": "visit", "author": map[string]string{"kind": "person", "id": "r1", "name": "张三"}}
		if meeting != "" {
			body["channel"], body["meeting_id"] = "meeting", meeting
		}
		return e.write(t, c.worker, "/v1/proposals", body, 201)
	}
	solve := func(pid, motion, meeting string) WriteResult {
		body := map[string]any{"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid, "title": "办理",
			"owner": map[string]string{"kind": "unit", "id": "pm-1", "name": "物业"}, "due": soon(48 * time.Hour)}
		if motion != "" {
			body["meeting_id"], body["motion_id"] = meeting, motion
		}
		act := e.write(t, c.facilitator, "/v1/actions", body, 201).ID
		e.write(t, c.unit, "/v1/actions/"+act+"/start", nil, 200)
		e.write(t, c.unit, "/v1/actions/"+act+"/complete", map[string]any{"note": "已办结", "evidence": []string{photo}}, 200)
		e.write(t, c.r1, "/v1/actions/"+act+"/verify", map[string]any{"satisfied": true}, 200)
		return e.write(t, c.facilitator, "/v1/proposals/"+pid+"/close", nil, 200)
	}

	// 发现—处置—反馈: found on a visit, handled directly, fed back.
	direct := submit("路灯不亮", "").ID
	e.write(t, c.worker, "/v1/proposals/"+direct+"/handle-directly", map[string]string{"note": "联系物业更换"}, 200)
	solve(direct, "", "")

	// 关键小事: the grid head convenes the property company.
	convened := submit("楼道堆物", "").ID
	e.write(t, c.facilitator, "/v1/proposals/"+convened+"/accept", nil, 200)
	base, item := convene(t, e, c, "council", "", "楼道堆物", map[string]string{"r1": "张三"}, convened)
	e.write(t, c.worker, base+"/participants", map[string]string{"person_id": "pm-1", "name": "物业", "kind": "unit", "partner_id": "pm-1"}, 200)
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "物业一周内清理",
		"options": []map[string]string{{"id": "ok", "label": "同意"}}, "rule": map[string]string{"kind": "consensus"}}, 201).ID
	e.write(t, c.facilitator, base+"/motions/"+motion+"/consensus", map[string]string{"option_id": "ok"}, 200)
	solve(convened, motion, base[len("/v1/meetings/"):])

	// 网格之家: a policy talk and an opinion collected there.
	talk, _ := convene(t, e, c, "talk", "", "政策宣讲", map[string]string{"r2": "李四"}, "")
	last := submit("希望增加老年活动", talk[len("/v1/meetings/"):])

	path := func(q url.Values) string {
		q.Set("wait_for", fmt.Sprint(last.HeadPosition))
		return "/v1/reports/street?" + q.Encode()
	}
	street := url.Values{"street": {"衡山街道"}}
	var r struct {
		projections.StreetReport
		Position uint64 `json:"position"`
	}
	e.do(req{method: "GET", path: path(street), token: c.auditor}).want(t, 200).decode(t, &r)
	want := projections.ReportFigures{Collected: 3, Solved: 2, SolvedDirectly: 1, SolvedConvened: 1, Closed: 2, ClosedLoopRate: 1,
		Talks: 1, Opinions: 1, Meetings: 2}
	got := r.Totals
	got.MeanDays = 0
	if got != want {
		t.Fatalf("totals %+v, want %+v", got, want)
	}
	if len(r.Communities) != 1 || r.Communities[0].Name != "衡苑社区" || len(r.Months) == 0 {
		t.Fatalf("report %+v", r)
	}
	if o := r.Organisation; o.Grids != 2 || o.GridHeads != 1 || o.GridWorkers["full_time"] != 1 || o.Communities["community"] != 1 {
		t.Fatalf("organisation %+v", o)
	}

	// Who may read: admins and auditors; a community's own admin its own
	// community; a grid-scoped token, a facilitator or the public none.
	e.do(req{method: "GET", path: path(street), token: c.admin}).want(t, 200)
	e.do(req{method: "GET", path: path(street)}).wantProblem(t, 401, "unauthorized")
	e.do(req{method: "GET", path: path(street), token: c.facilitator}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: path(street), token: e.token(auth.RoleAuditor, auth.Scope{Community: "hengyuan", Grid: "g1"}, "")}).wantProblem(t, 403, "forbidden")
	other := e.token(auth.RoleAdmin, auth.Scope{Community: "dongzhongxu"}, "")
	e.do(req{method: "GET", path: path(street), token: other}).wantProblem(t, 403, "forbidden")

	// Bad parameters are 4xx problems naming the field.
	for _, tc := range []struct {
		q           url.Values
		status      int
		slug, field string
	}{
		{url.Values{}, 400, "bad-request", "street"},
		{url.Values{"street": {"没有的街道"}}, 404, "not-found", "street"},
		{url.Values{"street": {"衡山街道"}, "from": {"last spring"}}, 400, "bad-request", "from"},
		{url.Values{"street": {"衡山街道"}, "to": {"2026-13-01"}}, 400, "bad-request", "to"},
		{url.Values{"street": {"衡山街道"}, "from": {"2026-06-01"}, "to": {"2026-05-01"}}, 400, "bad-request", "to"},
	} {
		p := e.do(req{method: "GET", path: path(tc.q), token: c.auditor}).wantProblem(t, tc.status, tc.slug)
		if p.Field != tc.field {
			t.Errorf("%v: field %q, want %q", tc.q, p.Field, tc.field)
		}
	}

	// A period before anything happened holds nothing but the organisation.
	e.do(req{method: "GET", path: path(url.Values{"street": {"衡山街道"}, "to": {"2020-01-31"}}), token: c.auditor}).want(t, 200).decode(t, &r)
	if r.Totals.Collected != 0 || r.Organisation.Grids != 2 || r.To != "2020-01" {
		t.Fatalf("empty period %+v", r)
	}

	// The statistics answer carries the organisation's figures too.
	var stats statsAnswer
	e.do(req{method: "GET", path: "/v1/stats?community=hengyuan"}).want(t, 200).decode(t, &stats)
	if stats.Organisation.Grids != 2 || stats.Figures.SolvedConvened != 1 || stats.Figures.SolvedDirectly != 1 {
		t.Fatalf("stats %+v %+v", stats.Organisation, stats.Figures)
	}
}
