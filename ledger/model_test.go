package ledger_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// loopModel drives random commands over proposals, meetings and actions of
// two communities through the ledger on an embedded store, and checks the
// closed loop's invariants after every step (see check).
type loopModel struct {
	ctx   context.Context
	l     *ledger.Ledger
	store eventstore.Store
	views *projections.Views
	// folded is the position views have folded up to.
	folded eventstore.Position
	// ids of what exists (or was tried), for commands to pick from.
	proposals, meetings, actions []string
	items                        map[string][]string // meeting → agenda items
	decisions                    [][2]string         // meeting, motion or mediation
	voting                       [][2]string         // meeting, motion left with voting open
	n                            int
}

var (
	modelPeople      = []string{"r0", "r1", "r2", "r3", "w1"}
	modelCommunities = []string{"hy", "hy", "dzx"}
	modelStaff       = domain.Voter{PersonID: "w1", Name: "网格员"}
)

func person(id string) domain.Voter { return domain.Voter{PersonID: id, Name: "居民" + id} }

func (m *loopModel) next(prefix string) string {
	m.n++
	return fmt.Sprintf("%s-%04d-0000-7000-8000-%012d", prefix, m.n, m.n)
}

// run executes cmd; a refusal is part of the game, anything else fails.
func (m *loopModel) run(t *rapid.T, cmd domain.Command) bool {
	_, err := m.l.Execute(m.ctx, cmd, ledger.Actor{ID: "w1", Role: "facilitator"}, ledger.Options{})
	if err != nil && domain.ErrorCode(err) == domain.CodeInternal {
		t.Fatalf("%T: %v", cmd, err)
	}
	return err == nil
}

func pick(t *rapid.T, ids []string, label string) string {
	if len(ids) == 0 {
		t.Skip("nothing to pick")
	}
	return rapid.SampledFrom(ids).Draw(t, label)
}

