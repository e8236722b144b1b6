package demo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/projections"
)

func TestLoadTellsTheSeedStories(t *testing.T) {
	ctx := context.Background()
	store, err := pebble.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })

	photos := map[string][]byte{}
	sum, err := demo.Load(ctx, store, func(data []byte, contentType string) (string, error) {
		assert.Equal(t, "image/png", contentType)
		h := sha256.Sum256(data)
		ref := hex.EncodeToString(h[:])
		photos[ref] = data
		return ref, nil
	})
	require.NoError(t, err)
	assert.Greater(t, sum.Proposals, 40)
	assert.Greater(t, sum.Meetings, 8)
	assert.NotEmpty(t, photos)

	l := ledger.New(store)
	shed, _, err := l.Load(ctx, domain.ProposalStream(demo.ID("hy/bicycle-shed")))
	require.NoError(t, err)
	assert.Equal(t, domain.StatusClosed, domain.FoldProposal(shed).Status, "the bicycle-shed passage was cleared and verified")

	clear, _, err := l.Load(ctx, domain.ActionStream(demo.ID("hy/bicycle-shed/clear")))
	require.NoError(t, err)
	cleared := domain.FoldAction(clear)
	assert.Equal(t, domain.PartyTeam, cleared.Owner.Kind, "the cleanup went to a volunteer team of the resource map")
	assert.Len(t, cleared.Accepted, 3, "three of its volunteers accepted it")

	dinner, _, err := l.Load(ctx, domain.ActionStream(demo.ID("hy/dinner/action")))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, domain.FoldAction(dinner).Occurrences, 70, "邻里小饭桌 held 70+ times")

	parking, _, err := l.Load(ctx, domain.MeetingStream(demo.ID("hy/parking/meeting")))
	require.NoError(t, err)
	var closed *domain.VotingClosed
	for _, e := range parking {
		if vc, ok := e.(domain.VotingClosed); ok {
			closed = &vc
		}
	}
	require.NotNil(t, closed, "the parking vote closed")
	assert.True(t, closed.Tally.Adopted)

	// Using the maintenance fund is item (五) of art. 278, an ordinary
	// matter; the register is the organisation's, locked by the server.
	roof, _, err := l.Load(ctx, domain.MeetingStream(demo.ID("hy/owners/roof")))
	require.NoError(t, err)
	var opened *domain.VotingOpened
	closed = nil
	for _, e := range roof {
		switch e := e.(type) {
		case domain.VotingOpened:
			opened = &e
		case domain.VotingClosed:
			closed = &e
		}
	}
	require.NotNil(t, opened)
	require.NotNil(t, closed)
	assert.Equal(t, domain.Rule{Kind: domain.RuleOwnersOrdinary, Matter: domain.MatterFundUse}, opened.Rule)
	assert.NotNil(t, opened.RegisterRevision, "the register says which organisation revision it came from")
	assert.Len(t, opened.Units, 12)
	assert.Equal(t, domain.ResultAdopted, closed.Tally.Result)

	// 网格之家: 6 policy talks, 24 opinions collected at them, readable
	// apart from the other meetings and the other intake.
	runner, err := projections.New(store, projections.Config{})
	require.NoError(t, err)
	views, err := runner.AsOf(ctx, projections.AsOf{})
	require.NoError(t, err)
	figures := views.Stats.Figures(projections.StatsQuery{CommunityID: demo.Hengyuan})
	assert.Equal(t, 6, figures.MeetingsByFormat[domain.FormatTalk], "policy talks held")
	assert.Equal(t, 24, figures.CollectedAtMeetings[domain.FormatTalk], "opinions collected at the talks")
	assert.Greater(t, figures.MeetingsHeld, 6)
	assert.LessOrEqual(t, figures.ClosedLoopRate, 1.0)

	// 紫陵镇's street office reads the report's figures off its report.
	zl, ok := views.StreetReport(projections.ReportQuery{Street: demo.ZilingStreet})
	require.True(t, ok)
	assert.Equal(t, demo.ZilingConvened, zl.Totals.SolvedConvened, "关键小事 solved by convening the units concerned")
	assert.Equal(t, demo.ZilingClosedLoop, zl.Totals.SolvedDirectly, "智慧赵寨's 发现—处置—反馈")
	assert.Equal(t, demo.ZilingConvened+demo.ZilingClosedLoop, zl.Totals.Solved)
	assert.Equal(t, demo.ZilingConvened+demo.ZilingClosedLoop+2, zl.Totals.Collected, "two still being handled")
	assert.Equal(t, projections.OrgFigures{Communities: map[string]int{domain.CommunityVillage: 1}, Grids: 92,
		GridsByKind: map[string]int{domain.GridResidential: 75, domain.GridDedicated: 17}, VillageGrids: 75, GridHeads: 43,
		GridWorkers: map[string]int{domain.FullTime: 75, domain.PartTime: 75}}, zl.Organisation)
	assert.Positive(t, zl.Totals.MeanDays)
	hy := views.Stats.Figures(projections.StatsQuery{CommunityID: demo.Hengyuan})
	lf, ok := views.StreetReport(projections.ReportQuery{Street: "中站区李封街道"})
	require.True(t, ok)
	assert.Equal(t, 6, lf.Totals.Talks, "网格之家's policy talks")
	assert.Equal(t, 24, lf.Totals.Opinions, "and the opinions collected there")
	assert.Equal(t, 3, lf.Totals.Activities, "a clinic, photos for elders, a police lecture: counted apart")
	assert.Equal(t, hy.Collected, lf.Totals.Collected, "衡苑社区 is 李封街道's one community in the demo")
	wishes := views.Wishes.Figures(projections.StatsQuery{CommunityID: demo.Hengyuan}).Fulfilled
	assert.Positive(t, wishes)
	assert.Equal(t, wishes, lf.Totals.WishesFulfilled, "the small wishes fulfilled")

	// The resource map: the five 小红李 teams, and who can help with the
	// bicycle-shed passage (environment, grid 1).
	counts := views.Resources.ResourceCounts(demo.Hengyuan)
	assert.Equal(t, 5, counts[projections.ResourceTeam], "五支“小红李”志愿服务队")
	helpers := views.Resources.Helpers(projections.HelpQuery{CommunityID: demo.Hengyuan, GridID: "hy-grid-1", Category: "environment"})
	require.NotEmpty(t, helpers)
	assert.Equal(t, projections.ResourceVolunteer, helpers[0].Kind)

	// 点单—派单—接单: two services confirmed (one re-dispatched after a
	// decline), one waiting again after its dispatch expired; the points
	// follow the rule, and one volunteer redeemed some. Three more are
	// under way for the pages: dispatched, accepted, done.
	services := views.Services.Figures(projections.StatsQuery{CommunityID: demo.Hengyuan})
	assert.Equal(t, projections.ServiceFigures{Ordered: 6, Confirmed: 2, Hours: 3.5, Points: 4 + 7, Redeemed: 3}, services)
	waiting := views.Services.Orders(projections.ServiceQuery{CommunityID: demo.Hengyuan, Status: domain.ServiceStatusOrdered})
	require.Len(t, waiting, 1)
	assert.Equal(t, 1, waiting[0].Expiries)
	for _, status := range []string{domain.ServiceStatusDispatched, domain.ServiceStatusAccepted, domain.ServiceStatusDone} {
		assert.Len(t, views.Services.Orders(projections.ServiceQuery{CommunityID: demo.Hengyuan, Status: status}), 1, "one order %s", status)
	}

	// 微心愿: five wishes, four claimed, three fulfilled, two confirmed;
	// none names its wish-maker to the public.
	assert.Equal(t, projections.WishFigures{Posted: 5, Claimed: 4, Fulfilled: 3, Confirmed: 2}, views.Wishes.Figures(projections.StatsQuery{CommunityID: demo.Hengyuan}))
	open := views.Wishes.List(projections.WishQuery{CommunityID: demo.Hengyuan, Status: domain.WishStatusOpen})
	require.Len(t, open, 1)
	assert.Equal(t, "冬天想要一件厚棉衣", open[0].Title)
	rack := views.Wishes.List(projections.WishQuery{CommunityID: demo.Hengyuan, Reader: "hy-r3", MineOnly: true})
	require.Len(t, rack, 1, "张明's clothes rack")
	assert.Equal(t, domain.WishStatusFulfilled, rack[0].Status)

	rep, err := ledger.Verify(ctx, store, nil)
	require.NoError(t, err, "the demo ledger verifies")
	assert.Equal(t, sum.Position, rep.Head)

	// 张明, the printed demo resident, has a vote to cast and an outcome to
	// verify, no facilitator needed.
	zhang := ledger.Actor{ID: "hy-r3", Role: "resident"}
	light, _, err := l.Load(ctx, domain.ActionStream(demo.ID("hy/stairwell-light/replace")))
	require.NoError(t, err)
	assert.Equal(t, domain.StatusCompleted, domain.FoldAction(light).Status, "the stairwell light awaits 张明's verdict")
	_, err = l.Execute(ctx, domain.CastVote{MeetingID: demo.ID("hy/bins/meeting"), MotionID: "motion-1", VoterID: "hy-r3", CastBy: "hy-r3", OptionID: "no"}, zhang, ledger.Options{})
	require.NoError(t, err, "张明 votes on the bins")
	_, err = l.Execute(ctx, domain.VerifyAction{ActionID: demo.ID("hy/stairwell-light/replace"), Verifier: domain.Voter{PersonID: "hy-r3", Name: "张明"}, Satisfied: true}, zhang, ledger.Options{})
	require.NoError(t, err, "张明 verifies the stairwell light")

	_, err = demo.Load(ctx, store, nil)
	require.Error(t, err, "the demo loads only into an empty store")
}

