package projections

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

var day0 = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

func at(days int) time.Time { return day0.Add(time.Duration(days) * 24 * time.Hour) }

// story is the bicycle-shed passage of 衡苑社区: submitted by photo report,
// supported, accepted, deliberated in a courtyard meeting, voted, an action
// assigned, done and verified, closed; beside it a parking proposal in
// another grid left open with an overdue action, and a rejected one.
func story() []domain.Event {
	zhang := domain.Party{Kind: domain.PartyPerson, ID: "r1", Name: "张三"}
	wuye := domain.Party{Kind: domain.PartyUnit, ID: "u1", Name: "物业"}
	voters := []domain.Voter{{PersonID: "v1", Name: "王五"}, {PersonID: "v2", Name: "赵六"}, {PersonID: "v3", Name: "李七"}}
	rule := domain.Rule{Kind: domain.RuleSimpleMajority, QuorumPercent: 50}
	opts := []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "反对"}}
	return []domain.Event{
		domain.ProposalSubmitted{ProposalID: "shed", CommunityID: "hengyuan", GridID: "g1", CompoundID: "c1", Title: "停车棚夹道乱堆乱放", Category: "环境", Place: "3号楼2单元", Channel: domain.ChannelPhotoReport, Author: zhang, At: at(0)},
		domain.ProposalSubmitted{ProposalID: "lines", CommunityID: "hengyuan", GridID: "g2", Title: "道路窄刮车", Category: "停车", Place: "东门", Channel: domain.ChannelVisit, Author: zhang, At: at(1)},
		domain.ProposalSubmitted{ProposalID: "noise", CommunityID: "yangguang", GridID: "g9", Title: "噪音", Category: "邻里", Channel: domain.ChannelWindow, Author: zhang, At: at(2)},
		domain.ProposalSupported{ProposalID: "shed", PersonID: "r2", Name: "李四", At: at(2)},
		domain.ProposalRejected{ProposalID: "noise", Reason: "不属于社区事务", By: "w1", At: at(3)},
		domain.ProposalAccepted{ProposalID: "shed", Owner: wuye, By: "w1", At: at(3)},
		domain.ProposalAccepted{ProposalID: "lines", Owner: wuye, By: "w1", At: at(3)},
		domain.ActionAssigned{ActionID: "paint", CommunityID: "hengyuan", GridID: "g2", ProposalID: "lines", Title: "重新划线", Owner: wuye, Due: at(10), By: "w1", At: at(4)},
		domain.MeetingScheduled{MeetingID: "m1", CommunityID: "hengyuan", GridID: "g1", Title: "楼院议事", Place: "车棚", StartsAt: at(5), Format: domain.FormatCourtyard, Facilitator: domain.Voter{PersonID: "f1", Name: "刘网格长"}, At: at(4)},
		domain.AgendaItemAdded{MeetingID: "m1", ItemID: "i1", Title: "夹道清理", ProposalID: "shed", At: at(4)},
		domain.ProposalPutOnAgenda{ProposalID: "shed", MeetingID: "m1", ItemID: "i1", MeetingTitle: "楼院议事", At: at(4)},
		domain.ParticipantInvited{MeetingID: "m1", Participant: domain.Participant{PersonID: "v1", Name: "王五", Kind: domain.ParticipantResident}, At: at(4)},
		domain.ParticipantInvited{MeetingID: "m1", Participant: domain.Participant{PersonID: "v2", Name: "赵六", Kind: domain.ParticipantResident}, At: at(4)},
		domain.ParticipantInvited{MeetingID: "m1", Participant: domain.Participant{PersonID: "v3", Name: "李七", Kind: domain.ParticipantResident}, At: at(4)},
		domain.MeetingOpened{MeetingID: "m1", At: at(5)},
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "v1", Name: "王五", Attendance: domain.Present, At: at(5)},
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "v3", Name: "李七", Attendance: domain.Absent, At: at(5)},
		domain.StatementRecorded{MeetingID: "m1", ItemID: "i1", Speaker: voters[0], Summary: "组织志愿者清理", At: at(5)},
		domain.MotionTabled{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "shed", Text: "清理夹道", Options: opts, Rule: rule, At: at(5)},
		domain.VotingOpened{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "shed", Text: "清理夹道", Options: opts, Rule: rule, Electorate: voters, At: at(5)},
		domain.VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "no", At: at(5)},
		domain.VoteChanged{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "yes", PreviousOption: "no", At: at(5)},
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "v2", Name: "赵六", Attendance: domain.Proxy, HolderID: "v1", At: at(5)},
	}
}

