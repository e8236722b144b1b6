package projections

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// Meeting statuses in the live view.
const (
	MeetingScheduled = "scheduled"
	MeetingOpen      = "open"
	MeetingAdjourned = "adjourned"
	MeetingPublished = "published"
)

// Motion statuses in the live view.
const (
	MotionTabled    = "tabled"
	MotionVoting    = "voting"
	MotionClosed    = "closed"
	MotionConsensus = "consensus"
)

// Attendee is one person's recorded attendance.
type Attendee struct {
	PersonID   string `json:"person_id"`
	Name       string `json:"person_name"`
	Attendance string `json:"attendance"`
	// HolderID is the present person holding this person's proxy.
	HolderID string `json:"holder_id,omitempty"`
}

// OptionCount is one option's running count.
type OptionCount struct {
	OptionID string `json:"option_id"`
	Label    string `json:"label"`
	Votes    int    `json:"votes"`
}

// LiveMotion is the meeting's current motion with its running tally.
type LiveMotion struct {
	MotionID string          `json:"motion_id"`
	ItemID   string          `json:"item_id"`
	Text     string          `json:"text"`
	Options  []domain.Option `json:"options"`
	Rule     domain.Rule     `json:"rule"`
	Secret   bool            `json:"secret,omitempty"`
	Status   string          `json:"status"`
	// Electorate counts the voters locked when voting opened; Attending
	// those of them who take part (present, represented by a present
	// proxy holder, or having cast a ballot), as domain.ComputeTally counts.
	Electorate int `json:"electorate"`
	Attending  int `json:"attending"`
	// QuorumPercent is the rule's quorum of attendance, if any (the art.
	// 278 rules add two thirds of area and heads, see Running);
	// QuorumReached says whether every participation threshold is met now.
	QuorumPercent int           `json:"quorum_percent,omitempty"`
	QuorumReached bool          `json:"quorum_reached"`
	Tally         []OptionCount `json:"tally"`
	Abstentions   int           `json:"abstentions"`
	Ballots       int           `json:"ballots"`
	Objections    int           `json:"objections,omitempty"`
	// Running is the domain's tally of the ballots so far, computed by
	// domain.ComputeTally as closing the vote now would record it; nil
	// before voting opens and once it closed.
	Running *domain.Tally `json:"running,omitempty"`
	// Final is the domain's tally once voting closed.
	Final *domain.Tally `json:"final,omitempty"`
}

// MeetingState is the live state of one meeting, for the live console.
type MeetingState struct {
	MeetingID   string                   `json:"meeting_id"`
	CommunityID string                   `json:"community_id"`
	GridID      string                   `json:"grid_id"`
	Title       string                   `json:"title"`
	Format      string                   `json:"format"`
	Place       string                   `json:"place"`
	StartsAt    time.Time                `json:"starts_at"`
	Facilitator domain.Voter             `json:"facilitator"`
	Status      string                   `json:"status"`
	Agenda      []domain.AgendaItemAdded `json:"agenda"`
	Invited     int                      `json:"invited"`
	Attendees   []Attendee               `json:"attendees"`
	Present     int                      `json:"present"`
	Proxies     int                      `json:"proxies"`
	Absent      int                      `json:"absent"`
	// Motion is the current (latest) motion, nil before any.
	Motion *LiveMotion `json:"motion,omitempty"`
	// Motions counts the motions tabled so far.
	Motions  int                 `json:"motions"`
	Position eventstore.Position `json:"position"`
}

type liveMeeting struct {
	Info      domain.MeetingScheduled     `json:"info"`
	Status    string                      `json:"status"`
	Agenda    []domain.AgendaItemAdded    `json:"agenda,omitempty"`
	Invited   int                         `json:"invited"`
	Attendees objectMap[string, Attendee] `json:"attendees"`
	Motion    *liveMotion                 `json:"motion,omitempty"`
	Motions   int                         `json:"motions"`
	Position  eventstore.Position         `json:"position"`
}

type liveMotion struct {
	LiveMotion
	// Voting holds, while voting is open, what domain.ComputeTally needs:
	// the locked electorate and register and the ballots in order of their
	// latest casting.
	Voting *liveVoting `json:"voting,omitempty"`
}

type liveVoting struct {
	Electorate []domain.Voter     `json:"electorate"`
	Units      []domain.OwnedUnit `json:"units,omitempty"`
	Ballots    []domain.Ballot    `json:"ballots"`
}

type liveState struct {
	// Meetings holds the state of every meeting whose minutes are not
	// published yet.
	Meetings map[string]*liveMeeting `json:"meetings"`
}

