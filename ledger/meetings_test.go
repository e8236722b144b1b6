package ledger_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/ledger"
)

var admin = ledger.Actor{ID: "admin-1", Role: "admin"}

// organisation registers a community with two grids and a compound in
// each, and a register of three units in compound c1 (grid g1): a owns u1
// alone and u2 with b (one head after the interpretation), c owns u3.
func organisation(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	owner := func(id, name string) domain.Voter { return domain.Voter{PersonID: id, Name: name} }
	for _, c := range []domain.Command{
		domain.RegisterCommunity{CommunityID: "hy", Name: "衡苑社区", Kind: domain.CommunityUrban},
		domain.CreateGrid{CommunityID: "hy", GridID: "g1", Name: "第一网格", Kind: domain.GridResidential},
		domain.CreateGrid{CommunityID: "hy", GridID: "g2", Name: "第二网格", Kind: domain.GridResidential},
		domain.RegisterCompound{CommunityID: "hy", CompoundID: "c1", GridID: "g1", Name: "东街3号院"},
		domain.RegisterCompound{CommunityID: "hy", CompoundID: "c2", GridID: "g2", Name: "西院"},
		domain.RegisterUnit{CommunityID: "hy", CompoundID: "c1", UnitID: "u1", Label: "1-101", AreaDM2: 8956, Owners: []domain.Voter{owner("a", "业主甲")}},
		domain.RegisterUnit{CommunityID: "hy", CompoundID: "c1", UnitID: "u2", Label: "1-102", AreaDM2: 9000, Owners: []domain.Voter{owner("a", "业主甲"), owner("b", "业主乙")}},
		domain.RegisterUnit{CommunityID: "hy", CompoundID: "c1", UnitID: "u3", Label: "1-201", AreaDM2: 7000, Owners: []domain.Voter{owner("c", "业主丙")}},
	} {
		_, err := l.Execute(context.Background(), c, admin, ledger.Options{})
		require.NoError(t, err, "%T", c)
	}
}

func ownersMeeting(grid, compound string) domain.ScheduleMeeting {
	return domain.ScheduleMeeting{MeetingID: "m1", CommunityID: "hy", GridID: grid, CompoundID: compound, Title: "业主大会", Place: "3号院",
		StartsAt: clock().Add(24 * time.Hour), Format: domain.FormatOwners, Facilitator: domain.Voter{PersonID: "worker-1", Name: "网格长"}}
}

// TestOwnersAssemblyCompoundInTheMeetingsGrid: a facilitator of grid 1
// cannot convene an owners' assembly for a compound of grid 2 (issue 9,
// point 5).
func TestOwnersAssemblyCompoundInTheMeetingsGrid(t *testing.T) {
	ctx := context.Background()
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	organisation(t, l)

	_, err := l.Execute(ctx, ownersMeeting("g1", "c2"), facilitator, ledger.Options{})
	assert.Equal(t, "compound_outside_grid", domain.ErrorReason(err))
	var de *domain.Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "compound_id", de.Field)

	_, err = l.Execute(ctx, ownersMeeting("g1", "nowhere"), facilitator, ledger.Options{})
	assert.Equal(t, "compound_not_found", domain.ErrorReason(err))

	_, err = l.Execute(ctx, ownersMeeting("g1", "c1"), facilitator, ledger.Options{})
	require.NoError(t, err)
}

