package notify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/notify"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
)

// fakeClock is the injected clock of a test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// inboxOf returns person's inbox as n reads it, failing the test on an
// error.
func inboxOf(tb testing.TB, n *projections.Notifications, person string, limit int) projections.Inbox {
	tb.Helper()
	in, err := n.Inbox(context.Background(), person, limit)
	if err != nil {
		tb.Fatalf("inbox of %s: %v", person, err)
	}
	return in
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// china is UTC+8, the zone of quiet hours.
var china = time.FixedZone("CST", 8*3600)

// env is a ledger on an embedded store with sealing, its running views,
// and a clock at noon (China time) today: events are recorded with the
// wall clock, so the test clock stays near it.
type env struct {
	store  eventstore.Store
	ledger *ledger.Ledger
	runner *projections.Runner
	clock  *fakeClock
	keys   privacy.KeyStore
	log    *bytes.Buffer
}

func mustEnv(tb testing.TB) *env {
	tb.Helper()
	store, err := pebble.Open(tb.TempDir())
	require.NoError(tb, err)
	tb.Cleanup(func() { store.Close() })
	now := time.Now().In(china)
	c := &fakeClock{t: time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, china)}
	keys := privacy.NewMemoryKeys()
	sealer := privacy.NewSealer(keys)
	e := &env{store: store, clock: c, keys: keys, log: &bytes.Buffer{},
		ledger: ledger.New(store, ledger.WithClock(c.Now), ledger.WithSealer(sealer))}
	e.runner = mustRun(tb, store, sealer)
	return e
}

