package projections

import (
	"cmp"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// Kinds of notification: what a message says happened.
const (
	// KindSubmitted tells a grid head of a new item in their grid.
	KindSubmitted = "submitted"
	// KindAccepted .. KindReopened tell an item's followers of its steps.
	KindAccepted    = "accepted"
	KindRejected    = "rejected"
	KindMerged      = "merged"
	KindWithdrawn   = "withdrawn"
	KindHandled     = "handled_directly"
	KindOnAgenda    = "on_agenda"
	KindDecided     = "decided"
	KindActionSet   = "action_linked"
	KindClosed      = "closed"
	KindReopened    = "reopened"
	KindProgress    = "progress"
	KindCompleted   = "completed"
	KindVerified    = "verified"
	KindUnsatisfied = "unsatisfied"
	KindCancelled   = "cancelled"
	// KindAssigned tells a person that an action is theirs to carry out.
	KindAssigned = "assigned"
	// KindDueSoon and KindOverdue remind an action's owner (and, overdue,
	// the grid head).
	KindDueSoon = "due_soon"
	KindOverdue = "overdue"
	// KindVotingOpened and KindVotingClosed tell a motion's electorate.
	KindVotingOpened = "voting_opened"
	KindVotingClosed = "voting_closed"
	// KindMinutes tells a meeting's followers that its minutes are out.
	KindMinutes = "minutes_published"
)

// Details of a notification (Notification.Detail).
const (
	DetailAdopted    = "adopted"
	DetailNotAdopted = "not_adopted"
)

// inboxCap bounds the notifications a person's inbox shows: the newest
// (the table keeps them all, one key each). Deliveries on external
// channels are not bounded by it.
const inboxCap = 100

// notificationSpace is the UUID namespace of notification ids.
var notificationSpace = uuid.MustParse("6f1d3c1e-2b7a-4e39-9a55-1f0e6c8d4b20")

// NotificationID is the id of the notification that tells person of the
// event with id eventID: the same on every rebuild and every backend.
func NotificationID(eventID uuid.UUID, person string) string {
	// uuid.NewSHA1(notificationSpace, eventID ‖ person), computed without
	// its three allocations (a hash, the joined name, the sum): a replay
	// makes one for every notification (TestNotificationIDIsUUIDv5).
	var buf [96]byte
	sum := sha1.Sum(append(append(append(buf[:0], notificationSpace[:]...), eventID[:]...), person...))
	var id uuid.UUID
	copy(id[:], sum[:])
	id[6] = id[6]&0x0f | 0x50 // version 5
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id.String()
}

// Notification is one event told to one person. It holds no personal
// data: the item's title (public record), what happened, and ids.
type Notification struct {
	ID       string              `json:"id"`
	PersonID string              `json:"person_id"`
	EventID  string              `json:"event_id"`
	Position eventstore.Position `json:"position"`
	// Item is the stream of the item it is about; Kind what happened.
	Item string `json:"item"`
	Kind string `json:"kind"`
	// Title is the item's title.
	Title string `json:"title"`
	// Detail adds to Kind: adopted or not, a percentage, a due date.
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
}

// Pending is a notification still to deliver on one external channel.
type Pending struct {
	Notification
	Channel string `json:"channel"`
	// Attempts counts the attempts recorded so far; Retry is when the next
	// is due (zero: now).
	Attempts int       `json:"attempts"`
	Retry    time.Time `json:"retry,omitzero"`
}

// Key is the pending delivery's key: notification and channel.
func (p Pending) Key() string { return p.ID + "/" + p.Channel }

// Subscriber is what the outbox knows of a person's settings: never their
// contact or their browsers' addresses (the dispatcher reads those from
// the ledger when it sends).
type Subscriber struct {
	PersonID string                      `json:"person_id"`
	Settings domain.NotificationSettings `json:"settings"`
	// Chosen reports whether the person chose settings; otherwise Settings
	// are the defaults.
	Chosen     bool `json:"chosen"`
	HasContact bool `json:"has_contact"`
	Devices    int  `json:"devices"`
	// Follows are the items followed explicitly; Unfollows the ones muted.
	Follows   []string `json:"follows"`
	Unfollows []string `json:"unfollows"`
	// Seen is the position of the person's last visit to their inbox
	// (kept with the inbox; Notifications.Subscriber fills it in).
	Seen eventstore.Position `json:"seen"`
}

// Channels returns the external channels a notification goes out on now.
func (s *Subscriber) Channels() []string {
	var out []string
	want := func(ch string) bool { return s.Settings.Channels == nil || slices.Contains(s.Settings.Channels, ch) }
	if s.Devices > 0 && want(domain.ChannelPush) {
		out = append(out, domain.ChannelPush)
	}
	if s.HasContact && want(domain.ChannelWebhook) {
		out = append(out, domain.ChannelWebhook)
	}
	return out
}

// Inbox is a person's in-app notifications, newest first.
type Inbox struct {
	Items []Notification `json:"items"`
	// Unread counts the items newer than Seen, the person's last visit.
	Unread int                 `json:"unread"`
	Seen   eventstore.Position `json:"seen"`
}

// OpenAction is an open action with a person or unit owning it, for the
// reminders.
type OpenAction struct {
	ActionID string    `json:"action_id"`
	Due      time.Time `json:"due"`
}

// Notifications is the outbox: it derives from the log who must be told
// of each event (an item's author, supporters and followers, an action's
// owner, a motion's electorate, a grid's head), keeps each person's inbox
// and settings, and the deliveries still due on external channels, which
// the delivery events of the log settle. Because it is a fold, a rebuild
// derives the same notifications with the same ids and knows which were
// delivered: it never sends twice.
type Notifications struct {
	mu *sync.RWMutex
	st notifyState
	// The proposals, actions and meetings the outbox follows, kept in
	// tables: the fold reads them, and an inbox's read the titles of its
	// notifications' items.
	proposals, actions, meetings *entries[notifyItem]
	// notes holds the notifications of every person told of something,
	// by person, in a table: a city has hundreds of thousands of them, and
	// an inbox is read one at a time, by its person's pages. A
	// notification is kept as the position of the event it tells: what it
	// says is a function of that event (toldOf) and the item's title, read
	// back from the log when the inbox is read. seen holds the position of
	// each person's last visit (Subscriber says it).
	notes *lists
	seen  *entries[eventstore.Position]
	// read reads the events an inbox holds back from the log (the runner
	// sets it, as the timeline's).
	read LogReader
	// to is the persons to tell of the event being applied: one list
	// reused from event to event, as Apply runs under the write lock.
	to []string
	// stream is the name of a proposal's stream, made in place to look
	// its followers up (proposalFollowers), reused likewise.
	stream []byte
}

type notifyState struct {
	// OpenDue holds the due date of every open action that has one, for
	// the reminders.
	OpenDue   map[string]time.Time `json:"open_due"`
	GridHeads map[string]string    `json:"grid_heads"`
	// Followers indexes the explicit follows: item stream → persons.
	Followers map[string][]string `json:"followers"`
	// Subscribers holds the persons who chose settings, follow or mute
	// items, or registered a browser; anyone else has the defaults and
	// no record.
	Subscribers map[string]*Subscriber `json:"subscribers"`
	Pending     map[string]*Pending    `json:"pending"`
	Erased      map[string]bool        `json:"erased"`
}

// notifyItem is a proposal, action or meeting as the outbox follows it.
type notifyItem struct {
	Title     string `json:"title"`
	Community string `json:"community"`
	Grid      string `json:"grid"`
	// Persons are the ledger's followers: a proposal's author and
	// supporters, an action's owner.
	Persons []string `json:"persons,omitempty"`
	// Proposal links an action to its proposal.
	Proposal string `json:"proposal,omitempty"`
	// Motions holds a meeting's electorates while voting is open.
	Motions map[string][]string `json:"motions,omitempty"`
	// Due and Open are an action's, for reminders.
	Due  time.Time `json:"due,omitzero"`
	Open bool      `json:"open,omitempty"`
}

// told is what the notification of an event says, whoever it goes to: the
// stream of the item it is about, what happened and its detail, and which
// item holds the title.
type told struct {
	Item, Kind string
	// detail adds to Kind (Notification.Detail); when, if timed, is
	// there instead for a time (a meeting's start, a due date), formatted
	// only when a notification is made of it (Detail): the fold keeps most
	// of what it tells as a position alone.
	detail string
	when   time.Time
	timed  bool
	// of is the map holding the item (Proposals, Actions or Meetings),
	// id its key there.
	of byte
	id string
}

// Detail is what t adds to its Kind.
func (t told) Detail() string {
	if t.timed {
		return t.when.UTC().Format(time.RFC3339)
	}
	return t.detail
}

// The maps an item of a notification is kept in (told.of).
const (
	inProposals byte = 'p'
	inActions   byte = 'a'
	inMeetings  byte = 'm'
)

// toldOf returns what the notification of e says, or false for an event
// that tells no one. The fold and the inbox's read both use it, so a
// notification read back from the log says what the fold told.
func toldOf(e Event) (told, bool) {
	about := func(of byte) func(id, kind, detail string) (told, bool) {
		return func(id, kind, detail string) (told, bool) {
			return told{Item: e.Stream, Kind: kind, detail: detail, of: of, id: id}, true
		}
	}
	proposal, action, meeting := about(inProposals), about(inActions), about(inMeetings)
	switch d := e.Data.(type) {
	case domain.ProposalSubmitted:
		return proposal(d.ProposalID, KindSubmitted, "")
	case domain.ProposalAccepted:
		return proposal(d.ProposalID, KindAccepted, "")
	case domain.ProposalRejected:
		return proposal(d.ProposalID, KindRejected, "")
	case domain.ProposalMerged:
		return proposal(d.ProposalID, KindMerged, d.SurvivorID)
	case domain.ProposalWithdrawn:
		return proposal(d.ProposalID, KindWithdrawn, "")
	case domain.ProposalHandledDirectly:
		return proposal(d.ProposalID, KindHandled, "")
	case domain.ProposalPutOnAgenda:
		t, ok := proposal(d.ProposalID, KindOnAgenda, "")
		t.when, t.timed = d.StartsAt, true
		return t, ok
	case domain.ProposalDecided:
		return proposal(d.ProposalID, KindDecided, adopted(d.Adopted))
	case domain.ProposalActionLinked:
		return proposal(d.ProposalID, KindActionSet, d.ActionID)
	case domain.ProposalClosed:
		return proposal(d.ProposalID, KindClosed, "")
	case domain.ProposalReopened:
		return proposal(d.ProposalID, KindReopened, "")
	case domain.ActionAssigned:
		t, ok := action(d.ActionID, KindAssigned, "")
		t.when, t.timed = d.Due, true
		return t, ok
	case domain.ActionProgressReported:
		return action(d.ActionID, KindProgress, strconv.Itoa(d.Percent))
	case domain.ActionCompleted:
		return action(d.ActionID, KindCompleted, "")
	case domain.ActionVerified:
		if d.Satisfied {
			return action(d.ActionID, KindVerified, "")
		}
		return action(d.ActionID, KindUnsatisfied, "")
	case domain.ActionCancelled:
		return action(d.ActionID, KindCancelled, "")
	case domain.ReminderRaised:
		kind := KindDueSoon
		if d.Kind == domain.ReminderOverdue {
			kind = KindOverdue
		}
		return told{Item: domain.ActionStream(d.ActionID), Kind: kind, when: d.Due, timed: true, of: inActions, id: d.ActionID}, true
	case domain.VotingOpened:
		return meeting(d.MeetingID, KindVotingOpened, d.MotionID)
	case domain.VotingClosed:
		return meeting(d.MeetingID, KindVotingClosed, adopted(d.Tally.Adopted))
	case domain.MinutesPublished:
		return meeting(d.MeetingID, KindMinutes, "")
	}
	return told{}, false
}

// item returns the item that holds t's title, nil if the outbox never met it.
func (n *Notifications) item(t told) (*notifyItem, error) {
	switch t.of {
	case inProposals:
		return n.proposals.get(t.id)
	case inActions:
		return n.actions.get(t.id)
	case inMeetings:
		return n.meetings.get(t.id)
	}
	return nil, nil
}

// notification is the notification of e to person, as t says it about it.
func notification(e Event, t told, it *notifyItem, person string) Notification {
	return Notification{ID: NotificationID(e.ref.ID, person), PersonID: person, EventID: e.ref.ID.String(), Position: e.Position,
		Item: t.Item, Kind: t.Kind, Title: it.Title, Detail: t.Detail(), At: e.Recorded}
}

func newNotifications(mu *sync.RWMutex) *Notifications {
	n := &Notifications{mu: mu, proposals: newEntries[notifyItem]("proposals"),
		actions: newEntries[notifyItem]("actions"), meetings: newEntries[notifyItem]("meetings"),
		notes: newLists("notes"), seen: newEntries[eventstore.Position]("seen")}
	n.st = emptyNotifyState()
	return n
}

func emptyNotifyState() notifyState {
	return notifyState{OpenDue: map[string]time.Time{},
		GridHeads: map[string]string{}, Followers: map[string][]string{}, Subscribers: map[string]*Subscriber{},
		Pending: map[string]*Pending{}, Erased: map[string]bool{}}
}

// Name implements View.
func (n *Notifications) Name() string { return "notifications" }

// Version implements View.
func (n *Notifications) Version() int { return 7 }

// tables implements tabled.
func (n *Notifications) tables() []table {
	return []table{n.proposals, n.actions, n.meetings, n.notes, n.seen}
}

// MarshalSnapshot implements View.
func (n *Notifications) MarshalSnapshot() ([]byte, error) { return gojson.Marshal(&n.st) }

// mapSizes implements sized.
func (n *Notifications) mapSizes() map[string]int { return mapSizesOf(&n.st) }

// UnmarshalSnapshot implements View.
func (n *Notifications) UnmarshalSnapshot(r io.Reader) error {
	var st notifyState
	if err := decodeSnapshot(r, &st); err != nil {
		return fmt.Errorf("notifications snapshot: %w", err)
	}
	if st.OpenDue == nil || st.GridHeads == nil || st.Followers == nil || st.Subscribers == nil || st.Pending == nil || st.Erased == nil {
		return fmt.Errorf("notifications snapshot: missing maps")
	}
	n.st = st
	return nil
}

// Apply implements View.
func (n *Notifications) Apply(e Event) error {
	if err := n.apply(e); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	return nil
}

func (n *Notifications) apply(e Event) error {
	t, _ := toldOf(e)
	switch d := e.Data.(type) {
	case domain.GridHeadAppointed:
		n.st.GridHeads[d.CommunityID+"/"+d.GridID] = d.PersonID
	case domain.ProposalSubmitted:
		it := followed(notifyItem{Title: d.Title, Community: d.CommunityID, Grid: d.GridID}, personOf(d.Author))
		n.proposals.put(d.ProposalID, it)
		return n.tell(e, it, t, n.gridHead(it)...)
	case domain.ProposalSupported:
		return n.addPersons(d.ProposalID, d.PersonID)
	case domain.ProposalDuplicateAbsorbed:
		return n.addPersons(d.ProposalID, d.NewSupporters...)
	case domain.ProposalAccepted:
		return n.tellProposal(e, d.ProposalID, t)
	case domain.ProposalRejected:
		return n.tellProposal(e, d.ProposalID, t)
	case domain.ProposalMerged:
		return n.tellProposal(e, d.ProposalID, t)
	case domain.ProposalWithdrawn:
		return n.tellProposal(e, d.ProposalID, t)
	case domain.ProposalHandledDirectly:
		return n.tellProposal(e, d.ProposalID, t)
	case domain.ProposalPutOnAgenda:
		return n.tellProposal(e, d.ProposalID, t)
	case domain.ProposalDecided:
		return n.tellProposal(e, d.ProposalID, t)
	case domain.ProposalActionLinked:
		return n.tellProposal(e, d.ProposalID, t)
	case domain.ProposalClosed:
		return n.tellProposal(e, d.ProposalID, t)
	case domain.ProposalReopened:
		return n.tellProposal(e, d.ProposalID, t)
	case domain.ActionAssigned:
		it := followed(notifyItem{Title: d.Title, Community: d.CommunityID, Grid: d.GridID, Proposal: d.ProposalID, Due: d.Due, Open: true}, personOf(d.Owner))
		n.actions.put(d.ActionID, it)
		n.opened(d.ActionID, it)
		return n.tell(e, it, t, it.Persons...)
	case domain.ActionProgressReported:
		return n.tellAction(e, d.ActionID, t, false)
	case domain.ActionCompleted:
		return n.tellAction(e, d.ActionID, t, true)
	case domain.ActionVerified:
		if d.Satisfied {
			return n.tellAction(e, d.ActionID, t, false)
		}
		it, err := n.actions.edit(d.ActionID)
		if err != nil {
			return err
		}
		if it != nil {
			it.Open = true
			n.opened(d.ActionID, it)
		}
		return n.tellAction(e, d.ActionID, t, false, n.gridHead(it)...)
	case domain.ActionCancelled:
		return n.tellAction(e, d.ActionID, t, true)
	case domain.ReminderRaised:
		it, err := n.actions.get(d.ActionID)
		if it == nil || !it.Open || !it.Due.Equal(d.Due) {
			return err
		}
		var extra []string
		if d.Kind == domain.ReminderOverdue {
			extra = n.gridHead(it)
		}
		n.to = append(append(n.to[:0], it.Persons...), extra...)
		return n.tell(e, it, t, n.to...)
	case domain.MeetingScheduled:
		n.meetings.put(d.MeetingID, &notifyItem{Title: d.Title, Community: d.CommunityID, Grid: d.GridID})
	case domain.VotingOpened:
		m, err := n.meetings.edit(d.MeetingID)
		if m == nil {
			return err
		}
		voters := make([]string, len(d.Electorate))
		for i, v := range d.Electorate {
			voters[i] = v.PersonID
		}
		if m.Motions == nil {
			m.Motions = map[string][]string{}
		}
		m.Motions[d.MotionID] = voters
		return n.tell(e, m, t, n.followers(append(n.to[:0], voters...), e.Stream, nil)...)
	case domain.VotingClosed:
		m, err := n.meetings.edit(d.MeetingID)
		if m == nil {
			return err
		}
		voters := m.Motions[d.MotionID]
		delete(m.Motions, d.MotionID)
		return n.tell(e, m, t, n.followers(append(n.to[:0], voters...), e.Stream, nil)...)
	case domain.MinutesPublished:
		m, err := n.meetings.get(d.MeetingID)
		if m == nil {
			return err
		}
		return n.tell(e, m, t, n.followers(n.to[:0], e.Stream, nil)...)
	case domain.ItemFollowed:
		p := n.person(d.PersonID)
		p.Follows, p.Unfollows = addOnce(p.Follows, d.Item), remove(p.Unfollows, d.Item)
		n.st.Followers[d.Item] = addOnce(n.st.Followers[d.Item], d.PersonID)
	case domain.ItemUnfollowed:
		p := n.person(d.PersonID)
		p.Unfollows, p.Follows = addOnce(p.Unfollows, d.Item), remove(p.Follows, d.Item)
		if f := remove(n.st.Followers[d.Item], d.PersonID); len(f) > 0 {
			n.st.Followers[d.Item] = f
		} else {
			delete(n.st.Followers, d.Item)
		}
	case domain.NotificationSettingsChanged:
		p := n.person(d.PersonID)
		p.Settings, p.Chosen, p.HasContact = d.Settings, true, d.Contact != ""
	case domain.PushDeviceRegistered:
		n.person(d.PersonID).Devices++
	case domain.PushDeviceRemoved:
		p := n.person(d.PersonID)
		p.Devices = max(p.Devices-1, 0)
	case domain.InboxSeen:
		seen, err := n.seen.editOrNew(d.PersonID)
		if err != nil {
			return err
		}
		*seen = max(*seen, eventstore.Position(d.Position))
	case domain.NotificationSent:
		delete(n.st.Pending, d.NotificationID+"/"+d.Channel)
	case domain.NotificationGaveUp:
		delete(n.st.Pending, d.NotificationID+"/"+d.Channel)
	case domain.NotificationFailed:
		if p := n.st.Pending[d.NotificationID+"/"+d.Channel]; p != nil {
			p.Attempts, p.Retry = max(p.Attempts, d.Attempt), d.Retry
		}
	case domain.DataErased:
		if d.Subject != domain.ErasePerson {
			return nil
		}
		n.st.Erased[d.ID] = true
		if p := n.st.Subscribers[d.ID]; p != nil {
			for _, item := range p.Follows {
				n.st.Followers[item] = remove(n.st.Followers[item], d.ID)
			}
		}
		delete(n.st.Subscribers, d.ID)
		// The inbox's notifications go, and the last visit.
		n.notes.clear(d.ID)
		seen, err := n.seen.edit(d.ID)
		if err != nil {
			return err
		}
		if seen != nil {
			*seen = 0
		}
		for k, p := range n.st.Pending {
			if p.PersonID == d.ID {
				delete(n.st.Pending, k)
			}
		}
	}
	return nil
}

// adopted names a decision's outcome.
func adopted(ok bool) string {
	if ok {
		return DetailAdopted
	}
	return DetailNotAdopted
}

// remove drops s from list.
func remove(list []string, s string) []string {
	return slices.DeleteFunc(list, func(x string) bool { return x == s })
}

// followedItem is an item made with room for its first followers.
type followedItem struct {
	notifyItem
	room [4]string
}

// followed returns a copy of it, followed by person unless person is "",
// made with room for three more followers: a proposal's author and its
// first supporters, or an action's owner, cost no allocation of their own.
func followed(it notifyItem, person string) *notifyItem {
	if person == "" {
		p := new(notifyItem)
		*p = it
		return p
	}
	f := &followedItem{notifyItem: it}
	f.room[0] = person
	f.Persons = f.room[:1:len(f.room)]
	return &f.notifyItem
}

// personOf returns the id of p when p is a person, else "".
func personOf(p domain.Party) string {
	if p.Kind != domain.PartyPerson {
		return ""
	}
	return p.ID
}

// addOnce appends s to list unless it is there.
func addOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// addPersons adds persons to a proposal's followers.
func (n *Notifications) addPersons(proposal string, persons ...string) error {
	it, err := n.proposals.edit(proposal)
	if it == nil {
		return err
	}
	for _, p := range persons {
		it.Persons = addOnce(it.Persons, p)
	}
	return nil
}

// opened keeps an open action's due date for the reminders.
func (n *Notifications) opened(id string, it *notifyItem) {
	if !it.Due.IsZero() {
		n.st.OpenDue[id] = it.Due
	}
}

func (n *Notifications) gridHead(it *notifyItem) []string {
	if it == nil {
		return nil
	}
	if h, ok := n.st.GridHeads[it.Community+"/"+it.Grid]; ok {
		return []string{h}
	}
	return nil
}

// followers appends to to the persons the ledger gives an item (ledger)
// and the ones who follow its stream explicitly, and keeps the list as
// n.to for the next event.
func (n *Notifications) followers(to []string, stream string, ledger []string) []string {
	return n.with(to, ledger, n.st.Followers[stream])
}

// proposalStream is the start of every proposal's stream name.
var proposalStream = domain.ProposalStream("")

// proposalFollowers is followers of the proposal id's stream, whose name
// it makes in place (n.stream) rather than anew for each action event.
func (n *Notifications) proposalFollowers(to []string, id string, ledger []string) []string {
	n.stream = append(append(n.stream[:0], proposalStream...), id...)
	return n.with(to, ledger, n.st.Followers[string(n.stream)])
}

// with appends ledger and following to to, and keeps the list as n.to.
func (n *Notifications) with(to, ledger, following []string) []string {
	n.to = append(append(to, ledger...), following...)
	return n.to
}

func (n *Notifications) tellProposal(e Event, id string, t told) error {
	it, err := n.proposals.get(id)
	if it == nil {
		return err
	}
	return n.tell(e, it, t, n.followers(n.to[:0], e.Stream, it.Persons)...)
}

// tellAction tells an action's owner, its followers and its proposal's
// followers, and extra; closing ends its reminders. extra must not be
// n.to, which it reuses.
func (n *Notifications) tellAction(e Event, id string, t told, closing bool, extra ...string) error {
	get := n.actions.get
	if closing {
		get = n.actions.edit
	}
	it, err := get(id)
	if it == nil {
		return err
	}
	if closing {
		it.Open = false
		delete(n.st.OpenDue, id)
	}
	to := n.followers(n.to[:0], e.Stream, it.Persons)
	if it.Proposal != "" {
		p, err := n.proposals.get(it.Proposal)
		if err != nil {
			return err
		}
		if p != nil {
			to = n.proposalFollowers(to, it.Proposal, p.Persons)
		}
	}
	n.to = append(to, extra...)
	return n.tell(e, it, t, n.to...)
}

// tell records a notification of e for each person in to: once per
// person, never to the event's own actor, an erased person, or one who
// unfollowed the item.
func (n *Notifications) tell(e Event, it *notifyItem, t told, to ...string) error {
	if it == nil {
		return nil
	}
	muted := func(p *Subscriber) bool {
		return p != nil && (slices.Contains(p.Unfollows, t.Item) || it.Proposal != "" && slices.Contains(p.Unfollows, domain.ProposalStream(it.Proposal)))
	}
	for i, person := range to {
		if person == "" || person == e.Actor || slices.Contains(to[:i], person) || n.st.Erased[person] {
			continue
		}
		p := n.st.Subscribers[person]
		if muted(p) {
			continue
		}
		n.notes.add(person, e.Position)
		if p == nil {
			continue // the defaults: in-app only
		}
		for _, ch := range p.Channels() {
			pd := &Pending{Notification: notification(e, t, it, person), Channel: ch}
			n.st.Pending[pd.Key()] = pd
		}
	}
	return nil
}

// person returns the outbox's record of a person's settings, creating it.
func (n *Notifications) person(id string) *Subscriber {
	p := n.st.Subscribers[id]
	if p == nil {
		p = &Subscriber{PersonID: id, Settings: domain.DefaultSettings()}
		n.st.Subscribers[id] = p
	}
	return p
}

// Inbox returns a person's inbox, newest first, at most limit items. The
// events it tells are read back from the log, outside the views' lock.
func (n *Notifications) Inbox(ctx context.Context, person string, limit int) (Inbox, error) {
	n.mu.RLock()
	kept, err := n.notes.last(person, inboxCap)
	var seen *eventstore.Position
	if err == nil {
		seen, err = n.seen.get(person)
	}
	if err != nil {
		n.mu.RUnlock()
		return Inbox{}, fmt.Errorf("notifications: the inbox of %s: %w", person, err)
	}
	out := Inbox{Items: []Notification{}}
	if seen != nil {
		out.Seen = *seen
	}
	if len(kept) == 0 {
		n.mu.RUnlock()
		return out, nil
	}
	for _, pos := range kept {
		if pos > out.Seen {
			out.Unread++
		}
	}
	// The newest, oldest first: the log is read forwards.
	page := slices.Clone(kept[max(len(kept)-pageLimit(limit), 0):])
	n.mu.RUnlock()
	if n.read == nil {
		return Inbox{}, errors.New("notifications: no reader of the log")
	}
	evs, err := n.read(ctx, page)
	if err != nil {
		return Inbox{}, fmt.Errorf("notifications: read the inbox of %s: %w", person, err)
	}
	out.Items = make([]Notification, 0, len(evs))
	n.mu.RLock()
	defer n.mu.RUnlock()
	for i := len(evs) - 1; i >= 0; i-- {
		t, ok := toldOf(evs[i])
		it, err := n.item(t)
		if err != nil {
			return Inbox{}, fmt.Errorf("notifications: read the inbox of %s: %w", person, err)
		}
		if !ok || it == nil {
			return Inbox{}, fmt.Errorf("notifications: the event at position %d tells no one", evs[i].Position)
		}
		out.Items = append(out.Items, notification(evs[i], t, it, person))
	}
	return out, nil
}

// Newest returns the position of the newest notification in a person's
// inbox, 0 when it is empty.
func (n *Notifications) Newest(person string) (eventstore.Position, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	newest, err := n.notes.last(person, 1)
	if err != nil {
		return 0, fmt.Errorf("notifications: the inbox of %s: %w", person, err)
	}
	if len(newest) > 0 {
		return newest[0], nil
	}
	return 0, nil
}

// Subscriber returns what the outbox knows of a person's settings: the
// defaults for a person it never met.
func (n *Notifications) Subscriber(person string) (Subscriber, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	s := Subscriber{PersonID: person, Settings: domain.DefaultSettings(), Follows: []string{}, Unfollows: []string{}}
	if p := n.st.Subscribers[person]; p != nil {
		s = *p
		s.Settings.Channels = slices.Clone(s.Settings.Channels)
		s.Follows, s.Unfollows = append([]string{}, p.Follows...), append([]string{}, p.Unfollows...)
	}
	seen, err := n.seen.get(person)
	if err != nil {
		return Subscriber{}, fmt.Errorf("notifications: the last visit of %s: %w", person, err)
	}
	if seen != nil {
		s.Seen = *seen
	}
	return s, nil
}

// Erased reports whether the outbox saw the person's erasure.
func (n *Notifications) Erased(person string) bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.st.Erased[person]
}

// Due returns the deliveries whose next attempt is due at now, oldest
// event first, at most limit.
func (n *Notifications) Due(now time.Time, limit int) []Pending {
	n.mu.RLock()
	defer n.mu.RUnlock()
	var out []Pending
	for _, p := range n.st.Pending {
		if !p.Retry.After(now) {
			out = append(out, *p)
		}
	}
	slices.SortFunc(out, func(a, b Pending) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.PersonID, b.PersonID), cmp.Compare(a.Channel, b.Channel))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// PendingCount is how many deliveries are not yet settled.
func (n *Notifications) PendingCount() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.st.Pending)
}

// OpenActions returns the open actions that have a due date, for the
// reminders, ordered by due date.
func (n *Notifications) OpenActions() []OpenAction {
	n.mu.RLock()
	out := make([]OpenAction, 0, len(n.st.OpenDue))
	for id, due := range n.st.OpenDue {
		out = append(out, OpenAction{ActionID: id, Due: due})
	}
	n.mu.RUnlock() // sorted without it: the fold waits for no sort
	slices.SortFunc(out, func(a, b OpenAction) int { return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.ActionID, b.ActionID)) })
	return out
}
