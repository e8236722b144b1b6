package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// readInbox returns person's inbox as n reads it, failing the test on an
// error.
func readInbox(tb testing.TB, n *Notifications, person string, limit int) Inbox {
	tb.Helper()
	in, err := n.Inbox(context.Background(), person, limit)
	require.NoError(tb, err)
	return in
}

// kinds lists an inbox's kinds with their items, oldest first.
func kinds(in Inbox) []string {
	var out []string
	for i := len(in.Items) - 1; i >= 0; i-- {
		out = append(out, in.Items[i].Kind+" "+in.Items[i].Item)
	}
	return out
}

// noticeStory is the shed story with a grid head, a follower of the
// action, a supporter who stops following, and an author who chose the
// webhook.
func noticeStory() []domain.Event {
	evs := []domain.Event{
		domain.GridHeadAppointed{CommunityID: "hengyuan", GridID: "g1", PersonID: "h1", Name: "刘网格长", At: at(0)},
		domain.NotificationSettingsChanged{PersonID: "r1", Contact: "13800138000", At: at(0),
			Settings: domain.NotificationSettings{Channels: []string{domain.ChannelWebhook}, QuietFrom: "22:00", QuietTo: "07:00", Digest: domain.DigestOff, Language: domain.LangZH}},
	}
	evs = append(evs, story()...)
	evs = append(evs,
		domain.ItemUnfollowed{PersonID: "r2", Item: "proposal-shed", At: at(5)},
		domain.ItemFollowed{PersonID: "r3", Item: "action-clear", At: at(5)},
		domain.ItemFollowed{PersonID: "r4", Item: "proposal-shed", At: at(5)},
	)
	return append(evs, story2()...)
}

