package domain

import (
	"testing"
	"time"
)

var (
	volunteer1 = VolunteerRegistered{CommunityID: community, GridID: "g1", PersonID: "v1", Name: "李志愿", Phone: "13800000001",
		Skills: []string{"清扫"}, Categories: []string{"环境卫生"}, Availability: "周末", At: now}
	team1   = VolunteerTeamFormed{CommunityID: community, TeamID: "t1", Name: "小红李志愿服务队一队", Skills: []string{"清扫", "助老"}, Categories: []string{"环境卫生"}, At: now}
	joined1 = VolunteerJoinedTeam{CommunityID: community, TeamID: "t1", PersonID: "v1", At: now}
	partner = PartnerRegistered{CommunityID: community, PartnerID: "wy", Name: "物业", Kind: UnitPropertyManagement, At: now}
)

func TestResourceMap(t *testing.T) {
	org := []Event{registered, grid1, partner}
	withVolunteer := append(append([]Event{}, org...), volunteer1, team1)
	run(t, []spec{
		{name: "register volunteer", given: org, when: RegisterVolunteer{CommunityID: community, GridID: "g1", PersonID: "v1", Name: "李志愿", Phone: "13800000001",
			Skills: []string{"清扫"}, Categories: []string{"环境卫生"}, Availability: "周末"}, then: []Event{volunteer1}},
		{name: "register volunteer twice", given: withVolunteer, when: RegisterVolunteer{CommunityID: community, GridID: "g1", PersonID: "v1", Name: "李志愿", Skills: []string{"清扫"}},
			code: CodeConflict, reason: "volunteer_exists"},
		{name: "volunteer in unknown grid", given: org, when: RegisterVolunteer{CommunityID: community, GridID: "g9", PersonID: "v1", Name: "李", Skills: []string{"清扫"}},
			code: CodeNotFound, reason: "grid_not_found", field: "grid_id"},
		{name: "volunteer without skills", given: org, when: RegisterVolunteer{CommunityID: community, GridID: "g1", PersonID: "v1", Name: "李"},
			code: CodeInvalid, reason: "required", field: "skills"},
		{name: "volunteer with a skill twice", given: org, when: RegisterVolunteer{CommunityID: community, GridID: "g1", PersonID: "v1", Name: "李", Skills: []string{"清扫", "清扫"}},
			code: CodeInvalid, reason: "duplicate", field: "skills[1]"},
		{name: "volunteer without name", given: org, when: RegisterVolunteer{CommunityID: community, GridID: "g1", PersonID: "v1", Skills: []string{"清扫"}},
			code: CodeInvalid, reason: "required", field: "volunteer.name"},
		{name: "form team for the community", given: org, when: FormVolunteerTeam{CommunityID: community, TeamID: "t1", Name: "小红李志愿服务队一队", Skills: []string{"清扫", "助老"}, Categories: []string{"环境卫生"}},
			then: []Event{team1}},
		{name: "form team twice", given: withVolunteer, when: FormVolunteerTeam{CommunityID: community, TeamID: "t1", Name: "x", Skills: []string{"清扫"}}, code: CodeConflict, reason: "team_exists"},
		{name: "form team in unknown grid", given: org, when: FormVolunteerTeam{CommunityID: community, TeamID: "t2", GridID: "g9", Name: "x", Skills: []string{"清扫"}}, code: CodeNotFound, reason: "grid_not_found"},
		{name: "join team", given: withVolunteer, when: JoinVolunteerTeam{CommunityID: community, TeamID: "t1", PersonID: "v1"}, then: []Event{joined1}},
		{name: "join team twice", given: append(withVolunteer, joined1), when: JoinVolunteerTeam{CommunityID: community, TeamID: "t1", PersonID: "v1"}, code: CodeConflict, reason: "already_member"},
		{name: "join unknown team", given: withVolunteer, when: JoinVolunteerTeam{CommunityID: community, TeamID: "t9", PersonID: "v1"}, code: CodeNotFound, reason: "team_not_found", field: "team_id"},
		{name: "non-volunteer joins", given: withVolunteer, when: JoinVolunteerTeam{CommunityID: community, TeamID: "t1", PersonID: "p9"}, code: CodeNotFound, reason: "volunteer_not_found", field: "person_id"},
		{name: "register grid home", given: org, when: RegisterStation{CommunityID: community, StationID: "home", GridID: "g1", Name: "网格之家", Kind: StationGridHome, Services: []string{"政策宣讲", "义诊"}},
			then: []Event{StationRegistered{CommunityID: community, StationID: "home", GridID: "g1", Name: "网格之家", Kind: StationGridHome, Services: []string{"政策宣讲", "义诊"}, At: now}}},
		{name: "station of unknown kind", given: org, when: RegisterStation{CommunityID: community, StationID: "s", GridID: "g1", Name: "x", Kind: "bank", Services: []string{"x"}}, code: CodeInvalid, reason: "not_allowed", field: "kind"},
		{name: "station twice", given: append(append([]Event{}, org...), StationRegistered{CommunityID: community, StationID: "home", GridID: "g1", Name: "网格之家", Kind: StationGridHome}),
			when: RegisterStation{CommunityID: community, StationID: "home", GridID: "g1", Name: "网格之家", Kind: StationGridHome, Services: []string{"x"}}, code: CodeConflict, reason: "station_exists"},
		{name: "partner offer", given: org, when: RecordPartnerOffer{CommunityID: community, PartnerID: "wy", Offer: "维修工具和人手", Skills: []string{"维修"}, Categories: []string{"设施维修"}},
			then: []Event{PartnerOfferRecorded{CommunityID: community, PartnerID: "wy", Offer: "维修工具和人手", Skills: []string{"维修"}, Categories: []string{"设施维修"}, At: now}}},
		{name: "offer of unknown partner", given: org, when: RecordPartnerOffer{CommunityID: community, PartnerID: "x", Offer: "x", Skills: []string{"x"}}, code: CodeNotFound, reason: "partner_not_found", field: "partner_id"},
		{name: "offer without skills", given: org, when: RecordPartnerOffer{CommunityID: community, PartnerID: "wy", Offer: "x"}, code: CodeInvalid, reason: "required", field: "skills"},
	})
	s := FoldOrganisation(append(withVolunteer, joined1, PartnerOfferRecorded{CommunityID: community, PartnerID: "wy", Offer: "人手", Skills: []string{"维修"}}))
	if !s.InTeam("t1", "v1") || s.InTeam("t1", "v2") || s.Volunteers["v1"].Teams[0] != "t1" {
		t.Fatalf("membership: %+v %+v", s.Teams, s.Volunteers)
	}
	if s.Partners["wy"].Offer != "人手" || s.Partners["wy"].Name != "物业" {
		t.Fatalf("partner: %+v", s.Partners["wy"])
	}
}

