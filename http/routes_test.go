package http

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// succeeded records every route that answered 2xx during the test run,
// so that TestMain can check that each route's success is tested.
var succeeded sync.Map

func TestMain(m *testing.M) {
	code := m.Run()
	// Only a run of the whole suite sees every route.
	if code == 0 && !testing.Short() && runsEverything() {
		var missing []string
		for _, rt := range api {
			if _, ok := succeeded.Load(rt.method + " " + rt.path); !ok {
				missing = append(missing, rt.method+" "+rt.path)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no test saw these routes succeed: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}

// runsEverything reports whether no -run or -fuzz flag narrows the run.
func runsEverything() bool {
	for _, a := range os.Args[1:] {
		for _, f := range []string{"-test.run", "-test.fuzz", "-test.skip"} {
			if len(a) >= len(f) && a[:len(f)] == f {
				return false
			}
		}
	}
	return true
}

// TestRemainingRoutes succeeds on the routes no story needs: merging,
// withdrawing, reopening, amendments, the register's changes, blocks,
// cancellations and objections to minutes.
func TestRemainingRoutes(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	e.write(t, c.admin, "/v1/communities/hengyuan/grids/g1/workers/worker-1/removal", map[string]string{"reason": "调岗"}, 200)
	e.write(t, c.admin, "/v1/communities/hengyuan/compounds/c1/units", map[string]any{"unit_id": "u1", "label": "1-101", "area_dm2": 9000,
		"owners": []map[string]string{{"person_id": "r1", "name": "张三"}}}, 201)
	e.do(req{method: "PUT", path: "/v1/communities/hengyuan/compounds/c1/units/u1/owners", token: c.admin,
		body: map[string]any{"owners": []map[string]string{{"person_id": "r2", "name": "李四"}}}}).want(t, 200)

	submit := func(title string) string {
		return e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": title,
			"text": title, "category": "环境", "place": "3号院", "channel": "online"}, 201).ID
	}
	dup, survivor, gone, rejected := submit("飞线充电"), submit("楼道飞线充电"), submit("撤回的议题"), submit("不予受理")
	e.write(t, c.facilitator, "/v1/proposals/"+dup+"/merge", map[string]string{"survivor_id": survivor, "reason": "重复"}, 200)
	e.write(t, c.r1, "/v1/proposals/"+gone+"/withdraw", map[string]string{"reason": "已自行解决"}, 200)
	e.write(t, c.facilitator, "/v1/proposals/"+rejected+"/reject", map[string]string{"reason": "不属于社区职责"}, 200)
	e.write(t, c.facilitator, "/v1/proposals/"+rejected+"/reopen", map[string]string{"reason": "街道要求重新研究"}, 200)

	base, item := convene(t, e, c, "council", "", "议题", map[string]string{"r1": "张三"}, "")
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "初稿",
		"options": []map[string]string{{"id": "a", "label": "甲"}, {"id": "b", "label": "乙"}}, "rule": map[string]string{"kind": "two_thirds"}}, 201).ID
	e.do(req{method: "PUT", path: base + "/motions/" + motion, token: c.facilitator, body: map[string]any{"text": "修改稿", "reason": "措辞",
		"options": []map[string]string{{"id": "a", "label": "甲"}, {"id": "b", "label": "乙"}}, "rule": map[string]string{"kind": "simple_majority"}}}).want(t, 200)
	e.write(t, c.facilitator, base+"/adjourn", map[string]string{"note": "散会"}, 200)
	e.write(t, c.facilitator, base+"/minutes", map[string]string{"summary": "纪要", "objection_until": soon(72 * time.Hour)}, 200)
	e.write(t, c.r1, base+"/minutes/objections", map[string]string{"text": "纪要漏记了我的发言"}, 200)

	assign := func(title string) string {
		return e.write(t, c.facilitator, "/v1/actions", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": title, "proposal_id": survivor,
			"owner": map[string]string{"kind": "unit", "id": "pm-1", "name": "物业"}, "due": soon(48 * time.Hour)}, 201).ID
	}
	blocked, cancelled := assign("修路灯"), assign("修围栏")
	e.write(t, c.unit, "/v1/actions/"+blocked+"/block", map[string]string{"reason": "等配件"}, 200)
	e.write(t, c.facilitator, "/v1/actions/"+cancelled+"/cancel", map[string]string{"reason": "已由街道统一更换"}, 200)
	e.do(req{method: "GET", path: "/readyz"}).want(t, 200)
}
