package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/ledger"
)

// mustRun executes commands that must be accepted.
func mustRun(tb testing.TB, l *ledger.Ledger, cmds ...domain.Command) {
	tb.Helper()
	for _, c := range cmds {
		_, err := l.Execute(context.Background(), c, facilitator, ledger.Options{})
		require.NoError(tb, err, "%T", c)
	}
}

// refused executes cmd, expects a refusal with reason and field, and
// checks that the command's stream did not change.
func refused(tb testing.TB, l *ledger.Ledger, cmd domain.Command, opts ledger.Options, reason, field string) {
	tb.Helper()
	ctx := context.Background()
	_, before, err := l.Load(ctx, cmd.Stream())
	require.NoError(tb, err)
	_, err = l.Execute(ctx, cmd, facilitator, opts)
	var derr *domain.Error
	require.ErrorAs(tb, err, &derr, "%T must be refused", cmd)
	assert.Equal(tb, reason, derr.Reason, derr.Message)
	assert.Equal(tb, field, derr.Field)
	_, after, err := l.Load(ctx, cmd.Stream())
	require.NoError(tb, err)
	assert.Equal(tb, before, after, "a refused command writes nothing")
}

func submitIn(id, community, grid string) domain.SubmitProposal {
	c := submit(id)
	c.CommunityID, c.GridID = community, grid
	return c
}

func assign(id, community, proposal, meeting, motion string) domain.AssignAction {
	return domain.AssignAction{ActionID: id, CommunityID: community, GridID: "grid-3", ProposalID: proposal, MeetingID: meeting, MotionID: motion,
		Title: "清理车棚夹道", Owner: domain.Party{Kind: domain.PartyUnit, ID: "wuye", Name: "物业"}, Due: clock().Add(72 * time.Hour), By: "worker-1"}
}

func TestMergeStaysAcyclicOpenAndWithinACommunity(t *testing.T) {
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	a, b, w, o := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	mustRun(t, l, submit(a), submit(b), submit(w), submitIn(o, "dongzhongxu", "dzx-grid-1"),
		domain.WithdrawProposal{ProposalID: w, PersonID: "resident-1", Reason: "已自行解决"})

	mustRun(t, l, domain.MergeProposal{ProposalID: a, SurvivorID: b, Reason: "重复", By: "worker-1"})
	refused(t, l, domain.MergeProposal{ProposalID: b, SurvivorID: a, Reason: "重复", By: "worker-1"}, ledger.Options{}, "survivor_not_open", "survivor_id")
	refused(t, l, domain.MergeProposal{ProposalID: b, SurvivorID: w, Reason: "重复", By: "worker-1"}, ledger.Options{}, "survivor_not_open", "survivor_id")
	refused(t, l, domain.MergeProposal{ProposalID: b, SurvivorID: o, Reason: "重复", By: "worker-1"}, ledger.Options{}, "other_community", "survivor_id")
	refused(t, l, domain.MergeProposal{ProposalID: b, SurvivorID: uuid.NewString(), Reason: "重复", By: "worker-1"}, ledger.Options{}, "proposal_not_found", "survivor_id")
}

func TestActionNeedsAnOpenProposalOfItsCommunity(t *testing.T) {
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	open, w, o := uuid.NewString(), uuid.NewString(), uuid.NewString()
	mustRun(t, l, submit(open), submit(w), submitIn(o, "dongzhongxu", "dzx-grid-1"),
		domain.WithdrawProposal{ProposalID: w, PersonID: "resident-1", Reason: "已自行解决"})

	refused(t, l, assign(uuid.NewString(), "hengyuan", w, "", ""), ledger.Options{}, "proposal_not_open", "proposal_id")
	refused(t, l, assign(uuid.NewString(), "hengyuan", o, "", ""), ledger.Options{}, "other_community", "proposal_id")
	mustRun(t, l, assign(uuid.NewString(), "hengyuan", open, "", ""))
}

