package http

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/privacy"
)

// TestPublicTimelineAnswersAreKeptUntilTheyChange: a public timeline page
// read again is served from the cache, as it was but for the views'
// position; staff read the page opened, never from it; a new step of the
// story and an erasure are in the very next public answer.
func TestPublicTimelineAnswersAreKeptUntilTheyChange(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	root := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "root", "系统管理员")
	sub := e.write(t, c.r1, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "停车棚夹道乱堆乱放",
		"text": "车棚夹道堆满杂物", "category": "环境", "place": "3号院车棚", "channel": "online",
	}, 201)
	path := "/v1/proposals/" + sub.ID + "/timeline"
	read := func(token string, at uint64) []byte {
		t.Helper()
		return e.do(req{method: "GET", path: fmt.Sprintf("%s?wait_for=%d", path, at), token: token}).want(t, 200).body
	}
	// withoutPosition cuts the views' position, the one member that moves
	// with every event of the log.
	withoutPosition := func(b []byte) string {
		t.Helper()
		i := bytes.LastIndex(b, []byte(`,"position":`))
		if i < 0 {
			t.Fatalf("no position in %s", b)
		}
		return string(b[:i])
	}

	first := read("", sub.Position)
	hits := e.srv.publicAnswers.hits
	again := read("", sub.Position)
	if e.srv.publicAnswers.hits != hits+1 {
		t.Fatalf("the second public read was not served from the cache (%d hits, then %d)", hits, e.srv.publicAnswers.hits)
	}
	if withoutPosition(first) != withoutPosition(again) {
		t.Fatalf("the cached answer differs:\n%s\n%s", first, again)
	}
	if !strings.Contains(string(first), "张*") || strings.Contains(string(first), "张三") {
		t.Fatalf("the public answer does not show the author masked: %s", first)
	}
	staff := read(c.auditor, sub.Position)
	if !strings.Contains(string(staff), "张三") || e.srv.publicAnswers.hits != hits+1 {
		t.Fatalf("the auditor's answer came from the public cache: %s", staff)
	}

	sup := e.write(t, c.r2, "/v1/proposals/"+sub.ID+"/support", nil, 200)
	grown := read("", sup.Position)
	if e.srv.publicAnswers.hits != hits+1 || !strings.Contains(string(grown), "李*") {
		t.Fatalf("a new step was not in the next public answer: %s", grown)
	}

	var er WriteResult
	e.do(req{method: "POST", path: "/v1/persons/r1/erasure", token: root, body: map[string]string{"ground": "request", "reason": "本人申请删除"}}).want(t, 200).decode(t, &er)
	erased := read("", er.Position)
	if strings.Contains(string(erased), "张") || !strings.Contains(string(erased), privacy.ErasedName) {
		t.Fatalf("the public answer after the erasure still shows the person: %s", erased)
	}
}
