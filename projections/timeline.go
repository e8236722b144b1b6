package projections

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"

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
// actions
// with their progress and verification. Single ballots are not steps: a
// closed vote's tally is.
type Timeline struct {
	mu *sync.RWMutex
	st timelineState
}

// step is how the timeline keeps one step of a story: an Entry less the
// fields few steps have, which wait behind More, with short snapshot keys.
// A million-event ledger holds millions of steps: a step is 184 bytes
// where an Entry is 288, and the million's snapshot 230 MB instead of 266.
// Entry stays the answer's shape; entry() turns a step back into one.
type step struct {
	Position   eventstore.Position `json:"p"`
	Stream     string              `json:"s"`
	Revision   uint64              `json:"r"`
	Type       string              `json:"t"`
	At         time.Time           `json:"a"`
	Recorded   time.Time           `json:"rc"`
	MeetingID  string              `json:"m,omitempty"`
	MotionID   string              `json:"mo,omitempty"`
	ActionID   string              `json:"ac,omitempty"`
	Summary    string              `json:"su,omitempty"`
	PersonName string              `json:"pn,omitempty"`
	More       *stepMore           `json:"x,omitempty"`
}

// stepMore is what only some steps have: a report, photos, a tally, a
// percentage, a verdict and how staff obtained it.
type stepMore struct {
	Report    *Report       `json:"report,omitempty"`
	Photos    []string      `json:"photos,omitempty"`
	Tally     *domain.Tally `json:"tally,omitempty"`
	Percent   int           `json:"percent,omitempty"`
	Satisfied *bool         `json:"satisfied,omitempty"`
	Method    string        `json:"method,omitempty"`
	Note      string        `json:"note,omitempty"`
}

// stepOf keeps en as a step.
func stepOf(en Entry) step {
	st := step{Position: en.Position, Stream: en.Stream, Revision: en.Revision, Type: en.Type, At: en.At, Recorded: en.Recorded,
		MeetingID: en.MeetingID, MotionID: en.MotionID, ActionID: en.ActionID, Summary: en.Summary, PersonName: en.PersonName}
	if en.Report != nil || len(en.Photos) > 0 || en.Tally != nil || en.Percent != 0 || en.Satisfied != nil || en.Method != "" || en.Note != "" {
		st.More = &stepMore{Report: en.Report, Photos: en.Photos, Tally: en.Tally, Percent: en.Percent, Satisfied: en.Satisfied,
			Method: en.Method, Note: en.Note}
	}
	return st
}

// entry returns the step as an Entry of its own: nothing in it is shared
// with the view.
func (st step) entry() Entry {
	en := Entry{Position: st.Position, Stream: st.Stream, Revision: st.Revision, Type: st.Type, At: st.At, Recorded: st.Recorded,
		MeetingID: st.MeetingID, MotionID: st.MotionID, ActionID: st.ActionID, Summary: st.Summary, PersonName: st.PersonName}
	if m := st.More; m != nil {
		en.Percent, en.Method, en.Note = m.Percent, m.Method, m.Note
		en.Photos = slices.Clone(m.Photos)
		if m.Report != nil {
			r := *m.Report
			en.Report = &r
		}
		if m.Tally != nil {
			tally := *m.Tally
			tally.Options = slices.Clone(m.Tally.Options)
			en.Tally = &tally
		}
		if m.Satisfied != nil {
			v := *m.Satisfied
			en.Satisfied = &v
		}
	}
	return en
}

type timelineState struct {
	Stories map[string][]step `json:"stories"`
	// Items maps "<meeting>/<item>" to its proposal.
	Items map[string]string `json:"items"`
	// Motions maps "<meeting>/<motion or mediation>" to its proposal.
	Motions map[string]string `json:"motions"`
	// Meetings maps a meeting to the proposals on its agenda.
	Meetings map[string][]string `json:"meetings"`
	// Actions maps an action to its proposal.
	Actions map[string]string `json:"actions"`
	// Convened holds, until a meeting adjourns, the steps that convened it
	// (its scheduling, invitations, attendance), so that a proposal put on
	// its agenda later gets them too.
	Convened map[string][]step `json:"convened"`
}

func newTimeline(mu *sync.RWMutex) *Timeline {
	return &Timeline{mu: mu, st: timelineState{
		Stories: map[string][]step{}, Items: map[string]string{}, Motions: map[string]string{},
		Meetings: map[string][]string{}, Actions: map[string]string{}, Convened: map[string][]step{},
	}}
}