// story2 continues story: the vote closes, an action follows and is
// verified, the proposal closes.
func story2() []domain.Event {
	wuye := domain.Party{Kind: domain.PartyUnit, ID: "u1", Name: "物业"}
	tally := domain.Tally{Rule: domain.Rule{Kind: domain.RuleSimpleMajority, QuorumPercent: 50},
		Options: []domain.OptionTally{{OptionID: "yes", Label: "同意", Votes: 2}, {OptionID: "no", Label: "反对"}},
		Ballots: 2, Electorate: 3, Attending: 2, QuorumMet: true, Result: domain.ResultAdopted, Adopted: true, WinningOptionID: "yes"}
	return []domain.Event{
		domain.VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "v2", CastBy: "v1", OptionID: "yes", At: at(5)},
		domain.VotingClosed{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "shed", Text: "清理夹道", Tally: tally, At: at(5)},
		domain.ProposalDecided{ProposalID: "shed", MeetingID: "m1", MotionID: "mo1", How: domain.DecidedByVote, Adopted: true, OptionID: "yes", Outcome: "清理夹道", At: at(5)},
		domain.MeetingAdjourned{MeetingID: "m1", At: at(5)},
		domain.MinutesPublished{MeetingID: "m1", Summary: "决定清理", ObjectionUntil: at(12), At: at(6)},
		domain.MinutesObjectionRaised{MeetingID: "m1", PersonID: "r9", Name: "孙八", Text: "电话13812345678", At: at(7)},
		domain.ActionAssigned{ActionID: "clear", CommunityID: "hengyuan", GridID: "g1", ProposalID: "shed", MeetingID: "m1", MotionID: "mo1", Title: "清理夹道", Owner: wuye, Due: at(9), By: "f1", At: at(6)},
		domain.ActionProgressReported{ActionID: "clear", Percent: 60, Note: "已清一半", At: at(7)},
		domain.ActionCompleted{ActionID: "clear", Evidence: []string{"sha256-1"}, At: at(8)},
		domain.ActionVerified{ActionID: "clear", ProposalID: "shed", Verifier: domain.Voter{PersonID: "r1", Name: "张三"}, Satisfied: false, Reason: "还有杂物", At: at(8)},
		domain.ProposalReopened{ProposalID: "shed", ActionID: "clear", Reason: "还有杂物", By: "system", At: at(8)},
		domain.ActionCompleted{ActionID: "clear", Evidence: []string{"sha256-2"}, At: at(9)},
		domain.ActionVerified{ActionID: "clear", ProposalID: "shed", Verifier: domain.Voter{PersonID: "r1", Name: "张三"}, Satisfied: true, At: at(9)},
		domain.ProposalActionSettled{ProposalID: "shed", ActionID: "clear", Outcome: domain.StatusVerified, At: at(9)},
		domain.ProposalClosed{ProposalID: "shed", By: "f1", At: at(10)},
	}
}

func ids(items []BoardItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.ProposalID)
	}
	return out
}

// TestBoardProposalsNewestFirst: the board lists the proposals it knows,
// the newest first, a batch at a time past those listed before.
func TestBoardProposalsNewestFirst(t *testing.T) {
	v := foldAll(t, encode(t, story()))
	var all []string
	for skip := 0; ; skip += 2 {
		ids := v.Board.Proposals(skip, 2)
		if len(ids) == 0 {
			break
		}
		require.LessOrEqual(t, len(ids), 2)
		all = append(all, ids...)
	}
	require.Equal(t, []string{"noise", "lines", "shed"}, all)
	require.Empty(t, v.Board.Proposals(0, 0))
}

// TestBoardPlace: the board tells where any proposal it knows lives,
// whatever its status, and knows no other.
func TestBoardPlace(t *testing.T) {
	v := foldAll(t, encode(t, story()))
	for _, id := range []string{"shed", "lines", "noise"} {
		it, ok, err := v.Board.Proposal(id, at(12))
		require.NoError(t, err)
		require.True(t, ok, id)
		community, grid, ok := v.Board.Place(id)
		require.True(t, ok, id)
		assert.Equal(t, [2]string{it.CommunityID, it.GridID}, [2]string{community, grid}, id)
	}
	community, grid, _ := v.Board.Place("lines")
	assert.Equal(t, "g2", grid)
	assert.NotEmpty(t, community)
	_, _, ok := v.Board.Place("nobody")
	assert.False(t, ok)
}

