package projections

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gojson "github.com/goccy/go-json"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// AttendanceCount sums a meeting's recorded attendance.
type AttendanceCount struct {
	Invited int `json:"invited"`
	Present int `json:"present"`
	Proxy   int `json:"proxy"`
	Absent  int `json:"absent"`
}

// Objection is an objection to a consensus motion or to published minutes.
type Objection struct {
	PersonID string `json:"person_id"`
	Name     string `json:"person_name"`
	Text     string `json:"text"`
	// How is domain.RecordedSpoken or RecordedInWriting when staff
	// recorded the objection for the person; empty when they raised it.
	How       string    `json:"how,omitempty"`
	Withdrawn bool      `json:"withdrawn,omitempty"`
	At        time.Time `json:"at"`
}

// Publication is a meeting's published minutes (公示) and the objections
// raised in the objection period.
type Publication struct {
	Summary        string      `json:"summary"`
	Document       string      `json:"document,omitempty"`
	Published      time.Time   `json:"published"`
	ObjectionUntil time.Time   `json:"objection_until"`
	Objections     []Objection `json:"objections,omitempty"`
}

// DecisionAction is an action a decision created.
type DecisionAction struct {
	ActionID string       `json:"action_id"`
	Title    string       `json:"title"`
	Owner    domain.Party `json:"owner"`
	Due      time.Time    `json:"due"`
}

// Decision is one entry of the decision register (公示栏): a closed vote, a
// consensus or an agreed mediation, with everything needed to check it.
type Decision struct {
	// Key is "<meeting id>/<motion or mediation id>".
	Key string `json:"key"`
	// How is domain.DecidedByVote, DecidedByConsensus or DecidedByMediation.
	How          string    `json:"how"`
	MeetingID    string    `json:"meeting_id"`
	MeetingTitle string    `json:"meeting_title"`
	CommunityID  string    `json:"community_id"`
	GridID       string    `json:"grid_id"`
	CompoundID   string    `json:"compound_id,omitempty"`
	Format       string    `json:"format"`
	Place        string    `json:"place"`
	StartsAt     time.Time `json:"starts_at"`
	ItemID       string    `json:"item_id"`
	ItemTitle    string    `json:"item_title,omitempty"`
	ProposalID   string    `json:"proposal_id,omitempty"`
	// MotionID or MediationID names what was decided.
	MotionID    string          `json:"motion_id,omitempty"`
	MediationID string          `json:"mediation_id,omitempty"`
	Text        string          `json:"text"`
	Options     []domain.Option `json:"options"`
	Rule        *domain.Rule    `json:"rule,omitempty"`
	Secret      bool            `json:"secret,omitempty"`
	// Electorate is the voters locked when voting opened (votes only).
	Electorate []domain.Voter `json:"electorate,omitempty"`
	// Attendance is the meeting's attendance when the decision was taken.
	Attendance AttendanceCount `json:"attendance"`
	// Tally is the domain's computed tally (votes only).
	Tally   *domain.Tally `json:"tally,omitempty"`
	Adopted bool          `json:"adopted"`
	// Verdict says whether it carried in a resident's words: 通过 or 未通过
	// (a yes/no motion voted down, no quorum, a tie, no option met the
	// rule); VerdictEN is the same in English. The tally is beside it.
	Verdict   string `json:"verdict"`
	VerdictEN string `json:"verdict_en"`
	// OptionID and Label name the option adopted by vote, consensus or
	// mediation.
	OptionID   string         `json:"option_id,omitempty"`
	Label      string         `json:"label,omitempty"`
	Note       string         `json:"note,omitempty"`
	Dispute    string         `json:"dispute,omitempty"`
	Parties    []domain.Party `json:"parties,omitempty"`
	Objections []Objection    `json:"objections,omitempty"`
	Decided    time.Time      `json:"decided"`
	// Position is the position of the deciding event; the register's order.
	Position eventstore.Position `json:"position"`
	// Events are the positions of the events the decision was made of, in
	// the log's order, up to the deciding one: the motion tabled, amended,
	// opened to the vote, objected to, then closed (or reached by
	// consensus); a mediation offered, then agreed. Ballots are not among
	// them (their tally is in the closing event). Nothing recorded after
	// the decision (minutes, actions) is: so its fingerprint (GET
	// /v1/proofs/decisions/{meeting}/{decision}) never changes.
	Events      []eventstore.Position `json:"events"`
	Publication *Publication          `json:"publication,omitempty"`
	Actions     []DecisionAction      `json:"actions,omitempty"`
}

