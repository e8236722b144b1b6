package projections

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gojson "github.com/goccy/go-json"

	"github.com/yishi-civic/yishi/domain"
)

// Figures are the statistics of a set of grids over a period: the figures a
// street office asks for (24 opinions collected, 280 requests solved).
type Figures struct {
	// Collected counts proposals submitted, ByChannel by channel.
	Collected int            `json:"collected"`
	ByChannel map[string]int `json:"by_channel"`
	// Solved counts proposals closed after verification, each once: a
	// proposal reopened and closed again is not solved again.
	Solved int `json:"solved"`
	// SolvedDirectly counts the solved proposals handled directly (即时办结)
	// without a meeting: the 发现—处置—反馈 loop of found, handled and fed
	// back (智慧赵寨's 98). SolvedConvened counts those decided at a
	// meeting to which the units concerned were invited (a grid head
	// convening 相关单位 on a 关键小事: 紫陵镇's 280). The rest of Solved
	// were decided at meetings of residents alone.
	SolvedDirectly int `json:"solved_directly"`
	SolvedConvened int `json:"solved_convened"`
	// Closed counts proposals that ended (solved, rejected, withdrawn or
	// merged), each once, in the month it first ended, or in the month it
	// was solved when it ended unsolved before (a rejection reopened).
	Closed int `json:"closed"`
	// ClosedLoopRate is Solved ÷ Closed (verified ÷ closed), 0 without
	// closures.
	ClosedLoopRate float64 `json:"closed_loop_rate"`
	// MedianDays and P90Days are the days from submission to verified
	// close of the proposals solved in the period (nearest-rank
	// percentiles).
	// MeanDays is their average.
	MedianDays float64 `json:"median_days"`
	P90Days    float64 `json:"p90_days"`
	MeanDays   float64 `json:"mean_days"`
	// Verifications counts residents' verdicts on actions; Satisfied those
	// that were satisfied, and Satisfaction is their share.
	Verifications int     `json:"verifications"`
	Satisfied     int     `json:"satisfied"`
	Satisfaction  float64 `json:"satisfaction"`
	// CollectedAtMeetings counts proposals collected at a meeting (those
	// naming the meeting they were collected at), by the meeting's format:
	// the 24 opinions of 网格之家's policy talks are "talk": 24.
	CollectedAtMeetings map[string]int `json:"collected_at_meetings"`
	// MeetingsHeld counts meetings opened in the period, MeetingsByFormat
	// by their format (talk, courtyard, council, owners_assembly …).
	MeetingsHeld     int            `json:"meetings_held"`
	MeetingsByFormat map[string]int `json:"meetings_by_format"`
	// Attendance counts people present or represented by proxy at those
	// meetings, Invited those invited; AttendanceRate is their ratio.
	Attendance     int     `json:"attendance"`
	Invited        int     `json:"invited"`
	AttendanceRate float64 `json:"attendance_rate"`
}

// StatsQuery selects the grids and months to sum. Months are calendar
// months in China (UTC+8).
type StatsQuery struct {
	CommunityID string
	GridID      string
	// Communities, when not nil, keeps only these communities (a street
	// office's); an empty list keeps none.
	Communities []string
	// From and To bound the period: months from From's month up to and
	// including To's month. Zero times do not bound.
	From time.Time
	To   time.Time
}

// Breakdowns of StatsQuery results.
const (
	ByGrid      = "grid"
	ByCommunity = "community"
	ByMonth     = "month"
)

// StatsRow is one group of a breakdown.
type StatsRow struct {
	// Key is the grid id ("<community>/<grid>"), community id or month.
	Key     string  `json:"key"`
	Figures Figures `json:"figures"`
}