func TestBoardFilters(t *testing.T) {
	v := foldAll(t, encode(t, story()))
	now := at(12)
	cases := []struct {
		name string
		q    BoardQuery
		want []string
	}{
		{"every open proposal", BoardQuery{Now: now}, []string{"shed", "lines"}},
		{"community", BoardQuery{CommunityID: "yangguang", Now: now}, []string{}},
		{"grid", BoardQuery{GridID: "g2", Now: now}, []string{"lines"}},
		{"compound", BoardQuery{CompoundID: "c1", Now: now}, []string{"shed"}},
		{"category", BoardQuery{Category: "停车", Now: now}, []string{"lines"}},
		{"status", BoardQuery{Status: StatusOnAgenda, Now: now}, []string{"shed"}},
		{"closed statuses on request", BoardQuery{Status: StatusRejected, Now: now}, []string{"noise"}},
		{"channel", BoardQuery{Channel: domain.ChannelVisit, Now: now}, []string{"lines"}},
		{"min age", BoardQuery{MinAgeDays: 12, Now: now}, []string{"shed"}},
		{"max age", BoardQuery{MaxAgeDays: 11, Now: now}, []string{"lines"}},
		{"overdue", BoardQuery{OverdueOnly: true, Now: now}, []string{"lines"}},
		{"not overdue yet", BoardQuery{OverdueOnly: true, Now: at(9)}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page, err := v.Board.Open(c.q)
			require.NoError(t, err)
			assert.Equal(t, c.want, ids(page.Items))
			// OpenKept lists the same items, copies those not kept, and
			// hands back the answer kept for the others; an item's state
			// names it and its actions' overdue flags.
			var states []string
			for _, keepAll := range []bool{false, true} {
				entries, next, err := v.Board.OpenKept(c.q, func(community, grid, state string) ([]byte, bool) {
					return []byte(state), keepAll
				})
				require.NoError(t, err)
				require.Len(t, entries, len(page.Items))
				assert.Equal(t, page.Next, next)
				for i, e := range entries {
					if keepAll {
						assert.Nil(t, e.Item)
						assert.Equal(t, states[i], e.State)
						assert.Equal(t, e.State, string(e.Answer))
					} else {
						require.NotNil(t, e.Item)
						assert.Equal(t, page.Items[i], *e.Item)
						assert.True(t, strings.HasPrefix(e.State, e.Item.ProposalID+"@"), e.State)
						assert.True(t, strings.HasSuffix(e.State, "/"+overdueFlags(e.Item)), e.State)
						states = append(states, e.State)
					}
				}
			}
		})
	}
	// An item's state names its overdue flags at the query's "now".
	assert.NotEqual(t, boardItemState(t, v, "lines", at(9)), boardItemState(t, v, "lines", now))
	assert.Equal(t, boardItemState(t, v, "lines", now), boardItemState(t, v, "lines", at(12).Add(time.Hour)), "the same flags, the same state")
	first, err := v.Board.Open(BoardQuery{Now: now, Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, first.Next)
	assert.Equal(t, []string{"shed"}, ids(first.Items))
	second, err := v.Board.Open(BoardQuery{Now: now, Limit: 1, After: first.Next})
	require.NoError(t, err)
	assert.Equal(t, []string{"lines"}, ids(second.Items))
	assert.Empty(t, second.Next)

	shed, ok, err := v.Board.Proposal("shed", now)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 1, shed.Supporters)
	assert.Equal(t, []string{"m1"}, shed.Meetings)

	assert.Equal(t, []GridCount{
		{CommunityID: "hengyuan", GridID: "g1", Open: 1, ByStatus: map[string]int{StatusOnAgenda: 1}},
		{CommunityID: "hengyuan", GridID: "g2", Open: 1, Overdue: 1, ByStatus: map[string]int{StatusAccepted: 1}},
	}, v.Board.GridCounts("", now))

	// A completed action past its due date is not overdue.
	v = foldAll(t, encode(t, append(story(), domain.ActionCompleted{ActionID: "paint", Evidence: []string{"sha256-3"}, At: at(11)})))
	overdue, err := v.Board.Open(BoardQuery{OverdueOnly: true, Now: now})
	require.NoError(t, err)
	assert.Empty(t, overdue.Items)
	assert.Zero(t, v.Board.GridCounts("", now)[1].Overdue)
	assert.True(t, strings.HasSuffix(boardItemState(t, v, "lines", now), "/0"), "the completed action's flag")
}

