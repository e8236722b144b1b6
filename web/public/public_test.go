package public_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/web/public"
)

var (
	demoOnce  sync.Once
	demoViews *projections.Views
	demoErr   error
)

// mustDemo folds the demo data set into a set of views, once per test
// binary.
func mustDemo(t *testing.T) *projections.Views {
	t.Helper()
	demoOnce.Do(func() {
		ctx := context.Background()
		// The views stay in memory: the store may go with the first test.
		store, err := pebble.Open(t.TempDir())
		if err != nil {
			demoErr = err
			return
		}
		defer store.Close()
		if _, demoErr = demo.Load(ctx, store, func(data []byte, _ string) (string, error) {
			h := sha256.Sum256(data)
			return hex.EncodeToString(h[:]), nil
		}); demoErr != nil {
			return
		}
		r, err := projections.New(store, projections.Config{})
		if err != nil {
			demoErr = err
			return
		}
		demoViews, demoErr = r.AsOf(ctx, projections.AsOf{})
	})
	require.NoError(t, demoErr)
	return demoViews
}

// now is a reference time after every story of the demo and before the
// January council.
var now = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

// personal finds what must never reach a public page: the demo's person
// ids and residents' and workers' full names.
var personal = regexp.MustCompile(`"hy-(?:r|w|co)\d+"|hy-r\d+|米秀兰|徐建国|张明|李华|杨洁|黄涛|朱红|马超|胡玲|郭勇|何平|高峰|王芳|赵磊|孙丽|周强|吴静|郑伟|陈敏`)

func noPersonalData(t *testing.T, what string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	assert.Empty(t, personal.FindAllString(string(b), -1), "%s holds personal data", what)
}

// The parking-line decision of 衡苑社区 is on its home page, with its
// tally; its story holds the report's photo, the progress photo and the
// evidence; nothing of it names a person.
func TestParkingLineDecisionFromHome(t *testing.T) {
	v := mustDemo(t)
	home, err := public.ReadHome(v, policy.Anonymous, demo.Hengyuan, "", now)
	require.NoError(t, err)
	require.NotNil(t, home.Place)
	assert.Equal(t, "衡苑社区", home.Place.Name)
	assert.Len(t, home.Grids, 7)
	assert.Len(t, home.Places, 4)
	noPersonalData(t, "home", home)

	var parking *public.Decision
	for i, d := range home.Recent {
		if d.ProposalID == demo.ID("hy/parking") {
			parking = &home.Recent[i]
		}
	}
	require.NotNil(t, parking, "the parking-line decision is among the latest decisions of 衡苑社区")
	require.NotNil(t, parking.Tally)
	assert.True(t, parking.Adopted)
	assert.Equal(t, "通过", parking.Verdict)
	assert.Equal(t, 8, parking.Tally.Options[0].Votes, "votes per option are public for an ordinary vote")
	assert.Equal(t, "衡苑第2网格", parking.GridName)

	require.Len(t, home.Upcoming, 1, "the January council is coming up")
	assert.Len(t, home.Upcoming[0].Agenda, 3)
	assert.Empty(t, home.Upcoming[0].Facilitator.PersonID)

	s, ok, err := public.OneStory(v, policy.Anonymous, demo.ID("hy/parking"), "", now)
	require.NoError(t, err)
	require.True(t, ok)
	noPersonalData(t, "story", s)
	var photos int
	for _, st := range s.Steps {
		photos += len(st.Photos)
	}
	assert.Equal(t, 3, photos, "the report's photo, the progress photo and the evidence")
	assert.Equal(t, "杨*", s.Item.Author.Name)
	assert.Contains(t, s.Steps[0].Text, "会车困难")
	require.Len(t, s.Decisions, 1)
	require.Len(t, s.Actions, 1)
	assert.Equal(t, projections.ActionVerified, s.Actions[0].Status)
}

