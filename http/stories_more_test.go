package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
)

// convene schedules and opens a meeting of grid g1 with the given
// residents invited and present, and returns its path and one agenda item.
func convene(t *testing.T, e *env, c cast, format, compound, title string, present map[string]string, proposal string) (string, string) {
	t.Helper()
	m := e.write(t, c.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "compound_id": compound,
		"title": title, "place": "社区活动室", "starts_at": soon(time.Hour), "format": format}, 201)
	base := "/v1/meetings/" + m.ID
	agenda := map[string]string{"title": title}
	if proposal != "" {
		agenda["proposal_id"] = proposal
	}
	item := e.write(t, c.facilitator, base+"/agenda", agenda, 201).ID
	for id, name := range present {
		e.write(t, c.worker, base+"/participants", map[string]string{"person_id": id, "name": name, "kind": "resident"}, 200)
	}
	e.write(t, c.facilitator, base+"/open", nil, 200)
	for id, name := range present {
		e.write(t, c.worker, base+"/attendance", map[string]string{"person_id": id, "name": name, "attendance": "present"}, 200)
	}
	return base, item
}

// TestNeighbourhoodDinnerStory: 邻里小饭桌 decided by consensus after an
// objection was withdrawn, then run as a recurring action.
func TestNeighbourhoodDinnerStory(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pid := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "邻里小饭桌",
		"text": "提前报名、费用分摊、大家一起做饭", "category": "邻里", "place": "社区食堂", "channel": "meeting"}, 201).ID
	e.write(t, c.facilitator, "/v1/proposals/"+pid+"/accept", nil, 200)
	base, item := convene(t, e, c, "summer_evening", "", "邻里小饭桌", map[string]string{"r1": "张三", "r2": "李四"}, pid)
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "每周五举办邻里小饭桌",
		"options": []map[string]string{{"id": "weekly", "label": "每周一次"}}, "rule": map[string]string{"kind": "consensus"}}, 201).ID
	mbase := base + "/motions/" + motion
	e.write(t, c.r2, mbase+"/objections", map[string]string{"reason": "费用怎么分摊还没说清"}, 200)
	p := e.do(req{method: "POST", path: mbase + "/consensus", token: c.facilitator, body: map[string]string{"option_id": "weekly"}}).wantProblem(t, 409, "conflict")
	if p.Reason != "objection_standing" {
		t.Fatalf("reason %q", p.Reason)
	}
	e.write(t, c.r2, mbase+"/objections/withdrawal", nil, 200)
	e.write(t, c.facilitator, mbase+"/consensus", map[string]string{"option_id": "weekly", "note": "AA 制"}, 200)
	act := e.write(t, c.facilitator, "/v1/actions", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid,
		"title": "邻里小饭桌", "owner": map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"}, "due": soon(90 * 24 * time.Hour), "recurrence": "每周五"}, 201)
	e.write(t, c.worker, "/v1/actions/"+act.ID+"/start", nil, 200)
	var last WriteResult
	for i := range 3 {
		last = e.write(t, c.worker, "/v1/actions/"+act.ID+"/occurrences", map[string]any{"held_on": time.Now().Add(time.Duration(-i) * 24 * time.Hour).Format(time.RFC3339), "participants": 12 + i}, 200)
	}
	reg := e.do(req{method: "GET", path: fmt.Sprintf("/v1/register?how=consensus&wait_for=%d", last.HeadPosition)}).want(t, 200)
	if !bytes.Contains(reg.body, []byte(motion)) {
		t.Fatalf("register lacks the consensus: %s", reg.body)
	}
}

// TestHeatingMediationStory: the heating company and resident
// representatives settle a dispute with one of several options.
func TestHeatingMediationStory(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	base, item := convene(t, e, c, "council", "", "供暖不热", map[string]string{"r1": "张三"}, "")
	med := e.write(t, c.facilitator, base+"/mediations", map[string]any{"item_id": item, "dispute": "室温不达标",
		"parties": []map[string]string{{"kind": "unit", "id": "heat-1", "name": "供暖公司"}, {"kind": "person", "id": "r1", "name": "张三"}},
		"options": []map[string]string{{"id": "fix", "label": "一周内检修管线"}, {"id": "refund", "label": "按天退费"}}}, 201).ID
	e.do(req{method: "POST", path: base + "/mediations/" + med + "/agreement", token: c.facilitator, body: map[string]string{"option_id": "nope"}}).wantProblem(t, 422, "validation")
	w := e.write(t, c.facilitator, base+"/mediations/"+med+"/agreement", map[string]string{"option_id": "fix"}, 200)
	d := e.do(req{method: "GET", path: fmt.Sprintf("/v1/register/%s/%s?wait_for=%d", base[len("/v1/meetings/"):], med, w.HeadPosition)}).want(t, 200)
	if !bytes.Contains(d.body, []byte("一周内检修管线")) {
		t.Fatalf("decision %s", d.body)
	}
}