// Live holds the live state of every meeting: attendance, quorum, the
// current motion and its running tally. A meeting whose minutes are
// published is kept as the positions of its events and read back from
// the log: the past meetings of a city would otherwise fill the heap.
type Live struct {
	mu *sync.RWMutex
	st liveState
	// steps holds, for every meeting, the positions of the events Live
	// folds for it, in a table: a meeting whose minutes are published
	// keeps only these, and its state is folded again from the log when
	// read.
	steps *lists
	// read reads a published meeting's events back from the log (the
	// runner sets it).
	read LogReader
	// keep keeps published meetings' state (the fold of one meeting read
	// back).
	keep bool
}

func newLive(mu *sync.RWMutex) *Live {
	return &Live{mu: mu, st: liveState{Meetings: map[string]*liveMeeting{}}, steps: newLists("steps")}
}

// Name implements View.
func (l *Live) Name() string { return "live" }

// Version implements View.
func (l *Live) Version() int { return 5 }

// tables implements tabled.
func (l *Live) tables() []table { return []table{l.steps} }

// MarshalSnapshot implements View.
func (l *Live) MarshalSnapshot() ([]byte, error) { return gojson.Marshal(&l.st) }

// mapSizes implements sized.
func (l *Live) mapSizes() map[string]int { return mapSizesOf(&l.st) }

// UnmarshalSnapshot implements View.
func (l *Live) UnmarshalSnapshot(r io.Reader) error {
	var st liveState
	if err := decodeSnapshot(r, &st); err != nil {
		return fmt.Errorf("live snapshot: %w", err)
	}
	if st.Meetings == nil {
		return fmt.Errorf("live snapshot: missing meetings")
	}
	l.st = st
	return nil
}

func (l *Live) motion(meetingID, motionID string) *liveMotion {
	if m := l.st.Meetings[meetingID]; m != nil && m.Motion != nil && m.Motion.MotionID == motionID {
		return m.Motion
	}
	return nil
}

// ballot records a voter's current ballot, replacing an earlier one: the
// ballots stay in the order of their latest casting, as in the domain.
func (l *Live) ballot(meetingID, motionID string, b domain.Ballot) {
	mo := l.motion(meetingID, motionID)
	if mo == nil || mo.Voting == nil {
		return
	}
	v := mo.Voting
	v.Ballots = slices.DeleteFunc(v.Ballots, func(x domain.Ballot) bool { return x.VoterID == b.VoterID })
	v.Ballots = append(v.Ballots, b)
}

// tallyOf returns an empty tally of options, in old's memory when it has
// room (a motion's tally made again when voting opens).
func tallyOf(old []OptionCount, options []domain.Option) []OptionCount {
	t := old[:0]
	if old == nil || cap(t) < len(options) {
		t = make([]OptionCount, len(options))
	}
	t = t[:len(options)]
	for i, o := range options {
		t[i] = OptionCount{OptionID: o.ID, Label: o.Label}
	}
	return t
}