// TestOwnersVoteRegisterComesFromTheOrganisation: the register an owners'
// vote locks is the organisation's as it is when voting opens, with the
// revision it was read at; a register or electorate from the caller is
// refused (issue 9, point 4).
func TestOwnersVoteRegisterComesFromTheOrganisation(t *testing.T) {
	ctx := context.Background()
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	organisation(t, l)
	for _, c := range []domain.Command{
		ownersMeeting("g1", "c1"),
		domain.AddAgendaItem{MeetingID: "m1", ItemID: "i1", Title: "维修资金"},
		domain.OpenMeeting{MeetingID: "m1"},
		domain.TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "使用维修资金修缮屋面", Options: []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "反对"}},
			Rule: domain.Rule{Kind: domain.RuleOwners, Matter: domain.MatterFundUse}},
	} {
		_, err := l.Execute(ctx, c, facilitator, ledger.Options{})
		require.NoError(t, err, "%T", c)
	}

	forged := []domain.OwnedUnit{{UnitID: "u1", AreaDM2: 99999, Owners: []string{"a"}}}
	_, err := l.Execute(ctx, domain.OpenVoting{MeetingID: "m1", MotionID: "mo1", Units: forged}, facilitator, ledger.Options{})
	var de *domain.Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "units", de.Field)
	_, err = l.Execute(ctx, domain.OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: []domain.Voter{{PersonID: "a", Name: "业主甲"}}}, facilitator, ledger.Options{})
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "electorate", de.Field)

	_, orgRevision, err := l.Load(ctx, domain.OrganisationStream("hy"))
	require.NoError(t, err)
	res, err := l.Execute(ctx, domain.OpenVoting{MeetingID: "m1", MotionID: "mo1"}, facilitator, ledger.Options{})
	require.NoError(t, err)
	require.Len(t, res.Events, 1)
	opened := res.Events[0].(domain.VotingOpened)
	assert.Equal(t, []domain.OwnedUnit{
		{UnitID: "u1", AreaDM2: 8956, Owners: []string{"a"}},
		{UnitID: "u2", AreaDM2: 9000, Owners: []string{"a", "b"}},
		{UnitID: "u3", AreaDM2: 7000, Owners: []string{"c"}},
	}, opened.Units)
	assert.Equal(t, []domain.Voter{{PersonID: "a", Name: "业主甲"}, {PersonID: "b", Name: "业主乙"}, {PersonID: "c", Name: "业主丙"}}, opened.Electorate)
	require.NotNil(t, opened.RegisterRevision)
	assert.Equal(t, orgRevision, *opened.RegisterRevision)
	assert.Equal(t, domain.RuleOwnersOrdinary, opened.Rule.Kind)

	// A change of owners after voting opened does not change the locked register.
	_, err = l.Execute(ctx, domain.ChangeUnitOwners{CommunityID: "hy", CompoundID: "c1", UnitID: "u3", Owners: []domain.Voter{{PersonID: "z", Name: "新业主"}}}, admin, ledger.Options{})
	require.NoError(t, err)
	for _, c := range []domain.CastVote{
		{MeetingID: "m1", MotionID: "mo1", VoterID: "a", CastBy: "a", OptionID: "yes"},
		{MeetingID: "m1", MotionID: "mo1", VoterID: "c", CastBy: "c", OptionID: "no"},
	} {
		_, err := l.Execute(ctx, c, ledger.Actor{ID: c.VoterID, Role: "resident"}, ledger.Options{})
		require.NoError(t, err)
	}
	res, err = l.Execute(ctx, domain.CloseVoting{MeetingID: "m1", MotionID: "mo1"}, facilitator, ledger.Options{})
	require.NoError(t, err)
	tally := res.Events[0].(domain.VotingClosed).Tally
	assert.Equal(t, 2, tally.TotalHeads, "a's two units are one head")
	assert.Equal(t, int64(8956+9000+7000), tally.TotalAreaDM2)
	assert.Equal(t, int64(8956+9000), tally.Options[0].AreaDM2)
	assert.Equal(t, domain.ResultNotAdopted, tally.Result, "more than half of the area but only half of the heads")
}

// TestVotedDownIsRejectedForEveryConsumer: a yes/no motion voted down 1:2
// is registered as rejected, the proposal learns it was not adopted (未通过
// with the tally in its outcome), and no action may carry it out (issue 9,
// point 9).
// votingOn submits proposal pid and opens a meeting mid on it, whose
// motion "mo" (yes or no, simple majority) is open to voters' votes.
func votingOn(t testing.TB, l *ledger.Ledger, pid, mid string, voters []domain.Voter) {
	t.Helper()
	mustRun(t, l, submit(pid),
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: "hengyuan", GridID: "grid-3", Title: "楼院议事", Place: "3号院",
			StartsAt: clock().Add(time.Hour), Format: domain.FormatCourtyard, Facilitator: domain.Voter{PersonID: "worker-1", Name: "王网格"}},
		domain.AddAgendaItem{MeetingID: mid, ItemID: "item-1", Title: "车棚收费", ProposalID: pid},
		domain.OpenMeeting{MeetingID: mid},
		domain.TableMotion{MeetingID: mid, MotionID: "mo", ItemID: "item-1", Text: "车棚收费管理", Options: []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "反对"}}, Rule: domain.Rule{Kind: domain.RuleSimpleMajority}},
		domain.OpenVoting{MeetingID: mid, MotionID: "mo", Electorate: voters},
	)
}

