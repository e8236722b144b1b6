package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
)

// streamOf names the stream an event belongs to, from its category and the
// aggregate id in its body.
func streamOf(tb testing.TB, e domain.Event) string {
	tb.Helper()
	typ := e.EventType()
	cat := typ[:strings.IndexByte(typ, '.')]
	key := cat + "_id"
	switch cat {
	case "organisation":
		key = "community_id"
	case "subscriber", "points":
		key = "person_id"
	case "erasure":
		key = "id"
	}
	b, err := json.Marshal(e)
	require.NoError(tb, err)
	var m map[string]any
	require.NoError(tb, json.Unmarshal(b, &m))
	id, _ := m[key].(string)
	require.NotEmpty(tb, id, "event %s has no %s", typ, key)
	return cat + "-" + id
}

// encode turns domain events into stored events with dense positions from 1
// (what an in-memory log would hand out) and revisions per stream.
func encode(tb testing.TB, evs []domain.Event) []eventstore.Event {
	tb.Helper()
	revs := map[string]uint64{}
	out := make([]eventstore.Event, len(evs))
	base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for i, e := range evs {
		typ, data, err := domain.Encode(e)
		require.NoError(tb, err)
		s := streamOf(tb, e)
		out[i] = eventstore.Event{
			ID: uuid.Must(uuid.NewV7()), Stream: s, Revision: revs[s], Position: eventstore.Position(i + 1),
			Type: typ, Recorded: base.Add(time.Duration(i) * time.Second), Data: data,
		}
		revs[s]++
	}
	return out
}

// mustOpenStore opens a fresh embedded store in a temporary directory.
func mustOpenStore(tb testing.TB) *pebble.Store {
	tb.Helper()
	s, err := pebble.Open(tb.TempDir())
	require.NoError(tb, err)
	tb.Cleanup(func() { s.Close() })
	return s
}

// mustAppend appends events to the store one by one, each to its stream,
// and returns the position of each.
func mustAppend(tb testing.TB, s eventstore.Store, evs []domain.Event) []eventstore.Position {
	tb.Helper()
	pos := make([]eventstore.Position, len(evs))
	for i, e := range evs {
		typ, data, err := domain.Encode(e)
		require.NoError(tb, err)
		res, err := s.Append(context.Background(), streamOf(tb, e), eventstore.Any(),
			eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, Data: data})
		require.NoError(tb, err)
		pos[i] = res.Position
	}
	return pos
}

// memStore is a read-only Store over a slice of events, for benchmarks that
// measure the fold without the storage engine.
type memStore struct{ evs []eventstore.Event }

func (m *memStore) Append(context.Context, string, eventstore.ExpectedRevision, ...eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{}, fmt.Errorf("memStore is read-only")
}

func (m *memStore) ReadStream(context.Context, string, eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	return func(func(eventstore.Event, error) bool) {}
}

func (m *memStore) ReadAll(ctx context.Context, o eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if o.Direction == eventstore.Backwards {
			if len(m.evs) > 0 {
				yield(m.evs[len(m.evs)-1], nil)
			}
			return
		}
		for _, e := range m.evs {
			if e.Position >= o.From && o.Filter.Match(e.Stream, e.Type) && !yield(e, nil) {
				return
			}
		}
	}
}

// Subscribe delivers the slice, a CaughtUp checkpoint, and then ends the
// subscription with ctx's error once ctx ends.
func (m *memStore) Subscribe(ctx context.Context, o eventstore.SubscribeOptions) iter.Seq2[eventstore.Delivery, error] {
	return func(yield func(eventstore.Delivery, error) bool) {
		last := o.After
		for i := range m.evs {
			e := &m.evs[i]
			if e.Position > o.After && o.Filter.Match(e.Stream, e.Type) {
				if !yield(eventstore.Delivery{Event: e, Position: e.Position}, nil) {
					return
				}
				last = e.Position
			}
		}
		if !yield(eventstore.Delivery{Position: last, CaughtUp: true}, nil) {
			return
		}
		<-ctx.Done()
		yield(eventstore.Delivery{}, ctx.Err())
	}
}