func TestNotificationsTellWhoFollows(t *testing.T) {
	v := foldAll(t, encode(t, noticeStory()))
	n := v.Notifications

	r1 := kinds(readInbox(t, n, "r1", 0))
	for _, want := range []string{"accepted proposal-shed", "rejected proposal-noise", "on_agenda proposal-shed", "decided proposal-shed",
		"progress action-clear", "completed action-clear", "unsatisfied action-clear", "reopened proposal-shed",
		"verified action-clear", "closed proposal-shed"} {
		assert.Contains(t, r1, want, "the author hears of every step")
	}
	assert.NotContains(t, r1, "submitted proposal-shed", "an author is not told what they did")

	// The supporter heard until they stopped following.
	r2 := kinds(readInbox(t, n, "r2", 0))
	assert.Contains(t, r2, "accepted proposal-shed")
	assert.NotContains(t, r2, "decided proposal-shed")
	assert.NotContains(t, r2, "completed action-clear", "unfollowing a proposal mutes its actions")

	// The electorate hears that voting opened and its result, not the ballots.
	for _, voter := range []string{"v1", "v2", "v3"} {
		in := readInbox(t, n, voter, 0)
		assert.Equal(t, []string{"voting_opened meeting-m1", "voting_closed meeting-m1"}, kinds(in), voter)
		assert.Equal(t, DetailAdopted, in.Items[0].Detail)
	}
	b, err := json.Marshal(readInbox(t, n, "v1", 0))
	require.NoError(t, err)
	assert.NotContains(t, string(b), `"no"`, "no choice of anyone's ballot")
	assert.NotContains(t, string(b), "王五", "no names")

	// The grid head hears of new items and of unsatisfied verifications in their grid only.
	assert.Equal(t, []string{"submitted proposal-shed", "unsatisfied action-clear"}, kinds(readInbox(t, n, "h1", 0)))
	// The explicit follower of the action.
	assert.Equal(t, []string{"progress action-clear", "completed action-clear", "unsatisfied action-clear", "completed action-clear", "verified action-clear"}, kinds(readInbox(t, n, "r3", 0)))
	// The explicit follower of the proposal hears of its action too.
	r4 := kinds(readInbox(t, n, "r4", 0))
	assert.Contains(t, r4, "progress action-clear", "following a proposal follows its actions")
	assert.Contains(t, r4, "closed proposal-shed")
	// A time the notification tells reads as RFC 3339 (the zero time when
	// the event has none), in the inbox and in what the outbox delivers.
	var starts []string
	for _, it := range readInbox(t, n, "r1", 0).Items {
		if it.Kind == KindOnAgenda {
			starts = append(starts, it.Detail)
		}
	}
	for _, p := range n.Due(at(100), 0) {
		if p.Kind == KindOnAgenda {
			starts = append(starts, p.Detail)
		}
	}
	assert.Equal(t, []string{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"}, starts, "the story puts the item on the agenda without its start")
	for _, d := range []domain.Event{
		domain.ActionAssigned{ActionID: "clear", Due: at(10)},
		domain.ReminderRaised{ActionID: "clear", Kind: domain.ReminderOverdue, Due: at(10)},
		domain.ProposalPutOnAgenda{ProposalID: "shed", StartsAt: at(10)},
	} {
		told, ok := toldOf(Event{Stream: "s", Data: d})
		require.True(t, ok)
		assert.Equal(t, at(10).UTC().Format(time.RFC3339), told.Detail(), "%T", d)
	}
	// Nobody was told twice of one event.
	for _, p := range []string{"r1", "r2", "r3", "h1", "v1"} {
		in := readInbox(t, n, p, 0)
		idsSeen := map[string]bool{}
		for _, it := range in.Items {
			assert.False(t, idsSeen[it.ID], "%s told twice of %s", p, it.EventID)
			idsSeen[it.ID] = true
			assert.Equal(t, NotificationID(mustUUID(t, it.EventID), p), it.ID)
		}
	}
}

func TestNotificationsOutboxSettlesOnDeliveryEvents(t *testing.T) {
	stored := encode(t, noticeStory())
	v := foldAll(t, stored)
	n := v.Notifications
	due := n.Due(at(100), 0)
	require.NotEmpty(t, due)
	for _, p := range due {
		assert.Equal(t, "r1", p.PersonID, "only r1 has an external channel")
		assert.Equal(t, domain.ChannelWebhook, p.Channel)
	}
	assert.Len(t, due, len(readInbox(t, n, "r1", 0).Items), "one webhook delivery per notification of r1")

	// Record a sent, a failure and a give-up, then fold everything again
	// from the start: a rebuild derives the same ids and knows what was
	// delivered.
	d := func(p Pending) domain.Delivery {
		return domain.Delivery{NotificationID: p.ID, PersonID: p.PersonID, EventID: p.EventID, Item: p.Item, Kind: p.Kind, Channel: p.Channel, Attempt: 1}
	}
	failed := d(due[1])
	failed.Error, failed.Retry = "HTTP 503", at(200)
	more := []domain.Event{
		domain.NotificationSent{Delivery: d(due[0]), At: at(100)},
		domain.NotificationFailed{Delivery: failed, At: at(100)},
		domain.NotificationGaveUp{Delivery: d(due[2]), At: at(100)},
	}
	all := append(slices.Clone(stored), renumber(encode(t, more), stored)...)
	rebuilt := foldAll(t, all).Notifications
	left := rebuilt.Due(at(100), 0)
	assert.Len(t, left, len(due)-3)
	for _, p := range left {
		assert.NotContains(t, []string{due[0].ID, due[1].ID, due[2].ID}, p.ID)
	}
	later := rebuilt.Due(at(200), 0)
	assert.Len(t, later, len(due)-2, "the failed one is due again at its retry")
	assert.Equal(t, rebuilt.PendingCount(), len(due)-2)
}

func TestNotificationsStopAtAnErasure(t *testing.T) {
	evs := append(noticeStory(), domain.DataErased{Subject: domain.ErasePerson, ID: "r1", Ground: domain.GroundRequest, Reason: "本人申请", By: "admin", At: at(11)},
		domain.ProposalReopened{ProposalID: "shed", Reason: "复查", By: "f1", At: at(12)})
	n := foldAll(t, encode(t, evs)).Notifications
	assert.Empty(t, readInbox(t, n, "r1", 0).Items)
	notes, err := n.notes.all("r1")
	require.NoError(t, err)
	assert.Empty(t, notes, "the inbox's table keeps none of the erased person's notifications")
	assert.Zero(t, newest(t, n, "r1"))
	assert.Zero(t, n.PendingCount())
	assert.True(t, n.Erased("r1"))
	assert.False(t, subscriber(t, n, "r1").HasContact)
	assert.Contains(t, kinds(readInbox(t, n, "h1", 0)), "submitted proposal-shed", "others keep theirs")
}

func TestNotificationsSnapshotRoundTrip(t *testing.T) {
	n := foldAll(t, encode(t, noticeStory())).Notifications
	b, err := n.MarshalSnapshot()
	require.NoError(t, err)
	back := NewViews().Notifications
	back.read = n.read
	require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(b)))
	shareTables(back, n)
	assert.Equal(t, readInbox(t, n, "r1", 0), readInbox(t, back, "r1", 0))
	assert.Equal(t, n.Due(at(100), 0), back.Due(at(100), 0))
	assert.Error(t, back.UnmarshalSnapshot(bytes.NewReader([]byte(`{}`))))
}

