package http

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestCommandTimeOfAMeetingCommand sends a meeting's commands as the
// console sends those it recorded offline, with their own time in
// Yishi-Command-Time: the time is checked against the meeting's window
// (refusals name the header, nothing is written), an accepted command's
// events carry it as "at" while "recorded" says when they reached the
// ledger, a command sent twice with its key is applied once, and a raised
// hand recorded before the vote closed but arriving after is refused by
// the meeting's state with its reason.
func TestCommandTimeOfAMeetingCommand(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	m := e.write(t, c.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "楼院议事",
		"place": "3号院凉亭", "starts_at": soon(time.Hour), "format": "courtyard"}, 201)
	base := "/v1/meetings/" + m.ID
	item := e.write(t, c.facilitator, base+"/agenda", map[string]string{"title": "车位线"}, 201).ID
	for _, r := range []struct{ id, name string }{{"r1", "张三"}, {"r2", "李四"}} {
		e.write(t, c.worker, base+"/participants", map[string]string{"person_id": r.id, "name": r.name, "kind": "resident"}, 200)
	}
	e.write(t, c.facilitator, base+"/open", nil, 200)
	var meeting Aggregate
	e.do(req{method: "GET", path: base, token: c.facilitator}).want(t, 200).decode(t, &meeting)
	opened := meeting.Events[len(meeting.Events)-1]
	if opened.Type != "meeting.opened.v1" || opened.Recorded.IsZero() {
		t.Fatalf("last event %+v", opened)
	}
	openedAt := atOf(t, opened)
	attend := func(at string, key string, lang string) response {
		h := map[string]string{"Yishi-Command-Time": at, "Accept-Language": lang}
		if key != "" {
			h["Idempotency-Key"] = key
		}
		return e.do(req{method: "POST", path: base + "/attendance", token: c.worker, header: h,
			body: map[string]string{"person_id": "r1", "name": "张三", "attendance": "present"}})
	}

	// Refusals name the header; nothing is written.
	p := attend("yesterday", "", "en").wantProblem(t, 400, "bad-request")
	if p.Errors[0].Field != "Yishi-Command-Time" {
		t.Errorf("an unreadable time: %+v", p)
	}
	p = attend(openedAt.Add(-time.Hour).Format(time.RFC3339Nano), "", "zh-CN").wantProblem(t, 422, "validation")
	if p.Field != "Yishi-Command-Time" || p.Reason != "command_time_before_window" || !strings.Contains(p.Detail, "早于会议开始时间") {
		t.Errorf("an hour before the opening: %+v", p)
	}
	p = attend(time.Now().Add(10*time.Minute).Format(time.RFC3339Nano), "", "en").wantProblem(t, 422, "validation")
	if p.Field != "Yishi-Command-Time" || p.Reason != "command_time_in_future" || !strings.Contains(p.Detail, "later than the server's clock") {
		t.Errorf("ten minutes ahead: %+v", p)
	}
	p = e.do(req{method: "POST", path: "/v1/proposals", token: c.worker, header: map[string]string{"Yishi-Command-Time": time.Now().Format(time.RFC3339)},
		body: map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "路灯不亮", "text": "3号院路灯坏了", "category": "设施", "channel": "visit",
			"author": map[string]string{"kind": "person", "id": "r1", "name": "张三"}}}).wantProblem(t, 422, "validation")
	if p.Field != "Yishi-Command-Time" || p.Reason != "command_time_not_taken" {
		t.Errorf("a proposal with a command time: %+v", p)
	}
	var after Aggregate
	e.do(req{method: "GET", path: base, token: c.facilitator}).want(t, 200).decode(t, &after)
	if after.Revision != meeting.Revision {
		t.Fatalf("refused commands wrote: revision %d, was %d", after.Revision, meeting.Revision)
	}

	// Accepted: the event carries the command's own time, sent twice once.
	own := openedAt.Add(30 * time.Millisecond)
	first := attend(own.Format(time.RFC3339Nano), "offline-1", "zh-CN").want(t, 200)
	again := attend(own.Format(time.RFC3339Nano), "offline-1", "zh-CN").want(t, 200)
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the resent command was not replayed: %v %s / %s", again.header, first.body, again.body)
	}
	e.do(req{method: "POST", path: base + "/statements", token: c.worker, header: map[string]string{"Yishi-Command-Time": own.Add(time.Second).Format(time.RFC3339Nano)},
		body: map[string]any{"item_id": item, "speaker": map[string]string{"person_id": "r1", "name": "张三"}, "summary": "线看不清"}}).want(t, 200)
	e.do(req{method: "GET", path: base, token: c.facilitator}).want(t, 200).decode(t, &after)
	if n := len(after.Events) - len(meeting.Events); n != 2 {
		t.Fatalf("%d new events, want the attendance and the statement once each", n)
	}
	for i, ev := range after.Events[len(meeting.Events):] {
		want := own.Add(time.Duration(i) * time.Second)
		if got := atOf(t, ev); !got.Equal(want) {
			t.Errorf("%s at %v, want the command's own time %v", ev.Type, got, want)
		}
		if ev.Recorded.Before(opened.Recorded) {
			t.Errorf("%s recorded %v, before the opening reached the ledger (%v)", ev.Type, ev.Recorded, opened.Recorded)
		}
	}

	// A show of hands recorded while voting was open, arriving after the
	// vote was closed elsewhere: the meeting's state refuses it.
	e.write(t, c.worker, base+"/attendance", map[string]string{"person_id": "r2", "name": "李四", "attendance": "present"}, 200)
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "重新划线",
		"options": []map[string]string{{"id": "o1", "label": "同意"}, {"id": "o2", "label": "不同意"}}, "rule": map[string]any{"kind": "simple_majority"}}, 201).ID
	mbase := base + "/motions/" + motion
	e.write(t, c.facilitator, mbase+"/voting", map[string]any{"electorate": []map[string]string{{"person_id": "r1", "name": "张三"}, {"person_id": "r2", "name": "李四"}}}, 200)
	recordedAt := time.Now()
	e.write(t, c.facilitator, mbase+"/voting/close", nil, 200)
	p = e.do(req{method: "POST", path: mbase + "/ballots", token: c.worker, header: map[string]string{"Yishi-Command-Time": recordedAt.Format(time.RFC3339Nano),
		"Idempotency-Key": "offline-2", "Accept-Language": "zh-CN"},
		body: map[string]any{"option_id": "o1", "voter_ids": []string{"r2"}, "method": "show_of_hands"}}).wantProblem(t, 409, "conflict")
	if p.Detail == "" || p.Reason == "" {
		t.Errorf("the late show of hands is refused without a reason: %+v", p)
	}
}

// atOf reads an aggregate event's own time ("at").
func atOf(t *testing.T, ev AggregateEvent) time.Time {
	t.Helper()
	var d struct {
		At time.Time `json:"at"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.At.IsZero() {
		t.Fatalf("%s has no at: %v %s", ev.Type, err, ev.Data)
	}
	return d.At
}
