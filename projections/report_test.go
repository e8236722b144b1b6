package projections

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// townEvents builds a town of street "紫陵镇" (a village with 3 village
// grids and a dedicated one, two heads, full- and part-time workers, one
// moved away) and a community of another street, with one item solved
// directly, one solved at a meeting convening a unit, one at a meeting of
// residents alone, one opinion collected at a talk, one volunteer
// service confirmed and one small wish fulfilled.
func townEvents() []domain.Event {
	ev := []domain.Event{
		domain.CommunityRegistered{CommunityID: "zl", Name: "紫陵镇", Kind: domain.CommunityVillage, Street: "紫陵镇", At: at(0)},
		domain.CommunityRegistered{CommunityID: "hy", Name: "衡苑社区", Kind: domain.CommunityUrban, Street: "李封街道", At: at(0)},
		domain.GridCreated{CommunityID: "hy", GridID: "h1", Kind: domain.GridResidential, At: at(0)},
	}
	for g := 1; g <= 4; g++ {
		kind := domain.GridResidential
		if g == 4 {
			kind = domain.GridDedicated
		}
		grid := fmt.Sprintf("g%d", g)
		ev = append(ev, domain.GridCreated{CommunityID: "zl", GridID: grid, Kind: kind, At: at(0)},
			domain.GridWorkerAssigned{CommunityID: "zl", GridID: grid, PersonID: fmt.Sprintf("f%d", g), Employment: domain.FullTime, At: at(0)},
			domain.GridWorkerAssigned{CommunityID: "zl", GridID: grid, PersonID: fmt.Sprintf("p%d", g), Employment: domain.PartTime, At: at(0)})
	}
	ev = append(ev,
		// One head for two grids counts once; a head replaced counts no more.
		domain.GridHeadAppointed{CommunityID: "zl", GridID: "g1", PersonID: "h1", At: at(0)},
		domain.GridHeadAppointed{CommunityID: "zl", GridID: "g2", PersonID: "h1", At: at(0)},
		domain.GridHeadAppointed{CommunityID: "zl", GridID: "g3", PersonID: "old", At: at(0)},
		domain.GridHeadAppointed{CommunityID: "zl", GridID: "g3", PersonID: "h2", At: at(0)},
		domain.GridWorkerRemoved{CommunityID: "zl", GridID: "g4", PersonID: "p4", At: at(0)},
		domain.VolunteerRegistered{CommunityID: "zl", GridID: "g1", PersonID: "v1", At: at(0)},
		domain.VolunteerRegistered{CommunityID: "zl", PersonID: "v2", At: at(0)},
		domain.VolunteerTeamFormed{CommunityID: "zl", TeamID: "t1", At: at(0)},
		domain.VolunteerRegistered{CommunityID: "hy", GridID: "h1", PersonID: "v3", At: at(0)},

		// A talk (网格之家) held, an opinion collected at it.
		domain.MeetingScheduled{MeetingID: "talk", CommunityID: "zl", GridID: "g1", Format: domain.FormatTalk, At: at(0)},
		domain.MeetingOpened{MeetingID: "talk", At: at(1)},
		domain.ProposalSubmitted{ProposalID: "opinion", CommunityID: "zl", GridID: "g1", Channel: domain.ChannelMeeting, MeetingID: "talk", At: at(1)},
		// Found, handled directly, fed back: 4 days.
		domain.ProposalSubmitted{ProposalID: "direct", CommunityID: "zl", GridID: "g2", Channel: domain.ChannelVisit, At: at(2)},
		domain.ProposalHandledDirectly{ProposalID: "direct", At: at(2)},
		domain.ProposalClosed{ProposalID: "direct", At: at(6)},
		// A 关键小事 decided at a meeting convening the units concerned: 10 days.
		domain.ProposalSubmitted{ProposalID: "convened", CommunityID: "zl", GridID: "g3", Channel: domain.ChannelVisit, At: at(2)},
		domain.MeetingScheduled{MeetingID: "council", CommunityID: "zl", GridID: "g3", Format: domain.FormatSummerEvening, At: at(3)},
		domain.ParticipantInvited{MeetingID: "council", Participant: domain.Participant{PersonID: "u1", Kind: domain.ParticipantUnit, PartnerID: "water"}, At: at(3)},
		domain.MeetingOpened{MeetingID: "council", At: at(4)},
		domain.ProposalDecided{ProposalID: "convened", MeetingID: "council", Adopted: true, At: at(4)},
		domain.ProposalClosed{ProposalID: "convened", At: at(12)},
		// Decided by residents alone: solved, neither direct nor convened;
		// closed in the next month.
		domain.ProposalSubmitted{ProposalID: "courtyard", CommunityID: "zl", GridID: "g1", Channel: domain.ChannelVisit, At: at(2)},
		domain.MeetingScheduled{MeetingID: "yard", CommunityID: "zl", GridID: "g1", Format: domain.FormatCourtyard, At: at(3)},
		domain.ProposalDecided{ProposalID: "courtyard", MeetingID: "yard", Adopted: true, At: at(4)},
		domain.ProposalClosed{ProposalID: "courtyard", At: at(40)},
		// Another street's item is not the town's.
		domain.ProposalSubmitted{ProposalID: "elsewhere", CommunityID: "hy", GridID: "h1", Channel: domain.ChannelVisit, At: at(2)},
		domain.ProposalHandledDirectly{ProposalID: "elsewhere", At: at(2)},
		domain.ProposalClosed{ProposalID: "elsewhere", At: at(3)},
	)
	ev = append(ev,
		// A small wish posted, claimed and fulfilled; another only posted.
		domain.WishPosted{WishID: "w1", CommunityID: "zl", GridID: "g1", Title: "书包", At: at(1)},
		domain.WishClaimed{WishID: "w1", CommunityID: "zl", Claim: 1, Claimer: domain.Party{Kind: domain.PartyPerson, ID: "n1", Name: "邻居"}, At: at(2)},
		domain.WishFulfilled{WishID: "w1", CommunityID: "zl", Claim: 1, At: at(3)},
		domain.WishPosted{WishID: "w2", CommunityID: "zl", GridID: "g2", Title: "修门锁", At: at(1)},
	)
	return append(ev, serviceConfirmed("zl", "g1", at(5))...)
}