// Name implements View.
func (t *Timeline) Name() string { return "timeline" }

// Version implements View.
func (t *Timeline) Version() int { return 7 }

// MarshalSnapshot implements View.
func (t *Timeline) MarshalSnapshot() ([]byte, error) { return gojson.Marshal(&t.st) }

// UnmarshalSnapshot implements View.
func (t *Timeline) UnmarshalSnapshot(r io.Reader) error {
	var st timelineState
	if err := decodeSnapshot(r, &st); err != nil {
		return fmt.Errorf("timeline snapshot: %w", err)
	}
	if st.Stories == nil || st.Items == nil || st.Motions == nil || st.Meetings == nil || st.Actions == nil || st.Convened == nil {
		return fmt.Errorf("timeline snapshot: missing maps")
	}
	t.st = st
	return nil
}

func entry(e Event, at time.Time) Entry {
	return Entry{Position: e.Position, Stream: e.Stream, Revision: e.Revision, Type: e.Type, At: at, Recorded: e.Recorded}
}

// add appends en to the story of proposal id, if it has one.
func (t *Timeline) add(id string, en Entry) {
	if s, ok := t.st.Stories[id]; ok {
		t.st.Stories[id] = append(s, stepOf(en))
	}
}

// closedVote returns the entry of the closed vote on motionID of meetingID
// in proposal id's story, nil when there is none.
func (t *Timeline) closedVote(id, meetingID, motionID string) *step {
	story := t.st.Stories[id]
	for i := len(story) - 1; i >= 0; i-- {
		if st := &story[i]; st.More != nil && st.More.Tally != nil && st.MeetingID == meetingID && st.MotionID == motionID {
			return st
		}
	}
	return nil
}

// toMeeting appends en to the story of every proposal on the meeting's
// agenda.
func (t *Timeline) toMeeting(meetingID string, en Entry) {
	en.MeetingID = meetingID
	for _, id := range t.st.Meetings[meetingID] {
		t.add(id, en)
	}
}

