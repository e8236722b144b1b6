package http

import (
	"context"
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/notify"
	"github.com/yishi-civic/yishi/projections"
)

// inboxKinds reads a person's inbox after pos and lists its kinds, oldest
// first.
func inboxKinds(t *testing.T, e *env, token, path string, pos uint64) (InboxAnswer, []string) {
	t.Helper()
	var in InboxAnswer
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	e.do(req{method: "GET", path: fmt.Sprintf("%s%swait_for=%d", path, sep, pos), token: token}).want(t, 200).decode(t, &in)
	var kinds []string
	for _, it := range slices.Backward(in.Items) {
		kinds = append(kinds, it.Kind)
	}
	return in, kinds
}

// TestResidentHearsBack walks a proposal from submission to verification
// and checks that its author hears of each step, on the inbox and on the
// webhook they chose, exactly once each; that followers, the electorate
// and the grid head hear what is theirs; that nothing personal leaks; and
// that an auditor can replay who was told what.
func TestResidentHearsBack(t *testing.T) {
	e := mustServe(t, func(c *Config) { c.PushPublicKey = "BPublicKeyForTests" })
	c := newCast(e)
	organise(t, e, c)

	e.do(req{method: "PUT", path: "/v1/me/notification-settings", token: c.r1,
		body: map[string]any{"channels": []string{"webhook"}, "contact": "13800138000", "language": "zh-CN"}}).want(t, 200)
	var set NotificationSettingsAnswer
	res := e.do(req{method: "GET", path: "/v1/me/notification-settings?wait_for=" + fmt.Sprint(head(t, e)), token: c.r1}).want(t, 200)
	res.decode(t, &set)
	if !set.HasContact || set.Settings.QuietFrom != "22:00" || !slices.Equal(set.Settings.Channels, []string{"webhook"}) || set.PushPublicKey == "" {
		t.Fatalf("settings %+v", set)
	}
	if strings.Contains(string(res.body), "13800138000") {
		t.Fatal("the contact is not read back")
	}

	pid := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "停车棚夹道乱堆乱放",
		"text": "车棚夹道堆满杂物", "category": "环境", "place": "3号院车棚", "channel": "visit"}, 201).ID
	e.write(t, c.r2, "/v1/proposals/"+pid+"/support", nil, 200)
	e.do(req{method: "PUT", path: "/v1/me/follows/proposal-" + pid, token: c.r3}).want(t, 200)
	e.do(req{method: "PUT", path: "/v1/me/follows/proposal-" + pid, token: c.otherFacilitator}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "PUT", path: "/v1/me/follows/proposal-0190d5a0-0000-7000-8000-000000000000", token: c.r3}).wantProblem(t, 404, "not-found")
	e.do(req{method: "PUT", path: "/v1/me/follows/organisation-hengyuan", token: c.r3}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "PUT", path: "/v1/me/follows/proposal-" + pid, token: c.auditor}).wantProblem(t, 403, "forbidden")
	e.write(t, c.facilitator, "/v1/proposals/"+pid+"/accept", nil, 200)

	base := "/v1/meetings/" + e.write(t, c.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g1",
		"title": "车棚议事", "place": "3号院", "starts_at": soon(24 * time.Hour), "format": "courtyard"}, 201).ID
	mid := strings.TrimPrefix(base, "/v1/meetings/")
	item := e.write(t, c.facilitator, base+"/agenda", map[string]string{"title": "车棚夹道清理", "proposal_id": pid}, 201).ID
	for _, r := range []struct{ id, name string }{{"r1", "张三"}, {"r2", "李四"}} {
		e.write(t, c.worker, base+"/participants", map[string]string{"person_id": r.id, "name": r.name, "kind": "resident"}, 200)
	}
	e.write(t, c.facilitator, base+"/open", nil, 200)
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "周六清理夹道", "secret": true,
		"options": []map[string]string{{"id": "yes", "label": "同意"}, {"id": "no", "label": "不同意"}}, "rule": map[string]any{"kind": "simple_majority"}}, 201).ID
	mbase := base + "/motions/" + motion
	e.write(t, c.facilitator, mbase+"/voting", nil, 200)
	e.write(t, c.r1, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	e.write(t, c.r2, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	e.write(t, c.facilitator, mbase+"/voting/close", nil, 200)
	act := e.write(t, c.facilitator, "/v1/actions", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "proposal_id": pid, "meeting_id": mid, "motion_id": motion,
		"title": "清理车棚夹道", "owner": map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"}, "due": soon(5 * 24 * time.Hour)}, 201).ID
	e.write(t, c.worker, "/v1/actions/"+act+"/complete", map[string]any{"evidence": []string{strings.Repeat("0", 64)}}, 422)
	e.write(t, c.worker, "/v1/actions/"+act+"/start", nil, 200)
	e.write(t, c.worker, "/v1/actions/"+act+"/progress", map[string]any{"percent": 100, "note": "清理完毕"}, 200)
	e.write(t, c.r1, "/v1/actions/"+act+"/verify", map[string]any{"satisfied": true}, 409) // not completed yet: refused
	var photo Attachment
	e.do(req{method: "POST", path: "/v1/attachments", token: c.worker, body: pngBytes, header: map[string]string{"Content-Type": "image/png"}}).want(t, 201).decode(t, &photo)
	e.write(t, c.worker, "/v1/actions/"+act+"/complete", map[string]any{"evidence": []string{photo.SHA256}}, 200)
	last := e.write(t, c.r1, "/v1/actions/"+act+"/verify", map[string]any{"satisfied": true}, 200)

	r1, kinds := inboxKinds(t, e, c.r1, "/v1/me/notifications", last.HeadPosition)
	want := []string{projections.KindAccepted, projections.KindOnAgenda, projections.KindVotingOpened, projections.KindVotingClosed,
		projections.KindDecided, projections.KindActionSet, projections.KindProgress, projections.KindCompleted}
	if !slices.Equal(kinds, want) {
		t.Fatalf("the author heard %v, want %v", kinds, want)
	}
	if r1.Unread != len(want) || !r1.Items[0].Unread || !strings.HasPrefix(r1.Items[0].URL, "/actions/") || r1.Items[0].Text == "" {
		t.Fatalf("inbox %+v", r1)
	}
	_, r2 := inboxKinds(t, e, c.r2, "/v1/me/notifications", last.HeadPosition)
	if !slices.Contains(r2, projections.KindDecided) || !slices.Contains(r2, projections.KindVerified) {
		t.Fatalf("the supporter heard %v", r2)
	}
	_, r3 := inboxKinds(t, e, c.r3, "/v1/me/notifications", last.HeadPosition)
	if slices.Contains(r3, projections.KindVotingOpened) || !slices.Contains(r3, projections.KindAccepted) || !slices.Contains(r3, projections.KindVerified) {
		t.Fatalf("the follower (not in the electorate) heard %v", r3)
	}
	_, head := inboxKinds(t, e, c.facilitator, "/v1/me/notifications", last.HeadPosition)
	if !slices.Equal(head, []string{projections.KindSubmitted}) {
		t.Fatalf("the grid head heard %v", head)
	}
	_, owner := inboxKinds(t, e, c.worker, "/v1/me/notifications", last.HeadPosition)
	if !slices.Contains(owner, projections.KindAssigned) || !slices.Contains(owner, projections.KindVerified) {
		t.Fatalf("the owner heard %v", owner)
	}
	// Nothing personal, and not the secret ballot.
	raw := e.do(req{method: "GET", path: "/v1/me/notifications", token: c.r2}).want(t, 200).body
	for _, s := range []string{"张三", "李四", "13800138000", `"yes"`, "同意"} {
		if strings.Contains(string(raw), s) {
			t.Fatalf("the inbox shows %q: %s", s, raw)
		}
	}

	// The last visit.
	seen := e.write(t, c.r1, "/v1/me/notifications/seen", nil, 200)
	r1, _ = inboxKinds(t, e, c.r1, "/v1/me/notifications", seen.HeadPosition)
	if r1.Unread != 0 || r1.Items[0].Unread {
		t.Fatalf("after the visit %+v", r1)
	}

	// The webhook r1 chose: every notification once, signed.
	var got []notify.WebhookPayload
	rcv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		var p notify.WebhookPayload
		if json.NewDecoder(r.Body).Decode(&p) == nil {
			got = append(got, p)
		}
	}))
	defer rcv.Close()
	d := notify.New(notify.Config{Ledger: e.ledger, Outbox: func() *projections.Notifications { return e.srv.cfg.Runner.Views().Notifications },
		WaitFor: e.srv.cfg.Runner.WaitFor, Channels: []notify.Channel{notify.NewWebhook(rcv.URL, []byte("0123456789abcdef01234567"), time.Second)},
		Now: func() time.Time { return time.Date(2030, 1, 1, 4, 0, 0, 0, time.UTC) }, MaxAge: 24 * 365 * 10 * time.Hour})
	for range 2 {
		if _, err := d.Round(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("the webhook got %d messages, want %d", len(got), len(want))
	}
	// The auditor's replay: one notification's deliveries, and r1's inbox as it stood.
	var recs []DeliveryRecord
	e.do(req{method: "GET", path: "/v1/notifications/" + got[0].Data.ID, token: c.auditor}).want(t, 200).decode(t, &recs)
	if len(recs) != 1 || recs[0].Type != "notification.sent.v1" || recs[0].Delivery.PersonID != "r1" || recs[0].Delivery.Channel != domain.ChannelWebhook {
		t.Fatalf("deliveries %+v", recs)
	}
	e.do(req{method: "GET", path: "/v1/notifications/" + got[0].Data.ID, token: c.r1}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: "/v1/notifications/0190d5a0-0000-7000-8000-000000000000", token: c.auditor}).wantProblem(t, 404, "not-found")
	_, then := inboxKinds(t, e, c.auditor, fmt.Sprintf("/v1/persons/r1/notifications?as_of=%d&lang=en", seen.HeadPosition), 0)
	if !slices.Equal(then, want) {
		t.Fatalf("as of the visit, r1 had heard %v", then)
	}
	e.do(req{method: "GET", path: "/v1/persons/r1/notifications", token: c.r2}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: "/v1/persons/r1/notifications", token: c.admin}).wantProblem(t, 403, "forbidden")

	// Unfollowing mutes; an erasure ends everything.
	e.do(req{method: "DELETE", path: "/v1/me/follows/proposal-" + pid, token: c.r3}).want(t, 200)
	root := e.token(auth.RoleAdmin, auth.Scope{}, "root")
	e.do(req{method: "POST", path: "/v1/persons/r1/erasure", token: root, body: map[string]string{"ground": "request", "reason": "本人申请删除"}}).want(t, 200)
	closed := e.write(t, c.facilitator, "/v1/proposals/"+pid+"/close", nil, 200)
	in, _ := inboxKinds(t, e, c.auditor, "/v1/persons/r1/notifications", closed.HeadPosition)
	if len(in.Items) != 0 {
		t.Fatalf("an erased person still has notifications: %+v", in)
	}
	_, r3 = inboxKinds(t, e, c.r3, "/v1/me/notifications", closed.HeadPosition)
	if slices.Contains(r3, projections.KindClosed) {
		t.Fatalf("an unfollower heard %v", r3)
	}
}