type statProposal struct {
	Community string    `json:"c"`
	Grid      string    `json:"g"`
	Submitted time.Time `json:"s"`
	Ended     bool      `json:"e,omitempty"`
	// EndedIn is the month its end is counted in; Solved is set once it
	// counted as solved.
	EndedIn string `json:"em,omitempty"`
	Solved  bool   `json:"so,omitempty"`
	// Direct is set while it is handled directly (即时办结); Meeting is the
	// meeting that last decided it.
	Direct  bool   `json:"dr,omitempty"`
	Meeting string `json:"mi,omitempty"`
}

type statMeeting struct {
	Community string `json:"c"`
	Grid      string `json:"g"`
	Format    string `json:"f,omitempty"`
	// Units is set once a participating unit's representative is invited:
	// the meeting convenes the units concerned.
	Units bool `json:"u,omitempty"`
	// Month is the month the meeting opened, empty before.
	Month      string            `json:"m,omitempty"`
	Invited    int               `json:"i"`
	Attendance map[string]string `json:"a,omitempty"`
	// Expected holds who counts in Invited until the meeting adjourns: the
	// invited, and anyone whose attendance was recorded without an
	// invitation (an owners' assembly's owners), so attendance never
	// exceeds the expected.
	Expected map[string]bool `json:"e,omitempty"`
}

// expect counts person among the meeting's expected participants once.
func (s *Stats) expect(m *statMeeting, person string) {
	if m.Expected[person] {
		return
	}
	if m.Expected == nil {
		m.Expected = map[string]bool{}
	}
	m.Expected[person] = true
	m.Invited++
	if m.Month != "" {
		s.monthBucket(m).Invited++
	}
}

type statsState struct {
	Buckets bucketSet `json:"buckets"`
	// Orgs holds each community's organisation as it stands.
	Orgs map[string]*statOrg `json:"orgs"`
}

// Stats holds statistics per grid and month, summed on demand per grid,
// community and period.
type Stats struct {
	mu *sync.RWMutex
	st statsState
	// What the fold remembers of each proposal, meeting and action (an
	// action's grid: [community, grid]) to count its later events, which
	// no query reads: kept in tables.
	proposals *entries[statProposal]
	meetings  *entries[statMeeting]
	actions   *entries[[2]string]
}

func newStats(mu *sync.RWMutex) *Stats {
	return &Stats{mu: mu, st: statsState{Buckets: newBucketSet(0), Orgs: map[string]*statOrg{}},
		proposals: newEntries[statProposal]("proposals"),
		meetings:  newEntries[statMeeting]("meetings"),
		actions:   newEntries[[2]string]("actions"),
	}
}

// Name implements View.
func (s *Stats) Name() string { return "stats" }

// Version implements View.
func (s *Stats) Version() int { return 6 }

// tables implements tabled.
func (s *Stats) tables() []table { return []table{s.proposals, s.meetings, s.actions} }

// MarshalSnapshot implements View: bucketsMagic, the organisations as
// text and shapes, then the buckets.
func (s *Stats) MarshalSnapshot() ([]byte, error) {
	return marshalEncoded(s, 64*s.st.Buckets.len()+8*len(s.st.Buckets.tallies.vals))
}

// encodeSnapshot implements encoded.
func (s *Stats) encodeSnapshot(w *snapshotWriter) error {
	w.buf = append(w.buf, bucketsMagic...)
	writeOrgs(w, s.st.Orgs)
	s.st.Buckets.writeBinary(w)
	return nil
}

// snapshotJSON implements readable: {"buckets": the buckets as appendJSON
// writes them, "orgs": …}, as snapshots held them before bucketsMagic.
func (s *Stats) snapshotJSON() ([]byte, error) {
	out, err := s.st.Buckets.appendJSON([]byte(`{"buckets":`))
	if err != nil {
		return nil, fmt.Errorf("stats snapshot: %w", err)
	}
	orgs, err := gojson.Marshal(s.st.Orgs)
	if err != nil {
		return nil, fmt.Errorf("stats snapshot: organisations: %w", err)
	}
	return append(append(append(out, `,"orgs":`...), orgs...), '}'), nil
}