func (d *Decision) clone() Decision {
	c := *d
	c.Options = slices.Clone(d.Options)
	c.Events = slices.Clone(d.Events)
	if d.Rule != nil {
		r := *d.Rule
		c.Rule = &r
	}
	c.Electorate = slices.Clone(d.Electorate)
	if d.Tally != nil {
		t := *d.Tally
		t.Options = slices.Clone(d.Tally.Options)
		c.Tally = &t
	}
	c.Parties = slices.Clone(d.Parties)
	c.Objections = slices.Clone(d.Objections)
	c.Actions = slices.Clone(d.Actions)
	if d.Publication != nil {
		p := *d.Publication
		p.Objections = slices.Clone(d.Publication.Objections)
		c.Publication = &p
	}
	return c
}

// RegisterQuery filters the register. Empty fields do not filter.
type RegisterQuery struct {
	CommunityID string
	GridID      string
	MeetingID   string
	ProposalID  string
	// How is domain.DecidedByVote, DecidedByConsensus or DecidedByMediation.
	How string
	// Newest lists the latest decision first (a notice board's order);
	// the default is the oldest first.
	Newest bool
	// After is the cursor of the previous page (RegisterPage.Next).
	After string
	// Limit is the page size (DefaultLimit when 0, at most MaxLimit).
	Limit int
}

// RegisterPage is one page of the register, in the query's order.
type RegisterPage struct {
	Items []Decision `json:"items"`
	// Next is the cursor of the next page, empty on the last page.
	Next string `json:"next,omitempty"`
}

// Register is the decision register (公示栏).
//
// As on the board, what its queries filter and order by is kept in memory
// for every decision (a head); each decision, with its electorate, tally
// and objections, and each adjourned meeting's minutes are kept in
// tables, from which a page reads only its own decisions.
type Register struct {
	mu *sync.RWMutex
	st registerState
	// decisions holds each decision by key; minutes each adjourned
	// meeting's published minutes.
	decisions *entries[Decision]
	minutes   *entries[adjourned]
	// heads holds every decision's head, in decision order.
	heads heads[identPair, decisionHead]
}

// adjourned is what the register keeps of an adjourned meeting: its
// published minutes, nil until they are.
type adjourned struct {
	Minutes *Publication `json:"minutes,omitempty"`
}

// decisionHead is what the register's queries read of a decision without
// the decision. Its community and grid are numbers in the register's
// places, how it was taken in its words (heads); its meeting's and
// proposal's ids are idents of its own (few decisions share one).
type decisionHead struct {
	community, grid, how int32
	MeetingID            ident
	ProposalID           ident
	Position             eventstore.Position
}

// place implements located.
func (h decisionHead) place() (community, grid int32) { return h.community, h.grid }

// position implements located: the decision's.
func (h decisionHead) position() eventstore.Position { return h.Position }

// regMeeting is what the register keeps of a meeting while it decides.
type regMeeting struct {
	Info       domain.MeetingScheduled                    `json:"info"`
	Items      objectMap[string, domain.AgendaItemAdded]  `json:"items"`
	Motions    objectMap[string, *regMotion]              `json:"motions"`
	Mediations objectMap[string, domain.MediationOffered] `json:"mediations"`
	// MediationEvents are the positions of each open mediation's events.
	MediationEvents map[string][]eventstore.Position `json:"mediation_events,omitempty"`
	Invited         int                              `json:"invited"`
	Attendance      objectMap[string, string]        `json:"attendance"`
}