// meetingWithMotions schedules a meeting of hengyuan with a motion voted
// to a tie ("tied") and one carried ("carried"), and returns its id.
func meetingWithMotions(tb testing.TB, l *ledger.Ledger) string {
	tb.Helper()
	mid := uuid.NewString()
	v1, v2 := domain.Voter{PersonID: "v1", Name: "甲"}, domain.Voter{PersonID: "v2", Name: "乙"}
	options := []domain.Option{{ID: "a", Label: "方案一"}, {ID: "b", Label: "方案二"}}
	mustRun(tb, l,
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: "hengyuan", GridID: "grid-3", Title: "楼院议事", Place: "3号院",
			StartsAt: clock().Add(time.Hour), Format: domain.FormatCourtyard, Facilitator: domain.Voter{PersonID: "worker-1", Name: "王网格"}},
		domain.AddAgendaItem{MeetingID: mid, ItemID: "item-1", Title: "车棚"},
		domain.OpenMeeting{MeetingID: mid},
		domain.RecordAttendance{MeetingID: mid, PersonID: "v1", Name: "甲", Attendance: domain.Present},
		domain.RecordAttendance{MeetingID: mid, PersonID: "v2", Name: "乙", Attendance: domain.Present},
	)
	for _, m := range []struct {
		id     string
		ballot [2]string
	}{{"tied", [2]string{"a", "b"}}, {"carried", [2]string{"a", "a"}}} {
		mustRun(tb, l,
			domain.TableMotion{MeetingID: mid, MotionID: m.id, ItemID: "item-1", Text: "清理方案", Options: options, Rule: domain.Rule{Kind: domain.RuleSimpleMajority}},
			domain.OpenVoting{MeetingID: mid, MotionID: m.id, Electorate: []domain.Voter{v1, v2}},
			domain.CastVote{MeetingID: mid, MotionID: m.id, VoterID: "v1", CastBy: "v1", OptionID: m.ballot[0]},
			domain.CastVote{MeetingID: mid, MotionID: m.id, VoterID: "v2", CastBy: "v2", OptionID: m.ballot[1]},
			domain.CloseVoting{MeetingID: mid, MotionID: m.id},
		)
	}
	return mid
}

func TestActionCarriesOutAnAdoptedDecisionOfItsCommunity(t *testing.T) {
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	mid := meetingWithMotions(t, l)

	refused(t, l, assign(uuid.NewString(), "hengyuan", "", mid, "tied"), ledger.Options{}, "decision_not_adopted", "motion_id")
	refused(t, l, assign(uuid.NewString(), "hengyuan", "", mid, "no-such-motion"), ledger.Options{}, "motion_not_found", "motion_id")
	refused(t, l, assign(uuid.NewString(), "hengyuan", "", uuid.NewString(), "carried"), ledger.Options{}, "meeting_not_found", "meeting_id")
	refused(t, l, assign(uuid.NewString(), "dongzhongxu", "", mid, "carried"), ledger.Options{}, "other_community", "meeting_id")
	mustRun(t, l, assign(uuid.NewString(), "hengyuan", "", mid, "carried"))
}

func TestAgendaItemTakesAProposalOfTheMeetingsCommunity(t *testing.T) {
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	mid := meetingWithMotions(t, l)
	o := uuid.NewString()
	mustRun(t, l, submitIn(o, "dongzhongxu", "dzx-grid-1"))
	refused(t, l, domain.AddAgendaItem{MeetingID: mid, ItemID: "item-9", Title: "外社区议题", ProposalID: o}, ledger.Options{}, "other_community", "proposal_id")

	// An opinion collected at a talk names a talk of its own community.
	collected := submitIn(uuid.NewString(), "dongzhongxu", "dzx-grid-1")
	collected.MeetingID = mid
	refused(t, l, collected, ledger.Options{}, "other_community", "meeting_id")
	collected.MeetingID = uuid.NewString()
	refused(t, l, collected, ledger.Options{}, "meeting_not_found", "meeting_id")
	collected.CommunityID, collected.GridID, collected.MeetingID = "hengyuan", "grid-3", mid
	mustRun(t, l, collected)
}