// overdueFlags are it's actions' overdue flags as an item's state names
// them: 1 overdue, 0 not, in the actions' order.
func overdueFlags(it *BoardItem) string {
	var b strings.Builder
	for _, a := range it.Actions {
		if a.Overdue {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// boardItemState is the state of the open proposal id at now, as OpenKept
// names it.
func boardItemState(t *testing.T, v *Views, id string, now time.Time) string {
	t.Helper()
	entries, _, err := v.Board.OpenKept(BoardQuery{Now: now, Limit: MaxLimit}, func(string, string, string) ([]byte, bool) { return nil, false })
	require.NoError(t, err)
	for _, e := range entries {
		if e.Item.ProposalID == id {
			return e.State
		}
	}
	require.Failf(t, "no such open proposal", "%s", id)
	return ""
}

func TestLiveMeeting(t *testing.T) {
	v := foldAll(t, encode(t, story()))
	m, ok, err := v.Live.Meeting(context.Background(), "m1")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, MeetingOpen, m.Status)
	assert.Equal(t, 3, m.Invited)
	assert.Equal(t, 1, m.Present)
	assert.Equal(t, 1, m.Proxies)
	assert.Equal(t, 1, m.Absent)
	require.NotNil(t, m.Motion)
	assert.Equal(t, MotionVoting, m.Motion.Status)
	assert.Equal(t, []OptionCount{{"yes", "同意", 1}, {"no", "反对", 0}}, m.Motion.Tally, "a changed vote moves, it does not add")
	assert.Equal(t, 1, m.Motion.Ballots)
	assert.Equal(t, 2, m.Motion.Attending)
	assert.True(t, m.Motion.QuorumReached, "2 of 3 attend, quorum 50%")

	v = foldAll(t, encode(t, append(story(), story2()...)))
	m, ok, err = v.Live.Meeting(context.Background(), "m1")
	require.NoError(t, err)
	require.True(t, ok)
	assert.NotContains(t, v.Live.st.Meetings, "m1", "a published meeting is read back from the log")
	assert.Equal(t, MeetingPublished, m.Status)
	assert.Equal(t, MotionClosed, m.Motion.Status)
	require.NotNil(t, m.Motion.Final)
	assert.True(t, m.Motion.Final.Adopted)
	_, ok, err = v.Live.Meeting(context.Background(), "nope")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestRegister(t *testing.T) {
	evs := encode(t, append(story(), story2()...))
	v := foldAll(t, evs)
	decisions := func(q RegisterQuery) []Decision {
		t.Helper()
		p, err := v.Register.Decisions(q)
		require.NoError(t, err)
		return p.Items
	}
	page := RegisterPage{Items: decisions(RegisterQuery{})}
	require.Len(t, page.Items, 1)
	d := page.Items[0]
	assert.Equal(t, "m1/mo1", d.Key)
	assert.Equal(t, domain.DecidedByVote, d.How)
	assert.Equal(t, "楼院议事", d.MeetingTitle)
	assert.Equal(t, "清理夹道", d.Text)
	assert.Equal(t, domain.RuleSimpleMajority, d.Rule.Kind)
	assert.Len(t, d.Electorate, 3)
	assert.Equal(t, AttendanceCount{Invited: 3, Present: 1, Proxy: 1, Absent: 1}, d.Attendance)
	require.NotNil(t, d.Tally)
	assert.Equal(t, 2, d.Tally.Options[0].Votes)
	assert.True(t, d.Adopted)
	assert.Equal(t, "同意", d.Label)
	require.NotNil(t, d.Publication)
	assert.Equal(t, at(12), d.Publication.ObjectionUntil)
	require.Len(t, d.Publication.Objections, 1)
	assert.NotContains(t, v.Register.st.Meetings, "m1", "an adjourned meeting keeps only its minutes' publication")
	assert.Equal(t, []DecisionAction{{ActionID: "clear", Title: "清理夹道", Owner: domain.Party{Kind: domain.PartyUnit, ID: "u1", Name: "物业"}, Due: at(9)}}, d.Actions)
	var made []eventstore.Position // the motion's events, not its ballots, nothing after it closed
	for _, e := range evs {
		switch e.Type {
		case domain.MotionTabled{}.EventType(), domain.VotingOpened{}.EventType(), domain.VotingClosed{}.EventType():
			made = append(made, e.Position)
		}
	}
	assert.Equal(t, made, d.Events)
	assert.Equal(t, d.Position, made[len(made)-1])

	for name, q := range map[string]RegisterQuery{
		"grid": {GridID: "g1"}, "community": {CommunityID: "hengyuan"}, "meeting": {MeetingID: "m1"},
		"proposal": {ProposalID: "shed"}, "how": {How: domain.DecidedByVote},
	} {
		assert.Len(t, decisions(q), 1, name)
	}
	for name, q := range map[string]RegisterQuery{
		"other grid": {GridID: "g2"}, "other proposal": {ProposalID: "lines"}, "consensus": {How: domain.DecidedByConsensus},
		"after the last": {After: positionCursor(d.Position)},
	} {
		assert.Empty(t, decisions(q), name)
	}
	got, ok, err := v.Register.Decision("m1/mo1")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, d, got)
}

func TestOutcomesOrderAndFilters(t *testing.T) {
	evs := append(story(), story2()[:11]...) // up to the unsatisfied verification
	v := foldAll(t, encode(t, evs))
	list := func(q OutcomesQuery) OutcomesPage {
		t.Helper()
		p, err := v.Outcomes.List(q)
		require.NoError(t, err)
		return p
	}
	now := at(12)
	page := list(OutcomesQuery{Now: now})
	require.Len(t, page.Items, 2)
	// paint is overdue (due day 10), clear is reopened: both rank first,
	// the earlier due date first.
	assert.Equal(t, "clear", page.Items[0].ActionID)
	assert.Equal(t, ActionReopened, page.Items[0].Status)
	assert.Equal(t, "paint", page.Items[1].ActionID)
	assert.True(t, page.Items[1].Overdue)
	clear := page.Items[0]
	assert.Equal(t, 60, clear.Progress[0].Percent)
	assert.Equal(t, []string{"sha256-1"}, clear.Evidence)
	require.NotNil(t, clear.Satisfied)
	assert.False(t, *clear.Satisfied)
	assert.Equal(t, 1, clear.Reopened)

	v = foldAll(t, encode(t, append(story(), story2()...)))
	page = list(OutcomesQuery{Now: now})
	assert.Equal(t, "paint", page.Items[0].ActionID, "overdue before verified")
	assert.Equal(t, ActionVerified, page.Items[1].Status)
	for name, c := range map[string]struct {
		q    OutcomesQuery
		want int
	}{
		"grid": {OutcomesQuery{GridID: "g1"}, 1}, "community": {OutcomesQuery{CommunityID: "hengyuan"}, 2},
		"proposal": {OutcomesQuery{ProposalID: "lines"}, 1}, "meeting": {OutcomesQuery{MeetingID: "m1"}, 1},
		"owner": {OutcomesQuery{OwnerID: "u1"}, 2}, "status": {OutcomesQuery{Status: ActionVerified}, 1},
		// An id the list knows as a community's owns nothing.
		"owner named as a community": {OutcomesQuery{OwnerID: "hengyuan"}, 0}, "unknown owner": {OutcomesQuery{OwnerID: "nobody"}, 0},
		"open": {OutcomesQuery{OpenOnly: true}, 1}, "overdue": {OutcomesQuery{OverdueOnly: true, Now: now}, 1},
		"overdue before due": {OutcomesQuery{OverdueOnly: true, Now: at(9)}, 0},
	} {
		assert.Len(t, list(c.q).Items, c.want, name)
	}
	first := list(OutcomesQuery{Now: now, Limit: 1})
	require.NotEmpty(t, first.Next)
	second := list(OutcomesQuery{Now: now, Limit: 1, After: first.Next})
	require.Len(t, second.Items, 1)
	assert.NotEqual(t, first.Items[0].ActionID, second.Items[0].ActionID)
	assert.Empty(t, second.Next)
}

func TestTimelineTellsTheWholeStory(t *testing.T) {
	v := foldAll(t, encode(t, append(story(), story2()...)))
	s, ok := storyOf(t, v, "shed", "", 0)
	require.True(t, ok)
	var types []string
	for _, e := range s.Entries {
		types = append(types, e.Type)
	}
	assert.Equal(t, []string{
		"proposal.submitted.v1", "proposal.supported.v1", "proposal.accepted.v1",
		"meeting.scheduled.v1", "proposal.put_on_agenda.v1", // scheduled before the proposal joined its agenda
		"meeting.participant_invited.v1", "meeting.participant_invited.v1", "meeting.participant_invited.v1",
		"meeting.opened.v1", "meeting.attendance_recorded.v1", "meeting.attendance_recorded.v1",
		"meeting.statement_recorded.v1", "meeting.motion_tabled.v1", "meeting.voting_opened.v1", "meeting.attendance_recorded.v1",
		"meeting.voting_closed.v1", "proposal.decided.v1", "meeting.adjourned.v1", "meeting.minutes_published.v1",
		"meeting.minutes_objection_raised.v1", "action.assigned.v1", "action.progress_reported.v1", "action.completed.v1",
		"action.verified.v1", "proposal.reopened.v1", "action.completed.v1", "action.verified.v1", "proposal.closed.v1",
	}, types)
	for i := 1; i < len(s.Entries); i++ {
		assert.Less(t, s.Entries[i-1].Position, s.Entries[i].Position, "in global order")
	}
	page, _ := storyOf(t, v, "shed", "", 5)
	require.Len(t, page.Entries, 5)
	rest, _ := storyOf(t, v, "shed", page.Next, 100)
	assert.Equal(t, s.Entries[5:], rest.Entries)
	_, ok = storyOf(t, v, "nope", "", 0)
	assert.False(t, ok)
}

func TestStats(t *testing.T) {
	v := foldAll(t, encode(t, append(story(), story2()...)))
	f := v.Stats.Figures(StatsQuery{CommunityID: "hengyuan"})
	assert.Equal(t, 2, f.Collected)
	assert.Equal(t, map[string]int{domain.ChannelPhotoReport: 1, domain.ChannelVisit: 1}, f.ByChannel)
	assert.Equal(t, 1, f.Solved)
	assert.Equal(t, 1, f.Closed)
	assert.Equal(t, 1.0, f.ClosedLoopRate)
	assert.Equal(t, 10.0, f.MedianDays)
	assert.Equal(t, 2, f.Verifications)
	assert.Equal(t, 0.5, f.Satisfaction)
	assert.Equal(t, 1, f.MeetingsHeld)
	assert.Equal(t, 2, f.Attendance)
	assert.Equal(t, 3, f.Invited)

	all := v.Stats.Figures(StatsQuery{})
	assert.Equal(t, 3, all.Collected)
	assert.Equal(t, 2, all.Closed, "the rejected proposal closed without a verified outcome")
	assert.Equal(t, 0.5, all.ClosedLoopRate)
	assert.Equal(t, 1, v.Stats.Figures(StatsQuery{GridID: "g2"}).Collected)
	assert.Zero(t, v.Stats.Figures(StatsQuery{From: at(40)}).Collected, "months after")
	assert.Equal(t, 3, v.Stats.Figures(StatsQuery{From: at(0), To: at(0)}).Collected, "July")

	rows, err := v.Stats.Breakdown(StatsQuery{}, ByCommunity)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "hengyuan", rows[0].Key)
	assert.Equal(t, 2, rows[0].Figures.Collected)
	rows, err = v.Stats.Breakdown(StatsQuery{}, ByGrid)
	require.NoError(t, err)
	assert.Len(t, rows, 3)
	_, err = v.Stats.Breakdown(StatsQuery{}, "year")
	assert.Error(t, err)
}

// TestDecoderAgreesWithTheDomain decodes a generated ledger with the fast
// decoder and with domain.Decode and compares every event.
func TestDecoderAgreesWithTheDomain(t *testing.T) {
	dec := NewDecoder()
	assert.Len(t, dec.types, len(domain.EventTypes()), "every type of the catalogue has a fast path")
	seen := map[string]bool{}
	for _, se := range encode(t, newGen(11, 5).events(3000)) {
		want, err := domain.Decode(se.Type, se.Data)
		require.NoError(t, err)
		got, err := dec.Decode(se.Type, se.Data)
		require.NoError(t, err)
		require.Equal(t, want, got, se.Type)
		seen[se.Type] = true
	}
	assert.Greater(t, len(seen), 25, "the ledger covers most types")
	_, err := dec.Decode("proposal.submitted.v1", []byte(`{"title": 7}`))
	assert.Error(t, err)
	_, err = dec.Decode("nothing.v1", []byte(`{}`))
	assert.Error(t, err)
}

// TestIndexesAndPagesAgreeWithAScan checks on a generated ledger, and after
// a snapshot round trip, that the per-grid and per-community indexes give
// what filtering everything gives, and that small pages add up to it.
func TestIndexesAndPagesAgreeWithAScan(t *testing.T) {
	v := foldAll(t, encode(t, newGen(12, 6).events(4000)))
	restored := NewViews()
	for i, view := range v.all {
		b, err := view.MarshalSnapshot()
		require.NoError(t, err)
		require.NoError(t, restored.all[i].UnmarshalSnapshot(bytes.NewReader(b)))
	}
	// The board's items are in its tables, not in its snapshot.
	restored.Board.items, restored.Board.actions = v.Board.items, v.Board.actions
	restored.Outcomes.items = v.Outcomes.items
	restored.Register.decisions, restored.Register.minutes = v.Register.decisions, v.Register.minutes
	now := at(400)
	allDecisions := func(vs *Views, q RegisterQuery) []Decision {
		var out []Decision
		for {
			q.Limit = 7
			p, err := vs.Register.Decisions(q)
			require.NoError(t, err)
			out = append(out, p.Items...)
			if p.Next == "" {
				return out
			}
			q.After = p.Next
		}
	}
	allItems := func(vs *Views, q BoardQuery) []BoardItem {
		var out []BoardItem
		for {
			q.Limit, q.Now = 7, now
			p, err := vs.Board.Open(q)
			require.NoError(t, err)
			out = append(out, p.Items...)
			if p.Next == "" {
				return out
			}
			q.After = p.Next
		}
	}
	for _, vs := range []*Views{v, restored} {
		decisions := allDecisions(vs, RegisterQuery{})
		items := allItems(vs, BoardQuery{})
		require.NotEmpty(t, decisions)
		require.NotEmpty(t, items)
		for _, grid := range []string{"g0", "g3", "g5"} {
			var want []Decision
			for _, d := range decisions {
				if d.GridID == grid {
					want = append(want, d)
				}
			}
			assert.Equal(t, want, allDecisions(vs, RegisterQuery{GridID: grid}), grid)
			var wantItems []BoardItem
			for _, it := range items {
				if it.GridID == grid {
					wantItems = append(wantItems, it)
				}
			}
			assert.Equal(t, wantItems, allItems(vs, BoardQuery{GridID: grid}), grid)
		}
		var want []Decision
		for _, d := range decisions {
			if d.CommunityID == "c0" {
				want = append(want, d)
			}
		}
		assert.Equal(t, want, allDecisions(vs, RegisterQuery{CommunityID: "c0"}))
		hows := map[string][]Decision{}
		for _, d := range decisions {
			hows[d.How] = append(hows[d.How], d)
		}
		require.Greater(t, len(hows), 1, "the ledger decides more than one way")
		for how, want := range hows {
			assert.Equal(t, want, allDecisions(vs, RegisterQuery{How: how}), how)
		}
	}
	// The round trip of the snapshots (the tables are not in them).
	for i, view := range v.all {
		a, err := view.MarshalSnapshot()
		require.NoError(t, err)
		b, err := restored.all[i].MarshalSnapshot()
		require.NoError(t, err)
		assert.Equal(t, string(a), string(b), view.Name())
	}
}

// TestStatsAttendanceCountsUninvitedAttendees: an owners' assembly records
// attendance for owners it never invited; they count as expected, so the
// attendance rate never exceeds 1.
func TestStatsAttendanceCountsUninvitedAttendees(t *testing.T) {
	events := []domain.Event{
		domain.MeetingScheduled{MeetingID: "m1", CommunityID: "c1", GridID: "g1", Title: "业主大会", Place: "院内", StartsAt: at(1), Format: domain.FormatOwners, At: at(0)},
		domain.ParticipantInvited{MeetingID: "m1", Participant: domain.Participant{PersonID: "p1", Name: "张三", Kind: domain.ParticipantResident}, At: at(0)},
		domain.MeetingOpened{MeetingID: "m1", At: at(1)},
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "p1", Name: "张三", Attendance: domain.Present, At: at(1)},
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "p2", Name: "李四", Attendance: domain.Present, At: at(1)},
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "p3", Name: "王五", Attendance: domain.Absent, At: at(1)},
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "p2", Name: "李四", Attendance: domain.Present, At: at(1)},
	}
	f := foldAll(t, encode(t, events)).Stats.Figures(StatsQuery{CommunityID: "c1"})
	assert.Equal(t, 3, f.Invited, "one invited, two recorded without an invitation, one recorded twice")
	assert.Equal(t, 2, f.Attendance)
	assert.InDelta(t, 2.0/3, f.AttendanceRate, 1e-9)
}