func (m *memStore) Close() error { return nil }

// gen generates a realistic ledger: communities of grids, proposals from
// every channel with supports, triage, meetings with attendance, motions,
// votes, consensus and mediation, actions with progress, verification and
// closure. It only emits events the domain would allow, in an order the
// domain would produce them.
type gen struct {
	r           *rand.Rand
	at          time.Time
	grids       int
	communities int
	seq         int
	evs         []domain.Event

	open      []string // proposals waiting for triage or a meeting
	accepted  []string
	actionsOf map[string][]string // proposal → open actions
	busy      []string            // proposals with open actions, in order
	meta      map[string]domain.ProposalSubmitted
	started   map[string]bool

	// uuids makes proposals', wishes', actions' and meetings' ids UUIDs,
	// as the ledger makes them (an agenda item's and a motion's are the
	// facilitator's names either way).
	uuids bool
}

func newGen(seed uint64, grids int) *gen {
	return &gen{
		r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), at: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC),
		grids: grids, communities: max(1, grids/10), actionsOf: map[string][]string{},
		meta: map[string]domain.ProposalSubmitted{}, started: map[string]bool{},
	}
}

func (g *gen) id(prefix string) string {
	g.seq++
	if g.uuids && prefix != "i" && prefix != "mo" {
		return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%s%d", prefix, g.seq)).String()
	}
	return fmt.Sprintf("%s%d", prefix, g.seq)
}

func (g *gen) tick() time.Time {
	g.at = g.at.Add(time.Duration(1+g.r.IntN(600)) * time.Second)
	return g.at
}

func (g *gen) emit(e domain.Event) { g.evs = append(g.evs, e) }

var (
	channels   = []string{domain.ChannelPhotoReport, domain.ChannelVisit, domain.ChannelMeeting, domain.ChannelWindow, domain.ChannelOnline}
	categories = []string{"环境卫生", "停车", "设施维修", "供暖", "邻里", "安全隐患"}
	surnames   = []string{"张", "王", "李", "赵", "刘", "陈"}
)

func (g *gen) person() domain.Voter {
	n := g.r.IntN(100000)
	return domain.Voter{PersonID: fmt.Sprintf("r%d", n), Name: surnames[n%len(surnames)] + "三"}
}

func (g *gen) pick(s *[]string) string {
	i := g.r.IntN(len(*s))
	v := (*s)[i]
	(*s)[i] = (*s)[len(*s)-1]
	*s = (*s)[:len(*s)-1]
	return v
}

// step emits one small story fragment.
func (g *gen) step() {
	switch n := g.r.IntN(100); {
	case n < 3:
		g.wish()
	case n < 30 || len(g.open) == 0:
		g.submit()
	case n < 40:
		id := g.open[g.r.IntN(len(g.open))]
		p := g.person()
		g.emit(domain.ProposalSupported{ProposalID: id, PersonID: p.PersonID, Name: p.Name, At: g.tick()})
	case n < 45:
		id := g.pick(&g.open)
		if g.r.IntN(2) == 0 {
			g.emit(domain.ProposalRejected{ProposalID: id, Reason: "不属于社区事务", By: "w1", At: g.tick()})
		} else {
			g.emit(domain.ProposalWithdrawn{ProposalID: id, AuthorID: "a", At: g.tick()})
		}
	case n < 60:
		id := g.pick(&g.open)
		g.emit(domain.ProposalAccepted{ProposalID: id, Owner: domain.Party{Kind: domain.PartyPerson, ID: "w1", Name: "李四"}, By: "w1", At: g.tick()})
		if g.r.IntN(3) == 0 {
			g.emit(domain.ProposalHandledDirectly{ProposalID: id, Handler: domain.Party{Kind: domain.PartyUnit, ID: "u1", Name: "物业"}, By: "w1", At: g.tick()})
			g.assign(id, "", "")
		} else {
			g.accepted = append(g.accepted, id)
		}
	case n < 75 && len(g.accepted) > 0:
		g.meeting(g.pick(&g.accepted))
	default:
		g.work()
	}
}

