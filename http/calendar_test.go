package http

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/projections"
)

// TestPublicViewsForThePages: what the public pages read needs no token —
// the board, its counts per grid, the outcomes, the places and the
// meetings coming up — and is masked as the register is.
func TestPublicViewsForThePages(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pid := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "楼道堆物",
		"text": "3号楼2单元302门口堆物，电话13812345678", "category": "环境", "place": "3号院", "channel": "online"}, 201).ID
	e.write(t, c.facilitator, "/v1/proposals/"+pid+"/accept", nil, 200)
	m := e.write(t, c.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "楼院议事",
		"place": "社区活动室", "starts_at": soon(48 * time.Hour), "format": "courtyard"}, 201)
	e.write(t, c.facilitator, "/v1/meetings/"+m.ID+"/agenda", map[string]string{"title": "楼道堆物", "proposal_id": pid}, 201)
	a := e.write(t, c.facilitator, "/v1/actions", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "清理楼道", "proposal_id": pid,
		"owner": map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"}, "due": soon(24 * time.Hour)}, 201)
	wait := fmt.Sprintf("wait_for=%d", a.HeadPosition)

	for _, path := range []string{"/v1/board?" + wait, "/v1/board/grids?community=hengyuan&" + wait, "/v1/outcomes?" + wait,
		"/v1/places?" + wait, "/v1/calendar?" + wait} {
		body := string(e.do(req{method: "GET", path: path}).want(t, 200).body)
		for _, secret := range []string{"13812345678", "2单元302", "worker-1", "赵强", "r1\"", "head-1"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %q to the public: %s", path, secret, body)
			}
		}
	}

	var places placesAnswer
	e.do(req{method: "GET", path: "/v1/places?" + wait}).want(t, 200).decode(t, &places)
	if len(places.Places) != 1 || places.Places[0].Name != "衡苑社区" || len(places.Places[0].Grids) != 2 || places.Places[0].Compounds[0].Name != "3号院" {
		t.Errorf("places = %+v", places.Places)
	}

	var cal viewPage[projections.MeetingState]
	e.do(req{method: "GET", path: "/v1/calendar?community=hengyuan&" + wait}).want(t, 200).decode(t, &cal)
	if len(cal.Items) != 1 || cal.Items[0].Title != "楼院议事" || len(cal.Items[0].Agenda) != 1 || cal.Items[0].Facilitator.PersonID != "" {
		t.Errorf("calendar = %+v", cal.Items)
	}
	e.do(req{method: "GET", path: "/v1/calendar?now=" + time.Now().Add(72*time.Hour).Format(time.RFC3339) + "&" + wait}).want(t, 200).decode(t, &cal)
	if len(cal.Items) != 0 {
		t.Errorf("a meeting two days ahead is not coming up three days ahead: %+v", cal.Items)
	}

	var board viewPage[projections.BoardItem]
	e.do(req{method: "GET", path: "/v1/board?" + wait}).want(t, 200).decode(t, &board)
	if len(board.Items) != 1 || !strings.HasSuffix(board.Items[0].Author.Name, "*") || board.Items[0].Author.ID != "" {
		t.Errorf("public board = %+v", board.Items)
	}
	// A scoped token still reads its own scope only.
	e.do(req{method: "GET", path: "/v1/board?grid=g2", token: c.facilitator}).wantProblem(t, 403, "forbidden")

	e.do(req{method: "GET", path: "/v1/register?order=sideways"}).wantProblem(t, 400, "bad-request")
}

// TestRegisterNewestFirst lists the register latest decision first.
func TestRegisterNewestFirst(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	var last WriteResult
	for _, title := range []string{"第一项", "第二项"} {
		base, item := convene(t, e, c, "council", "", title, map[string]string{"r1": "张三"}, "")
		motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": title,
			"options": []map[string]string{{"id": "yes", "label": "同意"}}, "rule": map[string]string{"kind": "consensus"}}, 201).ID
		last = e.write(t, c.facilitator, base+"/motions/"+motion+"/consensus", map[string]string{"option_id": "yes"}, 200)
	}
	var page viewPage[projections.Decision]
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/register?order=newest&limit=1&wait_for=%d", last.HeadPosition)}).want(t, 200).decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].Text != "第二项" || page.NextCursor == "" {
		t.Fatalf("newest first = %+v", page)
	}
	e.do(req{method: "GET", path: "/v1/register?order=newest&cursor=" + page.NextCursor}).want(t, 200).decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].Text != "第一项" {
		t.Errorf("second page = %+v", page.Items)
	}
}