type regMotion struct {
	Text       string          `json:"text"`
	ItemID     string          `json:"item_id"`
	ProposalID string          `json:"proposal_id,omitempty"`
	Options    []domain.Option `json:"options"`
	Rule       domain.Rule     `json:"rule"`
	Secret     bool            `json:"secret,omitempty"`
	Electorate []domain.Voter  `json:"electorate,omitempty"`
	Objections []Objection     `json:"objections,omitempty"`
	// Events are the positions of the motion's events so far.
	Events []eventstore.Position `json:"events"`
}

type registerState struct {
	// Meetings are the meetings still deciding: scheduled or open.
	Meetings map[string]*regMeeting `json:"meetings"`
	// An adjourned meeting leaves the register's memory for its minutes
	// table: nothing is decided after an adjournment, and a city's
	// meetings would otherwise keep their agendas, motions and attendance
	// lists in memory forever.
}

func newRegister(mu *sync.RWMutex) *Register {
	return &Register{mu: mu, st: registerState{Meetings: map[string]*regMeeting{}}, heads: newHeads[identPair, decisionHead](0),
		decisions: newEntries[Decision]("decisions"), minutes: newEntries[adjourned]("minutes")}
}

// Name implements View.
func (r *Register) Name() string { return "register" }

// Version implements View.
func (r *Register) Version() int { return 5 }

// tables implements tabled.
func (r *Register) tables() []table { return []table{r.decisions, r.minutes} }

// registerMagic begins the register's snapshot: the meetings still
// deciding as JSON, after its length, then its heads as fixed rows
// (fixedRowsMagic). The builds before fixed rows began it with rowsMagic,
// and their heads as rows of numbers (still read); a magic of its own
// tells the two forms apart by their first line, as the views'
// verification does (sameForm).
const registerMagic = "\x00yishi register 2\n"

// MarshalSnapshot implements View: registerMagic, the meetings still
// deciding as JSON, after its length, then the heads as fixed rows.
func (r *Register) MarshalSnapshot() ([]byte, error) {
	return marshalEncoded(r, 96+96*len(r.heads.rows))
}

// encodeSnapshot implements encoded.
func (r *Register) encodeSnapshot(s *snapshotWriter) error {
	meetings, err := gojson.Marshal(r.st.Meetings)
	if err != nil {
		return fmt.Errorf("register snapshot: meetings: %w", err)
	}
	s.buf = binary.AppendUvarint(append(s.buf, registerMagic...), uint64(len(meetings)))
	s.write(meetings)
	// The heads' rows follow with their own magic, as a list view's.
	writeFixedRows(&r.heads, s, nil)
	return nil
}

// snapshotJSON implements readable: {"meetings": …, "heads": …}, as goccy
// wrote the register's state when its heads were a map by id.
func (r *Register) snapshotJSON() ([]byte, error) {
	meetings, err := gojson.Marshal(r.st.Meetings)
	if err != nil {
		return nil, fmt.Errorf("register snapshot: meetings: %w", err)
	}
	out := make([]byte, 0, len(meetings)+64+96*len(r.heads.rows))
	out = append(append(append(out, `{"meetings":`...), meetings...), `,"heads":`...)
	if out, err = r.heads.appendJSON(out, func(out []byte, h *decisionHead) ([]byte, error) {
		return appendDecisionHead(&r.heads, out, h)
	}); err != nil {
		return nil, fmt.Errorf("register snapshot: %w", err)
	}
	return append(out, '}'), nil
}

// mapSizes implements sized.
func (r *Register) mapSizes() map[string]int {
	return map[string]int{"meetings": len(r.st.Meetings), "heads": len(r.heads.rows)}
}