func TestWithdrawAfterAMeetingDecided(t *testing.T) {
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	mid, pid := uuid.NewString(), uuid.NewString()
	mustRun(t, l, submit(pid),
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: "hengyuan", GridID: "grid-3", Title: "楼院议事", Place: "3号院",
			StartsAt: clock().Add(time.Hour), Format: domain.FormatCourtyard, Facilitator: domain.Voter{PersonID: "worker-1", Name: "王网格"}},
		domain.AddAgendaItem{MeetingID: mid, ItemID: "item-1", Title: "车棚", ProposalID: pid},
		domain.OpenMeeting{MeetingID: mid},
		domain.RecordAttendance{MeetingID: mid, PersonID: "v1", Name: "甲", Attendance: domain.Present},
		domain.TableMotion{MeetingID: mid, MotionID: "m1", ItemID: "item-1", Text: "清理", Options: []domain.Option{{ID: "ok", Label: "同意"}},
			Rule: domain.Rule{Kind: domain.RuleConsensus}},
		domain.RecordConsensus{MeetingID: mid, MotionID: "m1", OptionID: "ok"},
	)
	refused(t, l, domain.WithdrawProposal{ProposalID: pid, PersonID: "resident-1", Reason: "算了"}, ledger.Options{}, "already_decided", "")
}

// TestFollowUpsStayInTheSendersScope: a command whose follow-up would
// write outside the scope the door passes is refused whole.
func TestFollowUpsStayInTheSendersScope(t *testing.T) {
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	pid := uuid.NewString()
	mustRun(t, l, submitIn(pid, "hengyuan", "grid-4"))
	errScope := errors.New("out of scope")
	onlyGrid3 := func(community, grid string) error {
		if community != "hengyuan" || grid != "grid-3" {
			return errScope
		}
		return nil
	}
	aid := uuid.NewString()
	_, err := l.Execute(context.Background(), assign(aid, "hengyuan", pid, "", ""), facilitator, ledger.Options{Scope: onlyGrid3})
	require.ErrorIs(t, err, errScope)
	_, rev, err := l.Load(context.Background(), domain.ActionStream(aid))
	require.NoError(t, err)
	assert.Equal(t, int64(-1), rev, "nothing of the refused command was written")
}

// TestVerifiersOfADecisionWithoutAProposal: an action carrying out a
// decision that names no proposal is verified by those present at the
// meeting that took it, and by nobody else.
func TestVerifiersOfADecisionWithoutAProposal(t *testing.T) {
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	mid, aid := meetingWithMotions(t, l), uuid.NewString()
	mustRun(t, l, assign(aid, "hengyuan", "", mid, "carried"), domain.StartAction{ActionID: aid},
		domain.CompleteAction{ActionID: aid, Evidence: []string{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}})
	refused(t, l, domain.VerifyAction{ActionID: aid, Verifier: domain.Voter{PersonID: "r9", Name: "路人"}, Satisfied: true}, ledger.Options{}, "not_a_verifier", "verifier")
	refused(t, l, domain.VerifyAction{ActionID: aid, Verifier: domain.Voter{PersonID: "r9", Name: "路人"}, Satisfied: true,
		RecordedBy: "worker-1", Method: domain.VerifiedByPhone, Note: "电话回访"}, ledger.Options{}, "not_a_verifier", "verifier")
	mustRun(t, l, domain.VerifyAction{ActionID: aid, Verifier: domain.Voter{PersonID: "v2", Name: "乙"}, Satisfied: true,
		RecordedBy: "worker-1", Method: domain.VerifiedOnAVisit, Note: "入户回访，乙表示满意"})
}

func TestFollowAnItemThatExists(t *testing.T) {
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	p := uuid.NewString()
	mustRun(t, l, submit(p), domain.FollowItem{PersonID: "resident-9", Item: domain.ProposalStream(p)})
	refused(t, l, domain.FollowItem{PersonID: "resident-9", Item: domain.ProposalStream(uuid.NewString())}, ledger.Options{}, "item_not_found", "item")
}