func TestAcceptAction(t *testing.T) {
	due := now.Add(7 * 24 * time.Hour)
	teamAction := ActionAssigned{ActionID: "a1", CommunityID: community, GridID: "g1", ProposalID: "p1", Title: "清理停车棚夹道",
		Owner: Party{Kind: PartyTeam, ID: "t1", Name: "小红李志愿服务队一队"}, Due: due, By: "h1", At: now}
	personAction := teamAction
	personAction.Owner = Party{Kind: PartyPerson, ID: "v1", Name: "李志愿"}
	unitAction := teamAction
	unitAction.Owner = Party{Kind: PartyUnit, ID: "wy", Name: "物业"}
	li := Voter{PersonID: "v1", Name: "李志愿"}
	accepted := ActionAccepted{ActionID: "a1", Volunteer: li, TeamID: "t1", At: now}
	run(t, []spec{
		{name: "assign to a team", when: AssignAction{ActionID: "a1", CommunityID: community, GridID: "g1", ProposalID: "p1", Title: "清理停车棚夹道",
			Owner: Party{Kind: PartyTeam, ID: "t1", Name: "小红李志愿服务队一队"}, Due: due, By: "h1"}, then: []Event{teamAction}},
		{name: "assign to a club", when: AssignAction{ActionID: "a1", CommunityID: community, GridID: "g1", ProposalID: "p1", Title: "x",
			Owner: Party{Kind: "club", ID: "t1", Name: "x"}, Due: due, By: "h1"}, code: CodeInvalid, reason: "not_allowed", field: "owner.kind"},
		{name: "a team member accepts", given: []Event{teamAction}, when: AcceptAction{ActionID: "a1", Volunteer: li}, then: []Event{accepted}},
		{name: "staff record an acceptance", given: []Event{teamAction}, when: AcceptAction{ActionID: "a1", Volunteer: li, RecordedBy: "w1"},
			then: []Event{ActionAccepted{ActionID: "a1", Volunteer: li, TeamID: "t1", RecordedBy: "w1", At: now}}},
		{name: "accept twice", given: []Event{teamAction, accepted}, when: AcceptAction{ActionID: "a1", Volunteer: li}, code: CodeConflict, reason: "already_accepted"},
		{name: "the owner accepts", given: []Event{personAction}, when: AcceptAction{ActionID: "a1", Volunteer: li},
			then: []Event{ActionAccepted{ActionID: "a1", Volunteer: li, At: now}}},
		{name: "someone else accepts a person's action", given: []Event{personAction}, when: AcceptAction{ActionID: "a1", Volunteer: Voter{PersonID: "v2", Name: "王"}},
			code: CodeForbidden, reason: "not_the_owner", field: "volunteer.person_id"},
		{name: "a unit's action", given: []Event{unitAction}, when: AcceptAction{ActionID: "a1", Volunteer: li}, code: CodeConflict, reason: "not_for_volunteers"},
		{name: "accept a completed action", given: []Event{teamAction, ActionStarted{ActionID: "a1"}, ActionCompleted{ActionID: "a1", Evidence: []string{photo}}},
			when: AcceptAction{ActionID: "a1", Volunteer: li}, code: CodeConflict, reason: "action_not_assigned"},
		{name: "accept without a name", given: []Event{teamAction}, when: AcceptAction{ActionID: "a1", Volunteer: Voter{PersonID: "v1"}}, code: CodeInvalid, reason: "required", field: "volunteer.name"},
	})
	if a := FoldAction([]Event{teamAction, accepted}); len(a.Accepted) != 1 || a.Accepted[0] != "v1" {
		t.Fatalf("accepted: %+v", a.Accepted)
	}
}