// UnmarshalSnapshot implements View.
func (r *Register) UnmarshalSnapshot(in io.Reader) error {
	size := headsSize(in)
	in, rows, err := rowsOrJSONKept(in, []string{registerMagic, rowsMagic}, roomFor(in), func(magic string, payload []byte, mapped bool) (bool, error) {
		return r.readRows(payload, magic == registerMagic, mapped)
	})
	switch {
	case err != nil:
		return fmt.Errorf("register snapshot: %w", err)
	case rows:
		return nil
	}
	var st struct {
		Meetings map[string]*regMeeting         `json:"meetings"`
		Heads    heads[identPair, decisionHead] `json:"heads"`
	}
	st.Heads = newHeads[identPair, decisionHead](size)
	read := false
	heads := headsReader[identPair]((*decisionHead).read, &read)
	if err := decodeSnapshot(in, &st, heads); err != nil {
		return fmt.Errorf("register snapshot: %w", err)
	}
	if st.Meetings == nil || !read {
		return fmt.Errorf("register snapshot: missing maps")
	}
	if err := st.Heads.index(); err != nil {
		return fmt.Errorf("register snapshot: %w", err)
	}
	r.st, r.heads = registerState{Meetings: st.Meetings}, st.Heads
	return nil
}

// appendDecisionHead appends h as goccy/go-json wrote the register's
// heads when they were kept in a map by id: members c, g, m, pr (left out
// when empty), h and p.
func appendDecisionHead(hs *heads[identPair, decisionHead], out []byte, h *decisionHead) ([]byte, error) {
	o := newObject(out)
	o.str("c", hs.places.name(h.community), false)
	o.str("g", hs.places.name(h.grid), false)
	o.ident("m", h.MeetingID, &hs.others, false)
	o.ident("pr", h.ProposalID, &hs.others, true)
	o.str("h", hs.words.name(h.how), false)
	o.position("p", h.Position)
	return o.close()
}

// read reads h as appendDecisionHead wrote it, its places, words and ids
// numbered in d's dictionaries.
func (h *decisionHead) read(dec *jsontext.Decoder, d *headNames) error {
	places, words := d.places, d.words
	return members(dec, func(name []byte) (err error) {
		switch string(name) {
		case "c":
			h.community, err = readNamed(dec, places)
		case "g":
			h.grid, err = readNamed(dec, places)
		case "m":
			h.MeetingID, err = readIdent(dec, d.others)
		case "pr":
			h.ProposalID, err = readIdent(dec, d.others)
		case "h":
			h.how, err = readNamed(dec, words)
		case "p":
			h.Position, err = readPosition(dec)
		default:
			err = dec.SkipValue()
		}
		return err
	})
}

func (m *regMeeting) attendance() AttendanceCount {
	c := AttendanceCount{Invited: m.Invited}
	for _, a := range m.Attendance {
		switch a {
		case domain.Present:
			c.Present++
		case domain.Proxy:
			c.Proxy++
		case domain.Absent:
			c.Absent++
		}
	}
	return c
}

