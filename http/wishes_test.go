package http

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yishi-civic/yishi/auth"
)

type wishList struct {
	Items []map[string]any `json:"items"`
}

// TestWishesThroughAPI walks 微心愿 through the real router: a grid
// worker posts a wish for 张三 (door and words given), a unit claims it
// and gives the claim up, a neighbour claims it as a party member and
// fulfils it with a photo, 张三 confirms; every refusal names its field or
// rule. The public list, a resident's list and the wish's history as a
// resident reads it hold no trace of 张三 (no name, no initial, no id, no
// door, no words); staff in scope read him; the statistics count the
// wish fulfilled; after 张三 is erased staff read the erased resident and
// the public list is unchanged.
func TestWishesThroughAPI(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	root := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "root", "系统管理员")

	bag := map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "给孩子一个新书包", "category": "study",
		"story": "孙子九月上三年级，电话13812345678", "door": "3号楼2单元302", "wish_maker": map[string]string{"person_id": "r1", "name": "张三"}}
	e.do(req{method: "POST", path: "/v1/wishes", token: c.r2, body: bag}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "POST", path: "/v1/wishes", token: c.unit, body: bag}).wantProblem(t, 403, "forbidden")
	for field, bad := range map[string]any{"title": "", "category": "money", "grid_id": ""} {
		body := map[string]any{}
		for k, v := range bag {
			body[k] = v
		}
		body[field] = bad
		p := e.do(req{method: "POST", path: "/v1/wishes", token: c.worker, body: body}).wantProblem(t, 422, "validation")
		assert.Equal(t, field, p.Field)
	}
	w := e.write(t, c.worker, "/v1/wishes", bag, 201)
	wish := "/v1/wishes/" + w.ID
	own := e.write(t, c.r1, "/v1/wishes", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "修一下厨房水龙头", "category": "repair"}, 201)

	e.do(req{method: "POST", path: "/v1/wishes/" + own.ID + "/claim", token: c.r1}).wantProblem(t, 403, "forbidden")
	e.write(t, c.r2, wish+"/fulfil", nil, 409)
	e.write(t, c.unit, wish+"/claim", nil, 200)
	e.write(t, c.r2, wish+"/claim", nil, 409)
	e.write(t, c.r2, wish+"/release", map[string]string{"reason": "x"}, 403)
	e.write(t, c.unit, wish+"/release", map[string]string{"reason": "书包型号没有了"}, 200)
	p := e.do(req{method: "POST", path: wish + "/claim", token: c.r2, body: map[string]any{"as": "donor"}}).wantProblem(t, 422, "validation")
	assert.Equal(t, "as", p.Field)
	e.do(req{method: "POST", path: wish + "/claim", token: c.r2, body: map[string]any{"as": "party_member", "claimer": map[string]string{"kind": "person", "id": "r3", "name": "王五"}}}).
		wantProblem(t, 403, "forbidden")
	e.write(t, c.r2, wish+"/claim", map[string]any{"as": "party_member"}, 200)
	e.write(t, c.r1, wish+"/confirm", nil, 409)
	e.write(t, c.r3, wish+"/fulfil", nil, 403)
	p = e.do(req{method: "POST", path: wish + "/fulfil", token: c.r2, body: map[string]any{"photos": []string{"00"}}}).wantProblem(t, 422, "validation")
	assert.Equal(t, "photos", p.Field)
	var photo Attachment
	e.do(req{method: "POST", path: "/v1/attachments", token: c.r2, body: pngBytes, header: map[string]string{"Content-Type": "image/png"}}).want(t, 201).decode(t, &photo)
	e.write(t, c.r2, wish+"/fulfil", map[string]any{"note": "已送到家里", "photos": []string{photo.SHA256}}, 200)
	e.write(t, c.r2, wish+"/cancel", map[string]string{"reason": "x"}, 409)
	e.write(t, c.r2, wish+"/confirm", nil, 403)
	e.write(t, c.r1, wish+"/confirm", nil, 200)
	e.write(t, c.r1, wish+"/confirm", nil, 409)
	e.write(t, c.r2, "/v1/wishes/"+own.ID+"/cancel", map[string]string{"reason": "x"}, 403)
	done := e.write(t, c.r1, "/v1/wishes/"+own.ID+"/cancel", map[string]string{"reason": "儿子回来修好了"}, 200)

	// Nobody outside staff reads who made the wish.
	leaks := []string{"张三", "张*", `"r1"`, "单元302", "13812345678", "孙子", "wish_maker", "story", "door"}
	wait := fmt.Sprintf("wait_for=%d", done.HeadPosition)
	public := e.do(req{method: "GET", path: "/v1/wishes?community=hengyuan&" + wait}).want(t, 200)
	for name, body := range map[string][]byte{
		"public list":          public.body,
		"a resident's list":    e.do(req{method: "GET", path: "/v1/wishes?" + wait, token: c.r3}).want(t, 200).body,
		"a unit's list":        e.do(req{method: "GET", path: "/v1/wishes?" + wait, token: c.unit}).want(t, 200).body,
		"the claimer's list":   e.do(req{method: "GET", path: "/v1/wishes?" + wait, token: c.r2}).want(t, 200).body,
		"a resident's history": e.do(req{method: "GET", path: wish + "?" + wait, token: c.r3}).want(t, 200).body,
		"another grid's staff": e.do(req{method: "GET", path: "/v1/wishes?community=hengyuan&" + wait, token: c.otherFacilitator}).want(t, 200).body,
	} {
		for _, leak := range leaks {
			assert.False(t, bytes.Contains(body, []byte(leak)), "%s shows %s: %s", name, leak, body)
		}
	}
	var list wishList
	public.decode(t, &list)
	require.Len(t, list.Items, 2)
	assert.Equal(t, "cancelled", list.Items[1]["status"])
	got := list.Items[0]
	assert.Equal(t, "confirmed", got["status"])
	assert.Equal(t, "给孩子一个新书包", got["title"])
	assert.Equal(t, "party_member", got["as"])
	assert.Equal(t, "李*", got["claimer"].(map[string]any)["name"])
	assert.EqualValues(t, 2, got["claims"])

	var staff wishList
	e.do(req{method: "GET", path: "/v1/wishes?" + wait, token: c.worker}).want(t, 200).decode(t, &staff)
	require.Len(t, staff.Items, 2)
	assert.Equal(t, "张三", staff.Items[0]["wish_maker"].(map[string]any)["name"])
	assert.Equal(t, true, staff.Items[0]["mine"], "the grid worker posted it")

	var mine wishList
	e.do(req{method: "GET", path: "/v1/wishes?mine=true&" + wait, token: c.r1}).want(t, 200).decode(t, &mine)
	require.Len(t, mine.Items, 2, "张三's own wishes, whoever posted them")
	assert.Equal(t, true, mine.Items[0]["mine"])
	e.do(req{method: "GET", path: "/v1/wishes?mine=true"}).wantProblem(t, 401, "unauthorized")
	e.do(req{method: "GET", path: "/v1/wishes?status=lost"}).wantProblem(t, 400, "bad-request")

	// The fulfilment's photo is read in the wish's scope only.
	e.do(req{method: "GET", path: "/v1/attachments/" + photo.SHA256 + "?item=wish-" + w.ID}).wantProblem(t, 401, "unauthorized")
	e.do(req{method: "GET", path: "/v1/attachments/" + photo.SHA256 + "?item=wish-" + w.ID, token: c.r3}).want(t, 200)

	var stats struct {
		Wishes map[string]int `json:"wishes"`
	}
	e.do(req{method: "GET", path: "/v1/stats?community=hengyuan&" + wait}).want(t, 200).decode(t, &stats)
	assert.Equal(t, map[string]int{"posted": 2, "claimed": 2, "released": 1, "fulfilled": 1, "confirmed": 1, "cancelled": 1}, stats.Wishes)

	// 张三 erased: staff read the erased resident, the public list holds
	// the same items.
	var er WriteResult
	e.do(req{method: "POST", path: "/v1/persons/r1/erasure", token: root, body: map[string]string{"ground": "request", "reason": "本人申请删除"}}).want(t, 200).decode(t, &er)
	wait = fmt.Sprintf("wait_for=%d", er.Position)
	var after wishList
	e.do(req{method: "GET", path: "/v1/wishes?community=hengyuan&" + wait}).want(t, 200).decode(t, &after)
	assert.Equal(t, list.Items, after.Items)
	staffAfter := e.do(req{method: "GET", path: "/v1/wishes?" + wait, token: c.worker}).want(t, 200)
	assert.Contains(t, string(staffAfter.body), "已删除的居民")
	assert.NotContains(t, string(staffAfter.body), "张三")
	history := e.do(req{method: "GET", path: wish + "?" + wait, token: c.worker}).want(t, 200)
	for _, gone := range []string{"张三", "单元302", "13812345678"} {
		assert.NotContains(t, string(history.body), gone)
	}
}