func TestNotificationsReminders(t *testing.T) {
	owner := domain.Party{Kind: domain.PartyPerson, ID: "o1", Name: "王师傅"}
	evs := []domain.Event{
		domain.GridHeadAppointed{CommunityID: "hengyuan", GridID: "g1", PersonID: "h1", Name: "刘网格长", At: at(0)},
		domain.ActionAssigned{ActionID: "a1", CommunityID: "hengyuan", GridID: "g1", Title: "修路灯", Owner: owner, Due: at(3), By: "f1", At: at(0)},
		domain.ReminderRaised{ReminderID: "x", ActionID: "a1", Kind: domain.ReminderDueSoon, Due: at(3), At: at(2)},
		domain.ReminderRaised{ReminderID: "y", ActionID: "a1", Kind: domain.ReminderOverdue, Due: at(3), At: at(4)},
		domain.ReminderRaised{ReminderID: "z", ActionID: "a1", Kind: domain.ReminderOverdue, Due: at(9), At: at(10)},
	}
	n := foldAll(t, encode(t, evs)).Notifications
	assert.Equal(t, []string{"assigned action-a1", "due_soon action-a1", "overdue action-a1"}, kinds(readInbox(t, n, "o1", 0)), "a reminder for another due date is stale")
	assert.Equal(t, []string{"overdue action-a1"}, kinds(readInbox(t, n, "h1", 0)))
	assert.Equal(t, []OpenAction{{ActionID: "a1", Due: at(3)}}, n.OpenActions())

	done := append(evs, domain.ActionCompleted{ActionID: "a1", At: at(5)})
	assert.Empty(t, foldAll(t, encode(t, done)).Notifications.OpenActions())

	// Found unsatisfactory, it is open again, with the same due date.
	reopened := append(done, domain.ActionVerified{ActionID: "a1", Satisfied: false, At: at(6)})
	assert.Equal(t, []OpenAction{{ActionID: "a1", Due: at(3)}}, foldAll(t, encode(t, reopened)).Notifications.OpenActions())
}

func TestNotificationsInboxSeen(t *testing.T) {
	evs := noticeStory()
	stored := encode(t, evs)
	n := foldAll(t, stored).Notifications
	in := readInbox(t, n, "r3", 0)
	require.Equal(t, 5, in.Unread)
	mid := in.Items[2].Position
	n = foldAll(t, append(slices.Clone(stored), renumber(encode(t, []domain.Event{domain.InboxSeen{PersonID: "r3", Position: uint64(mid), At: at(20)}}), stored)...)).Notifications
	in = readInbox(t, n, "r3", 1)
	assert.Equal(t, 2, in.Unread, "what changed since the last visit")
	assert.Len(t, in.Items, 1)
	assert.Equal(t, mid, in.Seen)
	assert.Equal(t, mid, subscriber(t, n, "r3").Seen, "the settings' answer says the last visit too")
	assert.Zero(t, subscriber(t, n, "r2").Seen)

	// Only who chose something has a record of settings; h1, the grid
	// head told of new items, has an inbox and the defaults.
	notes, err := n.notes.all("h1")
	require.NoError(t, err)
	require.NotEmpty(t, notes)
	assert.NotContains(t, n.st.Subscribers, "h1")
	assert.Contains(t, n.st.Subscribers, "r1", "chose the webhook")
	assert.Contains(t, n.st.Subscribers, "r2", "muted an item")
	assert.Equal(t, domain.DefaultSettings(), subscriber(t, n, "h1").Settings)
}

func TestNotificationsInboxIsBounded(t *testing.T) {
	evs := []domain.Event{domain.ProposalSubmitted{ProposalID: "p", CommunityID: "c", GridID: "g", Title: "t", Author: domain.Party{Kind: domain.PartyPerson, ID: "r1"}, At: at(0)}}
	for i := range inboxCap + 20 {
		evs = append(evs, domain.ProposalReopened{ProposalID: "p", Reason: strings.Repeat("x", i%3+1), By: "f1", At: at(1)})
	}
	in := readInbox(t, foldAll(t, encode(t, evs)).Notifications, "r1", MaxLimit)
	assert.Len(t, in.Items, inboxCap)
	assert.Equal(t, eventstore.Position(len(evs)), in.Items[0].Position, "the newest stay")
}