// TestStatsCountsAProposalSolvedOnce: one proposal collected, closed,
// reopened and closed again three times is solved once, and a rejection
// later reopened and solved moves its closure to the month it was solved.
func TestStatsCountsAProposalSolvedOnce(t *testing.T) {
	zhang := domain.Party{Kind: domain.PartyPerson, ID: "r1", Name: "张三"}
	events := []domain.Event{
		domain.ProposalSubmitted{ProposalID: "p1", CommunityID: "c1", GridID: "g1", Title: "路灯", Channel: domain.ChannelVisit, Author: zhang, At: at(0)},
		domain.ProposalSubmitted{ProposalID: "p2", CommunityID: "c1", GridID: "g1", Title: "积水", Channel: domain.ChannelVisit, Author: zhang, At: at(0)},
		domain.ProposalRejected{ProposalID: "p2", Reason: "不属于社区事务", By: "w1", At: at(1)},
	}
	for i := range 3 {
		events = append(events, domain.ProposalClosed{ProposalID: "p1", By: "w1", At: at(2 + 2*i)},
			domain.ProposalReopened{ProposalID: "p1", Reason: "又坏了", By: "r1", At: at(3 + 2*i)})
	}
	events = append(events, domain.ProposalClosed{ProposalID: "p1", By: "w1", At: at(9)},
		domain.ProposalReopened{ProposalID: "p2", Reason: "复核后受理", By: "w1", At: at(40)},
		domain.ProposalClosed{ProposalID: "p2", By: "w1", At: at(45)})
	v := foldAll(t, encode(t, events)).Stats
	f := v.Figures(StatsQuery{})
	assert.Equal(t, 2, f.Collected)
	assert.Equal(t, 2, f.Solved)
	assert.Equal(t, 2, f.Closed)
	assert.Equal(t, 1.0, f.ClosedLoopRate)
	july := v.Figures(StatsQuery{From: at(0), To: at(0)})
	assert.Equal(t, 1, july.Solved)
	assert.Equal(t, 1, july.Closed, "p2's closure moved to August, when it was solved")
	aug := v.Figures(StatsQuery{From: at(45), To: at(45)})
	assert.Equal(t, 1, aug.Solved)
	assert.Equal(t, 1, aug.Closed)
}