func (m *loopModel) actionsMap() map[string]func(*rapid.T) {
	p := func(t *rapid.T) string { return pick(t, m.proposals, "proposal") }
	a := func(t *rapid.T) string { return pick(t, m.actions, "action") }
	who := func(t *rapid.T) string { return rapid.SampledFrom(modelPeople).Draw(t, "person") }
	actions := map[string]func(*rapid.T){
		"submit": func(t *rapid.T) {
			id := m.next("0000000a")
			author := person(rapid.SampledFrom(modelPeople[:4]).Draw(t, "author"))
			if m.run(t, domain.SubmitProposal{ProposalID: id, CommunityID: rapid.SampledFrom(modelCommunities).Draw(t, "community"), GridID: "g1",
				Title: "路灯不亮", Text: "晚上看不见路", Category: "设施", Place: "主路", Channel: domain.ChannelVisit,
				Author: domain.Party{Kind: domain.PartyPerson, ID: author.PersonID, Name: author.Name}}) {
				m.proposals = append(m.proposals, id)
			}
		},
		"support": func(t *rapid.T) {
			v := person(who(t))
			m.run(t, domain.SupportProposal{ProposalID: p(t), PersonID: v.PersonID, Name: v.Name})
		},
		"triage": func(t *rapid.T) {
			id := p(t)
			switch rapid.IntRange(0, 3).Draw(t, "triage") {
			case 0:
				m.run(t, domain.AcceptProposal{ProposalID: id, Owner: domain.Party{Kind: domain.PartyPerson, ID: "w1", Name: "网格员"}, By: "w1"})
			case 1:
				m.run(t, domain.HandleDirectly{ProposalID: id, Handler: domain.Party{Kind: domain.PartyUnit, ID: "pm", Name: "物业"}, By: "w1"})
			case 2:
				m.run(t, domain.RejectProposal{ProposalID: id, Reason: "不属于社区事务", By: "w1"})
			default:
				m.run(t, domain.WithdrawProposal{ProposalID: id, PersonID: who(t), Reason: "算了"})
			}
		},
		"merge": func(t *rapid.T) {
			m.run(t, domain.MergeProposal{ProposalID: p(t), SurvivorID: p(t), Reason: "重复", By: "w1"})
		},
		// merge back tries to close a cycle: a merged proposal's survivor
		// into it.
		"merge back": func(t *rapid.T) {
			id := p(t)
			events, _, err := m.l.Load(m.ctx, domain.ProposalStream(id))
			if err != nil {
				t.Fatal(err)
			}
			if s := domain.FoldProposal(events); s.Status == domain.StatusMerged {
				m.run(t, domain.MergeProposal{ProposalID: s.SurvivorID, SurvivorID: id, Reason: "重复", By: "w1"})
			}
		},
		"close":  func(t *rapid.T) { m.run(t, domain.CloseProposal{ProposalID: p(t), By: "w1"}) },
		"reopen": func(t *rapid.T) { m.run(t, domain.ReopenProposal{ProposalID: p(t), Reason: "又坏了", By: "w1"}) },
		"meeting": func(t *rapid.T) {
			id := m.next("0000000b")
			if !m.run(t, domain.ScheduleMeeting{MeetingID: id, CommunityID: rapid.SampledFrom(modelCommunities).Draw(t, "community"), GridID: "g1",
				Title: "议事会", Place: "活动室", StartsAt: clock().Add(time.Hour), Format: domain.FormatCouncil, Facilitator: modelStaff}) {
				return
			}
			m.meetings = append(m.meetings, id)
			m.run(t, domain.OpenMeeting{MeetingID: id})
			for _, r := range rapid.SliceOfNDistinct(rapid.SampledFrom(modelPeople[:4]), 0, 3, rapid.ID[string]).Draw(t, "present") {
				m.run(t, domain.RecordAttendance{MeetingID: id, PersonID: r, Name: person(r).Name, Attendance: domain.Present})
			}
		},
		"agenda": func(t *rapid.T) {
			mid := pick(t, m.meetings, "meeting")
			item := m.next("0000000c")
			pid := ""
			if rapid.Bool().Draw(t, "with proposal") {
				pid = p(t)
			}
			if m.run(t, domain.AddAgendaItem{MeetingID: mid, ItemID: item, Title: "议题", ProposalID: pid}) {
				m.items[mid] = append(m.items[mid], item)
			}
		},
		"decide": func(t *rapid.T) {
			mid := pick(t, m.meetings, "meeting")
			item := pick(t, m.items[mid], "item")
			motion := m.next("0000000d")
			options := []domain.Option{{ID: "a", Label: "方案一"}, {ID: "b", Label: "方案二"}}
			if rapid.Bool().Draw(t, "consensus") {
				if m.run(t, domain.TableMotion{MeetingID: mid, MotionID: motion, ItemID: item, Text: "按方案办", Options: options[:1], Rule: domain.Rule{Kind: domain.RuleConsensus}}) {
					m.decisions = append(m.decisions, [2]string{mid, motion})
					m.run(t, domain.RecordConsensus{MeetingID: mid, MotionID: motion, OptionID: "a"})
				}
				return
			}
			if !m.run(t, domain.TableMotion{MeetingID: mid, MotionID: motion, ItemID: item, Text: "选方案", Options: options,
				Rule: domain.Rule{Kind: domain.RuleSimpleMajority, QuorumPercent: 50}, Secret: rapid.Bool().Draw(t, "secret")}) {
				return
			}
			m.decisions = append(m.decisions, [2]string{mid, motion})
			electorate := []domain.Voter{person("r0"), person("r1"), person("r2")}
			m.run(t, domain.OpenVoting{MeetingID: mid, MotionID: motion, Electorate: electorate})
			for _, v := range electorate {
				if opt := rapid.SampledFrom([]string{"a", "b", ""}).Draw(t, "ballot"); opt != "" {
					m.run(t, domain.CastVote{MeetingID: mid, MotionID: motion, VoterID: v.PersonID, CastBy: v.PersonID, OptionID: opt})
				}
			}
			if rapid.Bool().Draw(t, "close now") {
				m.run(t, domain.CloseVoting{MeetingID: mid, MotionID: motion})
			} else {
				m.voting = append(m.voting, [2]string{mid, motion})
			}
		},
		// attend records (or changes) someone's attendance, also while a
		// vote is open: the quorum moves.
		"attend": func(t *rapid.T) {
			r := rapid.SampledFrom(modelPeople[:4]).Draw(t, "attendee")
			m.run(t, domain.RecordAttendance{MeetingID: pick(t, m.meetings, "meeting"), PersonID: r, Name: person(r).Name,
				Attendance: rapid.SampledFrom([]string{domain.Present, domain.Absent}).Draw(t, "attendance")})
		},
		"close vote": func(t *rapid.T) {
			if len(m.voting) == 0 {
				t.Skip("no vote open")
			}
			i := rapid.IntRange(0, len(m.voting)-1).Draw(t, "vote")
			v := m.voting[i]
			m.voting = slices.Delete(m.voting, i, i+1)
			m.run(t, domain.CloseVoting{MeetingID: v[0], MotionID: v[1]})
		},
		"assign": func(t *rapid.T) {
			id := m.next("0000000e")
			c := domain.AssignAction{ActionID: id, CommunityID: rapid.SampledFrom(modelCommunities).Draw(t, "community"), GridID: "g1",
				Title: "修路灯", Owner: domain.Party{Kind: domain.PartyUnit, ID: "pm", Name: "物业"}, Due: clock().Add(72 * time.Hour), By: "w1"}
			if rapid.Bool().Draw(t, "from a proposal") {
				c.ProposalID = p(t)
			}
			if rapid.Bool().Draw(t, "from a decision") || c.ProposalID == "" {
				if len(m.decisions) == 0 || rapid.IntRange(0, 5).Draw(t, "bogus decision") == 0 {
					c.MeetingID, c.MotionID = m.next("0000000b"), "nope"
				} else {
					d := rapid.SampledFrom(m.decisions).Draw(t, "decision")
					c.MeetingID, c.MotionID = d[0], d[1]
				}
			}
			if m.run(t, c) {
				m.actions = append(m.actions, id)
			}
		},
		"work": func(t *rapid.T) {
			id := a(t)
			if rapid.IntRange(0, 5).Draw(t, "cancel") == 0 {
				m.run(t, domain.CancelAction{ActionID: id, Reason: "重复", By: "w1"})
				return
			}
			m.run(t, domain.StartAction{ActionID: id})
			m.run(t, domain.CompleteAction{ActionID: id, Evidence: []string{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}})
		},
		"verify": func(t *rapid.T) {
			c := domain.VerifyAction{ActionID: a(t), Verifier: person(who(t)), Satisfied: rapid.Bool().Draw(t, "satisfied"), Reason: "没修好"}
			if rapid.Bool().Draw(t, "recorded by staff") {
				c.RecordedBy, c.Method, c.Note = "w1", domain.VerifiedByPhone, "电话回访"
			}
			m.run(t, c)
		},
		// resolve runs a whole loop on one proposal in one step (reopened
		// if closed, an action assigned, done, verified, the proposal
		// closed), so that random sequences reach second closures.
		"resolve": func(t *rapid.T) {
			id := p(t)
			events, _, err := m.l.Load(m.ctx, domain.ProposalStream(id))
			if err != nil {
				t.Fatal(err)
			}
			prop := domain.FoldProposal(events)
			if prop.Status == domain.StatusClosed && rapid.Bool().Draw(t, "reopen first") {
				m.run(t, domain.ReopenProposal{ProposalID: id, Reason: "又坏了", By: "w1"})
			}
			aid := m.next("0000000e")
			if m.run(t, domain.AssignAction{ActionID: aid, CommunityID: prop.CommunityID, GridID: "g1", ProposalID: id,
				Title: "修路灯", Owner: domain.Party{Kind: domain.PartyUnit, ID: "pm", Name: "物业"}, Due: clock().Add(72 * time.Hour), By: "w1"}) {
				m.actions = append(m.actions, aid)
			}
			m.run(t, domain.StartAction{ActionID: aid})
			m.run(t, domain.CompleteAction{ActionID: aid, Evidence: []string{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}})
			verifier := prop.Author.ID
			if rapid.Bool().Draw(t, "someone else verifies") {
				verifier = who(t)
			}
			m.run(t, domain.VerifyAction{ActionID: aid, Verifier: person(verifier), Satisfied: rapid.Bool().Draw(t, "satisfied"), Reason: "没修好"})
			m.run(t, domain.CloseProposal{ProposalID: id, By: "w1"})
		},
		"": m.check,
	}
	// Verdicts and closures end the loop: draw them more often.
	actions["verify again"], actions["close again"] = actions["verify"], actions["close"]
	return actions
}