// Apply implements View.
func (r *Register) Apply(e Event) error {
	switch d := e.Data.(type) {
	case domain.MeetingScheduled:
		r.st.Meetings[d.MeetingID] = &regMeeting{Info: d}
	case domain.AgendaItemAdded:
		if m := r.st.Meetings[d.MeetingID]; m != nil {
			m.Items.set(d.ItemID, d, 0)
		}
	case domain.ParticipantInvited:
		if m := r.st.Meetings[d.MeetingID]; m != nil {
			m.Invited++
		}
	case domain.AttendanceRecorded:
		if m := r.st.Meetings[d.MeetingID]; m != nil {
			m.Attendance.set(d.PersonID, d.Attendance, attendanceRoom(m.Invited))
		}
	case domain.MotionTabled:
		if m := r.st.Meetings[d.MeetingID]; m != nil {
			m.Motions.set(d.MotionID, &regMotion{Text: d.Text, ItemID: d.ItemID, ProposalID: d.ProposalID, Options: d.Options, Rule: d.Rule, Secret: d.Secret,
				Events: []eventstore.Position{e.Position}}, 0)
		}
	case domain.MotionAmended:
		if mo := r.motion(d.MeetingID, d.MotionID); mo != nil {
			mo.Text, mo.Options, mo.Rule, mo.Secret = d.Text, d.Options, d.Rule, d.Secret
			mo.Events = append(mo.Events, e.Position)
		}
	case domain.VotingOpened:
		if mo := r.motion(d.MeetingID, d.MotionID); mo != nil {
			mo.Text, mo.Options, mo.Rule, mo.Secret, mo.Electorate = d.Text, d.Options, d.Rule, d.Secret, d.Electorate
			mo.Events = append(mo.Events, e.Position)
		}
	case domain.MotionObjectionRaised:
		if mo := r.motion(d.MeetingID, d.MotionID); mo != nil {
			mo.Objections = append(mo.Objections, Objection{PersonID: d.PersonID, Name: d.Name, Text: d.Reason, How: d.How, At: d.At})
			mo.Events = append(mo.Events, e.Position)
		}
	case domain.MotionObjectionWithdrawn:
		if mo := r.motion(d.MeetingID, d.MotionID); mo != nil {
			for i := range mo.Objections {
				if mo.Objections[i].PersonID == d.PersonID {
					mo.Objections[i].Withdrawn = true
				}
			}
			mo.Events = append(mo.Events, e.Position)
		}
	case domain.VotingClosed:
		r.decideMotion(e, d.MeetingID, d.MotionID, domain.DecidedByVote, d.At, func(dec *Decision) {
			t := d.Tally
			dec.Tally = &t
			dec.Text = d.Text
			dec.Adopted = t.Adopted
			dec.Verdict, dec.VerdictEN = domain.Verdict(t.Adopted)
			dec.OptionID = t.WinningOptionID
			for _, o := range t.Options {
				if o.OptionID == t.WinningOptionID {
					dec.Label = o.Label
				}
			}
		})
	case domain.ConsensusReached:
		r.decideMotion(e, d.MeetingID, d.MotionID, domain.DecidedByConsensus, d.At, func(dec *Decision) {
			dec.Text = d.Text
			dec.Adopted = true
			dec.Verdict, dec.VerdictEN = domain.Verdict(true)
			dec.OptionID, dec.Label, dec.Note = d.OptionID, d.Label, d.Note
		})
	case domain.MediationOffered:
		if m := r.st.Meetings[d.MeetingID]; m != nil {
			m.Mediations.set(d.MediationID, d, 0)
			if m.MediationEvents == nil {
				m.MediationEvents = map[string][]eventstore.Position{}
			}
			m.MediationEvents[d.MediationID] = append(m.MediationEvents[d.MediationID], e.Position)
		}
	case domain.MediationAgreed:
		m := r.st.Meetings[d.MeetingID]
		if m == nil {
			return nil
		}
		dec := r.newDecision(e, m, d.MediationID, domain.DecidedByMediation, d.ItemID, d.At)
		dec.MediationID, dec.ProposalID, dec.Text, dec.Dispute = d.MediationID, d.ProposalID, d.Dispute, d.Dispute
		dec.Options = m.Mediations[d.MediationID].Options
		dec.Adopted, dec.OptionID, dec.Label, dec.Note, dec.Parties = true, d.OptionID, d.Label, d.Note, d.Parties
		dec.Verdict, dec.VerdictEN = domain.Verdict(true)
		dec.Events = append(m.MediationEvents[d.MediationID], e.Position)
		delete(m.Mediations, d.MediationID)
		delete(m.MediationEvents, d.MediationID)
		r.record(dec)
	case domain.MeetingAdjourned:
		if m := r.st.Meetings[d.MeetingID]; m != nil {
			r.minutes.put(d.MeetingID, &adjourned{})
			delete(r.st.Meetings, d.MeetingID)
		}
	case domain.MinutesPublished:
		// Minutes are published once the meeting adjourned (the domain's
		// rule), so their meeting is among the adjourned.
		a, err := r.minutes.edit(d.MeetingID)
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
		if a != nil {
			a.Minutes = &Publication{Summary: d.Summary, Document: d.Document, Published: d.At, ObjectionUntil: d.ObjectionUntil}
		}
	case domain.MinutesObjectionRaised:
		a, err := r.minutes.get(d.MeetingID)
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
		if a == nil || a.Minutes == nil {
			return nil
		}
		if a, err = r.minutes.edit(d.MeetingID); err != nil {
			return fmt.Errorf("register: %w", err)
		}
		a.Minutes.Objections = append(a.Minutes.Objections, Objection{PersonID: d.PersonID, Name: d.Name, Text: d.Text, At: d.At})
	case domain.ActionAssigned:
		if d.MeetingID == "" || d.MotionID == "" {
			return nil
		}
		key := d.MeetingID + "/" + d.MotionID
		if r.heads.head(key) == nil {
			return nil
		}
		dec, err := r.decisions.named(key, true)
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
		dec.Actions = append(dec.Actions, DecisionAction{ActionID: d.ActionID, Title: d.Title, Owner: d.Owner, Due: d.Due})
	}
	return nil
}