// serviceConfirmed is one service ordered, dispatched, accepted, done in
// 90 minutes and confirmed for 3 points.
func serviceConfirmed(community, grid string, when time.Time) []domain.Event {
	v := domain.Voter{PersonID: "v1", Name: "志愿者"}
	return []domain.Event{
		domain.ServiceOrdered{ServiceID: "s1", CommunityID: community, GridID: grid, At: when},
		domain.ServiceDispatched{ServiceID: "s1", Attempt: 1, Assignee: domain.Party{Kind: domain.PartyPerson, ID: v.PersonID, Name: v.Name}, At: when},
		domain.ServiceAccepted{ServiceID: "s1", Attempt: 1, Volunteer: v, At: when},
		domain.ServiceDone{ServiceID: "s1", CommunityID: community, Volunteer: v, Minutes: 90, At: when},
		domain.ServiceConfirmed{ServiceID: "s1", CommunityID: community, VolunteerID: v.PersonID, Satisfied: true, Minutes: 90, Points: 3, At: when},
	}
}

func TestOrganisationFigures(t *testing.T) {
	v := foldAll(t, encode(t, townEvents()))
	town := v.Stats.Organisation(StatsQuery{CommunityID: "zl"})
	assert.Equal(t, OrgFigures{
		Communities: map[string]int{domain.CommunityVillage: 1}, Grids: 4,
		GridsByKind:  map[string]int{domain.GridResidential: 3, domain.GridDedicated: 1},
		VillageGrids: 3, GridHeads: 2,
		GridWorkers: map[string]int{domain.FullTime: 4, domain.PartTime: 3},
		Volunteers:  2, VolunteerTeams: 1,
	}, town)

	g1 := v.Stats.Organisation(StatsQuery{CommunityID: "zl", GridID: "g1"})
	assert.Equal(t, 1, g1.Grids)
	assert.Equal(t, 1, g1.Volunteers, "a grid counts its own volunteers, not the community's")
	assert.Equal(t, 1, g1.GridHeads)

	all := v.Stats.Organisation(StatsQuery{})
	assert.Equal(t, map[string]int{domain.CommunityVillage: 1, domain.CommunityUrban: 1}, all.Communities)
	assert.Equal(t, 5, all.Grids)
	assert.Equal(t, 3, all.VillageGrids, "an urban community's residential grid is no village grid")
	assert.Equal(t, map[string][]string{"紫陵镇": {"zl"}, "李封街道": {"hy"}}, v.Stats.Streets())
}

func TestStreetReportFigures(t *testing.T) {
	v := foldAll(t, encode(t, townEvents()))
	r, ok := v.StreetReport(ReportQuery{Street: "紫陵镇"})
	require.True(t, ok)
	assert.Equal(t, ReportFigures{Collected: 4, Solved: 3, SolvedDirectly: 1, SolvedConvened: 1, Closed: 3, ClosedLoopRate: 1,
		MeanDays: 17.3, Talks: 1, Opinions: 1, Meetings: 2, ServicesConfirmed: 1, VolunteerHours: 1.5, ServicePoints: 3, WishesFulfilled: 1}, r.Totals,
		"(4 + 10 + 38) / 3 days; the courtyard meeting was never opened, so two meetings held")
	require.Len(t, r.Communities, 1)
	assert.Equal(t, "紫陵镇", r.Communities[0].Name)
	require.Len(t, r.Months, 2, "July and August")
	assert.Equal(t, 2, r.Months[0].Figures.Solved)
	assert.Equal(t, 1, r.Months[1].Figures.Solved)
	assert.Equal(t, 4, r.Organisation.Grids)

	july, ok := v.StreetReport(ReportQuery{Street: "紫陵镇", From: at(0), To: at(0)})
	require.True(t, ok)
	assert.Equal(t, 2, july.Totals.Solved)
	assert.Equal(t, 7.0, july.Totals.MeanDays, "(4 + 10) / 2")
	assert.Equal(t, monthOf(at(0)), july.From)

	_, ok = v.StreetReport(ReportQuery{Street: "紫陵镇", CommunityID: "hy"})
	assert.False(t, ok, "a community outside the street reads nothing of it")
	_, ok = v.StreetReport(ReportQuery{Street: "nowhere"})
	assert.False(t, ok)
	mine, ok := v.StreetReport(ReportQuery{Street: "李封街道", CommunityID: "hy"})
	require.True(t, ok)
	assert.Equal(t, 1, mine.Totals.SolvedDirectly)
}