// mapSizes implements sized.
func (s *Stats) mapSizes() map[string]int {
	return map[string]int{"buckets": s.st.Buckets.len(), "orgs": len(s.st.Orgs)}
}

// UnmarshalSnapshot implements View.
func (s *Stats) UnmarshalSnapshot(r io.Reader) error {
	n := 0
	if c, ok := r.(*checkedReader); ok {
		n = max(0, min(c.h.Sizes["buckets"], c.h.Size/4)) // the header is not under the checksum
	}
	r, rows, err := rowsOrJSONKept(r, []string{bucketsPrefix}, roomFor(r), func(_ string, payload []byte, mapped bool) (bool, error) {
		st, inPlace, err := readBuckets(payload, mapped)
		if err == nil {
			s.st = st
		}
		return inPlace, err
	})
	switch {
	case err != nil:
		return fmt.Errorf("stats snapshot: %w", err)
	case rows:
		return nil
	}
	st := statsState{Buckets: newBucketSet(n)}
	keep, read := newNames(), false
	buckets := jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *bucketSet) error {
		read = dec.PeekKind() == '{'
		return v.read(dec, keep)
	}))
	if err := decodeSnapshot(r, &st, buckets); err != nil {
		return fmt.Errorf("stats snapshot: %w", err)
	}
	if !read || st.Orgs == nil {
		return fmt.Errorf("stats snapshot: missing maps")
	}
	if err := checkOrgs(st.Orgs); err != nil {
		return fmt.Errorf("stats snapshot: %w", err)
	}
	s.st = st
	return nil
}

func (s *Stats) bucket(community, grid string, at time.Time) *bucket {
	return s.bucketIn(community, grid, monthOf(at))
}

// bucketIn returns the bucket of a grid in a month ("2026-07"), made on
// first use.
func (s *Stats) bucketIn(community, grid, month string) *bucket {
	return s.st.Buckets.in(community, grid, month)
}

// end counts a proposal's end once and its solution once: later ends
// (after a reopen) are not new closures. A proposal that ended unsolved
// (rejected) and is solved after a reopen moves its closure to the month
// it was solved, so that no period counts more solved than closed.
func (s *Stats) end(id string, at time.Time, solved bool) error {
	p, err := s.proposals.get(id)
	if err != nil || p == nil || p.Solved || (p.Ended && !solved) {
		return err
	}
	if p, err = s.proposals.edit(id); err != nil {
		return err
	}
	b := s.bucket(p.Community, p.Grid, at)
	if p.Ended {
		s.bucketIn(p.Community, p.Grid, p.EndedIn).Closed--
	}
	p.Ended, p.EndedIn = true, monthOf(at)
	b.Closed++
	if solved {
		p.Solved = true
		b.Solved++
		var m *statMeeting
		if p.Meeting != "" {
			if m, err = s.meetings.get(p.Meeting); err != nil {
				return err
			}
		}
		switch {
		case p.Direct:
			b.Direct++
		case m != nil && m.Units:
			b.Convened++
		}
		s.st.Buckets.day(b, float32(at.Sub(p.Submitted).Hours()/24))
	}
	return nil
}

// Apply implements View.
func (s *Stats) Apply(e Event) error {
	if err := s.apply(e); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	return nil
}

