package projections

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/privacy"
)

// TestHelpersAnswerWhoCanHelp finds the volunteers, teams, stations and
// partners of a community by category, skill and grid, the grid's own
// first.
func TestHelpersAnswerWhoCanHelp(t *testing.T) {
	v := foldAll(t, encode(t, []domain.Event{
		domain.CommunityRegistered{CommunityID: "hy", Name: "衡苑社区", Kind: domain.CommunityUrban, At: at(0)},
		domain.GridCreated{CommunityID: "hy", GridID: "g1", Name: "第一网格", Kind: domain.GridResidential, At: at(0)},
		domain.GridCreated{CommunityID: "hy", GridID: "g2", Name: "第二网格", Kind: domain.GridResidential, At: at(0)},
		domain.VolunteerRegistered{CommunityID: "hy", GridID: "g2", PersonID: "v2", Name: "王志愿", Phone: "13800000002", Skills: []string{"清扫"}, Categories: []string{"环境卫生"}, At: at(0)},
		domain.VolunteerRegistered{CommunityID: "hy", GridID: "g1", PersonID: "v1", Name: "李志愿", Phone: "13800000001", Skills: []string{"清扫", "维修"}, Categories: []string{"环境卫生"}, At: at(0)},
		domain.VolunteerRegistered{CommunityID: "hy", GridID: "g1", PersonID: "v3", Name: "赵志愿", Skills: []string{"驾驶"}, Categories: []string{"助老"}, At: at(0)},
		domain.VolunteerTeamFormed{CommunityID: "hy", TeamID: "t1", Name: "小红李一队", Skills: []string{"清扫"}, Categories: []string{"环境卫生"}, At: at(0)},
		domain.VolunteerJoinedTeam{CommunityID: "hy", TeamID: "t1", PersonID: "v1", At: at(0)},
		domain.VolunteerJoinedTeam{CommunityID: "hy", TeamID: "t1", PersonID: "v2", At: at(0)},
		domain.StationRegistered{CommunityID: "hy", StationID: "home", GridID: "g1", Name: "网格之家", Kind: domain.StationGridHome, Services: []string{"义诊"}, At: at(0)},
		domain.PartnerRegistered{CommunityID: "hy", PartnerID: "wy", Name: "物业", Kind: domain.UnitPropertyManagement, At: at(0)},
		domain.PartnerOfferRecorded{CommunityID: "hy", PartnerID: "wy", Offer: "清运车辆", Skills: []string{"清运"}, Categories: []string{"环境卫生"}, At: at(0)},
		domain.CommunityRegistered{CommunityID: "yg", Name: "阳光社区", Kind: domain.CommunityUrban, At: at(0)},
		domain.GridCreated{CommunityID: "yg", GridID: "g1", Name: "第一网格", Kind: domain.GridResidential, At: at(0)},
		domain.VolunteerRegistered{CommunityID: "yg", GridID: "g1", PersonID: "y1", Name: "孙", Skills: []string{"清扫"}, Categories: []string{"环境卫生"}, At: at(0)},
	}))
	names := func(rs []Resource) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	got := v.Resources.Helpers(HelpQuery{CommunityID: "hy", GridID: "g1", Category: "环境卫生"})
	assert.Equal(t, []string{"李志愿", "小红李一队", "物业", "王志愿"}, names(got), "the grid's own first, then the community's, then other grids; no other community")
	assert.Equal(t, []string{"category", "grid"}, got[0].Matched)
	assert.Equal(t, 2, got[1].Members)
	assert.Equal(t, []string{"t1"}, got[0].Teams)
	assert.Equal(t, "清运车辆", got[2].Offer)

	assert.Equal(t, []string{"李志愿", "小红李一队", "王志愿"}, names(v.Resources.Helpers(HelpQuery{CommunityID: "hy", GridID: "g1", Skill: "清扫"})))
	assert.Equal(t, []string{"小红李一队"}, names(v.Resources.Helpers(HelpQuery{CommunityID: "hy", Skill: "清扫", Kind: ResourceTeam})))
	assert.Equal(t, []string{"网格之家"}, names(v.Resources.Helpers(HelpQuery{CommunityID: "hy", Skill: "义诊"})))
	assert.Empty(t, v.Resources.Helpers(HelpQuery{CommunityID: "hy", Category: "停车"}))
	assert.Equal(t, map[string]int{ResourceVolunteer: 3, ResourceTeam: 1, ResourceStation: 1, ResourcePartner: 1}, v.Resources.ResourceCounts("hy"))

	snap, err := v.Resources.MarshalSnapshot()
	require.NoError(t, err)
	back := newResources(v.mu)
	require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(snap)))
	assert.Equal(t, got, back.Helpers(HelpQuery{CommunityID: "hy", GridID: "g1", Category: "环境卫生"}))
	assert.Error(t, back.UnmarshalSnapshot(bytes.NewReader([]byte(`{}`))))
}

// TestSealedVolunteersKeepAnOrder: volunteers' names are sealed in the
// view (held, opened when read), and each seal is random, so ordering by
// the stored name would shuffle "who can help" from one ledger to the
// next; sealed names order by id instead, the same on every fold.
func TestSealedVolunteersKeepAnOrder(t *testing.T) {
	sealer := privacy.NewSealer(privacy.NewMemoryKeys())
	var ids [][]string
	for range 3 {
		var evs []domain.Event
		for _, p := range []struct{ id, name string }{{"v3", "甲"}, {"v1", "乙"}, {"v2", "丙"}, {"v4", "丁"}} {
			e := domain.VolunteerRegistered{CommunityID: "hy", GridID: "g1", PersonID: p.id, Name: p.name, Skills: []string{"清扫"}, At: at(0)}
			out, err := sealer.Seal(context.Background(), "volunteer-hy-"+p.id, []domain.Event{e})
			require.NoError(t, err)
			evs = append(evs, out[0])
		}
		stored := encode(t, evs)
		v := NewViews()
		decode := NewDecoder().Decode
		for _, se := range stored {
			d, err := decode(se.Type, se.Data)
			require.NoError(t, err)
			require.NoError(t, v.Resources.Apply(Event{Stream: se.Stream, Type: se.Type, Position: se.Position, Data: d}))
		}
		var got []string
		for _, r := range v.Resources.Helpers(HelpQuery{CommunityID: "hy", Skill: "清扫"}) {
			require.True(t, strings.HasPrefix(r.Name, privacy.Held), "the view holds the name sealed")
			got = append(got, r.PersonID)
		}
		ids = append(ids, got)
	}
	for _, got := range ids {
		assert.Equal(t, []string{"v1", "v2", "v3", "v4"}, got)
	}
}