func TestVotedDownIsRejectedForEveryConsumer(t *testing.T) {
	ctx := context.Background()
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	pid, mid := uuid.NewString(), uuid.NewString()
	voters := []domain.Voter{{PersonID: "v1", Name: "甲"}, {PersonID: "v2", Name: "乙"}, {PersonID: "v3", Name: "丙"}}
	votingOn(t, l, pid, mid, voters)
	mustRun(t, l,
		domain.CastVote{MeetingID: mid, MotionID: "mo", VoterID: "v1", CastBy: "v1", OptionID: "yes"},
		domain.CastVote{MeetingID: mid, MotionID: "mo", VoterID: "v2", CastBy: "v2", OptionID: "no"},
		domain.CastVote{MeetingID: mid, MotionID: "mo", VoterID: "v3", CastBy: "v3", OptionID: "no"},
		domain.CloseVoting{MeetingID: mid, MotionID: "mo"},
	)
	events, _, err := l.Load(ctx, domain.ProposalStream(pid))
	require.NoError(t, err)
	p := domain.FoldProposal(events)
	require.Len(t, p.Decisions, 1)
	assert.False(t, p.Decisions[0].Adopted)
	assert.Empty(t, p.Decisions[0].OptionID)
	var outcome string
	for _, e := range events {
		if d, ok := e.(domain.ProposalDecided); ok {
			outcome = d.Outcome
		}
	}
	assert.Equal(t, "车棚收费管理: 未通过（同意 1，反对 2，弃权 0）", outcome)
	refused(t, l, assign(uuid.NewString(), "hengyuan", "", mid, "mo"), ledger.Options{}, "decision_not_adopted", "motion_id")
}

// A vote is decided on the meeting's state the ledger keeps and carries
// forward from command to command (also past reads of the meeting
// between them, which cache the stream without a state): every decision,
// made through the ledger on a long vote with ballots cast, changed and
// repeated, is the one the domain makes on the whole history, as another
// ledger on the same store loads it.
func TestVotesDecideOnTheKeptMeetingStateAsOnTheWholeHistory(t *testing.T) {
	ctx := context.Background()
	store := MustOpenStore(t)
	l, ref := ledger.New(store, ledger.WithClock(clock)), ledger.New(store, ledger.WithClock(clock))
	pid, mid := uuid.NewString(), uuid.NewString()
	var voters []domain.Voter
	for i := range 6 {
		voters = append(voters, domain.Voter{PersonID: fmt.Sprintf("v%d", i), Name: fmt.Sprintf("居民%d", i)})
	}
	votingOn(t, l, pid, mid, voters)
	rng := rand.New(rand.NewPCG(7, 7))
	options := []string{"yes", "no", ""}
	decided := 0
	for i := range 300 {
		voter := voters[rng.IntN(len(voters))].PersonID
		var cmd domain.Command = domain.CastVote{MeetingID: mid, MotionID: "mo", VoterID: voter, CastBy: voter, OptionID: options[rng.IntN(len(options))]}
		if i == 299 {
			cmd = domain.CloseVoting{MeetingID: mid, MotionID: "mo"}
		}
		history, _, err := ref.Load(ctx, domain.MeetingStream(mid))
		require.NoError(t, err)
		want, wantErr := domain.Decide(history, cmd, clock())
		if rng.IntN(4) == 0 { // a reader of the meeting on the ledger voted through
			_, _, err := l.Load(ctx, domain.MeetingStream(mid))
			require.NoError(t, err)
		}
		res, err := l.Execute(ctx, cmd, facilitator, ledger.Options{})
		require.Equal(t, domain.ErrorCode(wantErr), domain.ErrorCode(err), "command %d: %v, domain: %v", i, err, wantErr)
		if err == nil {
			require.Equal(t, want, res.Events[:len(want)], "command %d", i)
			decided++
		}
	}
	require.Greater(t, decided, 100, "most commands were decided, not refused")
}
