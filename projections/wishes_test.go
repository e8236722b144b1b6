package projections

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// TestWishesFoldListAndFigures folds three wishes: one claimed, released,
// claimed again, fulfilled and confirmed; one fulfilled awaiting
// confirmation; one open. The list puts the open one first and knows the
// reader's own; the figures count each step once.
func TestWishesFoldListAndFigures(t *testing.T) {
	gran := domain.Voter{PersonID: "p9", Name: "孙奶奶"}
	zhou := domain.Party{Kind: domain.PartyPerson, ID: "n1", Name: "周阿姨"}
	school := domain.Party{Kind: domain.PartyUnit, ID: "school", Name: "实验小学"}
	photo := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	v := foldAll(t, encode(t, []domain.Event{
		domain.WishPosted{WishID: "w1", CommunityID: "hy", GridID: "g1", Title: "新书包", Category: "study", WishMaker: gran, Door: "3-2-302", By: "g1w", At: at(0)},
		domain.WishPosted{WishID: "w2", CommunityID: "hy", GridID: "g2", Title: "修水龙头", Category: "repair", WishMaker: domain.Voter{PersonID: "p8", Name: "钱大爷"}, By: "p8", At: at(1)},
		domain.WishPosted{WishID: "w3", CommunityID: "hy", GridID: "g1", Title: "陪聊天", Category: "care", WishMaker: gran, By: "p9", At: at(2)},
		domain.WishClaimed{WishID: "w1", CommunityID: "hy", Claim: 1, As: domain.WishByNeighbour, Claimer: zhou, At: at(1)},
		domain.WishReleased{WishID: "w1", Claim: 1, Claimer: zhou, At: at(1)},
		domain.WishClaimed{WishID: "w1", CommunityID: "hy", Claim: 2, As: domain.WishByUnit, Claimer: school, At: at(2)},
		domain.WishFulfilled{WishID: "w1", CommunityID: "hy", Claim: 2, Claimer: school, Photos: []string{photo}, At: at(2)},
		domain.WishConfirmed{WishID: "w1", CommunityID: "hy", Claim: 2, By: "g1w", At: at(3)},
		domain.WishClaimed{WishID: "w2", CommunityID: "hy", Claim: 1, As: domain.WishByPartyMember, Claimer: zhou, At: at(2)},
		domain.WishFulfilled{WishID: "w2", CommunityID: "hy", Claim: 1, Claimer: zhou, At: at(3)},
	}))
	list := v.Wishes.List(WishQuery{CommunityID: "hy", Reader: "n1"})
	require.Len(t, list, 3)
	assert.Equal(t, []string{"w3", "w2", "w1"}, []string{list[0].WishID, list[1].WishID, list[2].WishID}, "open, awaiting confirmation, settled")
	assert.Equal(t, domain.WishStatusConfirmed, list[2].Status)
	assert.Equal(t, 2, list[2].Claims)
	assert.Equal(t, 1, list[2].Releases)
	assert.Equal(t, school, *list[2].Claimer)
	assert.Equal(t, []string{photo}, list[2].Photos)
	assert.Equal(t, &WishMaker{PersonID: "p9", Name: "孙奶奶", PostedBy: "g1w"}, list[2].WishMaker)
	assert.True(t, list[1].MyClaim)
	assert.False(t, list[1].Mine)

	mine := v.Wishes.List(WishQuery{CommunityID: "hy", Reader: "p9", MineOnly: true})
	require.Len(t, mine, 2, "the wish-maker's own, whoever posted them")
	assert.True(t, mine[0].Mine)
	assert.Len(t, v.Wishes.List(WishQuery{CommunityID: "hy", Reader: "g1w", MineOnly: true}), 1, "what the grid worker posted")
	assert.Len(t, v.Wishes.List(WishQuery{Status: domain.WishStatusOpen}), 1)

	want := WishFigures{Posted: 3, Claimed: 3, Released: 1, Fulfilled: 2, Confirmed: 1}
	assert.Equal(t, want, v.Wishes.Figures(StatsQuery{CommunityID: "hy"}))
	assert.Equal(t, WishFigures{Posted: 2, Claimed: 2, Released: 1, Fulfilled: 1, Confirmed: 1}, v.Wishes.Figures(StatsQuery{CommunityID: "hy", GridID: "g1"}))
	assert.Equal(t, WishFigures{}, v.Wishes.Figures(StatsQuery{CommunityID: "other"}))

	snap, err := v.Wishes.MarshalSnapshot()
	require.NoError(t, err)
	back := newWishes(v.mu)
	require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(snap)))
	assert.Equal(t, want, back.Figures(StatsQuery{CommunityID: "hy"}))
	assert.Equal(t, list, back.List(WishQuery{CommunityID: "hy", Reader: "n1"}))
	assert.Error(t, back.UnmarshalSnapshot(bytes.NewReader([]byte(`{}`))))
}