func (g *gen) submit() {
	id := g.id("p")
	grid := g.r.IntN(g.grids)
	a := g.person()
	e := domain.ProposalSubmitted{
		ProposalID: id, CommunityID: fmt.Sprintf("c%d", grid%g.communities), GridID: fmt.Sprintf("g%d", grid),
		CompoundID: fmt.Sprintf("cp%d", grid*3+g.r.IntN(3)), Title: "停车棚夹道乱堆乱放", Text: "3号楼2单元门口，联系电话13812345678",
		Category: categories[g.r.IntN(len(categories))], Place: "3号楼2单元501室", Channel: channels[g.r.IntN(len(channels))],
		Author: domain.Party{Kind: domain.PartyPerson, ID: a.PersonID, Name: a.Name}, At: g.tick(),
	}
	g.meta[id] = e
	g.open = append(g.open, id)
	g.emit(e)
}

// wish emits a small wish's story (微心愿): posted by a grid worker for a
// resident, with a door and the resident's words; then perhaps claimed by
// a neighbour, fulfilled and confirmed by the wish-maker.
func (g *gen) wish() {
	id, grid, maker := g.id("w"), g.r.IntN(g.grids), g.person()
	community := fmt.Sprintf("c%d", grid%g.communities)
	g.emit(domain.WishPosted{WishID: id, CommunityID: community, GridID: fmt.Sprintf("g%d", grid), Title: "新书包", Category: "study",
		Story: "孩子九月上学，电话13812345678", WishMaker: maker, Door: "3号楼2单元302", By: "w1", At: g.tick()})
	n := g.person()
	if g.r.IntN(4) == 0 || n.PersonID == maker.PersonID {
		return
	}
	claimer := domain.Party{Kind: domain.PartyPerson, ID: n.PersonID, Name: n.Name}
	g.emit(domain.WishClaimed{WishID: id, CommunityID: community, Claim: 1, As: domain.WishByNeighbour, Claimer: claimer, At: g.tick()})
	if g.r.IntN(3) == 0 {
		return
	}
	g.emit(domain.WishFulfilled{WishID: id, CommunityID: community, Claim: 1, Claimer: claimer, Note: "已送到", At: g.tick()})
	if g.r.IntN(2) == 0 {
		g.emit(domain.WishConfirmed{WishID: id, CommunityID: community, Claim: 1, By: maker.PersonID, At: g.tick()})
	}
}

func (g *gen) assign(pid, meeting, motion string) {
	p := g.meta[pid]
	aid := g.id("a")
	g.emit(domain.ActionAssigned{
		ActionID: aid, CommunityID: p.CommunityID, GridID: p.GridID, ProposalID: pid, MeetingID: meeting, MotionID: motion,
		Title: "清理夹道", Owner: domain.Party{Kind: domain.PartyUnit, ID: "u1", Name: "物业"},
		Due: g.at.Add(time.Duration(3+g.r.IntN(30)) * 24 * time.Hour), By: "w1", At: g.tick(),
	})
	g.emit(domain.ProposalActionLinked{ProposalID: pid, ActionID: aid, Title: "清理夹道", At: g.tick()})
	if len(g.actionsOf[pid]) == 0 {
		g.busy = append(g.busy, pid)
	}
	g.actionsOf[pid] = append(g.actionsOf[pid], aid)
}