func (s *Stats) apply(e Event) error {
	switch d := e.Data.(type) {
	case domain.ProposalSubmitted:
		s.proposals.put(d.ProposalID, &statProposal{Community: d.CommunityID, Grid: d.GridID, Submitted: d.At})
		b := s.bucket(d.CommunityID, d.GridID, d.At)
		if err := s.st.Buckets.count(b, byChannel, d.Channel); err != nil {
			return err
		}
		if d.MeetingID != "" {
			m, err := s.meetings.get(d.MeetingID)
			if err != nil {
				return err
			}
			if m != nil {
				return s.st.Buckets.count(b, atMeetings, m.Format)
			}
		}
	case domain.ProposalHandledDirectly:
		p, err := s.proposals.edit(d.ProposalID)
		if p != nil {
			p.Direct = true
		}
		return err
	case domain.ProposalDecided:
		p, err := s.proposals.edit(d.ProposalID)
		if p != nil {
			p.Direct, p.Meeting = false, d.MeetingID
		}
		return err
	case domain.ProposalClosed:
		return s.end(d.ProposalID, d.At, true)
	case domain.ProposalRejected:
		return s.end(d.ProposalID, d.At, false)
	case domain.ProposalWithdrawn:
		return s.end(d.ProposalID, d.At, false)
	case domain.ProposalMerged:
		return s.end(d.ProposalID, d.At, false)
	case domain.ActionAssigned:
		s.actions.put(d.ActionID, &[2]string{d.CommunityID, d.GridID})
	case domain.ActionVerified:
		g, err := s.actions.get(d.ActionID)
		if g == nil {
			return err
		}
		b := s.bucket(g[0], g[1], d.At)
		b.Verifications++
		if d.Satisfied {
			b.Satisfied++
		}
	case domain.MeetingScheduled:
		s.meetings.put(d.MeetingID, &statMeeting{Community: d.CommunityID, Grid: d.GridID, Format: d.Format})
	case domain.ParticipantInvited:
		m, err := s.meetings.edit(d.MeetingID)
		if m != nil {
			s.expect(m, d.Participant.PersonID)
			m.Units = m.Units || d.Participant.Kind == domain.ParticipantUnit || d.Participant.PartnerID != ""
		}
		return err
	case domain.MeetingOpened:
		m, err := s.meetings.get(d.MeetingID)
		if m == nil || m.Month != "" {
			return err
		}
		if m, err = s.meetings.edit(d.MeetingID); err != nil {
			return err
		}
		m.Month = monthOf(d.At)
		b := s.monthBucket(m)
		b.Meetings++
		if err := s.st.Buckets.count(b, byFormat, m.Format); err != nil {
			return err
		}
		b.Invited += int32(m.Invited)
		for _, a := range m.Attendance {
			if a == domain.Present || a == domain.Proxy {
				b.Attendance++
			}
		}
	case domain.AttendanceRecorded:
		m, err := s.meetings.edit(d.MeetingID)
		if m == nil {
			return err
		}
		if m.Attendance == nil {
			m.Attendance = make(map[string]string, attendanceRoom(m.Invited))
		}
		s.expect(m, d.PersonID)
		was := m.Attendance[d.PersonID]
		m.Attendance[d.PersonID] = d.Attendance
		if m.Month == "" {
			return nil
		}
		b := s.monthBucket(m)
		if was == domain.Present || was == domain.Proxy {
			b.Attendance--
		}
		if d.Attendance == domain.Present || d.Attendance == domain.Proxy {
			b.Attendance++
		}
	case domain.MeetingAdjourned:
		// Attendance is final: keep the counts, drop the per-person record.
		m, err := s.meetings.get(d.MeetingID)
		if m == nil || m.Month == "" {
			return err
		}
		if m, err = s.meetings.edit(d.MeetingID); err != nil {
			return err
		}
		m.Attendance, m.Expected = nil, nil
	default:
		s.applyOrganisation(e.Data)
	}
	return nil
}

func (s *Stats) monthBucket(m *statMeeting) *bucket { return s.bucketIn(m.Community, m.Grid, m.Month) }

// covers reports whether the query selects a grid of a community (grid ""
// stands for what belongs to the community and no grid).
func (q StatsQuery) covers(community, grid string) bool {
	return (q.CommunityID == "" || community == q.CommunityID) && (q.GridID == "" || grid == q.GridID) &&
		(q.Communities == nil || slices.Contains(q.Communities, community))
}

// during reports whether the query's period holds a month ("2026-07").
func (q StatsQuery) during(month string) bool {
	return (q.From.IsZero() || month >= monthOf(q.From)) && (q.To.IsZero() || month <= monthOf(q.To))
}