// Apply implements View.
func (t *Timeline) Apply(e Event) error {
	switch d := e.Data.(type) {
	case domain.ProposalSubmitted:
		en := entry(e, d.At)
		en.Summary, en.PersonName, en.Photos = d.Title, personName(d.Author), d.Photos
		en.Report = &Report{CommunityID: d.CommunityID, GridID: d.GridID, CompoundID: d.CompoundID, Category: d.Category,
			Channel: d.Channel, Place: d.Place, Text: d.Text}
		t.st.Stories[d.ProposalID] = []step{stepOf(en)}
	case domain.ProposalSupported:
		en := entry(e, d.At)
		en.PersonName = d.Name
		t.add(d.ProposalID, en)
	case domain.ProposalAccepted:
		en := entry(e, d.At)
		en.Summary = d.Note
		t.add(d.ProposalID, en)
	case domain.ProposalRejected:
		en := entry(e, d.At)
		en.Summary = d.Reason
		t.add(d.ProposalID, en)
	case domain.ProposalMerged:
		en := entry(e, d.At)
		en.Summary = d.Reason
		t.add(d.ProposalID, en)
	case domain.ProposalDuplicateAbsorbed:
		en := entry(e, d.At)
		en.Summary = d.DuplicateID
		t.add(d.ProposalID, en)
	case domain.ProposalWithdrawn:
		en := entry(e, d.At)
		en.Summary = d.Reason
		t.add(d.ProposalID, en)
	case domain.ProposalHandledDirectly:
		en := entry(e, d.At)
		en.Summary = d.Note
		t.add(d.ProposalID, en)
	case domain.ProposalPutOnAgenda:
		en := entry(e, d.At)
		en.MeetingID, en.Summary = d.MeetingID, d.MeetingTitle
		t.add(d.ProposalID, en)
	case domain.ProposalDecided:
		en := entry(e, d.At)
		en.MeetingID, en.MotionID, en.Summary = d.MeetingID, d.MotionID, d.Outcome
		if vote := t.closedVote(d.ProposalID, d.MeetingID, d.MotionID); d.How == domain.DecidedByVote && vote != nil &&
			(vote.More.Tally.Rule.Kind == domain.RuleOwnersOrdinary || vote.More.Tally.Rule.Kind == domain.RuleOwnersMajor) {
			// An owners' vote (art. 278) is said again from its tally:
			// decisions recorded before such votes were summarised by
			// their shares counted each option's owners in the words.
			en.Summary = domain.VoteOutcome(vote.Summary, *vote.More.Tally)
		}
		t.add(d.ProposalID, en)
	case domain.ProposalActionLinked, domain.ProposalActionSettled:
		// The action's own events tell this part of the story.
	case domain.ProposalClosed:
		en := entry(e, d.At)
		en.Summary = d.Note
		t.add(d.ProposalID, en)
	case domain.ProposalReopened:
		en := entry(e, d.At)
		en.ActionID, en.Summary = d.ActionID, d.Reason
		t.add(d.ProposalID, en)

	case domain.MeetingScheduled:
		en := entry(e, d.At)
		en.MeetingID, en.Summary = d.MeetingID, d.Title
		t.st.Convened[d.MeetingID] = []step{stepOf(en)}
	case domain.ParticipantInvited:
		en := entry(e, d.At)
		en.Summary, en.PersonName = d.Participant.Kind, d.Participant.Name
		t.convene(d.MeetingID, en)
	case domain.AttendanceRecorded:
		en := entry(e, d.At)
		en.Summary, en.PersonName = d.Attendance, d.Name
		t.convene(d.MeetingID, en)
	case domain.AgendaItemAdded:
		if d.ProposalID == "" {
			return nil
		}
		t.st.Items[d.MeetingID+"/"+d.ItemID] = d.ProposalID
		if !slices.Contains(t.st.Meetings[d.MeetingID], d.ProposalID) {
			t.st.Meetings[d.MeetingID] = append(t.st.Meetings[d.MeetingID], d.ProposalID)
			for _, en := range t.st.Convened[d.MeetingID] {
				t.insert(d.ProposalID, en)
			}
		}
	case domain.MeetingOpened:
		t.toMeeting(d.MeetingID, entry(e, d.At))
	case domain.StatementRecorded:
		en := entry(e, d.At)
		en.MeetingID, en.Summary, en.PersonName = d.MeetingID, d.Summary, d.Speaker.Name
		t.add(t.st.Items[d.MeetingID+"/"+d.ItemID], en)
	case domain.MotionTabled:
		pid := t.st.Items[d.MeetingID+"/"+d.ItemID]
		if pid == "" {
			pid = d.ProposalID
		}
		t.st.Motions[d.MeetingID+"/"+d.MotionID] = pid
		en := entry(e, d.At)
		en.MeetingID, en.MotionID, en.Summary = d.MeetingID, d.MotionID, d.Text
		t.add(pid, en)
	case domain.MotionAmended:
		en := entry(e, d.At)
		en.MeetingID, en.MotionID, en.Summary = d.MeetingID, d.MotionID, d.Text
		t.add(t.st.Motions[d.MeetingID+"/"+d.MotionID], en)
	case domain.VotingOpened:
		en := entry(e, d.At)
		en.MeetingID, en.MotionID, en.Summary = d.MeetingID, d.MotionID, d.Text
		t.add(t.st.Motions[d.MeetingID+"/"+d.MotionID], en)
	case domain.VotingClosed:
		en := entry(e, d.At)
		tally := d.Tally
		en.MeetingID, en.MotionID, en.Summary, en.Tally = d.MeetingID, d.MotionID, d.Text, &tally
		t.add(t.st.Motions[d.MeetingID+"/"+d.MotionID], en)
	case domain.MotionObjectionRaised:
		en := entry(e, d.At)
		en.MeetingID, en.MotionID, en.Summary, en.PersonName, en.Method = d.MeetingID, d.MotionID, d.Reason, d.Name, d.How
		t.add(t.st.Motions[d.MeetingID+"/"+d.MotionID], en)
	case domain.ConsensusReached:
		en := entry(e, d.At)
		en.MeetingID, en.MotionID, en.Summary = d.MeetingID, d.MotionID, d.Label
		t.add(t.st.Motions[d.MeetingID+"/"+d.MotionID], en)
	case domain.MediationOffered:
		pid := t.st.Items[d.MeetingID+"/"+d.ItemID]
		if pid == "" {
			pid = d.ProposalID
		}
		t.st.Motions[d.MeetingID+"/"+d.MediationID] = pid
		en := entry(e, d.At)
		en.MeetingID, en.Summary = d.MeetingID, d.Dispute
		t.add(pid, en)
	case domain.MediationAgreed:
		en := entry(e, d.At)
		en.MeetingID, en.Summary = d.MeetingID, d.Label
		t.add(t.st.Motions[d.MeetingID+"/"+d.MediationID], en)
	case domain.MeetingAdjourned:
		en := entry(e, d.At)
		en.Summary = d.Note
		t.toMeeting(d.MeetingID, en)
		delete(t.st.Convened, d.MeetingID)
	case domain.MinutesPublished:
		en := entry(e, d.At)
		en.Summary = d.Summary
		t.toMeeting(d.MeetingID, en)
	case domain.MinutesObjectionRaised:
		en := entry(e, d.At)
		en.Summary, en.PersonName = d.Text, d.Name
		t.toMeeting(d.MeetingID, en)

	case domain.ActionAssigned:
		if d.ProposalID == "" {
			return nil
		}
		t.st.Actions[d.ActionID] = d.ProposalID
		en := entry(e, d.At)
		en.ActionID, en.MeetingID, en.MotionID, en.Summary = d.ActionID, d.MeetingID, d.MotionID, d.Title
		t.add(d.ProposalID, en)
	case domain.ActionStarted:
		t.action(d.ActionID, entry(e, d.At))
	case domain.ActionProgressReported:
		en := entry(e, d.At)
		en.Summary, en.Percent, en.Photos = d.Note, d.Percent, d.Photos
		t.action(d.ActionID, en)
	case domain.ActionOccurrenceHeld:
		en := entry(e, d.At)
		en.Summary, en.Photos = d.Note, d.Photos
		t.action(d.ActionID, en)
	case domain.ActionBlocked:
		en := entry(e, d.At)
		en.Summary = d.Reason
		t.action(d.ActionID, en)
	case domain.ActionCompleted:
		en := entry(e, d.At)
		en.Summary, en.Photos = d.Note, d.Evidence
		t.action(d.ActionID, en)
	case domain.ActionVerified:
		en := entry(e, d.At)
		s := d.Satisfied
		en.Summary, en.PersonName, en.Satisfied, en.Photos = d.Reason, d.Verifier.Name, &s, d.Photos
		en.Method, en.Note = d.Method, d.Note
		t.action(d.ActionID, en)
	case domain.ActionCancelled:
		en := entry(e, d.At)
		en.Summary = d.Reason
		t.action(d.ActionID, en)
	}
	return nil
}