// Apply implements View.
func (l *Live) Apply(e Event) error {
	if id := meetingOf(e.Data); id != "" {
		l.steps.add(id, e.Position)
	}
	switch d := e.Data.(type) {
	case domain.MeetingScheduled:
		l.steps.add(d.MeetingID, e.Position)
		l.st.Meetings[d.MeetingID] = &liveMeeting{Info: d, Status: MeetingScheduled, Position: e.Position}
		return nil
	case domain.AgendaItemAdded:
		if m := l.st.Meetings[d.MeetingID]; m != nil {
			m.Agenda = append(m.Agenda, d)
		}
	case domain.ParticipantInvited:
		if m := l.st.Meetings[d.MeetingID]; m != nil {
			m.Invited++
		}
	case domain.MeetingOpened:
		if m := l.st.Meetings[d.MeetingID]; m != nil {
			m.Status = MeetingOpen
		}
	case domain.AttendanceRecorded:
		if m := l.st.Meetings[d.MeetingID]; m != nil {
			m.Attendees.set(d.PersonID, Attendee{PersonID: d.PersonID, Name: d.Name, Attendance: d.Attendance, HolderID: d.HolderID}, attendanceRoom(m.Invited))
		}
	case domain.MotionTabled:
		if m := l.st.Meetings[d.MeetingID]; m != nil {
			m.Motions++
			m.Motion = &liveMotion{LiveMotion: LiveMotion{
				MotionID: d.MotionID, ItemID: d.ItemID, Text: d.Text, Options: d.Options, Rule: d.Rule,
				Secret: d.Secret, Status: MotionTabled, Tally: tallyOf(nil, d.Options),
			}}
		}
	case domain.MotionAmended:
		if mo := l.motion(d.MeetingID, d.MotionID); mo != nil {
			mo.Text, mo.Options, mo.Rule, mo.Secret, mo.Tally = d.Text, d.Options, d.Rule, d.Secret, tallyOf(mo.Tally, d.Options)
		}
	case domain.VotingOpened:
		if mo := l.motion(d.MeetingID, d.MotionID); mo != nil {
			mo.Text, mo.Options, mo.Rule, mo.Secret, mo.Tally = d.Text, d.Options, d.Rule, d.Secret, tallyOf(mo.Tally, d.Options)
			mo.Status = MotionVoting
			// Room for the first ballots (up to 64), one allocation
			// rather than one at each doubling.
			ballots := make([]domain.Ballot, 0, min(len(d.Electorate), 64))
			mo.Voting = &liveVoting{Electorate: d.Electorate, Units: d.Units, Ballots: ballots}
		}
	case domain.VoteCast:
		l.ballot(d.MeetingID, d.MotionID, domain.Ballot{VoterID: d.VoterID, CastBy: d.CastBy, OptionID: d.OptionID})
	case domain.VoteChanged:
		l.ballot(d.MeetingID, d.MotionID, domain.Ballot{VoterID: d.VoterID, CastBy: d.CastBy, OptionID: d.OptionID})
	case domain.VotingClosed:
		if mo := l.motion(d.MeetingID, d.MotionID); mo != nil {
			t := d.Tally
			mo.Final, mo.Status, mo.Voting = &t, MotionClosed, nil
		}
	case domain.MotionObjectionRaised:
		if mo := l.motion(d.MeetingID, d.MotionID); mo != nil {
			mo.Objections++
		}
	case domain.MotionObjectionWithdrawn:
		if mo := l.motion(d.MeetingID, d.MotionID); mo != nil {
			mo.Objections--
		}
	case domain.ConsensusReached:
		if mo := l.motion(d.MeetingID, d.MotionID); mo != nil {
			mo.Status = MotionConsensus
		}
	case domain.MeetingAdjourned:
		if m := l.st.Meetings[d.MeetingID]; m != nil {
			m.Status = MeetingAdjourned
			if m.Motion != nil {
				m.Motion.Voting = nil
			}
		}
	case domain.MinutesPublished:
		if m := l.st.Meetings[d.MeetingID]; m != nil {
			m.Status = MeetingPublished
		}
	default:
		return nil
	}
	id := meetingOf(e.Data)
	if m := l.st.Meetings[id]; m != nil {
		m.Position = e.Position
		if m.Status == MeetingPublished && !l.keep {
			delete(l.st.Meetings, id)
		}
	}
	return nil
}

// meetingOf returns the meeting id of the meeting events Live folds.
func meetingOf(e domain.Event) string {
	switch d := e.(type) {
	case domain.AgendaItemAdded:
		return d.MeetingID
	case domain.ParticipantInvited:
		return d.MeetingID
	case domain.MeetingOpened:
		return d.MeetingID
	case domain.AttendanceRecorded:
		return d.MeetingID
	case domain.MotionTabled:
		return d.MeetingID
	case domain.MotionAmended:
		return d.MeetingID
	case domain.VotingOpened:
		return d.MeetingID
	case domain.VoteCast:
		return d.MeetingID
	case domain.VoteChanged:
		return d.MeetingID
	case domain.VotingClosed:
		return d.MeetingID
	case domain.MotionObjectionRaised:
		return d.MeetingID
	case domain.MotionObjectionWithdrawn:
		return d.MeetingID
	case domain.ConsensusReached:
		return d.MeetingID
	case domain.MeetingAdjourned:
		return d.MeetingID
	case domain.MinutesPublished:
		return d.MeetingID
	}
	return ""
}

// state is the meeting's state without its attendees and motion.
func (m *liveMeeting) state() MeetingState {
	return MeetingState{
		MeetingID: m.Info.MeetingID, CommunityID: m.Info.CommunityID, GridID: m.Info.GridID, Title: m.Info.Title,
		Format: m.Info.Format, Place: m.Info.Place, StartsAt: m.Info.StartsAt, Facilitator: m.Info.Facilitator,
		Status: m.Status, Agenda: slices.Clone(m.Agenda), Invited: m.Invited, Motions: m.Motions, Position: m.Position,
	}
}