func (r *Register) motion(meetingID, motionID string) *regMotion {
	if m := r.st.Meetings[meetingID]; m != nil {
		return m.Motions[motionID]
	}
	return nil
}

func (r *Register) newDecision(e Event, m *regMeeting, id, how, itemID string, at time.Time) *Decision {
	info := m.Info
	dec := &Decision{
		Key: info.MeetingID + "/" + id, How: how, MeetingID: info.MeetingID, MeetingTitle: info.Title,
		CommunityID: info.CommunityID, GridID: info.GridID, CompoundID: info.CompoundID, Format: info.Format,
		Place: info.Place, StartsAt: info.StartsAt, ItemID: itemID, ItemTitle: m.Items[itemID].Title,
		Attendance: m.attendance(), Decided: at, Position: e.Position,
	}
	return dec
}

// record keeps dec, made whole, in the register.
func (r *Register) record(dec *Decision) {
	hs := &r.heads
	row, again := hs.rowOf(dec.Key)
	if again {
		// Decided again (not from the ledger, which decides a motion
		// once): the decision keeps its row, and the position that orders
		// it there.
		dec.Position = hs.rows[row].head.Position
	}
	r.decisions.put(dec.Key, dec)
	h := decisionHead{community: hs.places.of(dec.CommunityID), grid: hs.places.of(dec.GridID), how: hs.words.of(dec.How),
		MeetingID: hs.ident(dec.MeetingID), ProposalID: hs.ident(dec.ProposalID), Position: dec.Position}
	if again {
		hs.set(row, h)
		return
	}
	hs.add(dec.Key, h)
}

func (r *Register) decideMotion(e Event, meetingID, motionID, how string, at time.Time, fill func(*Decision)) {
	m := r.st.Meetings[meetingID]
	if m == nil {
		return
	}
	mo := m.Motions[motionID]
	if mo == nil {
		return
	}
	dec := r.newDecision(e, m, motionID, how, mo.ItemID, at)
	rule := mo.Rule
	dec.MotionID, dec.ProposalID, dec.Options, dec.Rule, dec.Secret = motionID, mo.ProposalID, mo.Options, &rule, mo.Secret
	dec.Electorate, dec.Objections = mo.Electorate, mo.Objections
	dec.Events = append(mo.Events, e.Position)
	fill(dec)
	delete(m.Motions, motionID)
	r.record(dec)
}

// decision returns a copy of the decision key with its meeting's
// publication. The caller holds the read lock.
func (r *Register) decision(key string) (Decision, error) {
	dec, err := r.decisions.named(key, false)
	if err != nil {
		return Decision{}, fmt.Errorf("register: %w", err)
	}
	c := dec.clone()
	a, err := r.minutes.get(dec.MeetingID)
	if err != nil {
		return Decision{}, fmt.Errorf("register: %w", err)
	}
	if a != nil && a.Minutes != nil {
		p := *a.Minutes
		p.Objections = slices.Clone(p.Objections)
		c.Publication = &p
	}
	return c, nil
}