// convene keeps a step that convened a meeting for proposals put on its
// agenda later, and adds it to the stories of those already on it.
func (t *Timeline) convene(meetingID string, en Entry) {
	en.MeetingID = meetingID
	if c, ok := t.st.Convened[meetingID]; ok {
		t.st.Convened[meetingID] = append(c, stepOf(en))
	}
	t.toMeeting(meetingID, en)
}

// insert adds st to the story of proposal id at its place in global order
// (a meeting's earlier steps, when the proposal joins its agenda); steps
// from before the proposal was submitted are left out.
func (t *Timeline) insert(id string, st step) {
	s, ok := t.st.Stories[id]
	if !ok || st.Position < s[0].Position {
		return
	}
	i := sort.Search(len(s), func(i int) bool { return s[i].Position > st.Position })
	t.st.Stories[id] = slices.Insert(s, i, st)
}

func (t *Timeline) action(actionID string, en Entry) {
	en.ActionID = actionID
	t.add(t.st.Actions[actionID], en)
}

func personName(p domain.Party) string {
	if p.Kind == domain.PartyUnit {
		return ""
	}
	return p.Name
}

// Of returns one page of the story of a proposal, oldest step first,
// starting after the cursor after (Story.Next of the previous page), and
// false when the proposal is unknown.
func (t *Timeline) Of(proposalID, after string, limit int) (Story, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s, ok := t.st.Stories[proposalID]
	if !ok {
		return Story{}, false
	}
	from := parsePositionCursor(after)
	start := sort.Search(len(s), func(i int) bool { return s[i].Position > from })
	limit = pageLimit(limit)
	end := min(len(s), start+limit)
	story := Story{ProposalID: proposalID, Entries: make([]Entry, end-start)}
	for i, st := range s[start:end] {
		story.Entries[i] = st.entry()
	}
	if end < len(s) {
		story.Next = positionCursor(s[end-1].Position)
	}
	return story, true
}