// TestOwnersDecisionInTheTimelineCountsNobody: a proposal.decided.v1 of an
// owners' vote recorded before such outcomes were summarised by shares
// says each option's owners ("同意 1，反对 2，弃权 0"); the timeline tells
// it again from the vote's tally, by shares only.
func TestOwnersDecisionInTheTimelineCountsNobody(t *testing.T) {
	tally := domain.Tally{Rule: domain.Rule{Kind: domain.RuleOwnersOrdinary},
		Options: []domain.OptionTally{{OptionID: "yes", Label: "同意", Votes: 1, Heads: 1, AreaDM2: 9000}, {OptionID: "no", Label: "反对", Votes: 2, Heads: 2, AreaDM2: 15956}},
		Ballots: 3, Electorate: 3, Attending: 3, QuorumMet: true, TotalAreaDM2: 24956, ParticipatingAreaDM2: 24956, TotalHeads: 3, ParticipatingHeads: 3,
		Result: domain.ResultRejected}
	said := "清理夹道: 未通过（参与业主占专有面积 100%、占业主人数 100%，没有选项同时达到面积和人数的法定比例）"
	decided := func(evs []domain.Event) []domain.Event {
		return append(evs,
			domain.VotingClosed{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "shed", Text: "清理夹道", Tally: tally, At: at(5)},
			domain.ProposalDecided{ProposalID: "shed", MeetingID: "m1", MotionID: "mo1", How: domain.DecidedByVote, Outcome: "清理夹道: 未通过（同意 1，反对 2，弃权 0）", At: at(5)})
	}
	v := foldAll(t, encode(t, decided(story())))
	s, ok := storyOf(t, v, "shed", "", 0)
	require.True(t, ok)
	last := s.Entries[len(s.Entries)-1]
	require.Equal(t, "proposal.decided.v1", last.Type)
	assert.Equal(t, said, last.Summary)

	// A story too long for the story cache is read a page at a time: the
	// decision's page reads the steps before it to find the tally.
	long := story()
	for i := range storyCacheLongest {
		long = append(long, domain.ProposalSupported{ProposalID: "shed", PersonID: fmt.Sprintf("s%d", i), Name: "居民", At: at(4)})
	}
	v = foldAll(t, encode(t, decided(long)))
	whole, ok := storyOf(t, v, "shed", "", MaxLimit)
	require.True(t, ok)
	require.Greater(t, len(whole.Entries), storyCacheLongest)
	read, positions := v.Timeline.read, 0
	v.Timeline.read = func(ctx context.Context, at []eventstore.Position) ([]Event, error) {
		positions += len(at)
		return read(ctx, at)
	}
	alone, ok := storyOf(t, v, "shed", positionCursor(whole.Entries[len(whole.Entries)-2].Position), 1)
	require.True(t, ok)
	require.Len(t, alone.Entries, 1)
	assert.Equal(t, "proposal.decided.v1", alone.Entries[0].Type)
	assert.Equal(t, said, alone.Entries[0].Summary)
	assert.Empty(t, alone.Next, "the last page")
	assert.Equal(t, 1+lookBack, positions, "the page, then one look back that finds the vote")

	positions = 0
	both, ok := storyOf(t, v, "shed", positionCursor(whole.Entries[len(whole.Entries)-3].Position), 2)
	require.True(t, ok)
	assert.Equal(t, said, both.Entries[1].Summary)
	assert.Equal(t, 2, positions, "the vote on the page: nothing else read")
}