// Decisions returns one page of the decisions that match q, oldest first,
// or latest first when q.Newest is set.
func (r *Register) Decisions(q RegisterQuery) (RegisterPage, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	hs := &r.heads
	page := RegisterPage{Items: []Decision{}}
	var f numbers
	community, grid, how := f.of(&hs.places, q.CommunityID), f.of(&hs.places, q.GridID), f.of(&hs.words, q.How)
	meeting, proposal := f.ident(&hs.others, q.MeetingID), f.ident(&hs.others, q.ProposalID)
	if f.none {
		return page, nil
	}
	list, all := hs.list(q.CommunityID, q.GridID)
	after := parsePositionCursor(q.After)
	// The rows from i on, in steps of step: past the cursor, or before it
	// latest first.
	i, step, n := hs.after(list, all, after), 1, hs.size(list, all)
	if q.Newest {
		i, step = n-1, -1
		if after > 0 {
			i = sort.Search(n, func(i int) bool { return hs.at(list, all, i).head.Position >= after }) - 1
		}
	}
	limit := pageLimit(q.Limit)
	for ; i >= 0 && i < n; i += step {
		row := hs.at(list, all, i)
		h := &row.head
		if !is(community, h.community) || !is(grid, h.grid) || !is(how, h.how) ||
			q.MeetingID != "" && h.MeetingID != meeting || q.ProposalID != "" && h.ProposalID != proposal {
			continue
		}
		if len(page.Items) == limit {
			page.Next = positionCursor(page.Items[limit-1].Position)
			break
		}
		d, err := r.decision(hs.idText(row))
		if err != nil {
			return RegisterPage{}, err
		}
		page.Items = append(page.Items, d)
	}
	return page, nil
}

// Decision returns one decision by its key ("<meeting id>/<motion or
// mediation id>").
func (r *Register) Decision(key string) (Decision, bool, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.heads.head(key) == nil {
		return Decision{}, false, nil
	}
	d, err := r.decision(key)
	return d, err == nil, err
}

// readRows reads a snapshot MarshalSnapshot wrote (fixed, past
// registerMagic), or one the builds before fixed rows wrote (past
// rowsMagic, its heads as rows of numbers), from payload; mapped says the
// payload is mapped from its file (readFixedRows), and inPlace that its
// rows were read in place.
func (r *Register) readRows(payload []byte, fixed, mapped bool) (inPlace bool, err error) {
	in := &rowsReader{b: payload}
	var meetings map[string]*regMeeting
	if err := jsonv2.Unmarshal(in.next(in.count(1)), &meetings, jsontext.AllowDuplicateNames(true)); err != nil || in.err != nil {
		return false, fmt.Errorf("meetings: %w", cmp.Or(in.err, err))
	}
	var hs heads[identPair, decisionHead]
	switch {
	case meetings == nil:
		return false, errors.New("missing maps")
	case fixed && bytes.HasPrefix(in.b, []byte(fixedRowsMagic)):
		rows := in.b[len(fixedRowsMagic):]
		hs, inPlace, err = readFixedRows[identPair, decisionHead](payload[len(payload)-len(rows):], mapped)
	case !fixed && bytes.HasPrefix(in.b, []byte(rowsMagic)):
		in.b = in.b[len(rowsMagic):]
		hs, err = readRows[identPair](in, (*decisionHead).readBinary)
	default:
		return false, errors.New("missing maps")
	}
	if err != nil {
		return false, err
	}
	r.st, r.heads = registerState{Meetings: meetings}, hs
	return inPlace, nil
}

// check implements fixedHead.
func (h decisionHead) check(r *rowsReader, d *headNames) {
	r.checkNumbers(d.places, h.community, h.grid)
	r.checkNumbers(d.words, h.how)
	r.checkIdents(d.others, h.MeetingID, h.ProposalID)
}

// readBinary reads h as the rows of numbers held it (rowsMagic).
func (h *decisionHead) readBinary(r *rowsReader, d *headNames) {
	h.community, h.grid, h.how = r.number(d.places), r.number(d.places), r.number(d.words)
	h.MeetingID, h.ProposalID = r.ident(d.others), r.ident(d.others)
	h.Position = r.position()
}