// The demo's views, restored from the snapshots a stop wrote, are the
// views folded from its log, view by view: the demo holds every kind of
// item (small wishes, volunteers' services and the resource map among
// them), which the generated ledgers of the projections' tests do not.
func TestDemoViewsRestoreFromTheirSnapshots(t *testing.T) {
	ctx := context.Background()
	store, err := pebble.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })
	_, err = demo.Load(ctx, store, func(data []byte, _ string) (string, error) {
		h := sha256.Sum256(data)
		return hex.EncodeToString(h[:]), nil
	})
	require.NoError(t, err)

	dir := t.TempDir()
	folded, err := projections.New(store, projections.Config{Dir: dir})
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- folded.Run(runCtx) }()
	require.Eventually(t, folded.Ready, 30*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done) // the stop writes the snapshots
	var want []string
	for _, v := range folded.Views().List() {
		b, err := projections.Dump(v)
		require.NoError(t, err)
		want = append(want, string(b))
	}
	require.NoError(t, folded.Close())

	restored, err := projections.New(store, projections.Config{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, restored.Close()) })
	require.Equal(t, folded.Position(), restored.Position(), "restored from the snapshots")
	got := restored.Views().List()
	require.Len(t, got, len(want))
	for i, v := range got {
		b, err := projections.Dump(v)
		require.NoError(t, err)
		require.Equal(t, want[i], string(b), v.Name())
	}
}