// TestTimelineReadsItsStepsFromTheLog: the timeline keeps positions only;
// a story is read from the log once, whole, then from the story cache
// until it changes; the log's failure is the page's.
func TestTimelineReadsItsStepsFromTheLog(t *testing.T) {
	evs := story()
	stored := encode(t, evs)
	v := foldAll(t, stored)
	snap, err := v.Timeline.MarshalSnapshot()
	require.NoError(t, err)
	assert.NotContains(t, string(snap), "夹道", "no step's text is kept in the view")

	var asked [][]eventstore.Position
	read := v.Timeline.read
	v.Timeline.read = func(ctx context.Context, positions []eventstore.Position) ([]Event, error) {
		asked = append(asked, positions)
		return read(ctx, positions)
	}
	all, err := v.Timeline.stories.all("shed")
	require.NoError(t, err)
	page, ok := storyOf(t, v, "shed", "", 2)
	require.True(t, ok)
	require.Len(t, page.Entries, 2)
	require.Len(t, asked, 1, "one read")
	assert.Equal(t, all, asked[0], "the whole story, for the cache")
	rest, ok := storyOf(t, v, "shed", page.Next, 0)
	require.True(t, ok)
	assert.Len(t, asked, 1, "the next page from the cache")
	assert.Len(t, rest.Entries, len(all)-2)

	// The story grows: the cache no longer holds it as it is.
	more := encode(t, append(evs, domain.ProposalSupported{ProposalID: "shed", PersonID: "r9", Name: "赵九", At: at(6)}))
	next := more[len(more)-1]
	d, err := NewDecoder().Decode(next.Type, next.Data)
	require.NoError(t, err)
	require.NoError(t, v.Timeline.Apply(eventOf(next, d)))
	read = logReader(&memStore{evs: more}, NewDecoder().Decode)
	grown, ok := storyOf(t, v, "shed", "", 0)
	require.True(t, ok)
	require.Len(t, asked, 2, "read again")
	assert.Equal(t, "赵九", grown.Entries[len(grown.Entries)-1].PersonName)

	failing := foldAll(t, stored)
	failing.Timeline.read = func(context.Context, []eventstore.Position) ([]Event, error) {
		return nil, eventstore.ErrClosed
	}
	_, _, err = failing.Timeline.Of(context.Background(), "shed", "", 0)
	assert.ErrorIs(t, err, eventstore.ErrClosed)
	_, ok, err = failing.Timeline.Of(context.Background(), "nope", "", 0)
	assert.NoError(t, err, "an unknown proposal reads nothing")
	assert.False(t, ok)
}