func TestNotificationSettingsRefuseBadInput(t *testing.T) {
	e := mustServe(t)
	r := e.token(auth.RoleResident, auth.Scope{Community: "hengyuan"}, "r1")
	for _, c := range []struct {
		body  any
		field string
	}{
		{map[string]any{"digest": "hourly"}, "settings.digest"},
		{map[string]any{"quiet_from": "25:00"}, "settings.quiet_from"},
		{map[string]any{"channels": []string{"sms"}}, "settings.channels"},
		{map[string]any{"contact": "138 0013 8000"}, "contact"},
	} {
		p := e.do(req{method: "PUT", path: "/v1/me/notification-settings", token: r, body: c.body}).wantProblem(t, 422, "validation")
		if !strings.Contains(mustJSON(t, p), c.field) {
			t.Errorf("%v: problem does not name %s: %+v", c.body, c.field, p)
		}
	}
	e.do(req{method: "PUT", path: "/v1/me/notification-settings", token: r, body: map[string]any{"colour": "red"}}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "GET", path: "/v1/me/notifications?lang=fr", token: r}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "GET", path: "/v1/me/notifications"}).wantProblem(t, 401, "unauthorized")
	// Without VAPID keys the service takes no browser.
	e.do(req{method: "POST", path: "/v1/me/push-subscriptions", token: r,
		body: map[string]any{"endpoint": "https://push.example/x", "keys": map[string]string{"p256dh": "k", "auth": "a"}}}).wantProblem(t, 503, "unavailable")
}