// meeting holds a meeting on one proposal: attendance, a motion decided by
// vote, consensus or mediation, minutes, and an action.
func (g *gen) meeting(pid string) {
	p := g.meta[pid]
	mid, item, motion := g.id("m"), g.id("i"), g.id("mo")
	f := g.person()
	g.emit(domain.MeetingScheduled{MeetingID: mid, CommunityID: p.CommunityID, GridID: p.GridID, Title: "楼院议事", Place: "网格之家", StartsAt: g.at.Add(24 * time.Hour), Format: domain.FormatCourtyard, Facilitator: f, At: g.tick()})
	g.emit(domain.AgendaItemAdded{MeetingID: mid, ItemID: item, Title: p.Title, ProposalID: pid, At: g.tick()})
	g.emit(domain.ProposalPutOnAgenda{ProposalID: pid, MeetingID: mid, ItemID: item, MeetingTitle: "楼院议事", At: g.tick()})
	voters := make([]domain.Voter, 3+g.r.IntN(8))
	for i := range voters {
		voters[i] = domain.Voter{PersonID: fmt.Sprintf("%s-v%d", mid, i), Name: surnames[i%len(surnames)] + "五"}
		g.emit(domain.ParticipantInvited{MeetingID: mid, Participant: domain.Participant{PersonID: voters[i].PersonID, Name: voters[i].Name, Kind: domain.ParticipantResident}, At: g.tick()})
	}
	g.emit(domain.MeetingOpened{MeetingID: mid, At: g.tick()})
	for _, v := range voters {
		att := []string{domain.Present, domain.Present, domain.Absent}[g.r.IntN(3)]
		g.emit(domain.AttendanceRecorded{MeetingID: mid, PersonID: v.PersonID, Name: v.Name, Attendance: att, At: g.tick()})
	}
	g.emit(domain.StatementRecorded{MeetingID: mid, ItemID: item, Speaker: voters[0], Summary: "建议重新划线", At: g.tick()})
	opts := []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "反对"}}
	how := domain.DecidedByVote
	switch g.r.IntN(5) {
	case 0:
		how = domain.DecidedByConsensus
	case 1:
		how = domain.DecidedByMediation
	}
	switch how {
	case domain.DecidedByVote:
		rule := domain.Rule{Kind: domain.RuleSimpleMajority, QuorumPercent: 50}
		g.emit(domain.MotionTabled{MeetingID: mid, MotionID: motion, ItemID: item, ProposalID: pid, Text: "重新划线", Options: opts, Rule: rule, At: g.tick()})
		g.emit(domain.VotingOpened{MeetingID: mid, MotionID: motion, ItemID: item, ProposalID: pid, Text: "重新划线", Options: opts, Rule: rule, Electorate: voters, At: g.tick()})
		yes := 0
		for _, v := range voters {
			o := opts[g.r.IntN(2)].ID
			if o == "yes" {
				yes++
			}
			g.emit(domain.VoteCast{MeetingID: mid, MotionID: motion, VoterID: v.PersonID, CastBy: v.PersonID, OptionID: o, At: g.tick()})
		}
		adopted := 2*yes > len(voters)
		t := domain.Tally{Rule: rule, Options: []domain.OptionTally{{OptionID: "yes", Label: "同意", Votes: yes}, {OptionID: "no", Label: "反对", Votes: len(voters) - yes}},
			Ballots: len(voters), Electorate: len(voters), Attending: len(voters), QuorumMet: true, Result: domain.ResultNotAdopted}
		if adopted {
			t.Result, t.Adopted, t.WinningOptionID = domain.ResultAdopted, true, "yes"
		}
		g.emit(domain.VotingClosed{MeetingID: mid, MotionID: motion, ItemID: item, ProposalID: pid, Text: "重新划线", Tally: t, At: g.tick()})
		g.emit(domain.ProposalDecided{ProposalID: pid, MeetingID: mid, MotionID: motion, How: how, Adopted: adopted, OptionID: t.WinningOptionID, Outcome: "重新划线", At: g.tick()})
	case domain.DecidedByConsensus:
		rule := domain.Rule{Kind: domain.RuleConsensus}
		g.emit(domain.MotionTabled{MeetingID: mid, MotionID: motion, ItemID: item, ProposalID: pid, Text: "邻里小饭桌", Options: opts[:1], Rule: rule, At: g.tick()})
		g.emit(domain.ConsensusReached{MeetingID: mid, MotionID: motion, ItemID: item, ProposalID: pid, Text: "邻里小饭桌", OptionID: "yes", Label: "同意", At: g.tick()})
		g.emit(domain.ProposalDecided{ProposalID: pid, MeetingID: mid, MotionID: motion, How: how, Adopted: true, OptionID: "yes", Outcome: "定期举办", At: g.tick()})
	case domain.DecidedByMediation:
		parties := []domain.Party{{Kind: domain.PartyUnit, ID: "dev", Name: "开发商"}, {Kind: domain.PartyPerson, ID: voters[0].PersonID, Name: voters[0].Name}}
		g.emit(domain.MediationOffered{MeetingID: mid, MediationID: motion, ItemID: item, ProposalID: pid, Dispute: "开发商纠纷", Parties: parties, Options: opts, At: g.tick()})
		g.emit(domain.MediationAgreed{MeetingID: mid, MediationID: motion, ItemID: item, ProposalID: pid, Dispute: "开发商纠纷", OptionID: "yes", Label: "同意", Parties: parties, At: g.tick()})
		g.emit(domain.ProposalDecided{ProposalID: pid, MeetingID: mid, MotionID: motion, How: how, Adopted: true, OptionID: "yes", Outcome: "三日内解决", At: g.tick()})
	}
	g.emit(domain.MeetingAdjourned{MeetingID: mid, At: g.tick()})
	g.emit(domain.MinutesPublished{MeetingID: mid, Summary: "纪要", ObjectionUntil: g.at.Add(7 * 24 * time.Hour), At: g.tick()})
	g.assign(pid, mid, motion)
}

