package http

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVolunteerServiceThroughAPI walks 点单—派单—接单 through the real
// router: a grid worker orders a ride for a resident, dispatches it to a
// volunteer who declines, re-dispatches it to a team whose member
// accepts, the volunteer reports it done, the resident confirms, the
// points reach the volunteer's account and are redeemed at the station;
// the public list masks the resident and the volunteer.
func TestVolunteerServiceThroughAPI(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	base := "/v1/communities/hengyuan"
	e.write(t, c.admin, base+"/volunteers", map[string]any{"grid_id": "g1", "person_id": "r2", "name": "李四", "skills": []string{"驾驶"}}, 201)
	e.write(t, c.admin, base+"/volunteers", map[string]any{"grid_id": "g1", "person_id": "r3", "name": "王五", "skills": []string{"驾驶"}}, 201)
	e.write(t, c.admin, base+"/teams", map[string]any{"team_id": "xhl", "name": "小红李关爱老人服务队", "skills": []string{"陪同就医"}}, 201)
	e.write(t, c.admin, base+"/teams/xhl/members", map[string]string{"person_id": "r2"}, 200)
	e.write(t, c.admin, base+"/stations", map[string]any{"station_id": "st", "grid_id": "g1", "name": "志愿服务站", "kind": "volunteer_service", "services": []string{"积分兑换"}}, 201)

	order := map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "陪同去诊所", "need": "腿脚不便，周三上午复查，电话13812345678",
		"category": "elderly", "skill": "驾驶", "resident": map[string]string{"person_id": "r1", "name": "张三"}}
	e.do(req{method: "POST", path: "/v1/services", token: c.r2, body: order}).wantProblem(t, 403, "forbidden")
	s := e.write(t, c.worker, "/v1/services", order, 201)
	svc := "/v1/services/" + s.ID
	answerBy := time.Now().Add(2 * time.Hour).Format(time.RFC3339)

	e.write(t, c.r1, svc+"/dispatch", map[string]any{"assignee": map[string]string{"kind": "person", "id": "r3", "name": "王五"}, "answer_by": answerBy}, 403)
	e.write(t, c.worker, svc+"/dispatch", map[string]any{"assignee": map[string]string{"kind": "person", "id": "r1", "name": "张三"}, "answer_by": answerBy}, 404)
	e.write(t, c.worker, svc+"/dispatch", map[string]any{"assignee": map[string]string{"kind": "person", "id": "r3", "name": "王五"}, "answer_by": answerBy}, 200)
	e.write(t, c.r2, svc+"/accept", map[string]any{"attempt": 1}, 403)
	e.write(t, c.r3, svc+"/decline", map[string]any{"attempt": 1, "reason": "那天要上班"}, 200)
	e.write(t, c.worker, svc+"/dispatch", map[string]any{"assignee": map[string]string{"kind": "person", "id": "r3", "name": "王五"}, "answer_by": answerBy}, 409)
	e.write(t, c.worker, svc+"/dispatch", map[string]any{"assignee": map[string]string{"kind": "team", "id": "xhl", "name": "小红李关爱老人服务队"}, "answer_by": answerBy}, 200)
	e.write(t, c.r3, svc+"/accept", map[string]any{"attempt": 2}, 403)
	e.write(t, c.r2, svc+"/accept", map[string]any{"attempt": 1}, 409)
	e.write(t, c.r2, svc+"/accept", map[string]any{"attempt": 2}, 200)
	e.write(t, c.r2, svc+"/accept", map[string]any{"attempt": 2}, 409)
	p := e.do(req{method: "POST", path: svc + "/done", token: c.r2, body: map[string]any{"minutes": 0}}).wantProblem(t, 422, "validation")
	assert.Equal(t, "minutes", p.Field)
	e.write(t, c.r2, svc+"/done", map[string]any{"minutes": 95, "note": "已送回家"}, 200)
	e.write(t, c.r2, svc+"/confirm", map[string]any{"satisfied": true}, 403)
	done := e.write(t, c.r1, svc+"/confirm", map[string]any{"satisfied": true}, 200)

	var list struct {
		Items []map[string]any `json:"items"`
	}
	res := e.do(req{method: "GET", path: fmt.Sprintf("/v1/services?community=hengyuan&wait_for=%d", done.HeadPosition)}).want(t, 200)
	res.decode(t, &list)
	require.Len(t, list.Items, 1)
	item := list.Items[0]
	assert.Equal(t, "confirmed", item["status"])
	assert.EqualValues(t, 6, item["points"], "2 + 1 per half hour begun for 95 minutes")
	assert.EqualValues(t, 1, item["declines"])
	assert.Equal(t, "张*", item["resident"].(map[string]any)["name"])
	assert.Equal(t, "李*", item["volunteer"].(map[string]any)["name"])
	for _, leak := range []string{"张三", "李四", "13812345678", "\"r1\"", "\"r2\""} {
		assert.NotContains(t, string(res.body), leak)
	}

	var points struct {
		Items []map[string]any `json:"items"`
	}
	e.do(req{method: "GET", path: "/v1/points?community=hengyuan", token: c.admin}).want(t, 200).decode(t, &points)
	require.Len(t, points.Items, 1)
	assert.EqualValues(t, 6, points.Items[0]["balance"])
	assert.Equal(t, "r2", points.Items[0]["person_id"])

	red := base + "/points/r2/redemptions"
	e.write(t, c.admin, red, map[string]any{"station_id": "st", "points": 7, "item": "洗衣液两瓶"}, 409)
	e.write(t, c.admin, red, map[string]any{"station_id": "nope", "points": 1, "item": "x"}, 404)
	e.write(t, c.r2, red, map[string]any{"station_id": "st", "points": 1, "item": "x"}, 403)
	last := e.write(t, c.admin, red, map[string]any{"station_id": "st", "points": 4, "item": "洗衣液一瓶"}, 200)

	var acct struct {
		Events []struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		} `json:"events"`
	}
	e.do(req{method: "GET", path: base + "/points/r2?wait_for=" + fmt.Sprint(last.HeadPosition), token: c.auditor}).want(t, 200).decode(t, &acct)
	require.Len(t, acct.Events, 2)
	assert.Equal(t, "points.awarded.v1", acct.Events[0].Type)
	assert.EqualValues(t, 6, acct.Events[0].Data["points"])
	assert.Equal(t, "points.redeemed.v1", acct.Events[1].Type)
	assert.EqualValues(t, 2, acct.Events[1].Data["balance"])

	// An order left unanswered is expired and back in the queue; the
	// service's history is readable in scope.
	s2 := e.write(t, c.r1, "/v1/services", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "修灯", "need": "厨房灯不亮", "category": "facilities"}, 201)
	e.write(t, c.worker, "/v1/services/"+s2.ID+"/dispatch", map[string]any{"assignee": map[string]string{"kind": "person", "id": "r3", "name": "王五"}, "answer_by": answerBy}, 200)
	e.write(t, c.worker, "/v1/services/"+s2.ID+"/expire", map[string]any{"attempt": 1}, 409)
	e.write(t, c.worker, "/v1/services/"+s2.ID+"/cancel", map[string]any{"reason": "家人已修好"}, 200)

	// A dispatch due within a second expires once its time has passed
	// (the loop waits for the clock, not for another goroutine).
	s3 := e.write(t, c.r1, "/v1/services", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "取药", "need": "帮忙取药", "category": "elderly"}, 201)
	soonDue := time.Now().Add(1500 * time.Millisecond).Format(time.RFC3339Nano)
	e.write(t, c.worker, "/v1/services/"+s3.ID+"/dispatch", map[string]any{"assignee": map[string]string{"kind": "person", "id": "r3", "name": "王五"}, "answer_by": soonDue}, 200)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.do(req{method: "POST", path: "/v1/services/" + s3.ID + "/expire", token: c.worker, body: map[string]any{"attempt": 1}})
		if r.status == 200 {
			break
		}
		r.want(t, 409)
		if time.Now().After(deadline) {
			t.Fatal("the dispatch never expired")
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.write(t, c.worker, "/v1/services/"+s3.ID+"/dispatch", map[string]any{"assignee": map[string]string{"kind": "person", "id": "r2", "name": "李四"}, "answer_by": answerBy}, 200)
	e.write(t, c.r3, "/v1/services/"+s2.ID+"/accept", map[string]any{"attempt": 1}, 409)
	e.do(req{method: "GET", path: "/v1/services/" + s2.ID, token: c.worker}).want(t, 200)
	e.do(req{method: "GET", path: "/v1/services?status=lost"}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "GET", path: "/v1/points"}).wantProblem(t, 400, "bad-request")
}