func TestPushSubscriptions(t *testing.T) {
	e := mustServe(t, func(c *Config) { c.PushPublicKey = "BPublicKeyForTests" })
	r := e.token(auth.RoleResident, auth.Scope{Community: "hengyuan"}, "r1")
	body := map[string]any{"endpoint": "https://push.example/sub/123", "keys": map[string]string{"p256dh": "BKey", "auth": "secret"}, "expirationTime": nil}
	var w WriteResult
	e.do(req{method: "POST", path: "/v1/me/push-subscriptions", token: r, body: body}).want(t, 201).decode(t, &w)
	var set NotificationSettingsAnswer
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/me/notification-settings?wait_for=%d", w.HeadPosition), token: r}).want(t, 200).decode(t, &set)
	if set.Devices != 1 || !slices.Contains(set.Channels, domain.ChannelPush) {
		t.Fatalf("settings %+v", set)
	}
	e.do(req{method: "POST", path: "/v1/me/push-subscriptions", token: r,
		body: map[string]any{"endpoint": "http://push.example/x", "keys": map[string]string{"p256dh": "k", "auth": "a"}}}).wantProblem(t, 422, "validation")
	e.do(req{method: "DELETE", path: "/v1/me/push-subscriptions/" + w.ID, token: r}).want(t, 200)
	for ev, err := range e.store.ReadStream(context.Background(), domain.SubscriberStream("r1"), eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(ev.Data), "push.example") {
			t.Fatalf("an endpoint stored in the clear: %s", ev.Data)
		}
	}
}

// head is the log's newest position.
func head(t *testing.T, e *env) uint64 {
	t.Helper()
	p, err := e.srv.headPosition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return uint64(p)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