// work moves an open action forward: progress, completion, verification
// (sometimes unsatisfied, which reopens), and closes its proposal when
// nothing is left open.
func (g *gen) work() {
	if len(g.busy) == 0 {
		g.submit()
		return
	}
	i := g.r.IntN(len(g.busy))
	pid := g.busy[i]
	acts := g.actionsOf[pid]
	aid := acts[0]
	switch {
	case !g.started[aid]:
		g.started[aid] = true
		g.emit(domain.ActionStarted{ActionID: aid, At: g.tick()})
		g.emit(domain.ActionProgressReported{ActionID: aid, Percent: 50, Note: "进行中", At: g.tick()})
	case g.r.IntN(10) == 0:
		g.emit(domain.ActionCancelled{ActionID: aid, ProposalID: pid, Reason: "重复", By: "w1", At: g.tick()})
		g.settle(pid, aid, domain.StatusCancelled)
	default:
		g.emit(domain.ActionCompleted{ActionID: aid, Evidence: []string{"photo-1"}, At: g.tick()})
		v := g.person()
		if g.r.IntN(6) == 0 {
			g.emit(domain.ActionVerified{ActionID: aid, ProposalID: pid, Verifier: v, Satisfied: false, Reason: "没清干净", At: g.tick()})
			g.emit(domain.ProposalReopened{ProposalID: pid, ActionID: aid, Reason: "没清干净", By: "system", At: g.tick()})
			return
		}
		g.emit(domain.ActionVerified{ActionID: aid, ProposalID: pid, Verifier: v, Satisfied: true, At: g.tick()})
		g.settle(pid, aid, domain.StatusVerified)
	}
}

func (g *gen) settle(pid, aid, outcome string) {
	g.emit(domain.ProposalActionSettled{ProposalID: pid, ActionID: aid, Outcome: outcome, At: g.tick()})
	g.actionsOf[pid] = g.actionsOf[pid][1:]
	if len(g.actionsOf[pid]) == 0 {
		delete(g.actionsOf, pid)
		g.busy = slices.DeleteFunc(g.busy, func(p string) bool { return p == pid })
		g.emit(domain.ProposalClosed{ProposalID: pid, By: "w1", At: g.tick()})
	}
}

// events generates at least n events.
func (g *gen) events(n int) []domain.Event {
	for len(g.evs) < n {
		g.step()
	}
	return g.evs
}
