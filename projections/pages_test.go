package projections

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// TestTimelineCarriesTheReportAndPhotos: a story page shows the report's
// text and photos, progress photos and the completion's evidence.
func TestTimelineCarriesTheReportAndPhotos(t *testing.T) {
	zhang := domain.Party{Kind: domain.PartyPerson, ID: "r1", Name: "张三"}
	v := foldAll(t, encode(t, []domain.Event{
		domain.ProposalSubmitted{ProposalID: "p", CommunityID: "c", GridID: "g", Title: "飞线充电", Text: "三楼窗口拉线充电", Category: "安全",
			Place: "东门", Channel: domain.ChannelPhotoReport, Photos: []string{"aa"}, Author: zhang, At: at(0)},
		domain.ActionAssigned{ActionID: "a", CommunityID: "c", GridID: "g", ProposalID: "p", Title: "拆除飞线", Owner: zhang, Due: at(5), At: at(1)},
		domain.ActionProgressReported{ActionID: "a", Percent: 50, Note: "已劝导", Photos: []string{"bb"}, At: at(2)},
		domain.ActionOccurrenceHeld{ActionID: "a", Number: 1, HeldOn: at(2), Note: "巡查", Photos: []string{"cc"}, At: at(3)},
		domain.ActionCompleted{ActionID: "a", Evidence: []string{"dd"}, At: at(4)},
	}))
	s, ok := storyOf(t, v, "p", "", 0)
	require.True(t, ok)
	require.Len(t, s.Entries, 5)
	assert.Equal(t, &Report{CommunityID: "c", GridID: "g", Category: "安全", Channel: domain.ChannelPhotoReport, Place: "东门", Text: "三楼窗口拉线充电"}, s.Entries[0].Report)
	var photos [][]string
	for _, e := range s.Entries {
		photos = append(photos, e.Photos)
	}
	assert.Equal(t, [][]string{{"aa"}, nil, {"bb"}, {"cc"}, {"dd"}}, photos)
	s.Entries[0].Photos[0], s.Entries[0].Report.Text = "changed", "changed"
	again, _ := storyOf(t, v, "p", "", 0)
	assert.Equal(t, "aa", again.Entries[0].Photos[0], "a story is a copy")
	assert.Equal(t, "三楼窗口拉线充电", again.Entries[0].Report.Text, "a story is a copy")
}

// TestRegisterNewestFirst pages the register latest decision first, and
// gives the same decisions as oldest first, reversed.
func TestRegisterNewestFirst(t *testing.T) {
	v := foldAll(t, encode(t, newGen(7, 5).events(3000)))
	var oldest, newest []Decision
	for q := (RegisterQuery{Limit: 3}); ; {
		p, err := v.Register.Decisions(q)
		require.NoError(t, err)
		oldest = append(oldest, p.Items...)
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	for q := (RegisterQuery{Limit: 3, Newest: true}); ; {
		p, err := v.Register.Decisions(q)
		require.NoError(t, err)
		newest = append(newest, p.Items...)
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	require.Greater(t, len(oldest), 3, "the generator decides more than a page")
	slices.Reverse(newest)
	assert.Equal(t, oldest, newest)
}

// TestUpcomingMeetings lists meetings not yet opened, soonest first,
// within a community and grid.
func TestUpcomingMeetings(t *testing.T) {
	meeting := func(id, community, grid string, starts int) domain.Event {
		return domain.MeetingScheduled{MeetingID: id, CommunityID: community, GridID: grid, Title: id, Place: "院内", StartsAt: at(starts), Format: domain.FormatCourtyard, At: at(0)}
	}
	v := foldAll(t, encode(t, []domain.Event{
		meeting("late", "c", "g1", 9), meeting("soon", "c", "g2", 5), meeting("past", "c", "g1", 1), meeting("opened", "c", "g1", 6),
		meeting("elsewhere", "d", "g9", 7),
		domain.AgendaItemAdded{MeetingID: "soon", ItemID: "i1", Title: "停车", ProposalID: "p1", At: at(0)},
		domain.MeetingOpened{MeetingID: "opened", At: at(1)},
	}))
	titles := func(ns []MeetingState) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.MeetingID)
		}
		return out
	}
	assert.Equal(t, []string{"soon", "elsewhere", "late"}, titles(v.Live.Upcoming("", "", at(2), 0)))
	assert.Equal(t, []string{"soon", "late"}, titles(v.Live.Upcoming("c", "", at(2), 0)))
	assert.Equal(t, []string{"late"}, titles(v.Live.Upcoming("c", "g1", at(2), 0)))
	assert.Equal(t, []string{"soon"}, titles(v.Live.Upcoming("", "", at(2), 1)))
	up := v.Live.Upcoming("c", "g2", at(2), 0)
	require.Len(t, up, 1)
	assert.Equal(t, "停车", up[0].Agenda[0].Title)
}

// TestDirectoryNamesPlaces keeps communities' and grids' names, and no
// people.
func TestDirectoryNamesPlaces(t *testing.T) {
	v := foldAll(t, encode(t, []domain.Event{
		domain.CommunityRegistered{CommunityID: "hy", Name: "衡苑社区", Kind: domain.CommunityUrban, Street: "李封街道", At: at(0)},
		domain.GridCreated{CommunityID: "hy", GridID: "g2", Name: "第二网格", Kind: domain.GridResidential, At: at(0)},
		domain.GridCreated{CommunityID: "hy", GridID: "g1", Name: "第一网格", Kind: domain.GridResidential, At: at(0)},
		domain.GridHeadAppointed{CommunityID: "hy", GridID: "g1", PersonID: "w1", Name: "王芳", At: at(0)},
		domain.CompoundRegistered{CommunityID: "hy", CompoundID: "c1", GridID: "g1", Name: "3号院", At: at(0)},
		domain.CommunityRegistered{CommunityID: "aa", Name: "阳光社区", Kind: domain.CommunityUrban, At: at(0)},
	}))
	places := v.Directory.Places()
	require.Len(t, places, 2)
	assert.Equal(t, "aa", places[0].CommunityID, "sorted by id")
	hy, ok := v.Directory.Place("hy")
	require.True(t, ok)
	assert.Equal(t, []GridPlace{{"g2", "第二网格", domain.GridResidential}, {"g1", "第一网格", domain.GridResidential}}, hy.Grids)
	assert.Equal(t, []CompoundPlace{{"c1", "g1", "3号院"}}, hy.Compounds)
	assert.Equal(t, "第一网格", v.Directory.GridName("hy", "g1"))
	assert.Equal(t, "g9", v.Directory.GridName("hy", "g9"))
	_, ok = v.Directory.Place("zz")
	assert.False(t, ok)
	snap, err := v.Directory.MarshalSnapshot()
	require.NoError(t, err)
	assert.NotContains(t, string(snap), "王芳")
}