// TestListsOrderTimesOfAnyYear: the lists' heads keep times as integers;
// a due date or an age cut-off beyond the years those hold (2262, 1678)
// still compares as the times do.
func TestListsOrderTimesOfAnyYear(t *testing.T) {
	wuye := domain.Party{Kind: domain.PartyUnit, ID: "u1", Name: "物业"}
	far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	v := foldAll(t, encode(t, []domain.Event{
		domain.ProposalSubmitted{ProposalID: "p", CommunityID: "c", GridID: "g", Title: "路灯", Category: "设施", Channel: domain.ChannelVisit, Author: wuye, At: at(0)},
		domain.ActionAssigned{ActionID: "far", CommunityID: "c", GridID: "g", ProposalID: "p", Title: "换灯", Owner: wuye, Due: far, By: "w1", At: at(1)},
		domain.ActionAssigned{ActionID: "farther", CommunityID: "c", GridID: "g", ProposalID: "p", Title: "换杆", Owner: wuye, Due: far.AddDate(1, 0, 0), By: "w1", At: at(1)},
	}))
	now := at(5)
	board := func(q BoardQuery) []string {
		t.Helper()
		q.Now = now
		p, err := v.Board.Open(q)
		require.NoError(t, err)
		return ids(p.Items)
	}
	assert.Empty(t, board(BoardQuery{OverdueOnly: true}), "due in 2300: not overdue")
	assert.Equal(t, []string{"p"}, board(BoardQuery{MaxAgeDays: 200_000}), "submitted within 200,000 days")
	assert.Empty(t, board(BoardQuery{MinAgeDays: 200_000}), "not submitted 200,000 days ago")
	assert.Zero(t, v.Board.GridCounts("", now)[0].Overdue)
	assert.True(t, strings.HasSuffix(boardItemState(t, v, "p", now), "/00"), "neither action overdue in the item's state")

	list, err := v.Outcomes.List(OutcomesQuery{OverdueOnly: true, Now: now})
	require.NoError(t, err)
	assert.Empty(t, list.Items, "due in 2300: not overdue")
	list, err = v.Outcomes.List(OutcomesQuery{Now: now, Limit: 1})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "far", list.Items[0].ActionID)
	assert.Equal(t, fmt.Sprintf("1.%d.%d", far.Unix(), list.Items[0].Position), list.Next, "the cursor holds the due date's own seconds")
	list, err = v.Outcomes.List(OutcomesQuery{Now: now, After: list.Next})
	require.NoError(t, err)
	assert.Equal(t, "farther", list.Items[0].ActionID)
}