// sum adds the buckets' figures up.
func (s *bucketSet) sum(bs []*bucket) Figures {
	f := Figures{ByChannel: map[string]int{}, CollectedAtMeetings: map[string]int{}, MeetingsByFormat: map[string]int{}}
	var took []float64 // the days each solved proposal took
	for _, b := range bs {
		for _, t := range s.talliesOf(b) {
			if t.kind() == days {
				took = append(took, float64(math.Float32frombits(uint32(t.n))))
				continue
			}
			word, n := s.words.name(t.word()), int(t.n)
			switch t.kind() {
			case byChannel:
				f.ByChannel[word] += n
				f.Collected += n
			case atMeetings:
				f.CollectedAtMeetings[word] += n
			case byFormat:
				f.MeetingsByFormat[word] += n
			}
		}
		f.Solved += int(b.Solved)
		f.SolvedDirectly += int(b.Direct)
		f.SolvedConvened += int(b.Convened)
		f.Closed += int(b.Closed)
		f.Verifications += int(b.Verifications)
		f.Satisfied += int(b.Satisfied)
		f.MeetingsHeld += int(b.Meetings)
		f.Attendance += int(b.Attendance)
		f.Invited += int(b.Invited)
	}
	f.ClosedLoopRate = ratio(f.Solved, f.Closed)
	f.Satisfaction = ratio(f.Satisfied, f.Verifications)
	f.AttendanceRate = ratio(f.Attendance, f.Invited)
	slices.Sort(took)
	f.MedianDays = percentile(took, 50)
	f.P90Days = percentile(took, 90)
	f.MeanDays = mean(took)
	return f
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// mean is the average of values, rounded to a tenth of a day; 0 for none.
func mean(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	total := 0.0
	for _, v := range values {
		total += v
	}
	return math.Round(total/float64(len(values))*10) / 10
}

// percentile is the nearest-rank percentile of sorted values, rounded to
// a tenth of a day; 0 for none.
func percentile(sorted []float64, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(float64(p) / 100 * float64(len(sorted))))
	return math.Round(sorted[max(rank, 1)-1]*10) / 10
}

// Figures sums the figures of the grids and months q selects.
func (s *Stats) Figures(q StatsQuery) Figures {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var bs []*bucket
	s.st.Buckets.each(q, func(_ place, _ string, b *bucket) { bs = append(bs, b) })
	return s.st.Buckets.sum(bs)
}

// Months lists the months q selects that hold any figure, in order.
func (s *Stats) Months(q StatsQuery) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := map[string]bool{}
	s.st.Buckets.each(q, func(_ place, month string, _ *bucket) { seen[month] = true })
	return slices.Sorted(maps.Keys(seen))
}

// Breakdown sums the figures q selects per grid, community or month (by is
// ByGrid, ByCommunity or ByMonth), sorted by key.
func (s *Stats) Breakdown(q StatsQuery, by string) ([]StatsRow, error) {
	var key func(p place, month string) string
	switch by {
	case ByGrid:
		key = func(p place, _ string) string { return p.community + "/" + p.grid }
	case ByCommunity:
		key = func(p place, _ string) string { return p.community }
	case ByMonth:
		key = func(_ place, month string) string { return month }
	default:
		return nil, fmt.Errorf("stats breakdown by %q: want %s, %s or %s", by, ByGrid, ByCommunity, ByMonth)
	}
	s.mu.RLock()
	groups := map[string][]*bucket{}
	s.st.Buckets.each(q, func(p place, month string, b *bucket) {
		k := key(p, month)
		groups[k] = append(groups[k], b)
	})
	rows := make([]StatsRow, 0, len(groups))
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		rows = append(rows, StatsRow{Key: k, Figures: s.st.Buckets.sum(groups[k])})
	}
	s.mu.RUnlock()
	return rows, nil
}
