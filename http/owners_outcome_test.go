package http

import (
	"bytes"
	"fmt"
	"testing"
)

// TestOwnersDecisionCountsNobody (issue 10.12): when an owners' vote
// (art. 278) on a proposal does not carry, the decision the proposal
// records says so by the shares that took part; no answer anyone reads —
// the proposal, its timeline, the board, the register, the event feed —
// counts an option's owners or the abstentions, in a field or in words.
func TestOwnersDecisionCountsNobody(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	for _, u := range []struct {
		id, owner, name string
		area            int
	}{{"u101", "r1", "张三", 8956}, {"u102", "r2", "李四", 9000}, {"u201", "r3", "王五", 7000}} {
		e.write(t, c.admin, "/v1/communities/hengyuan/compounds/c1/units", map[string]any{"unit_id": u.id, "label": u.id, "area_dm2": u.area,
			"owners": []map[string]string{{"person_id": u.owner, "name": u.name}}}, 201)
	}
	pid := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "compound_id": "c1", "title": "更换电梯",
		"text": "电梯老旧", "category": "设施", "place": "1号楼", "channel": "online"}, 201).ID
	e.write(t, c.facilitator, "/v1/proposals/"+pid+"/accept", nil, 200)
	base, item := convene(t, e, c, "owners_assembly", "c1", "维修资金使用", map[string]string{"r1": "张三", "r2": "李四", "r3": "王五"}, pid)
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "使用维修资金更换电梯",
		"options": []map[string]string{{"id": "yes", "label": "同意"}, {"id": "no", "label": "反对"}}, "rule": map[string]any{"kind": "owners", "matter": 5}}, 201).ID
	mbase := base + "/motions/" + motion
	e.write(t, c.facilitator, mbase+"/voting", nil, 200)
	e.write(t, c.r1, mbase+"/votes", map[string]string{"option_id": "no"}, 200)
	e.write(t, c.r2, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	e.write(t, c.r3, mbase+"/votes", map[string]string{"option_id": "no"}, 200)
	w := e.write(t, c.facilitator, mbase+"/voting/close", nil, 200)
	wait := fmt.Sprintf("wait_for=%d", w.HeadPosition)

	// The auditor reads the decision: it did not carry, and says so by shares.
	res := e.do(req{method: "GET", path: "/v1/proposals/" + pid + "/timeline?" + wait, token: c.auditor}).want(t, 200)
	if !bytes.Contains(res.body, []byte("未通过（参与业主占专有面积 100%、占业主人数 100%")) {
		t.Fatalf("the decision does not say it failed by shares: %s", res.body)
	}
	for _, r := range []req{
		{method: "GET", path: "/v1/proposals/" + pid + "/timeline?" + wait},
		{method: "GET", path: "/v1/proposals/" + pid + "/timeline?" + wait, token: c.r2},
		{method: "GET", path: "/v1/proposals/" + pid + "?" + wait, token: c.r2},
		{method: "GET", path: "/v1/board?" + wait, token: c.r2},
		{method: "GET", path: "/v1/register?" + wait},
		{method: "GET", path: "/v1/proposals/" + pid + "/timeline?" + wait, token: c.auditor},
	} {
		body := e.do(r).want(t, 200).body
		for _, leak := range []string{"同意 1", "反对 2", "弃权", `"votes"`, `"heads"`, `"abstentions"`} {
			if r.token == c.auditor && leak[0] == '"' {
				continue // the auditor reads the tally's figures; never the words
			}
			if bytes.Contains(body, []byte(leak)) {
				t.Errorf("%s (token %q) shows %s: %s", r.path, r.token, leak, body)
			}
		}
	}
}