// renumber gives more positions after those of base, as appends would.
func renumber(more, base []eventstore.Event) []eventstore.Event {
	last := base[len(base)-1]
	for i := range more {
		more[i].Position = last.Position + eventstore.Position(i+1)
		more[i].Recorded = last.Recorded.Add(time.Duration(i+1) * time.Second)
	}
	return more
}

func mustUUID(tb testing.TB, s string) uuid.UUID {
	tb.Helper()
	u, err := uuid.Parse(s)
	require.NoError(tb, err)
	return u
}

// TestLoadedInboxesReadTheSame: a loaded snapshot's inboxes, which keep
// positions only, read back what the fold's do.
func TestLoadedInboxesReadTheSame(t *testing.T) {
	v := foldAll(t, encode(t, noticeStory()))
	snap, err := v.Notifications.MarshalSnapshot()
	require.NoError(t, err)
	loaded := NewViews()
	loaded.Notifications.read = v.Notifications.read
	require.NoError(t, loaded.Notifications.UnmarshalSnapshot(bytes.NewReader(snap)))
	shareTables(loaded.Notifications, v.Notifications)
	for _, person := range []string{"r1", "r2", "h1"} {
		in := readInbox(t, v.Notifications, person, 0)
		require.NotEmpty(t, in.Items, person)
		assert.Equal(t, in, readInbox(t, loaded.Notifications, person, 0), person)
	}
}

// TestInboxReadsBackWhatTheFoldTold: a notification read back from the log
// (toldOf of the event at its position) is the one the fold told at the
// time, as the pending delivery built then holds it, field for field; and
// Newest names the newest one.
func TestInboxReadsBackWhatTheFoldTold(t *testing.T) {
	n := foldAll(t, encode(t, noticeStory())).Notifications
	in := readInbox(t, n, "r1", MaxLimit)
	byID := map[string]Notification{}
	for _, it := range in.Items {
		byID[it.ID] = it
	}
	due := n.Due(at(1000), 0)
	require.NotEmpty(t, due)
	for _, p := range due {
		require.Equal(t, "r1", p.PersonID, "only r1 chose an external channel")
		assert.Equal(t, p.Notification, byID[p.ID])
	}
	assert.Len(t, byID, len(due))
	assert.Equal(t, in.Items[0].Position, newest(t, n, "r1"))
	assert.Zero(t, newest(t, n, "nobody"))
}

// shareTables gives to the tables of from, which its snapshot leaves out
// (a runner keeps them in its table store).
func shareTables(to, from *Notifications) {
	to.proposals, to.actions, to.meetings, to.notes, to.seen = from.proposals, from.actions, from.meetings, from.notes, from.seen
}

// subscriber returns what n knows of person's settings, failing the test
// on an error.
func subscriber(t *testing.T, n *Notifications, person string) Subscriber {
	t.Helper()
	s, err := n.Subscriber(person)
	require.NoError(t, err)
	return s
}

// newest returns the position of the newest notification in person's
// inbox, failing the test on an error.
func newest(t *testing.T, n *Notifications, person string) eventstore.Position {
	t.Helper()
	p, err := n.Newest(person)
	require.NoError(t, err)
	return p
}

// TestAnErasedInboxIsEmptyInTheTableStore: a person's inbox is written to
// the table store with the snapshots, and their erasure empties it there
// too, across a restart.
func TestAnErasedInboxIsEmptyInTheTableStore(t *testing.T) {
	s, dir := mustOpenStore(t), t.TempDir()
	pos := mustAppend(t, s, noticeStory())
	r := mustNew(t, s, Config{Dir: dir})
	require.NoError(t, runUntil(t, r, pos[len(pos)-1]))
	require.NoError(t, r.Close())
	stored := func() map[string]json.RawMessage {
		again := mustNew(t, s, Config{Dir: dir})
		defer func() { require.NoError(t, again.Close()) }()
		all, err := again.Views().Notifications.notes.stored()
		require.NoError(t, err)
		return all
	}
	before := stored()
	require.NotEmpty(t, before["r1"], "r1's inbox is in the store")

	pos = mustAppend(t, s, []domain.Event{domain.DataErased{Subject: domain.ErasePerson, ID: "r1", Ground: domain.GroundRequest, Reason: "本人申请", By: "admin", At: at(11)}})
	r = mustNew(t, s, Config{Dir: dir})
	require.NoError(t, runUntil(t, r, pos[len(pos)-1]))
	require.NoError(t, r.Close())
	after := stored()
	assert.NotContains(t, after, "r1", "the erased inbox is empty in the store")
	assert.Equal(t, before["h1"], after["h1"], "others keep theirs")
}