// The owners' vote reads as shares against the thresholds: no option's
// votes, area or heads.
func TestOwnersVoteReadsAsShares(t *testing.T) {
	v := mustDemo(t)
	reg, err := public.Register(v, policy.Anonymous, public.RegisterFilter{CommunityID: demo.Hengyuan, Limit: projections.MaxLimit})
	require.NoError(t, err)
	noPersonalData(t, "register", reg)
	var owners *public.Decision
	for i, d := range reg.Decisions {
		if d.Tally.Owners() {
			owners = &reg.Decisions[i]
		}
	}
	require.NotNil(t, owners)
	require.NotNil(t, owners.Tally.Shares)
	assert.True(t, owners.Tally.Shares.Participation.Met)
	assert.GreaterOrEqual(t, owners.Tally.Shares.Participation.AreaPercent, 66)
	require.Len(t, owners.Tally.Shares.Options, 1)
	for _, o := range owners.Tally.Options {
		assert.Zero(t, o.Votes+o.Heads, "an owners' option's count is not public")
		assert.Zero(t, o.AreaDM2)
	}
	assert.Zero(t, owners.Tally.TotalAreaDM2)
	assert.Empty(t, owners.Electorate[0].PersonID)

	// Staff within their scope read the figures, as the API answers them.
	staff := policy.Reader{Authenticated: true, Role: auth.RoleFacilitator, Scope: auth.Scope{Community: demo.Hengyuan}}
	d, ok, err := public.OneDecision(v, staff, owners.Key)
	require.NoError(t, err)
	require.True(t, ok)
	assert.NotZero(t, d.Tally.TotalAreaDM2)
	_, ok, err = public.OneDecision(v, policy.Anonymous, "nope/nope")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestBoardNextSteps(t *testing.T) {
	v := mustDemo(t)
	page, err := public.Board(v, policy.Anonymous, public.BoardFilter{CommunityID: demo.Hengyuan, Now: now, Limit: projections.MaxLimit})
	require.NoError(t, err)
	noPersonalData(t, "board", page)
	require.NotEmpty(t, page.Rows)
	kinds := map[string]int{}
	for _, r := range page.Rows {
		kinds[r.Next.Kind]++
		assert.Positive(t, r.AgeDays)
		if r.Item.ProposalID == demo.ID("hy/opinion/5") {
			assert.Equal(t, public.NextMeeting, r.Next.Kind)
			assert.Equal(t, "衡苑社区2027年第一次居民议事会", r.Next.Title)
		}
	}
	assert.Positive(t, kinds[public.NextMeeting], "opinions on the January council's agenda")
	assert.Positive(t, kinds[public.NextAction]+kinds[public.NextRework], "actions under way or reopened")
	assert.Contains(t, page.Categories, "facilities")

	filtered, err := public.Board(v, policy.Anonymous, public.BoardFilter{CommunityID: demo.Hengyuan, Category: "facilities", MinAgeDays: 30, Now: now})
	require.NoError(t, err)
	require.NotEmpty(t, filtered.Rows)
	for _, r := range filtered.Rows {
		assert.Equal(t, "facilities", r.Item.Category)
		assert.GreaterOrEqual(t, r.AgeDays, 30)
	}
}

func TestStatisticsNamePlaces(t *testing.T) {
	v := mustDemo(t)
	s, err := public.ReadStatistics(v, demo.Hengyuan, "")
	require.NoError(t, err)
	assert.Positive(t, s.Figures.Collected)
	assert.NotEmpty(t, s.ByMonth)
	require.NotEmpty(t, s.ByPlace)
	assert.Regexp(t, `^衡苑第\d网格$`, s.ByPlace[0].Key)
	all, err := public.ReadStatistics(v, "", "")
	require.NoError(t, err)
	assert.Len(t, all.ByPlace, 4)
	assert.Contains(t, []string{all.ByPlace[0].Key, all.ByPlace[1].Key, all.ByPlace[2].Key, all.ByPlace[3].Key}, "衡苑社区")
}

func TestOutcomesOverdueAndProgress(t *testing.T) {
	v := mustDemo(t)
	page, err := public.Outcomes(v, policy.Anonymous, public.OutcomesFilter{CommunityID: demo.Hengyuan, OpenOnly: true, Now: now, Limit: projections.MaxLimit})
	require.NoError(t, err)
	noPersonalData(t, "outcomes", page)
	require.NotEmpty(t, page.Actions)
	overdue := 0
	for _, a := range page.Actions {
		if a.Overdue {
			overdue++
		}
		assert.True(t, a.Owner.Kind != domain.PartyPerson || a.Owner.ID == "", "a person owner's id is not public")
	}
	assert.Positive(t, overdue, "the demo's open actions are past due by December")
}
