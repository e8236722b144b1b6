package http

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestResourceMapThroughAPI builds 衡苑's resource map through the API,
// asks who can help with the bicycle-shed passage, assigns the cleanup to
// the volunteer team found and has its volunteers accept it; the public
// sees the helpers with names masked and no phone.
func TestResourceMapThroughAPI(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	base := "/v1/communities/hengyuan"

	e.write(t, c.admin, base+"/volunteers", map[string]any{"grid_id": "g1", "person_id": "r2", "name": "李四", "phone": "13912345678",
		"skills": []string{"清扫", "维修"}, "categories": []string{"环境卫生"}, "availability": "周末"}, 201)
	e.write(t, c.admin, base+"/volunteers", map[string]any{"grid_id": "g2", "person_id": "r3", "name": "王五", "skills": []string{"驾驶"}}, 201)
	e.write(t, c.admin, base+"/teams", map[string]any{"team_id": "xhl-1", "name": "小红李志愿服务队", "skills": []string{"清扫"}, "categories": []string{"环境卫生"}}, 201)
	e.write(t, c.admin, base+"/teams/xhl-1/members", map[string]string{"person_id": "r2"}, 200)
	e.write(t, c.admin, base+"/stations", map[string]any{"station_id": "home", "grid_id": "g1", "name": "网格之家", "kind": "grid_home", "services": []string{"政策宣讲", "义诊"}}, 201)
	e.do(req{method: "PUT", path: base + "/partners/pm-1/offer", token: c.admin, body: map[string]any{"offer": "清运车辆和人手", "skills": []string{"清运"}, "categories": []string{"环境卫生"}}}).want(t, 200)

	// Bad input names the field; the wrong role or scope is refused.
	p := e.do(req{method: "POST", path: base + "/volunteers", token: c.admin, body: map[string]any{"grid_id": "g1", "person_id": "r9", "name": "赵"}}).wantProblem(t, 422, "validation")
	assert.Equal(t, "skills", p.Field)
	e.do(req{method: "POST", path: base + "/volunteers", token: c.admin, body: map[string]any{"grid_id": "g9", "person_id": "r9", "name": "赵", "skills": []string{"x"}}}).want(t, 404)
	e.do(req{method: "POST", path: base + "/teams", token: c.worker, body: map[string]any{"team_id": "t2", "name": "x", "skills": []string{"x"}}}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "POST", path: base + "/teams", token: c.facilitator, body: map[string]any{"team_id": "t2", "name": "x", "skills": []string{"x"}}}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "POST", path: base + "/teams/xhl-1/members", token: c.admin, body: map[string]string{"person_id": "r1"}}).want(t, 404)

	shed := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "停车棚夹道乱堆乱放",
		"text": "公共区域停车棚内有个夹道，里面乱堆乱放", "category": "环境卫生", "place": "3号院停车棚", "channel": "meeting"}, 201)

	var helpers struct {
		For struct {
			Category string `json:"category"`
			GridID   string `json:"grid_id"`
		} `json:"for"`
		Items []map[string]any `json:"items"`
	}
	path := "/v1/resources/helpers?proposal=" + shed.ID + "&wait_for=" + fmt.Sprint(shed.HeadPosition)
	res := e.do(req{method: "GET", path: path}).want(t, 200)
	res.decode(t, &helpers)
	assert.Equal(t, "环境卫生", helpers.For.Category)
	require.Len(t, helpers.Items, 3, "the volunteer, the team and the unit helping with 环境卫生")
	assert.Equal(t, "李*", helpers.Items[0]["name"], "a volunteer's name is masked for the public")
	assert.Nil(t, helpers.Items[0]["person_id"])
	assert.Equal(t, "小红李志愿服务队", helpers.Items[1]["name"])
	assert.Equal(t, "物业公司", helpers.Items[2]["name"])
	for _, leak := range []string{"13912345678", "李四"} {
		assert.NotContains(t, string(res.body), leak)
	}
	staff := e.do(req{method: "GET", path: path, token: c.worker}).want(t, 200)
	assert.Contains(t, string(staff.body), "13912345678", "staff in scope reach the volunteer")

	var byskill struct {
		Items  []map[string]any `json:"items"`
		Counts map[string]int   `json:"counts"`
	}
	e.do(req{method: "GET", path: "/v1/resources?community=hengyuan&skill=" + url.QueryEscape("驾驶")}).want(t, 200).decode(t, &byskill)
	require.Len(t, byskill.Items, 1)
	assert.Equal(t, map[string]int{"volunteer": 2, "team": 1, "station": 1, "partner": 1}, byskill.Counts)
	e.do(req{method: "GET", path: "/v1/resources"}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "GET", path: "/v1/resources?community=hengyuan&kind=robot"}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "GET", path: "/v1/resources/helpers"}).wantProblem(t, 400, "bad-request")

	// The cleanup goes to the team found there; its volunteer accepts it.
	assign := func(owner map[string]string) response {
		return e.do(req{method: "POST", path: "/v1/actions", token: c.facilitator, body: map[string]any{"community_id": "hengyuan", "grid_id": "g1",
			"proposal_id": shed.ID, "title": "清理停车棚夹道", "owner": owner, "due": time.Now().Add(72 * time.Hour).Format(time.RFC3339)}})
	}
	assign(map[string]string{"kind": "team", "id": "nope", "name": "x"}).want(t, 404)
	var act WriteResult
	assign(map[string]string{"kind": "team", "id": "xhl-1", "name": "小红李志愿服务队"}).want(t, 201).decode(t, &act)
	e.write(t, c.r3, "/v1/actions/"+act.ID+"/accept", nil, 403)
	e.write(t, c.r2, "/v1/actions/"+act.ID+"/accept", nil, 200)
	e.write(t, c.r2, "/v1/actions/"+act.ID+"/accept", nil, 409)
	e.do(req{method: "POST", path: "/v1/actions/" + act.ID + "/accept", token: c.r1, body: map[string]any{"volunteer": map[string]string{"person_id": "r2", "name": "李四"}}}).wantProblem(t, 403, "forbidden")

	var story struct {
		Events []struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		} `json:"events"`
	}
	e.do(req{method: "GET", path: "/v1/actions/" + act.ID, token: c.r1}).want(t, 200).decode(t, &story)
	last := story.Events[len(story.Events)-1]
	assert.Equal(t, "action.accepted.v1", last.Type)
	assert.True(t, strings.HasSuffix(last.Data["volunteer"].(map[string]any)["name"].(string), "*"), "a resident reads the volunteer masked")
}
