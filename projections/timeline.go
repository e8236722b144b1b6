package projections

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	gojson "github.com/goccy/go-json"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// Entry is one step of a proposal's story.
type Entry struct {
	Position eventstore.Position `json:"position"`
	Stream   string              `json:"stream"`
	Revision uint64              `json:"revision"`
	Type     string              `json:"type"`
	// At is when it happened (the event's own time).
	At time.Time `json:"at"`
	// Recorded is when the event was recorded (eventstore.Event.Recorded).
	Recorded  time.Time `json:"recorded"`
	MeetingID string    `json:"meeting_id,omitempty"`
	MotionID  string    `json:"motion_id,omitempty"`
	ActionID  string    `json:"action_id,omitempty"`
	// Summary is the step's main text: a title, a reason, a motion, a note.
	Summary string `json:"summary,omitempty"`
	// PersonName is the person the step is about (author, supporter,
	// speaker, verifier), masked in public views.
	PersonName string `json:"person_name,omitempty"`
	// Report is what the proposal's first step reports: where, what
	// kind, by which channel, and its text.
	Report *Report `json:"report,omitempty"`
	// Photos are the SHA-256 references of the step's photos: the
	// report's, a progress report's or occurrence's, a completion's
	// evidence, a verifier's. An erased photo's reference is the erased marker.
	Photos []string `json:"photos,omitempty"`
	// Tally is the computed tally of a closed vote.
	Tally     *domain.Tally `json:"tally,omitempty"`
	Percent   int           `json:"percent,omitempty"`
	Satisfied *bool         `json:"satisfied,omitempty"`
	// Method and Note say how staff obtained what they recorded on
	// someone's behalf: a verifier's verdict (a phone call, a visit …), an
	// objection (domain.RecordedSpoken or RecordedInWriting); empty when
	// the person recorded it themselves.
	Method string `json:"method,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Report is the submission of a proposal as its story tells it.
type Report struct {
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	CompoundID  string `json:"compound_id,omitempty"`
	Category    string `json:"category"`
	Channel     string `json:"channel"`
	Place       string `json:"place"`
	Text        string `json:"text"`
}

// Story is one page of a proposal's timeline.
type Story struct {
	ProposalID string  `json:"proposal_id"`
	Entries    []Entry `json:"entries"`
	// Next is the cursor of the next page, empty on the last page.
	Next string `json:"next,omitempty"`
}

// Timeline is the story of every proposal, in global order: its own
// stream, the meetings that discussed it (their scheduling, the invitation
// of the people and units concerned, attendance, agenda, statements,
// motions, votes as their tallies, consensus, mediation, minutes), and its
// actions with their progress and verification. Single ballots are not
// steps: a closed vote's tally is.
//
// The view keeps only where each step is: the positions of a story's
// events in the global log, in a table by proposal (a city's ledger holds
// hundreds of thousands of stories, and a read needs only its own). A page
// of a story reads those events from the log and tells each as an Entry
// (entryOf), so the view holds eight bytes a step, not the steps' texts.
type Timeline struct {
	mu *sync.RWMutex
	st timelineState
	// read reads events of the log at positions, decoded as the fold
	// decodes them; set by the runner.
	read LogReader
	// cache keeps the stories read lately.
	cache storyCache
	// heads keeps the head of each story read lately (storyHead): what a
	// read's answer key needs, without reading the story's list from its
	// table. A head is kept under the read lock the list was read under,
	// and the fold forgets a story's head as it adds a step to it, under
	// the write lock, so a kept head is the story as it is. headsUsed
	// spares a fold that no read came before (a rebuild) the forgetting.
	heads     *lru.Cache[string, storyHead]
	headsUsed atomic.Bool
	// stories holds the positions of each proposal's story's steps.
	stories *lists
	// The fold's own maps, kept in tables (no query reads them): a
	// meeting's item ("<meeting>/<item>"), motion or mediation
	// ("<meeting>/<motion>") and an action to its proposal, and a meeting
	// to the proposals on its agenda.
	items, motions, actions *entries[string]
	meetings                *entries[[]string]
}

// LogReader reads the events at positions of the global log, decoded as
// the runner decodes them for the fold, in the order given.
type LogReader func(ctx context.Context, positions []eventstore.Position) ([]Event, error)

// storyHead is how many steps a story has and where its last step is.
type storyHead struct {
	steps int
	last  eventstore.Position
}

// storyHeadsKept is how many stories' heads the timeline keeps: about
// 150 bytes each with the cache's own, some 2.5 MB.
const storyHeadsKept = 16384

type timelineState struct {
	// Convened holds, until a meeting adjourns, the steps that convened it
	// (its scheduling, invitations, attendance), so that a proposal put on
	// its agenda later gets them too.
	Convened map[string][]eventstore.Position `json:"convened"`
}

func newTimeline(mu *sync.RWMutex) *Timeline {
	heads, err := lru.New[string, storyHead](storyHeadsKept)
	if err != nil {
		panic(fmt.Sprintf("projections: the timeline's heads: %v", err)) // storyHeadsKept is positive
	}
	return &Timeline{mu: mu, st: timelineState{Convened: map[string][]eventstore.Position{}},
		stories: newLists("stories"), heads: heads,
		items: newEntries[string]("items"), motions: newEntries[string]("motions"),
		meetings: newEntries[[]string]("meetings"), actions: newEntries[string]("actions"),
	}
}

// Name implements View.
func (t *Timeline) Name() string { return "timeline" }

// Version implements View.
func (t *Timeline) Version() int { return 11 }

// tables implements tabled.
func (t *Timeline) tables() []table {
	return []table{t.stories, t.items, t.motions, t.meetings, t.actions}
}

// MarshalSnapshot implements View.
func (t *Timeline) MarshalSnapshot() ([]byte, error) { return gojson.Marshal(&t.st) }

// mapSizes implements sized.
func (t *Timeline) mapSizes() map[string]int { return mapSizesOf(&t.st) }

// UnmarshalSnapshot implements View.
func (t *Timeline) UnmarshalSnapshot(r io.Reader) error {
	var st timelineState
	if err := decodeSnapshot(r, &st); err != nil {
		return fmt.Errorf("timeline snapshot: %w", err)
	}
	if st.Convened == nil {
		return fmt.Errorf("timeline snapshot: missing maps")
	}
	t.st = st
	t.cache.clear()
	t.heads.Purge()
	return nil
}

// add appends the step at p to the story of proposal id. The events that
// name a proposal follow its submission, so the story is not read first.
func (t *Timeline) add(id string, p eventstore.Position) error {
	if id != "" {
		t.file(id, p)
	}
	return nil
}

// file files the step at p in the story of proposal id, and forgets the
// story's head kept for reads.
func (t *Timeline) file(id string, p eventstore.Position) {
	t.stories.add(id, p)
	if t.headsUsed.Load() {
		t.heads.Remove(id)
	}
}

// toMeeting appends the step at p to the story of every proposal on the
// meeting's agenda.
func (t *Timeline) toMeeting(meetingID string, p eventstore.Position) error {
	ids, err := t.meetings.get(meetingID)
	if ids == nil {
		return err
	}
	for _, id := range *ids {
		if err := t.add(id, p); err != nil {
			return err
		}
	}
	return nil
}

// proposalOf returns the proposal tb maps key to, "" if none.
func proposalOf(tb *entries[string], key string) (string, error) {
	id, err := tb.get(key)
	if id == nil {
		return "", err
	}
	return *id, nil
}

// addVia appends the step at p to the story of the proposal tb maps key to.
func (t *Timeline) addVia(tb *entries[string], key string, p eventstore.Position) error {
	id, err := proposalOf(tb, key)
	if err != nil {
		return err
	}
	return t.add(id, p)
}

// listOf returns a list holding id, made with room for three more ids in
// the same allocation: most agendas hold a few proposals.
func listOf(id string) *[]string {
	r := &struct {
		list []string
		room [4]string
	}{}
	r.room[0] = id
	r.list = r.room[:1:len(r.room)]
	return &r.list
}

// motion appends the step at p to the story of the proposal a motion or
// mediation of a meeting is about.
func (t *Timeline) motion(meetingID, motionID string, p eventstore.Position) error {
	return t.addVia(t.motions, meetingID+"/"+motionID, p)
}

// Apply implements View: it files the event's position in the stories it
// belongs to; entryOf says what the step tells.
func (t *Timeline) Apply(e Event) error {
	if err := t.apply(e); err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	return nil
}

func (t *Timeline) apply(e Event) error {
	p := e.Position
	switch d := e.Data.(type) {
	case domain.ProposalSubmitted:
		t.file(d.ProposalID, p)
	case domain.ProposalSupported:
		return t.add(d.ProposalID, p)
	case domain.ProposalAccepted:
		return t.add(d.ProposalID, p)
	case domain.ProposalRejected:
		return t.add(d.ProposalID, p)
	case domain.ProposalMerged:
		return t.add(d.ProposalID, p)
	case domain.ProposalDuplicateAbsorbed:
		return t.add(d.ProposalID, p)
	case domain.ProposalWithdrawn:
		return t.add(d.ProposalID, p)
	case domain.ProposalHandledDirectly:
		return t.add(d.ProposalID, p)
	case domain.ProposalPutOnAgenda:
		return t.add(d.ProposalID, p)
	case domain.ProposalDecided:
		return t.add(d.ProposalID, p)
	case domain.ProposalClosed:
		return t.add(d.ProposalID, p)
	case domain.ProposalReopened:
		return t.add(d.ProposalID, p)

	case domain.MeetingScheduled:
		// Room for the invitations and attendance that follow, one
		// allocation rather than one at each doubling.
		t.st.Convened[d.MeetingID] = append(make([]eventstore.Position, 0, 16), p)
	case domain.ParticipantInvited:
		return t.convene(d.MeetingID, p)
	case domain.AttendanceRecorded:
		return t.convene(d.MeetingID, p)
	case domain.AgendaItemAdded:
		if d.ProposalID == "" {
			return nil
		}
		t.items.put(d.MeetingID+"/"+d.ItemID, &d.ProposalID)
		ids, err := t.meetings.get(d.MeetingID)
		switch {
		case err != nil:
			return err
		case ids == nil:
			t.meetings.put(d.MeetingID, listOf(d.ProposalID))
		case slices.Contains(*ids, d.ProposalID):
			return nil
		default:
			if ids, err = t.meetings.edit(d.MeetingID); err != nil {
				return err
			}
			*ids = append(*ids, d.ProposalID)
		}
		for _, c := range t.st.Convened[d.MeetingID] {
			if err := t.insert(d.ProposalID, c); err != nil {
				return err
			}
		}
	case domain.MeetingOpened:
		return t.toMeeting(d.MeetingID, p)
	case domain.StatementRecorded:
		return t.addVia(t.items, d.MeetingID+"/"+d.ItemID, p)
	case domain.MotionTabled:
		return t.table(d.MeetingID, d.ItemID, d.MotionID, d.ProposalID, p)
	case domain.MotionAmended:
		return t.motion(d.MeetingID, d.MotionID, p)
	case domain.VotingOpened:
		return t.motion(d.MeetingID, d.MotionID, p)
	case domain.VotingClosed:
		return t.motion(d.MeetingID, d.MotionID, p)
	case domain.MotionObjectionRaised:
		return t.motion(d.MeetingID, d.MotionID, p)
	case domain.ConsensusReached:
		return t.motion(d.MeetingID, d.MotionID, p)
	case domain.MediationOffered:
		return t.table(d.MeetingID, d.ItemID, d.MediationID, d.ProposalID, p)
	case domain.MediationAgreed:
		return t.motion(d.MeetingID, d.MediationID, p)
	case domain.MeetingAdjourned:
		delete(t.st.Convened, d.MeetingID)
		return t.toMeeting(d.MeetingID, p)
	case domain.MinutesPublished:
		return t.toMeeting(d.MeetingID, p)
	case domain.MinutesObjectionRaised:
		return t.toMeeting(d.MeetingID, p)

	case domain.ActionAssigned:
		if d.ProposalID == "" {
			return nil
		}
		t.actions.put(d.ActionID, &d.ProposalID)
		return t.add(d.ProposalID, p)
	case domain.ActionStarted:
		return t.addVia(t.actions, d.ActionID, p)
	case domain.ActionProgressReported:
		return t.addVia(t.actions, d.ActionID, p)
	case domain.ActionOccurrenceHeld:
		return t.addVia(t.actions, d.ActionID, p)
	case domain.ActionBlocked:
		return t.addVia(t.actions, d.ActionID, p)
	case domain.ActionCompleted:
		return t.addVia(t.actions, d.ActionID, p)
	case domain.ActionVerified:
		return t.addVia(t.actions, d.ActionID, p)
	case domain.ActionCancelled:
		return t.addVia(t.actions, d.ActionID, p)
	}
	return nil
}

// table files a motion or mediation (id) tabled on a meeting's item under
// the item's proposal (else the one it names) and adds the step at p.
func (t *Timeline) table(meetingID, itemID, id, proposalID string, p eventstore.Position) error {
	pid, err := proposalOf(t.items, meetingID+"/"+itemID)
	if err != nil {
		return err
	}
	if pid == "" {
		pid = proposalID
	}
	t.motions.put(meetingID+"/"+id, &pid)
	return t.add(pid, p)
}

// convene keeps a step that convened a meeting for proposals put on its
// agenda later, and adds it to the stories of those already on it.
func (t *Timeline) convene(meetingID string, p eventstore.Position) error {
	if c, ok := t.st.Convened[meetingID]; ok {
		t.st.Convened[meetingID] = append(c, p)
	}
	return t.toMeeting(meetingID, p)
}

// insert adds the step at p to the story of proposal id at its place in
// global order (a meeting's earlier steps, when the proposal joins its
// agenda); steps from before the proposal was submitted are left out.
func (t *Timeline) insert(id string, p eventstore.Position) error {
	first, ok, err := t.stories.first(id)
	if err != nil || !ok || p < first {
		return err
	}
	t.file(id, p)
	return nil
}

func entry(e Event, at time.Time) Entry {
	return Entry{Position: e.Position, Stream: e.Stream, Revision: e.Revision, Type: e.Type, At: at, Recorded: e.Recorded}
}

// entryOf tells the step an event of a story is. A ProposalDecided by an
// owners' vote is said again from the vote's tally by Of.
func entryOf(e Event) Entry {
	switch d := e.Data.(type) {
	case domain.ProposalSubmitted:
		en := entry(e, d.At)
		en.Summary, en.PersonName, en.Photos = d.Title, personName(d.Author), d.Photos
		en.Report = &Report{CommunityID: d.CommunityID, GridID: d.GridID, CompoundID: d.CompoundID, Category: d.Category,
			Channel: d.Channel, Place: d.Place, Text: d.Text}
		return en
	case domain.ProposalSupported:
		en := entry(e, d.At)
		en.PersonName = d.Name
		return en
	case domain.ProposalAccepted:
		return summary(e, d.At, d.Note)
	case domain.ProposalRejected:
		return summary(e, d.At, d.Reason)
	case domain.ProposalMerged:
		return summary(e, d.At, d.Reason)
	case domain.ProposalDuplicateAbsorbed:
		return summary(e, d.At, d.DuplicateID)
	case domain.ProposalWithdrawn:
		return summary(e, d.At, d.Reason)
	case domain.ProposalHandledDirectly:
		return summary(e, d.At, d.Note)
	case domain.ProposalPutOnAgenda:
		return atMeeting(e, d.At, d.MeetingID, "", d.MeetingTitle)
	case domain.ProposalDecided:
		return atMeeting(e, d.At, d.MeetingID, d.MotionID, d.Outcome)
	case domain.ProposalClosed:
		return summary(e, d.At, d.Note)
	case domain.ProposalReopened:
		en := summary(e, d.At, d.Reason)
		en.ActionID = d.ActionID
		return en

	case domain.MeetingScheduled:
		return atMeeting(e, d.At, d.MeetingID, "", d.Title)
	case domain.ParticipantInvited:
		en := atMeeting(e, d.At, d.MeetingID, "", d.Participant.Kind)
		en.PersonName = d.Participant.Name
		return en
	case domain.AttendanceRecorded:
		en := atMeeting(e, d.At, d.MeetingID, "", d.Attendance)
		en.PersonName = d.Name
		return en
	case domain.MeetingOpened:
		return atMeeting(e, d.At, d.MeetingID, "", "")
	case domain.StatementRecorded:
		en := atMeeting(e, d.At, d.MeetingID, "", d.Summary)
		en.PersonName = d.Speaker.Name
		return en
	case domain.MotionTabled:
		return atMeeting(e, d.At, d.MeetingID, d.MotionID, d.Text)
	case domain.MotionAmended:
		return atMeeting(e, d.At, d.MeetingID, d.MotionID, d.Text)
	case domain.VotingOpened:
		return atMeeting(e, d.At, d.MeetingID, d.MotionID, d.Text)
	case domain.VotingClosed:
		en := atMeeting(e, d.At, d.MeetingID, d.MotionID, d.Text)
		tally := d.Tally
		en.Tally = &tally
		return en
	case domain.MotionObjectionRaised:
		en := atMeeting(e, d.At, d.MeetingID, d.MotionID, d.Reason)
		en.PersonName, en.Method = d.Name, d.How
		return en
	case domain.ConsensusReached:
		return atMeeting(e, d.At, d.MeetingID, d.MotionID, d.Label)
	case domain.MediationOffered:
		return atMeeting(e, d.At, d.MeetingID, "", d.Dispute)
	case domain.MediationAgreed:
		return atMeeting(e, d.At, d.MeetingID, "", d.Label)
	case domain.MeetingAdjourned:
		return atMeeting(e, d.At, d.MeetingID, "", d.Note)
	case domain.MinutesPublished:
		return atMeeting(e, d.At, d.MeetingID, "", d.Summary)
	case domain.MinutesObjectionRaised:
		en := atMeeting(e, d.At, d.MeetingID, "", d.Text)
		en.PersonName = d.Name
		return en

	case domain.ActionAssigned:
		en := atMeeting(e, d.At, d.MeetingID, d.MotionID, d.Title)
		en.ActionID = d.ActionID
		return en
	case domain.ActionStarted:
		return ofAction(e, d.At, d.ActionID, "")
	case domain.ActionProgressReported:
		en := ofAction(e, d.At, d.ActionID, d.Note)
		en.Percent, en.Photos = d.Percent, d.Photos
		return en
	case domain.ActionOccurrenceHeld:
		en := ofAction(e, d.At, d.ActionID, d.Note)
		en.Photos = d.Photos
		return en
	case domain.ActionBlocked:
		return ofAction(e, d.At, d.ActionID, d.Reason)
	case domain.ActionCompleted:
		en := ofAction(e, d.At, d.ActionID, d.Note)
		en.Photos = d.Evidence
		return en
	case domain.ActionVerified:
		en := ofAction(e, d.At, d.ActionID, d.Reason)
		s := d.Satisfied
		en.PersonName, en.Satisfied, en.Photos, en.Method, en.Note = d.Verifier.Name, &s, d.Photos, d.Method, d.Note
		return en
	case domain.ActionCancelled:
		return ofAction(e, d.At, d.ActionID, d.Reason)
	}
	return entry(e, e.Recorded)
}

// summary is a step whose main text is s.
func summary(e Event, at time.Time, s string) Entry {
	en := entry(e, at)
	en.Summary = s
	return en
}

// atMeeting is a step of a meeting (and of one of its motions).
func atMeeting(e Event, at time.Time, meetingID, motionID, s string) Entry {
	en := summary(e, at, s)
	en.MeetingID, en.MotionID = meetingID, motionID
	return en
}

// ofAction is a step of an action.
func ofAction(e Event, at time.Time, actionID, s string) Entry {
	en := summary(e, at, s)
	en.ActionID = actionID
	return en
}

func personName(p domain.Party) string {
	if p.Kind == domain.PartyUnit {
		return ""
	}
	return p.Name
}

// Length returns the number of steps of a proposal's story and the
// position of its last one: a story only grows, so the pair changes with
// any change of the story.
func (t *Timeline) Length(proposalID string) (steps int, last eventstore.Position, ok bool, err error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if h, ok := t.heads.Get(proposalID); ok {
		return h.steps, h.last, true, nil
	}
	s, err := t.stories.all(proposalID)
	if err != nil {
		return 0, 0, false, fmt.Errorf("projections: timeline of %s: %w", proposalID, err)
	}
	if len(s) == 0 {
		return 0, 0, false, nil
	}
	t.headsUsed.Store(true)
	t.heads.Add(proposalID, storyHead{steps: len(s), last: s[len(s)-1]})
	return len(s), s[len(s)-1], true, nil
}

// Of returns one page of the story of a proposal, oldest step first,
// starting after the cursor after (Story.Next of the previous page), and
// false when the proposal is unknown. It reads the page's steps from the
// log outside the views' lock (a story of up to storyCacheLongest steps
// whole, kept in the story cache for the next read), and fails with the
// log's error.
func (t *Timeline) Of(ctx context.Context, proposalID, after string, limit int) (Story, bool, error) {
	t.mu.RLock()
	told, err := t.stories.all(proposalID)
	read := t.read
	t.mu.RUnlock()
	if err != nil || len(told) == 0 {
		if err != nil {
			return Story{}, false, fmt.Errorf("projections: timeline of %s: %w", proposalID, err)
		}
		return Story{}, false, nil
	}
	start := sort.Search(len(told), func(i int) bool { return told[i] > parsePositionCursor(after) })
	end := min(len(told), start+pageLimit(limit))

	story := Story{ProposalID: proposalID, Entries: []Entry{}}
	if end < len(told) {
		story.Next = positionCursor(told[end-1])
	}
	if start == end {
		return story, true, nil
	}
	if page, ok := t.cache.get(proposalID, told, start, end); ok {
		story.Entries = page
		return story, true, nil
	}
	if read == nil {
		return Story{}, false, fmt.Errorf("projections: timeline of %s: no log to read its steps from", proposalID)
	}
	from, to := start, end
	whole := len(told) <= storyCacheLongest
	if whole {
		from, to = 0, len(told)
	}
	entries, err := tell(ctx, read, told, from, to)
	if err != nil {
		return Story{}, false, fmt.Errorf("projections: timeline of %s: %w", proposalID, err)
	}
	if whole {
		t.cache.put(proposalID, told, entries)
		entries = entries[start:end]
	}
	story.Entries = entries
	return story, true, nil
}

// tell reads the steps of a story at positions told[from:to] and tells
// each as an entry. A decision by an owners' vote is said again from the
// vote's tally: the vote is looked for among the steps read before the
// decision, then, when not there, among the story's steps before from,
// read lookBack at a time, newest first, up to the first match.
func tell(ctx context.Context, read LogReader, told []eventstore.Position, from, to int) ([]Entry, error) {
	page, err := read(ctx, told[from:to])
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(page))
	for i, e := range page {
		en := entryOf(e)
		if d, ok := e.Data.(domain.ProposalDecided); ok && d.How == domain.DecidedByVote {
			vote, ok := closedVote(page[:i], d.MeetingID, d.MotionID)
			for hi := from; !ok && hi > 0; hi = max(0, hi-lookBack) {
				earlier, err := read(ctx, told[max(0, hi-lookBack):hi])
				if err != nil {
					return nil, err
				}
				vote, ok = closedVote(earlier, d.MeetingID, d.MotionID)
			}
			if ok && (vote.Tally.Rule.Kind == domain.RuleOwnersOrdinary || vote.Tally.Rule.Kind == domain.RuleOwnersMajor) {
				// An owners' vote (art. 278) is said again from its tally:
				// decisions recorded before such votes were summarised by
				// their shares counted each option's owners in the words.
				en.Summary = domain.VoteOutcome(vote.Text, vote.Tally)
			}
		}
		entries = append(entries, en)
	}
	return entries, nil
}

// lookBack is how many earlier steps tell reads at a time when a decision's
// vote is not on its page.
const lookBack = 64

// closedVote returns the last closing of the vote on motionID of meetingID
// among steps.
func closedVote(steps []Event, meetingID, motionID string) (domain.VotingClosed, bool) {
	for i := len(steps) - 1; i >= 0; i-- {
		if v, ok := steps[i].Data.(domain.VotingClosed); ok && v.MeetingID == meetingID && v.MotionID == motionID {
			return v, true
		}
	}
	return domain.VotingClosed{}, false
}