// stored is one event of the log as check reads it.
type stored struct {
	pos    eventstore.Position
	stream string
	typ    string
	data   []byte
	event  domain.Event
}

// modelReaders are readers who must never see a secret ballot's choice:
// the public, a resident, a facilitator and an admin of the community, an
// unscoped admin.
var modelReaders = []policy.Reader{
	policy.Anonymous,
	{Authenticated: true, Role: auth.RoleResident, Scope: auth.Scope{Community: "hy"}},
	{Authenticated: true, Role: auth.RoleFacilitator, Scope: auth.Scope{Community: "hy"}},
	{Authenticated: true, Role: auth.RoleAdmin, Scope: auth.Scope{Community: "hy"}},
	{Authenticated: true, Role: auth.RoleAdmin},
}

// check folds the new events into the views and checks, over the whole
// log: a proposal counts as solved at most once; a closed proposal has a
// satisfied verification by its author or a supporter after its last
// reopening; merges form no cycle and every merged proposal leads to a
// survivor that is neither merged nor withdrawn, in its community; every
// action links an existing proposal of its community, open while the
// action is, or an adopted decision of its community; the live view's
// tally is the one the domain computes (running) or recorded (final); a
// secret ballot's choice reaches no reader but an auditor.
func (m *loopModel) check(t *rapid.T) {
	var log []stored
	streams := map[string][]domain.Event{}
	for ev, err := range m.store.ReadAll(m.ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			t.Fatalf("read the log: %v", err)
		}
		de, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			t.Fatalf("decode %s: %v", ev.Type, err)
		}
		log = append(log, stored{ev.Position, ev.Stream, ev.Type, ev.Data, de})
		streams[ev.Stream] = append(streams[ev.Stream], de)
		if ev.Position > m.folded {
			m.folded = ev.Position
			e := projections.Event{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position, Type: ev.Type, Recorded: ev.Recorded, Data: de}
			for _, v := range m.views.List() {
				if err := v.Apply(e); err != nil {
					t.Fatalf("view %s: %v", v.Name(), err)
				}
			}
		}
	}
	proposal := func(id string) domain.ProposalState { return domain.FoldProposal(streams[domain.ProposalStream(id)]) }

	closedEver := map[string]bool{}
	lastReopen := map[string]eventstore.Position{}
	type verdict struct {
		pos      eventstore.Position
		verifier string
	}
	verdicts := map[string][]verdict{}
	for _, s := range log {
		switch e := s.event.(type) {
		case domain.ProposalClosed:
			closedEver[e.ProposalID] = true
		case domain.ProposalReopened:
			lastReopen[e.ProposalID] = s.pos
		case domain.ActionVerified:
			if e.Satisfied && e.ProposalID != "" {
				verdicts[e.ProposalID] = append(verdicts[e.ProposalID], verdict{s.pos, e.Verifier.PersonID})
			}
		}
	}
	f := m.views.Stats.Figures(projections.StatsQuery{})
	if f.Solved != len(closedEver) || f.Solved > f.Closed || f.Closed > f.Collected {
		t.Fatalf("statistics: solved %d, closed %d, collected %d; %d proposals were ever closed", f.Solved, f.Closed, f.Collected, len(closedEver))
	}

	for _, id := range m.proposals {
		p := proposal(id)
		switch p.Status {
		case domain.StatusClosed:
			allowed := append([]string{p.Author.ID}, p.Supporters...)
			if !slices.ContainsFunc(verdicts[id], func(v verdict) bool { return v.pos > lastReopen[id] && slices.Contains(allowed, v.verifier) }) {
				t.Fatalf("proposal %s closed without a satisfied verification by %v since its last reopening: %v", id, allowed, verdicts[id])
			}
		case domain.StatusMerged:
			seen := map[string]bool{id: true}
			s := p
			for s.Status == domain.StatusMerged {
				if seen[s.SurvivorID] {
					t.Fatalf("merge cycle through %s", s.SurvivorID)
				}
				seen[s.SurvivorID] = true
				next := proposal(s.SurvivorID)
				if !next.Exists || next.CommunityID != p.CommunityID {
					t.Fatalf("proposal %s merged into %s, missing or of another community", s.ProposalID, s.SurvivorID)
				}
				s = next
			}
			if s.Status == domain.StatusWithdrawn {
				t.Fatalf("proposal %s merged, its survivor %s withdrawn", id, s.ProposalID)
			}
		}
	}

	// A secret ballot's choice reaches no reader but an auditor: not in the
	// event as any other reader reads it, not in the live view's running
	// tally.
	for _, s := range log {
		secret := false
		switch e := s.event.(type) {
		case domain.VoteCast:
			secret = e.Secret
		case domain.VoteChanged:
			secret = e.Secret
		}
		if !secret {
			continue
		}
		mt := domain.FoldMeeting(streams[s.stream])
		for _, r := range modelReaders {
			out, err := r.EventData(s.typ, s.data, mt.CommunityID, mt.GridID)
			if err != nil {
				t.Fatalf("read %s: %v", s.typ, err)
			}
			if bytes.Contains(out, []byte(`"option_id"`)) {
				t.Fatalf("reader %+v reads a secret ballot's choice: %s", r, out)
			}
		}
	}
	for _, id := range m.meetings {
		live, ok, err := m.views.Live.Meeting(m.ctx, id)
		if err != nil {
			t.Fatalf("live %s: %v", id, err)
		}
		if !ok || live.Motion == nil || !live.Motion.Secret || live.Motion.Status != projections.MotionVoting {
			continue
		}
		for _, r := range modelReaders {
			out, err := r.Meeting(live)
			if err != nil {
				t.Fatalf("read live %s: %v", id, err)
			}
			if bytes.Contains(out, []byte(`"running"`)) || bytes.Contains(out, []byte(`"votes"`)) {
				t.Fatalf("reader %+v reads a secret vote's running tally: %s", r, out)
			}
		}
	}

	// The live view's tally is the domain's: running, as closing the vote
	// now would record it, and final, as it was recorded.
	for _, id := range m.meetings {
		live, ok, err := m.views.Live.Meeting(m.ctx, id)
		if err != nil {
			t.Fatalf("live %s: %v", id, err)
		}
		if !ok || live.Motion == nil {
			continue
		}
		mt := domain.FoldMeeting(streams[domain.MeetingStream(id)])
		for _, mo := range mt.Motions {
			if mo.MotionID != live.Motion.MotionID {
				continue
			}
			switch {
			case mo.Status == domain.StatusVoting:
				want := domain.ComputeTally(mo.Rule, mo.Options, mo.Electorate, mo.Units, mo.Ballots, mt.Attendance)
				if live.Motion.Running == nil || !reflect.DeepEqual(*live.Motion.Running, want) {
					t.Fatalf("meeting %s: live running tally %+v, closing now would record %+v", id, live.Motion.Running, want)
				}
			case mo.Tally != nil:
				if live.Motion.Final == nil || !reflect.DeepEqual(*live.Motion.Final, *mo.Tally) {
					t.Fatalf("meeting %s: live final tally %+v, recorded %+v", id, live.Motion.Final, *mo.Tally)
				}
			}
		}
	}

	for _, id := range m.actions {
		a := domain.FoldAction(streams[domain.ActionStream(id)])
		open := a.Status != domain.StatusVerified && a.Status != domain.StatusCancelled
		if a.ProposalID != "" {
			p := proposal(a.ProposalID)
			if !p.Exists || p.CommunityID != a.CommunityID {
				t.Fatalf("action %s links proposal %s, missing or of another community", id, a.ProposalID)
			}
			if open && slices.Contains([]string{domain.StatusMerged, domain.StatusWithdrawn, domain.StatusRejected, domain.StatusClosed}, p.Status) {
				t.Fatalf("action %s is %s, its proposal %s", id, a.Status, p.Status)
			}
		}
		if a.MeetingID != "" {
			mt := domain.FoldMeeting(streams[domain.MeetingStream(a.MeetingID)])
			adopted := false
			for _, mo := range mt.Motions {
				if mo.MotionID == a.MotionID {
					adopted = mo.Consensus != nil || (mo.Tally != nil && mo.Tally.Adopted)
				}
			}
			if !mt.Exists || mt.CommunityID != a.CommunityID || !adopted {
				t.Fatalf("action %s carries out %s/%s: not an adopted decision of its community", id, a.MeetingID, a.MotionID)
			}
		}
	}
}

// memDir returns a fresh directory on a memory file system when the
// machine has one (/dev/shm), where the store's fsyncs cost nothing, and a
// temp dir otherwise; removed at cleanup.
func memDir(tb testing.TB) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "yishi-model-"); err == nil {
			tb.Cleanup(func() { _ = os.RemoveAll(dir) })
			return dir
		}
	}
	return tb.TempDir()
}

// TestClosedLoopModel is the model-based property test of the closed loop
// (发现—处置—反馈): random command sequences over proposals, meetings and
// actions of two communities, every invariant of check after every step.
func TestClosedLoopModel(t *testing.T) {
	root := memDir(t)
	rapid.Check(t, func(rt *rapid.T) {
		dir, err := os.MkdirTemp(root, "store")
		require.NoError(rt, err)
		store, err := pebble.Open(dir)
		require.NoError(rt, err)
		defer func() { require.NoError(rt, store.Close()) }()
		m := &loopModel{ctx: context.Background(), l: ledger.New(store, ledger.WithClock(clock)), store: store,
			views: projections.NewViews(), items: map[string][]string{}}
		m.views.ReadFrom(store)
		rt.Repeat(m.actionsMap())
	})
}
