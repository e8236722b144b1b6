package http

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/projections"
)

// TestMinutes: after the meeting the recorder drafts the minutes from
// the record, a facilitator publishes them for 7 days, and the public
// reads them masked; before publication only staff in scope read them.
func TestMinutes(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	base, item := convene(t, e, c, "courtyard", "", "楼道堆物", map[string]string{"r1": "张三", "r2": "李四"}, "")
	e.write(t, c.worker, base+"/statements", map[string]any{"item_id": item, "speaker": map[string]string{"person_id": "r1", "name": "张三"},
		"summary": "请联系我 " + piiPhone}, 200)
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "周六集中清理楼道",
		"options": []map[string]string{{"id": "yes", "label": "同意"}, {"id": "no", "label": "不同意"}}, "rule": map[string]any{"kind": "simple_majority"}}, 201).ID
	mbase := base + "/motions/" + motion
	e.write(t, c.facilitator, mbase+"/voting", nil, 200)
	e.write(t, c.r1, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	e.write(t, c.r2, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	e.write(t, c.facilitator, mbase+"/voting/close", nil, 200)
	e.write(t, c.facilitator, "/v1/actions", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "周六清理楼道", "meeting_id": base[len("/v1/meetings/"):],
		"motion_id": motion, "owner": map[string]string{"kind": "unit", "id": "pm-1", "name": "物业"}, "due": soon(48 * time.Hour)}, 201)

	// While the meeting is open there is nothing to draft; nobody but
	// staff in scope reads the minutes before they are published.
	draft := map[string]any{"summary": "一致同意周六清理。", "notes": []map[string]string{{"item_id": item, "text": "物业负责"}}, "remarks": "下月再议"}
	e.do(req{method: "PUT", path: base + "/minutes/draft", token: c.worker, body: draft}).wantProblem(t, 409, "conflict")
	e.write(t, c.facilitator, base+"/adjourn", nil, 200)
	for _, tok := range []string{"", c.r1, c.otherFacilitator} {
		e.do(req{method: "GET", path: base + "/minutes", token: tok}).wantProblem(t, 404, "not-found")
	}
	e.do(req{method: "PUT", path: base + "/minutes/draft", token: c.r1, body: draft}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "PUT", path: base + "/minutes/draft", token: c.otherFacilitator, body: draft}).wantProblem(t, 403, "forbidden")
	bad := map[string]any{"summary": "x", "notes": []map[string]string{{"item_id": "no-such-item", "text": "x"}}}
	if p := e.do(req{method: "PUT", path: base + "/minutes/draft", token: c.worker, body: bad}).wantProblem(t, 404, "not-found"); p.Field != "notes[0].item_id" {
		t.Errorf("a note on an unknown item names %q", p.Field)
	}

	// The grid worker drafts; the staff read the draft with names.
	var w WriteResult
	e.do(req{method: "PUT", path: base + "/minutes/draft", token: c.worker, body: draft}).want(t, 200).decode(t, &w)
	pos := w.Position
	var m projections.Minutes
	e.do(req{method: "GET", path: fmt.Sprintf("%s/minutes?wait_for=%d", base, pos), token: c.facilitator}).want(t, 200).decode(t, &m)
	if m.Draft != 1 || m.Recorder.Name != "网格员赵强" || m.Attendance.Present != 2 || len(m.Items) != 1 || m.Items[0].Note != "物业负责" ||
		len(m.Items[0].Statements) != 1 || len(m.Items[0].Decisions) != 1 || m.Publication != nil {
		t.Fatalf("the draft as staff read it: %+v", m)
	}
	d := m.Items[0].Decisions[0]
	if d.Tally == nil || d.Tally.Ballots != 2 || !d.Adopted || len(d.Actions) != 1 || d.Actions[0].Title != "周六清理楼道" {
		t.Errorf("the decision in the minutes: %+v", d)
	}

	// Publishing names the draft read and the period in days.
	e.do(req{method: "POST", path: base + "/minutes", token: c.worker, body: map[string]any{"objection_days": 7}}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "POST", path: base + "/minutes", token: c.facilitator, body: map[string]any{"objection_days": 7, "draft": 2}}).wantProblem(t, 409, "conflict")
	if p := e.do(req{method: "POST", path: base + "/minutes", token: c.facilitator, body: map[string]any{"objection_days": 7, "summary": "另写"}}).wantProblem(t, 422, "validation"); p.Field != "summary" {
		t.Errorf("a summary over a draft names %q", p.Field)
	}
	pos = e.write(t, c.facilitator, base+"/minutes", map[string]any{"objection_days": 7, "draft": 1}, 200).Position
	e.do(req{method: "PUT", path: base + "/minutes/draft", token: c.worker, body: draft}).wantProblem(t, 409, "conflict")

	// The public reads them masked: no full name, no phone number.
	pub := e.do(req{method: "GET", path: fmt.Sprintf("%s/minutes?wait_for=%d", base, pos)}).want(t, 200)
	for _, leak := range []string{"张三", "李四", piiPhone, `"person_id"`, "网格员赵强"} {
		if bytes.Contains(pub.body, []byte(leak)) {
			t.Errorf("the public minutes show %q: %s", leak, pub.body)
		}
	}
	var pm projections.Minutes
	pub.decode(t, &pm)
	p := pm.Publication
	// The invited are listed in the order they were invited (convene
	// invites from a map: either order).
	var names []string
	for _, a := range pm.Attendees {
		names = append(names, a.Name)
	}
	slices.Sort(names)
	if p == nil || p.ObjectionDays != 7 || p.ObjectionUntil.Sub(p.Published) != 7*24*time.Hour || pm.Summary != "一致同意周六清理。" ||
		!slices.Equal(names, []string{"张*", "李*"}) || pm.Items[0].Decisions[0].Tally == nil {
		t.Errorf("the public minutes: %+v", pm)
	}
}
