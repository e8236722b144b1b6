package web

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/domain"
)

// TestBrowserBellLightsUp: 张明, signed in, sees the bell in the header of
// /mine light up when the grid head accepts his proposal, marks it read on
// /notifications (the bell on /mine goes dark), and the page passes the
// checks (axe-core, console errors) in zh-CN and English.
func TestBrowserBellLightsUp(t *testing.T) {
	s := mustServe(t, true)
	b := mustBrowser(t, s.url)
	grid := auth.Scope{Community: demo.Hengyuan, Grid: "hy-grid-2"}
	_, facilitator := s.mustToken(t, auth.IssueRequest{Role: auth.RoleFacilitator, Scope: grid, Name: "赵磊", Subject: "hy-w2"})
	_, zhang := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: grid, Name: "张明", Subject: "hy-r3"})
	code := s.mustCode(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "张明", Subject: "hy-r3"})
	b.visit("/signin?code=" + code)
	b.submit("#signin-confirm")

	id := uuid.NewString()
	s.write(t, zhang, "/v1/proposals", map[string]any{"proposal_id": id, "community_id": demo.Hengyuan, "grid_id": "hy-grid-2", "title": "2号楼门口路灯不亮",
		"text": "晚上很黑", "category": "safety", "place": "2号楼", "channel": domain.ChannelOnline})
	b.visit("/notifications")
	before := eval[int](b, `document.querySelectorAll("#inbox .changed").length`)
	res := s.write(t, facilitator, "/v1/proposals/"+id+"/accept", nil)
	b.visit(fmt.Sprintf("/mine?wait_for=%d", res.HeadPosition))
	if b.text("#bell-unread") == "" {
		t.Fatal("the header's bell on /mine does not light up")
	}
	b.check("mine-bell-zh")
	b.visit(fmt.Sprintf("/notifications?wait_for=%d", res.HeadPosition))
	if got := eval[int](b, `document.querySelectorAll("#inbox .changed").length`); got != before+1 {
		t.Fatalf("%d new notifications after the acceptance, want %d", got, before+1)
	}
	if b.text("#unread") == "" {
		t.Fatal("the bell does not light up")
	}
	b.check("notifications-zh")
	b.submit("#mark-seen")
	if n := eval[int](b, `document.querySelectorAll("#unread").length`); n != 0 {
		t.Fatal("the bell stays lit after marking everything read")
	}
	b.visit("/mine")
	if n := eval[int](b, `document.querySelectorAll("#bell-unread").length`); n != 0 {
		t.Fatal("the header's bell on /mine stays lit after visiting /notifications")
	}
	b.visit("/notifications?lang=en")
	b.check("notifications-en")
}

// TestBrowserPushButton: with VAPID keys the button "receive notifications
// on this phone" appears once the service worker at /sw.js is registered
// (scope: the whole site), with no JavaScript error and axe-core clean;
// without keys it is not there. Headless Chromium has no push service, so
// the subscription itself is not tried here (docs/notifications.md).
func TestBrowserPushButton(t *testing.T) {
	for _, withKeys := range []bool{true, false} {
		key := ""
		if withKeys {
			key = vapidKey(t)
		}
		s := mustServeWith(t, true, key)
		b := mustBrowser(t, s.url)
		code := s.mustCode(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "张明", Subject: "hy-r3"})
		b.visit("/signin?code=" + code)
		b.submit("#signin-confirm")
		b.visit("/notifications")
		if !withKeys {
			if n := eval[int](b, `document.querySelectorAll("#push, #push-subscribe").length`); n != 0 {
				t.Fatal("the push button shows without VAPID keys")
			}
			continue
		}
		scope := eval[string](b, `navigator.serviceWorker.ready.then(r => r.scope)`)
		if scope != s.url+"/" {
			t.Fatalf("the service worker's scope is %q, want %q", scope, s.url+"/")
		}
		if !eval[bool](b, `new Promise(r => setTimeout(() => r(!document.getElementById("push").hidden), 100))`) {
			t.Fatal("the push button stays hidden with VAPID keys and a registered service worker")
		}
		b.check("notifications-push-zh")
	}
}