// TestOwnersDoubleMajority: an owners' assembly under art. 278 locks the
// compound's register as the electorate; a co-owner votes, a proxy holder
// votes for an absent owner, and the domain computes the double majority.
func TestOwnersDoubleMajority(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	units := []struct {
		id     string
		area   int
		owners []map[string]string
	}{
		{"u101", 8956, []map[string]string{{"person_id": "r1", "name": "张三"}}},
		{"u102", 9000, []map[string]string{{"person_id": "r2", "name": "李四"}}},
		{"u201", 7000, []map[string]string{{"person_id": "r3", "name": "王五"}}},
	}
	for _, u := range units {
		e.write(t, c.admin, "/v1/communities/hengyuan/compounds/c1/units", map[string]any{"unit_id": u.id, "label": u.id, "area_dm2": u.area, "owners": u.owners}, 201)
	}
	base, item := convene(t, e, c, "owners_assembly", "c1", "维修资金使用", map[string]string{"r1": "张三", "r2": "李四"}, "")
	e.write(t, c.worker, base+"/attendance", map[string]string{"person_id": "r3", "name": "王五", "attendance": "proxy", "holder_id": "r1", "authority": "书面委托书"}, 200)
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "使用维修资金更换电梯",
		"options": []map[string]string{{"id": "yes", "label": "同意"}, {"id": "no", "label": "反对"}}, "rule": map[string]any{"kind": "owners", "matter": 5}}, 201).ID
	mbase := base + "/motions/" + motion
	e.write(t, c.facilitator, mbase+"/voting", nil, 200)
	e.write(t, c.r1, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	e.write(t, c.r1, mbase+"/votes", map[string]string{"option_id": "yes", "voter_id": "r3"}, 200)
	e.write(t, c.r2, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	// r2 holds no proxy for r3.
	e.do(req{method: "POST", path: mbase + "/votes", token: c.r2, body: map[string]string{"option_id": "no", "voter_id": "r3"}}).wantProblem(t, 403, "forbidden")
	w := e.write(t, c.facilitator, mbase+"/voting/close", nil, 200)
	var d struct {
		Tally json.RawMessage `json:"tally"`
	}
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/register/%s/%s?wait_for=%d", base[len("/v1/meetings/"):], motion, w.HeadPosition), token: c.auditor}).want(t, 200).decode(t, &d)
	var tally struct {
		Result     string `json:"result"`
		Electorate int    `json:"electorate"`
		TotalArea  int64  `json:"total_area_dm2"`
	}
	if err := json.Unmarshal(d.Tally, &tally); err != nil {
		t.Fatalf("tally %s: %v", d.Tally, err)
	}
	if tally.Result != "adopted" || tally.Electorate != 3 || tally.TotalArea != 8956+9000+7000 {
		t.Fatalf("tally %s", d.Tally)
	}
}

// TestUnsatisfiedVerificationReopens: a resident not satisfied with an
// action reopens it and its proposal; the proposal cannot close meanwhile.
func TestUnsatisfiedVerificationReopens(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pid := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "重新划线",
		"text": "道路窄经常刮车", "category": "交通", "place": "3号院主路", "channel": "visit"}, 201).ID
	e.write(t, c.worker, "/v1/proposals/"+pid+"/handle-directly", map[string]string{"note": "联系施工单位重新划线"}, 200)
	act := e.write(t, c.facilitator, "/v1/actions", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid,
		"title": "重新划线", "owner": map[string]string{"kind": "unit", "id": "pm-1", "name": "物业"}, "due": soon(48 * time.Hour)}, 201).ID
	other := e.tokenNamed(auth.RoleUnitRep, auth.Scope{Community: "hengyuan", Grid: "g1"}, "heat-1", "供暖公司")
	e.do(req{method: "POST", path: "/v1/actions/" + act + "/start", token: other}).wantProblem(t, 403, "forbidden")
	e.write(t, c.unit, "/v1/actions/"+act+"/start", nil, 200)
	photo, err := e.srv.SaveAttachment(pngBytes, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	e.write(t, c.unit, "/v1/actions/"+act+"/complete", map[string]any{"note": "已划线", "evidence": []string{photo}}, 200)
	v := e.write(t, c.r1, "/v1/actions/"+act+"/verify", map[string]any{"satisfied": false, "reason": "线太窄"}, 200)
	e.do(req{method: "POST", path: "/v1/proposals/" + pid + "/close", token: c.facilitator}).wantProblem(t, 409, "conflict")
	out := e.do(req{method: "GET", path: fmt.Sprintf("/v1/outcomes?open=true&wait_for=%d", v.HeadPosition), token: c.facilitator}).want(t, 200)
	if !bytes.Contains(out.body, []byte(act)) {
		t.Fatalf("the reopened action is not open: %s", out.body)
	}
}

