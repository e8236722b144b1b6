package http

import (
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