// Meeting returns the live state of one meeting; a meeting whose minutes
// are published is folded again from its events, read from the log.
func (l *Live) Meeting(ctx context.Context, id string) (MeetingState, bool, error) {
	l.mu.RLock()
	if m, ok := l.st.Meetings[id]; ok {
		defer l.mu.RUnlock()
		return m.full(), true, nil
	}
	steps, err := l.steps.all(id)
	if err != nil {
		l.mu.RUnlock()
		return MeetingState{}, false, fmt.Errorf("projections: meeting %s: %w", id, err)
	}
	read := l.read
	l.mu.RUnlock()
	if len(steps) == 0 {
		return MeetingState{}, false, nil
	}
	if read == nil {
		return MeetingState{}, false, fmt.Errorf("projections: meeting %s: no log to read its events from", id)
	}
	evs, err := read(ctx, steps)
	if err != nil {
		return MeetingState{}, false, fmt.Errorf("projections: meeting %s: %w", id, err)
	}
	one := newLive(new(sync.RWMutex))
	one.keep = true
	for _, e := range evs {
		if err := one.Apply(e); err != nil {
			return MeetingState{}, false, fmt.Errorf("projections: meeting %s: %w", id, err)
		}
	}
	m, ok := one.st.Meetings[id]
	if !ok {
		return MeetingState{}, false, fmt.Errorf("projections: meeting %s: its events hold no schedule", id)
	}
	return m.full(), true, nil
}

// full returns the meeting's state with its attendees and motion.
func (m *liveMeeting) full() MeetingState {
	s := m.state()
	s.Attendees = make([]Attendee, 0, len(m.Attendees))
	for _, a := range m.Attendees {
		s.Attendees = append(s.Attendees, a)
		switch a.Attendance {
		case domain.Present:
			s.Present++
		case domain.Proxy:
			s.Proxies++
		case domain.Absent:
			s.Absent++
		}
	}
	slices.SortFunc(s.Attendees, func(a, b Attendee) int { return cmp.Compare(a.PersonID, b.PersonID) })
	if m.Motion != nil {
		s.Motion = m.Motion.view(m.Attendees)
	}
	return s
}

// view returns the motion as readers see it: its counts are the domain's
// tally, running (domain.ComputeTally over the ballots so far and the
// meeting's attendance) or final.
func (mo *liveMotion) view(attendees map[string]Attendee) *LiveMotion {
	v := mo.LiveMotion
	v.Options = slices.Clone(v.Options)
	v.QuorumPercent = v.Rule.QuorumPercent
	t := v.Final
	if mo.Voting != nil {
		attendance := make(map[string]domain.Attendance, len(attendees))
		for id, a := range attendees {
			attendance[id] = domain.Attendance{PersonID: id, Name: a.Name, Attendance: a.Attendance, HolderID: a.HolderID}
		}
		running := domain.ComputeTally(v.Rule, v.Options, mo.Voting.Electorate, mo.Voting.Units, mo.Voting.Ballots, attendance)
		t = &running
		v.Running = t
	} else if t != nil {
		final := *t
		final.Options = slices.Clone(t.Options)
		t = &final
		v.Final = t
	}
	if t == nil {
		v.Tally = slices.Clone(v.Tally)
		return &v
	}
	v.Tally = make([]OptionCount, len(t.Options))
	for i, o := range t.Options {
		v.Tally[i] = OptionCount{OptionID: o.OptionID, Label: o.Label, Votes: o.Votes}
	}
	v.Abstentions, v.Ballots, v.Electorate, v.Attending, v.QuorumReached = t.Abstentions, t.Ballots, t.Electorate, t.Attending, t.QuorumMet
	return &v
}

// Upcoming returns the meetings of a community (every community when
// empty) and grid (every grid when empty) that are scheduled, not yet
// opened and start at or after now, soonest first, at most limit
// (DefaultLimit when 0, at most MaxLimit): what their notices say, with
// no attendance and no motion.
func (l *Live) Upcoming(community, grid string, now time.Time, limit int) []MeetingState {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []MeetingState{}
	for _, m := range l.st.Meetings {
		i := m.Info
		if m.Status != MeetingScheduled || i.StartsAt.Before(now) || community != "" && i.CommunityID != community || grid != "" && i.GridID != grid {
			continue
		}
		out = append(out, m.state())
	}
	slices.SortFunc(out, func(a, b MeetingState) int {
		return cmp.Or(a.StartsAt.Compare(b.StartsAt), cmp.Compare(a.MeetingID, b.MeetingID))
	})
	return out[:min(len(out), pageLimit(limit))]
}