// TestOwnersRegisterIsTheServers: the register of an owners' vote is
// built by the server; a body that brings units or an electorate is
// refused naming the field, and the compound must lie in the meeting's
// grid (issue 9, points 4 and 5).
func TestOwnersRegisterIsTheServers(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	e.write(t, c.admin, "/v1/communities/hengyuan/compounds", map[string]string{"compound_id": "c2", "grid_id": "g2", "name": "西院"}, 201)
	e.write(t, c.admin, "/v1/communities/hengyuan/compounds/c1/units", map[string]any{"unit_id": "u101", "label": "1-101", "area_dm2": 8956,
		"owners": []map[string]string{{"person_id": "r1", "name": "张三"}}}, 201)
	e.write(t, c.admin, "/v1/communities/hengyuan/compounds/c1/units", map[string]any{"unit_id": "u102", "label": "1-102", "area_dm2": 9000,
		"owners": []map[string]string{{"person_id": "r2", "name": "李四"}}}, 201)

	p := e.do(req{method: "POST", path: "/v1/meetings", token: c.facilitator, body: map[string]any{"community_id": "hengyuan", "grid_id": "g1", "compound_id": "c2",
		"title": "业主大会", "place": "西院", "starts_at": soon(time.Hour), "format": "owners_assembly"}}).wantProblem(t, 422, "validation")
	if p.Field != "compound_id" {
		t.Fatalf("field %q", p.Field)
	}

	base, item := convene(t, e, c, "owners_assembly", "c1", "维修资金使用", map[string]string{"r1": "张三", "r2": "李四"}, "")
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "使用维修资金修缮屋面",
		"options": []map[string]string{{"id": "yes", "label": "同意"}, {"id": "no", "label": "反对"}}, "rule": map[string]any{"kind": "owners", "matter": 5}}, 201).ID
	mbase := base + "/motions/" + motion
	forged := []map[string]any{{"unit_id": "u101", "area_dm2": 99999, "owners": []string{"r1"}}}
	if p := e.do(req{method: "POST", path: mbase + "/voting", token: c.facilitator, body: map[string]any{"units": forged}}).wantProblem(t, 422, "validation"); p.Field != "units" {
		t.Fatalf("field %q", p.Field)
	}
	if p := e.do(req{method: "POST", path: mbase + "/voting", token: c.facilitator, body: map[string]any{"electorate": []map[string]string{{"person_id": "r1", "name": "张三"}}}}).wantProblem(t, 422, "validation"); p.Field != "electorate" {
		t.Fatalf("field %q", p.Field)
	}
	w := e.write(t, c.facilitator, mbase+"/voting", nil, 200)
	var m struct {
		Events []struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"events"`
	}
	e.do(req{method: "GET", path: fmt.Sprintf("%s?wait_for=%d", base, w.Position), token: c.auditor}).want(t, 200).decode(t, &m)
	found := false
	for _, ev := range m.Events {
		if ev.Type == "meeting.voting_opened.v1" {
			found = bytes.Contains(ev.Data, []byte(`"area_dm2":8956`)) && bytes.Contains(ev.Data, []byte(`"register_revision"`)) && bytes.Contains(ev.Data, []byte(`"kind":"owners_ordinary"`))
		}
	}
	if !found {
		t.Fatalf("voting opened without the organisation's register: %+v", m.Events)
	}
}

// TestRoomRecordsAndVerdicts: staff record what residents without a token
// do in the room, saying who recorded it and how; consensus needs someone
// present; a yes/no motion voted down is registered as 未通过 (issue 9,
// points 8, 9, 13 and 14).
func TestRoomRecordsAndVerdicts(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	base, item := convene(t, e, c, "courtyard", "", "车棚改造", nil, "")
	cons := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "车棚加装照明",
		"options": []map[string]string{{"id": "do", "label": "加装"}}, "rule": map[string]string{"kind": "consensus"}}, 201).ID
	if p := e.do(req{method: "POST", path: base + "/motions/" + cons + "/consensus", token: c.facilitator, body: map[string]string{"option_id": "do"}}).wantProblem(t, 409, "conflict"); p.Reason != "nobody_present" {
		t.Fatalf("reason %q", p.Reason)
	}
	for _, p := range []struct{ id, name string }{{"old-1", "刘大爷"}, {"old-2", "陈奶奶"}, {"old-3", "周阿姨"}} {
		e.write(t, c.worker, base+"/participants", map[string]string{"person_id": p.id, "name": p.name, "kind": "resident"}, 200)
		e.write(t, c.worker, base+"/attendance", map[string]string{"person_id": p.id, "name": p.name, "attendance": "present"}, 200)
	}
	// An objection spoken aloud by a resident without a token.
	e.write(t, c.worker, base+"/motions/"+cons+"/objections", map[string]string{"person_id": "old-1", "name": "刘大爷", "reason": "电费谁出？", "how": "spoken"}, 200)
	// A resident cannot object in someone else's name.
	if p := e.do(req{method: "POST", path: base + "/motions/" + cons + "/objections", token: c.r1, body: map[string]string{"person_id": "old-2", "reason": "x"}}).wantProblem(t, 422, "validation"); p.Field != "person_id" {
		t.Fatalf("field %q", p.Field)
	}
	e.do(req{method: "POST", path: base + "/motions/" + cons + "/consensus", token: c.facilitator, body: map[string]string{"option_id": "do"}}).wantProblem(t, 409, "conflict")
	e.write(t, c.worker, base+"/motions/"+cons+"/objections/withdrawal", map[string]string{"person_id": "old-1", "how": "spoken"}, 200)
	e.write(t, c.facilitator, base+"/motions/"+cons+"/consensus", map[string]string{"option_id": "do"}, 200)

	// A show of hands: one for, two against; the motion is voted down.
	vote := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "车棚收费管理",
		"options": []map[string]string{{"id": "yes", "label": "同意"}, {"id": "no", "label": "反对"}}, "rule": map[string]any{"kind": "simple_majority", "quorum_percent": 50}}, 201).ID
	vbase := base + "/motions/" + vote
	e.write(t, c.facilitator, vbase+"/voting", nil, 200)
	e.write(t, c.worker, vbase+"/ballots", map[string]any{"option_id": "yes", "voter_ids": []string{"old-1"}, "method": "show_of_hands"}, 200)
	e.write(t, c.worker, vbase+"/ballots", map[string]any{"option_id": "no", "voter_ids": []string{"old-2", "old-3"}, "method": "show_of_hands"}, 200)
	e.do(req{method: "POST", path: vbase + "/ballots", token: c.r1, body: map[string]any{"option_id": "yes", "voter_ids": []string{"old-1"}, "method": "show_of_hands"}}).wantProblem(t, 403, "forbidden")
	w := e.write(t, c.facilitator, vbase+"/voting/close", nil, 200)
	var d struct {
		Adopted  bool   `json:"adopted"`
		Verdict  string `json:"verdict"`
		OptionID string `json:"option_id"`
		Tally    struct {
			Result string `json:"result"`
		} `json:"tally"`
	}
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/register/%s/%s?wait_for=%d", base[len("/v1/meetings/"):], vote, w.Position)}).want(t, 200).decode(t, &d)
	if d.Adopted || d.Verdict != "未通过" || d.OptionID != "" || d.Tally.Result != "rejected" {
		t.Fatalf("a motion voted down 1:2 reads %+v", d)
	}
	var m struct {
		Events []struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"events"`
	}
	e.do(req{method: "GET", path: base, token: c.auditor}).want(t, 200).decode(t, &m)
	hands := 0
	for _, ev := range m.Events {
		if ev.Type == "meeting.vote_cast.v1" && bytes.Contains(ev.Data, []byte(`"method":"show_of_hands"`)) && bytes.Contains(ev.Data, []byte(`"recorded_by":"worker-1"`)) {
			hands++
		}
		if ev.Type == "meeting.motion_objection_raised.v1" && !bytes.Contains(ev.Data, []byte(`"recorded_by":"worker-1","how":"spoken"`)) {
			t.Fatalf("the objection does not say who recorded it and how: %s", ev.Data)
		}
	}
	if hands != 3 {
		t.Fatalf("%d hands recorded with their recorder, want 3", hands)
	}
}