// mustRun starts a runner over store from the start of the log.
func mustRun(tb testing.TB, store eventstore.Store, sealer *privacy.Sealer) *projections.Runner {
	tb.Helper()
	r, err := projections.New(store, projections.Config{Decode: projections.NewDecoder().Decode})
	require.NoError(tb, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	return r
}

func (e *env) run(tb testing.TB, actor string, cmds ...domain.Command) eventstore.Position {
	tb.Helper()
	var pos eventstore.Position
	for _, c := range cmds {
		res, err := e.ledger.Execute(context.Background(), c, ledger.Actor{ID: actor, Role: "facilitator"}, ledger.Options{})
		require.NoError(tb, err, "%T", c)
		pos = max(pos, res.Position)
	}
	require.NoError(tb, e.runner.WaitFor(context.Background(), pos))
	return pos
}

func (e *env) dispatcher(cfg notify.Config) *notify.Dispatcher {
	cfg.Ledger = e.ledger
	cfg.Outbox = func() *projections.Notifications { return e.runner.Views().Notifications }
	cfg.WaitFor = e.runner.WaitFor
	cfg.Now = e.clock.Now
	cfg.BaseURL = "https://yishi.example"
	cfg.Logger = slog.New(slog.NewTextHandler(e.log, nil))
	return notify.New(cfg)
}

// stream returns a stream's events.
func (e *env) stream(tb testing.TB, name string) []domain.Event {
	tb.Helper()
	evs, _, err := e.ledger.Load(context.Background(), name)
	require.NoError(tb, err)
	return evs
}

// rawStream returns a stream's stored bodies, as an auditor reads them.
func (e *env) rawStream(tb testing.TB, name string) string {
	tb.Helper()
	var b bytes.Buffer
	for ev, err := range e.store.ReadStream(context.Background(), name, eventstore.ReadStreamOptions{}) {
		require.NoError(tb, err)
		b.Write(ev.Data)
	}
	return b.String()
}

const contact = "13800138000"

var secret = []byte("0123456789abcdef0123456789abcdef")

func settings(channels []string, digest, from, to string) domain.NotificationSettings {
	return domain.NotificationSettings{Channels: channels, QuietFrom: from, QuietTo: to, Digest: digest, Language: domain.LangZH}
}

// story submits a proposal by resident-1, who chose the webhook, and
// accepts it: one notification for resident-1.
func (e *env) story(tb testing.TB, set domain.NotificationSettings) string {
	tb.Helper()
	id := uuid.NewString()
	e.run(tb, "resident-1",
		domain.ChangeNotificationSettings{PersonID: "resident-1", Settings: set, Contact: contact},
		domain.SubmitProposal{ProposalID: id, CommunityID: "hengyuan", GridID: "grid-3", Title: "停车棚夹道乱堆乱放", Text: "通行困难",
			Category: "environment", Place: "车棚", Channel: domain.ChannelVisit, Author: domain.Party{Kind: domain.PartyPerson, ID: "resident-1", Name: "张明"}})
	e.run(tb, "f1", domain.AcceptProposal{ProposalID: id, Owner: domain.Party{Kind: domain.PartyUnit, ID: "wuye", Name: "物业"}, By: "f1"})
	return id
}

// receiver is a gateway in the tests: it checks signatures, answers as
// told call by call, and keeps what it accepted, deduplicated by
// webhook-id as a real receiver must.
type receiver struct {
	mu       sync.Mutex
	answers  []int // per call: an HTTP status, or 0 to hang past the client's timeout
	calls    int
	ids      []string
	accepted map[string]notify.WebhookPayload
	bad      int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	call := r.calls
	r.calls++
	r.ids = append(r.ids, req.Header.Get("webhook-id"))
	status := http.StatusOK
	if call < len(r.answers) {
		status = r.answers[call]
	}
	if notify.Verify(secret, req.Header, body, time.Now(), 5*time.Minute) != nil {
		r.bad++
		status = http.StatusUnauthorized
	}
	r.mu.Unlock()
	if status == 0 {
		time.Sleep(300 * time.Millisecond)
		return
	}
	if status == http.StatusOK {
		var p notify.WebhookPayload
		if json.Unmarshal(body, &p) == nil {
			r.mu.Lock()
			if r.accepted == nil {
				r.accepted = map[string]notify.WebhookPayload{}
			}
			r.accepted[req.Header.Get("webhook-id")] = p
			r.mu.Unlock()
		}
	}
	w.WriteHeader(status)
}

func TestWebhookFailsTimesOutAndRecovers(t *testing.T) {
	e := mustEnv(t)
	id := e.story(t, settings([]string{domain.ChannelWebhook}, domain.DigestOff, "22:00", "07:00"))
	rcv := &receiver{answers: []int{http.StatusServiceUnavailable, 0, http.StatusOK}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	d := e.dispatcher(notify.Config{Channels: []notify.Channel{notify.NewWebhook(srv.URL, secret, 100*time.Millisecond)}, Backoff: time.Minute})
	ctx := context.Background()

	st, err := d.Round(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Failed, "503")
	st, err = d.Round(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Sent+st.Failed, "nothing before the retry is due")
	e.clock.Add(time.Minute)
	st, err = d.Round(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Failed, "timeout")
	e.clock.Add(time.Minute)
	st, err = d.Round(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Sent, "the second backoff is twice the first")
	e.clock.Add(time.Minute)
	st, err = d.Round(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Sent)
	st, err = d.Round(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Sent+st.Failed+st.GaveUp)

	assert.Zero(t, rcv.bad, "every request is signed")
	require.Len(t, rcv.ids, 3)
	assert.Equal(t, rcv.ids[0], rcv.ids[1])
	assert.Equal(t, rcv.ids[0], rcv.ids[2], "one webhook-id for every attempt: the receiver deduplicates")
	require.Len(t, rcv.accepted, 1)
	got := rcv.accepted[rcv.ids[0]].Data
	assert.Equal(t, contact, got.Contact, "the gateway gets the contact")
	assert.Equal(t, "“停车棚夹道乱堆乱放”已受理。", got.Text)
	assert.Equal(t, "https://yishi.example/proposals/"+id, got.URL)

	// The auditor's replay: who was told what, when, on which channel.
	var outcomes []string
	evs := e.stream(t, domain.NotificationStream(got.ID))
	for _, ev := range evs {
		outcomes = append(outcomes, ev.EventType())
	}
	assert.Equal(t, []string{"notification.failed.v1", "notification.failed.v1", "notification.sent.v1"}, outcomes)
	sent := evs[2].(domain.NotificationSent)
	assert.Equal(t, "resident-1", sent.PersonID)
	assert.Equal(t, domain.ProposalStream(id), sent.Item)
	assert.Equal(t, projections.KindAccepted, sent.Kind)
	assert.Equal(t, 3, sent.Attempt)
	assert.Equal(t, "HTTP 503", evs[0].(domain.NotificationFailed).Error[len("webhook: "):])
	assert.Equal(t, "webhook: timeout", evs[1].(domain.NotificationFailed).Error)
	raw := e.rawStream(t, domain.NotificationStream(got.ID))
	assert.NotContains(t, raw, contact[3:], "no phone number in delivery events")
	assert.NotContains(t, raw, srv.URL[len("http://"):], "no gateway address in delivery events")
	assert.NotContains(t, e.log.String(), contact[3:], "no phone number in logs")
	assert.NotContains(t, e.rawStream(t, domain.SubscriberStream("resident-1")), contact, "the contact is sealed")

	// A rebuild from the start derives the same notification and knows it
	// was delivered: it never sends twice.
	again := mustRun(t, e.store, e.ledger.Sealer())
	require.NoError(t, again.WaitFor(ctx, e.runner.Position()))
	assert.Zero(t, again.Views().Notifications.PendingCount())
	inbox := inboxOf(t, again.Views().Notifications, "resident-1", 0)
	require.Len(t, inbox.Items, 1)
	assert.Equal(t, got.ID, inbox.Items[0].ID)
}

func TestWebhookGivesUp(t *testing.T) {
	e := mustEnv(t)
	e.story(t, settings(nil, domain.DigestOff, "22:00", "07:00"))
	rcv := &receiver{answers: []int{500, 500, 500, 500}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	d := e.dispatcher(notify.Config{Channels: []notify.Channel{notify.NewWebhook(srv.URL, secret, time.Second)}, Backoff: time.Second, MaxAttempts: 3})
	var total notify.RoundStats
	for range 5 {
		st, err := d.Round(context.Background())
		require.NoError(t, err)
		total.Failed, total.GaveUp = total.Failed+st.Failed, total.GaveUp+st.GaveUp
		e.clock.Add(10 * time.Second)
	}
	assert.Equal(t, notify.RoundStats{Failed: 2, GaveUp: 1}, total)
	assert.Equal(t, 3, rcv.calls)
	assert.Zero(t, e.runner.Views().Notifications.PendingCount())
}

func TestQuietHoursWait(t *testing.T) {
	e := mustEnv(t)
	e.story(t, settings([]string{domain.ChannelWebhook}, domain.DigestOff, "11:00", "13:30"))
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	d := e.dispatcher(notify.Config{Channels: []notify.Channel{notify.NewWebhook(srv.URL, secret, time.Second)}})
	st, err := d.Round(context.Background())
	require.NoError(t, err)
	assert.Equal(t, notify.RoundStats{Waiting: 1}, st, "12:00 is in the quiet hours")
	assert.Zero(t, rcv.calls)
	e.clock.Add(90 * time.Minute)
	st, err = d.Round(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, st.Sent, "13:30 ends them")
}

func TestDailyDigest(t *testing.T) {
	e := mustEnv(t)
	daily := settings([]string{domain.ChannelWebhook}, domain.DigestDaily, "22:00", "07:00")
	e.story(t, daily)
	e.story(t, daily)
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	d := e.dispatcher(notify.Config{Channels: []notify.Channel{notify.NewWebhook(srv.URL, secret, time.Second)}})
	// The digest is due at the first 07:00 after the notifications were
	// recorded (by the store's clock, the wall clock): an hour before it,
	// both wait; at it, both go, whatever the time of day the test runs.
	pending := e.runner.Views().Notifications.Due(time.Now().Add(48*time.Hour), 10)
	require.Len(t, pending, 2)
	due := notify.DigestDue(daily, pending[0].At)
	e.clock.Add(due.Add(-time.Hour).Sub(e.clock.Now()))
	st, err := d.Round(context.Background())
	require.NoError(t, err)
	assert.Equal(t, notify.RoundStats{Waiting: 2}, st)
	e.clock.Add(time.Hour)
	st, err = d.Round(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, st.Sent)
	require.Equal(t, 1, rcv.calls, "one message for both")
	for digest, p := range rcv.accepted {
		assert.Equal(t, digest, p.Data.ID)
		assert.Contains(t, p.Data.Text, "2 条更新")
		assert.LessOrEqual(t, len([]rune(p.Data.Text)), notify.MaxText)
	}
	for _, n := range inboxOf(t, e.runner.Views().Notifications, "resident-1", 0).Items {
		evs := e.stream(t, domain.NotificationStream(n.ID))
		require.Len(t, evs, 1)
		assert.Equal(t, rcv.ids[0], evs[0].(domain.NotificationSent).Digest, "each records the digest that carried it")
	}
}

func TestStaleNotificationsAreNotSent(t *testing.T) {
	e := mustEnv(t)
	e.story(t, settings([]string{domain.ChannelWebhook}, domain.DigestOff, "22:00", "07:00"))
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	d := e.dispatcher(notify.Config{Channels: []notify.Channel{notify.NewWebhook(srv.URL, secret, time.Second)}, MaxAge: time.Hour})
	e.clock.Add(48 * time.Hour)
	st, err := d.Round(context.Background())
	require.NoError(t, err)
	assert.Equal(t, notify.RoundStats{GaveUp: 1}, st)
	assert.Zero(t, rcv.calls)
}

func TestNoChannelNoDelivery(t *testing.T) {
	e := mustEnv(t)
	e.story(t, settings([]string{}, domain.DigestOff, "22:00", "07:00"))
	assert.Zero(t, e.runner.Views().Notifications.PendingCount(), "inbox only")
	assert.Len(t, inboxOf(t, e.runner.Views().Notifications, "resident-1", 0).Items, 1)
}

func TestErasureStopsNotifications(t *testing.T) {
	e := mustEnv(t)
	e.story(t, settings([]string{domain.ChannelWebhook}, domain.DigestOff, "22:00", "07:00"))
	require.Equal(t, 1, e.runner.Views().Notifications.PendingCount())
	res, err := e.ledger.Erase(context.Background(), domain.EraseData{Subject: domain.ErasePerson, ID: "resident-1", Ground: domain.GroundRequest, Reason: "本人申请", By: "admin"}, ledger.Actor{ID: "admin", Role: "admin"}, ledger.Options{})
	require.NoError(t, err)
	require.NoError(t, e.runner.WaitFor(context.Background(), res.Position))
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	d := e.dispatcher(notify.Config{Channels: []notify.Channel{notify.NewWebhook(srv.URL, secret, time.Second)}})
	st, err := d.Round(context.Background())
	require.NoError(t, err)
	assert.Equal(t, notify.RoundStats{}, st)
	assert.Zero(t, rcv.calls)
	assert.Empty(t, inboxOf(t, e.runner.Views().Notifications, "resident-1", 0).Items)
}

func TestRemindersOfAnActionFallingDue(t *testing.T) {
	e := mustEnv(t)
	id := uuid.NewString()
	pid := uuid.NewString()
	e.run(t, "f1", domain.SubmitProposal{ProposalID: pid, CommunityID: "hengyuan", GridID: "grid-3", Title: "路灯不亮", Text: "晚上太黑",
		Category: "facilities", Place: "东门", Channel: domain.ChannelVisit, Author: domain.Party{Kind: domain.PartyPerson, ID: "resident-2", Name: "李"}},
		domain.AcceptProposal{ProposalID: pid, Owner: domain.Party{Kind: domain.PartyUnit, ID: "wuye", Name: "物业"}, By: "f1"},
		domain.AssignAction{ActionID: id, CommunityID: "hengyuan", GridID: "grid-3", ProposalID: pid, Title: "修路灯",
			Owner: domain.Party{Kind: domain.PartyPerson, ID: "worker-7", Name: "王师傅"}, Due: e.clock.Now().Add(36 * time.Hour), By: "f1"})
	d := e.dispatcher(notify.Config{})
	kinds := func() []string {
		var out []string
		for _, n := range inboxOf(t, e.runner.Views().Notifications, "worker-7", 0).Items {
			out = append([]string{n.Kind}, out...)
		}
		return out
	}
	st, err := d.Round(context.Background())
	require.NoError(t, err)
	assert.Zero(t, st.Reminders)
	e.clock.Add(13 * time.Hour)
	st, err = d.Round(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, st.Reminders)
	st, err = d.Round(context.Background())
	require.NoError(t, err)
	assert.Zero(t, st.Reminders, "once")
	e.clock.Add(24 * time.Hour)
	_, err = d.Round(context.Background())
	require.NoError(t, err)
	// A second dispatcher (a restart) raises nothing again.
	st, err = e.dispatcher(notify.Config{}).Round(context.Background())
	require.NoError(t, err)
	assert.Zero(t, st.Reminders)
	assert.Equal(t, []string{projections.KindAssigned, projections.KindDueSoon, projections.KindOverdue}, kinds())
}

// pushKeys makes a browser's subscription keys (RFC 8291): a P-256 public
// key and an auth secret, base64url.
func pushKeys(tb testing.TB) (p256dh, auth string) {
	tb.Helper()
	k, err := notify.GenerateVAPIDKeys() // any P-256 key pair will do
	require.NoError(tb, err)
	a := make([]byte, 16)
	_, _ = rand.Read(a)
	return k.Public, base64.RawURLEncoding.EncodeToString(a)
}

func TestWebPushToALocalPushService(t *testing.T) {
	e := mustEnv(t)
	var mu sync.Mutex
	var got []*http.Request
	push := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
		switch {
		case r.URL.Path == "/gone":
			w.WriteHeader(http.StatusGone)
		case len(body) < 100 || r.Header.Get("Content-Encoding") != "aes128gcm":
			w.WriteHeader(http.StatusBadRequest)
		default:
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer push.Close()
	p1, a1 := pushKeys(t)
	p2, a2 := pushKeys(t)
	e.run(t, "resident-1",
		domain.RegisterPushDevice{PersonID: "resident-1", DeviceID: "phone", Endpoint: push.URL + "/phone", P256dh: p1, Auth: a1},
		domain.RegisterPushDevice{PersonID: "resident-1", DeviceID: "old", Endpoint: push.URL + "/gone", P256dh: p2, Auth: a2})
	e.story(t, settings(nil, domain.DigestOff, "22:00", "07:00"))
	keys, err := notify.GenerateVAPIDKeys()
	require.NoError(t, err)
	d := e.dispatcher(notify.Config{Channels: []notify.Channel{notify.NewWebPush(keys, "mailto:ops@yishi.example", push.Client(), time.Second)}})
	st, err := d.Round(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, st.Sent, "delivered to the phone")
	require.Len(t, got, 2)
	for _, r := range got {
		assert.Contains(t, r.Header.Get("Authorization"), "vapid t=", "VAPID-signed")
		assert.Contains(t, r.Header.Get("Authorization"), "k="+keys.Public)
		assert.NotEmpty(t, r.Header.Get("TTL"))
	}
	sub := domain.FoldSubscriber(e.stream(t, domain.SubscriberStream("resident-1")))
	require.Len(t, sub.Devices, 1, "the gone browser is forgotten")
	assert.Equal(t, "phone", sub.Devices[0].DeviceID)
	assert.NotContains(t, e.rawStream(t, domain.SubscriberStream("resident-1")), push.URL, "endpoints are sealed")
}

// Run's first round waits until the views have caught up with the log
// (Config.CaughtUp): no reminder is raised from views still behind it.
func TestRunWaitsForTheViewsToCatchUp(t *testing.T) {
	e := mustEnv(t)
	id, pid := uuid.NewString(), uuid.NewString()
	e.run(t, "f1", domain.SubmitProposal{ProposalID: pid, CommunityID: "hengyuan", GridID: "grid-3", Title: "路灯不亮", Text: "晚上太黑",
		Category: "facilities", Place: "东门", Channel: domain.ChannelVisit, Author: domain.Party{Kind: domain.PartyPerson, ID: "resident-2", Name: "李"}},
		domain.AcceptProposal{ProposalID: pid, Owner: domain.Party{Kind: domain.PartyUnit, ID: "wuye", Name: "物业"}, By: "f1"},
		domain.AssignAction{ActionID: id, CommunityID: "hengyuan", GridID: "grid-3", ProposalID: pid, Title: "修路灯",
			Owner: domain.Party{Kind: domain.PartyPerson, ID: "worker-7", Name: "王师傅"}, Due: e.clock.Now().Add(-time.Hour), By: "f1"})
	caughtUp := make(chan struct{})
	asked := make(chan struct{})
	d := e.dispatcher(notify.Config{Every: 10 * time.Millisecond, CaughtUp: func(ctx context.Context) error {
		close(asked)
		select {
		case <-caughtUp:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	<-asked
	overdue := func() bool {
		for _, n := range inboxOf(t, e.runner.Views().Notifications, "worker-7", 0).Items {
			if n.Kind == projections.KindOverdue {
				return true
			}
		}
		return false
	}
	time.Sleep(100 * time.Millisecond) // ten rounds' time
	assert.False(t, overdue(), "no round before the views caught up")
	close(caughtUp)
	assert.Eventually(t, overdue, 5*time.Second, 10*time.Millisecond, "the overdue reminder once caught up")
	cancel()
	require.NoError(t, <-done)
}

// A wait for the views that fails for another reason than its context
// ends Run with that error, not in silence.
func TestRunSaysWhyItCouldNotWaitForTheViews(t *testing.T) {
	e := mustEnv(t)
	d := e.dispatcher(notify.Config{CaughtUp: func(context.Context) error { return errors.New("runner stopped") }})
	assert.ErrorContains(t, d.Run(context.Background()), "runner stopped")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d = e.dispatcher(notify.Config{CaughtUp: func(ctx context.Context) error { return ctx.Err() }})
	assert.NoError(t, d.Run(ctx), "its context ended: nothing to say")
}
