package http

import (
	"fmt"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
)

// TestLinksStayWithinACommunity: even an unscoped admin cannot attach an
// action of one community to another community's proposal, nor merge
// proposals of two communities (the ledger's rule, answered as a 403
// naming the field).
func TestLinksStayWithinACommunity(t *testing.T) {
	e := mustServe(t)
	admin := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "root", "街道管理员")
	proposal := func(community, grid string) string {
		return e.write(t, admin, "/v1/proposals", map[string]any{"community_id": community, "grid_id": grid, "title": "路灯不亮",
			"text": "晚上看不见路", "category": "设施", "place": "主路", "channel": "visit",
			"author": map[string]string{"kind": "person", "id": "r1", "name": "张三"}}, 201).ID
	}
	hy, dzx := proposal("hengyuan", "g1"), proposal("dongzhongxu", "d1")

	p := e.do(req{method: "POST", path: "/v1/actions", token: admin, body: map[string]any{"community_id": "dongzhongxu", "grid_id": "d1", "proposal_id": hy,
		"title": "修路灯", "owner": map[string]string{"kind": "unit", "id": "pm-1", "name": "物业"}, "due": soon(48 * time.Hour)}}).wantProblem(t, 403, "forbidden")
	if p.Reason != "other_community" || p.Field != "proposal_id" {
		t.Fatalf("cross-community action: %+v", p)
	}
	p = e.do(req{method: "POST", path: "/v1/proposals/" + dzx + "/merge", token: admin, body: map[string]string{"survivor_id": hy, "reason": "重复"}}).wantProblem(t, 403, "forbidden")
	if p.Reason != "other_community" || p.Field != "survivor_id" {
		t.Fatalf("cross-community merge: %+v", p)
	}
}

// TestWhoMayVerify: only the proposal's author and supporters verify its
// outcome; staff record a verdict on their behalf only with how they
// obtained it, and the timeline shows it.
func TestWhoMayVerify(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pid := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "重新划线",
		"text": "道路窄经常刮车", "category": "交通", "place": "3号院主路", "channel": "visit"}, 201).ID
	e.write(t, c.r2, "/v1/proposals/"+pid+"/support", nil, 200)
	e.write(t, c.worker, "/v1/proposals/"+pid+"/handle-directly", map[string]string{"note": "联系施工单位重新划线"}, 200)
	act := e.write(t, c.facilitator, "/v1/actions", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid,
		"title": "重新划线", "owner": map[string]string{"kind": "unit", "id": "pm-1", "name": "物业"}, "due": soon(48 * time.Hour)}, 201).ID
	e.write(t, c.unit, "/v1/actions/"+act+"/start", nil, 200)
	photo, err := e.srv.SaveAttachment(pngBytes, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	e.write(t, c.unit, "/v1/actions/"+act+"/complete", map[string]any{"note": "已划线", "evidence": []string{photo}}, 200)
	verify := "/v1/actions/" + act + "/verify"
	refusal := func(token string, body map[string]any, status int, slug, reason, field string) {
		t.Helper()
		p := e.do(req{method: "POST", path: verify, token: token, body: body}).wantProblem(t, status, slug)
		if (reason != "" && p.Reason != reason) || p.Field != field {
			t.Fatalf("verify %v: %+v", body, p)
		}
	}
	yes := map[string]any{"satisfied": true}
	refusal(c.r3, yes, 403, "forbidden", "not_a_verifier", "verifier")
	refusal(c.facilitator, yes, 403, "forbidden", "not_a_verifier", "verifier")
	onBehalf := func(person, name, method, note string) map[string]any {
		return map[string]any{"satisfied": true, "verifier": map[string]string{"person_id": person, "name": name}, "method": method, "note": note}
	}
	refusal(c.r2, onBehalf("r1", "张三", "phone", "电话回访"), 403, "forbidden", "", "verifier")
	refusal(c.worker, onBehalf("r1", "张三", "phone", ""), 422, "validation", "required", "note")
	refusal(c.worker, onBehalf("r1", "张三", "", "电话回访"), 422, "validation", "not_allowed", "method")
	refusal(c.worker, onBehalf("r3", "王五", "phone", "电话回访"), 403, "forbidden", "not_a_verifier", "verifier")
	v := e.write(t, c.worker, verify, onBehalf("r1", "张三", "phone", "电话回访，张三表示满意"), 200)
	e.write(t, c.facilitator, "/v1/proposals/"+pid+"/close", nil, 200)

	tl := e.do(req{method: "GET", path: fmt.Sprintf("/v1/proposals/%s/timeline?wait_for=%d", pid, v.HeadPosition), token: c.auditor}).want(t, 200)
	var story struct {
		Entries []map[string]any `json:"entries"`
	}
	tl.decode(t, &story)
	found := false
	for _, en := range story.Entries {
		if en["type"] == "action.verified.v1" {
			found = en["method"] == "phone" && en["note"] == "电话回访，张三表示满意" && en["person_name"] == "张三"
		}
	}
	if !found {
		t.Fatalf("the timeline does not say how the verdict was obtained: %s", tl.body)
	}
}
