package domain

import (
	"fmt"
	"testing"
	"time"
)

// The seed's stories (shared/seed/) as sequences of commands, run the way
// the application layer runs them: each command on its own stream, then
// its follow-ups.

// hengyuan registers 衡苑社区 with its 7 grids, each with a full-time grid
// worker, and compound c1 (3号院) in grid g1.
func hengyuan(t *testing.T) map[string][]Event {
	streams := map[string][]Event{}
	cmds := []Command{RegisterCommunity{CommunityID: community, Name: "衡苑社区", Kind: CommunityUrban, Street: "李封街道"}}
	for i := 1; i <= 7; i++ {
		g := fmt.Sprint("g", i)
		cmds = append(cmds, CreateGrid{CommunityID: community, GridID: g, Name: fmt.Sprintf("第%d网格", i), Kind: GridResidential},
			AssignGridWorker{CommunityID: community, GridID: g, PersonID: "w" + g, Name: "网格员" + g, Employment: FullTime})
	}
	cmds = append(cmds, AppointGridHead{CommunityID: community, GridID: "g1", PersonID: "h1", Name: "李网格长"},
		RegisterCompound{CommunityID: community, CompoundID: "c1", GridID: "g1", Name: "3号院"},
		RegisterPartner{CommunityID: community, PartnerID: "ct", Name: "施工队", Kind: UnitContractor},
		RegisterPartner{CommunityID: community, PartnerID: "heat", Name: "供暖公司", Kind: UnitHeatingCompany},
		RegisterPartner{CommunityID: community, PartnerID: "dev", Name: "开发商", Kind: UnitDeveloper})
	decideAll(t, streams, cmds...)
	org := FoldOrganisation(streams[OrganisationStream(community)])
	fullTime := 0
	for _, g := range org.Grids {
		for _, w := range g.Workers {
			if w.Employment == FullTime {
				fullTime++
			}
		}
	}
	if len(org.Grids) != 7 || fullTime != 7 {
		t.Fatalf("衡苑社区 has %d grids and %d full-time workers, want 7 and 7", len(org.Grids), fullTime)
	}
	return streams
}

// propose submits proposal id on grid g1.
func propose(id, title, channel string, author Party, photos ...string) SubmitProposal {
	return SubmitProposal{ProposalID: id, CommunityID: community, GridID: "g1", CompoundID: "c1", Title: title, Text: title,
		Category: "环境", Place: "3号院", Photos: photos, Channel: channel, Author: author}
}

// refused checks that cmd is refused with reason on the streams as they are.
func refused(t *testing.T, streams map[string][]Event, cmd Command, reason string) {
	t.Helper()
	if _, err := Decide(streams[cmd.Stream()], cmd, now); ErrorReason(err) != reason {
		t.Fatalf("%T: want refusal %s, got %v", cmd, reason, err)
	}
}

func TestStoryBicycleShedPassageCleared(t *testing.T) {
	s := hengyuan(t)
	worker := Party{Kind: PartyPerson, ID: "wg1", Name: "网格员g1"}
	decideAll(t, s,
		propose("shed", "停车棚夹道乱堆乱放", ChannelMeeting, resident),
		AcceptProposal{ProposalID: "shed", Owner: worker, By: "h1"},
		HandleDirectly{ProposalID: "shed", Handler: worker, Note: "社区立即响应，组织网格员、志愿者清理", By: "h1"},
		AssignAction{ActionID: "clear", CommunityID: community, GridID: "g1", ProposalID: "shed", Title: "清理停车棚夹道", Owner: worker, Due: now.Add(48 * time.Hour), By: "h1"},
		StartAction{ActionID: "clear"},
	)
	refused(t, s, CloseProposal{ProposalID: "shed", By: "h1"}, "actions_open")
	decideAll(t, s,
		CompleteAction{ActionID: "clear", Evidence: []string{photo}, Note: "网格员和志愿者清理完毕"},
		VerifyAction{ActionID: "clear", Verifier: Voter{PersonID: resident.ID, Name: resident.Name}, Satisfied: true},
		CloseProposal{ProposalID: "shed", By: "h1"},
	)
	p := FoldProposal(s[ProposalStream("shed")])
	if p.Status != StatusClosed || p.Actions["clear"].Status != StatusVerified {
		t.Fatalf("proposal: %+v", p)
	}
	if got := types(s[ProposalStream("shed")]); got != "proposal.submitted.v1 proposal.accepted.v1 proposal.handled_directly.v1 proposal.action_linked.v1 proposal.action_settled.v1 proposal.closed.v1" {
		t.Fatalf("proposal history: %s", got)
	}
}

func TestStoryParkingLinesRepaintedAfterCourtyardDeliberation(t *testing.T) {
	s := hengyuan(t)
	residents := electorateOf("r1", "r2", "r3", "r4", "r5")
	cmds := []Command{
		propose("park", "院内道路窄，容易剐蹭", ChannelMeeting, resident),
		AcceptProposal{ProposalID: "park", Owner: gridHead, Note: "网格长实地查看", By: "h1"},
		ScheduleMeeting{MeetingID: "m1", CommunityID: community, GridID: "g1", CompoundID: "c1", Title: "3号院楼院议事", Place: "3号院", StartsAt: now, Format: FormatCourtyard, Facilitator: facil},
		AddAgendaItem{MeetingID: "m1", ItemID: "i1", Title: "重新划线", ProposalID: "park"},
		OpenMeeting{MeetingID: "m1"},
	}
	for _, r := range residents {
		cmds = append(cmds, RecordAttendance{MeetingID: "m1", PersonID: r.PersonID, Name: r.Name, Attendance: Present})
	}
	cmds = append(cmds,
		RecordStatement{MeetingID: "m1", ItemID: "i1", Speaker: Voter{"h1", "李网格长"}, Summary: "已联系施工人员制订方案：重新划线"},
		TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "按方案重新划线并引导规范停车", Options: yesNo, Rule: Rule{Kind: RuleSimpleMajority, QuorumPercent: 50}},
		OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: residents},
		CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "r1", CastBy: "r1", OptionID: "yes"},
		CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "r2", CastBy: "r2", OptionID: "no"},
		CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "r2", CastBy: "r2", OptionID: "yes"},
		CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "r3", CastBy: "r3", OptionID: "yes"},
		CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "r4", CastBy: "r4"},
		CloseVoting{MeetingID: "m1", MotionID: "mo1"},
		AdjournMeeting{MeetingID: "m1"},
		PublishMinutes{MeetingID: "m1", Summary: "通过重新划线方案", ObjectionUntil: now.Add(72 * time.Hour)},
		AssignAction{ActionID: "lines", CommunityID: community, GridID: "g1", ProposalID: "park", MeetingID: "m1", MotionID: "mo1", Title: "重新划线", Owner: contractor, Due: now.Add(7 * 24 * time.Hour), By: "h1"},
		StartAction{ActionID: "lines"},
		ReportProgress{ActionID: "lines", Percent: 60},
		CompleteAction{ActionID: "lines", Evidence: []string{photo}},
		VerifyAction{ActionID: "lines", Verifier: Voter{"r2", "r2"}, Reason: "东侧车位线太窄"},
	)
	decideAll(t, s, cmds...)
	m := FoldMeeting(s[MeetingStream("m1")])
	tally := m.Motions[0].Tally
	if tally == nil || !tally.Adopted || tally.Options[0].Votes != 3 || tally.Abstentions != 1 || tally.Ballots != 4 {
		t.Fatalf("tally: %+v", tally)
	}
	p := FoldProposal(s[ProposalStream("park")])
	if p.Status != StatusReopened || len(p.Decisions) != 1 || !p.Decisions[0].Adopted || len(p.Agenda) != 1 {
		t.Fatalf("after an unsatisfied verification the proposal is reopened: %+v", p)
	}
	refused(t, s, CloseProposal{ProposalID: "park", By: "h1"}, "actions_open")
	decideAll(t, s,
		CompleteAction{ActionID: "lines", Evidence: []string{photo}, Note: "东侧重新划宽"},
		VerifyAction{ActionID: "lines", Verifier: Voter{"r2", "r2"}, Satisfied: true},
		CloseProposal{ProposalID: "park", By: "h1"},
	)
	if a := FoldAction(s[ActionStream("lines")]); a.Status != StatusVerified || a.Reopens != 1 {
		t.Fatalf("action: %+v", a)
	}
	if p := FoldProposal(s[ProposalStream("park")]); p.Status != StatusClosed {
		t.Fatalf("proposal not closed: %s", p.Status)
	}
}

func TestStoryNeighbourhoodDinnersByConsensus(t *testing.T) {
	s := hengyuan(t)
	decideAll(t, s,
		propose("dinner", "楼院定期集体聚餐", ChannelVisit, resident),
		ScheduleMeeting{MeetingID: "m2", CommunityID: community, GridID: "g1", CompoundID: "c1", Title: "纳凉议事", Place: "3号院", StartsAt: now, Format: FormatSummerEvening, Facilitator: facil},
		AddAgendaItem{MeetingID: "m2", ItemID: "i1", Title: "邻里小饭桌", ProposalID: "dinner"},
		OpenMeeting{MeetingID: "m2"},
		RecordAttendance{MeetingID: "m2", PersonID: "r2", Name: "乙", Attendance: Present},
		TableMotion{MeetingID: "m2", MotionID: "mc", ItemID: "i1", Text: "在公共区域定期集体聚餐：提前报名、费用平摊、人人是大厨", Options: []Option{{"monthly", "每月一次"}}, Rule: Rule{Kind: RuleConsensus}},
		RaiseMotionObjection{MeetingID: "m2", MotionID: "mc", PersonID: "r2", Name: "乙", Reason: "费用怎么算？"},
	)
	refused(t, s, RecordConsensus{MeetingID: "m2", MotionID: "mc", OptionID: "monthly"}, "objection_standing")
	decideAll(t, s,
		RecordStatement{MeetingID: "m2", ItemID: "i1", Speaker: Voter{"wg1", "网格员"}, Summary: "费用平摊，提前报名"},
		WithdrawMotionObjection{MeetingID: "m2", MotionID: "mc", PersonID: "r2"},
		RecordConsensus{MeetingID: "m2", MotionID: "mc", OptionID: "monthly"},
		AssignAction{ActionID: "dinners", CommunityID: community, GridID: "g1", ProposalID: "dinner", MeetingID: "m2", MotionID: "mc", Title: "邻里小饭桌", Owner: Party{PartyPerson, "wg1", "网格员"}, Due: now.AddDate(1, 0, 0), Recurrence: "每月一次，逐步扩展至其他楼院", By: "h1"},
		StartAction{ActionID: "dinners"},
	)
	for i := range 72 {
		decideAll(t, s, RecordOccurrence{ActionID: "dinners", HeldOn: now.AddDate(0, 0, -7*i), Participants: 20})
	}
	if a := FoldAction(s[ActionStream("dinners")]); a.Occurrences != 72 {
		t.Fatalf("occurrences: %d", a.Occurrences)
	}
	p := FoldProposal(s[ProposalStream("dinner")])
	if p.Status != StatusDecided || p.Decisions[0].How != DecidedByConsensus || p.OpenActions()[0] != "dinners" {
		t.Fatalf("proposal: %+v", p)
	}
}

func TestStoryHeatingMeetingWithTheHeatingCompany(t *testing.T) {
	s := hengyuan(t)
	reps := electorateOf("rep1", "rep2", "rep3", "rep4")
	heating := Party{Kind: PartyUnit, ID: "heat", Name: "供暖公司"}
	cmds := []Command{
		propose("heat", "暖气不热", ChannelWindow, resident),
		ScheduleMeeting{MeetingID: "m3", CommunityID: community, GridID: "g1", Title: "供暖问题议事会", Place: "社区议事厅", StartsAt: now, Format: FormatCouncil, Facilitator: facil},
		AddAgendaItem{MeetingID: "m3", ItemID: "i1", Title: "暖气不热", ProposalID: "heat"},
		InviteParticipant{MeetingID: "m3", Participant: Participant{PersonID: "hc", Name: "刘经理", Kind: ParticipantUnit, PartnerID: "heat"}},
	}
	for _, r := range reps {
		cmds = append(cmds, InviteParticipant{MeetingID: "m3", Participant: Participant{PersonID: r.PersonID, Name: r.Name, Kind: ParticipantRepresentative}})
	}
	cmds = append(cmds,
		OpenMeeting{MeetingID: "m3"},
		RecordAttendance{MeetingID: "m3", PersonID: "hc", Name: "刘经理", Attendance: Present},
		RecordAttendance{MeetingID: "m3", PersonID: "rep1", Name: "rep1", Attendance: Present},
		RecordAttendance{MeetingID: "m3", PersonID: "rep2", Name: "rep2", Attendance: Present},
		RecordAttendance{MeetingID: "m3", PersonID: "rep3", Name: "rep3", Attendance: Proxy, HolderID: "rep1", Authority: "书面委托"},
		RecordAttendance{MeetingID: "m3", PersonID: "rep4", Name: "rep4", Attendance: Absent},
		RecordStatement{MeetingID: "m3", ItemID: "i1", Speaker: Voter{"hc", "刘经理"}, Summary: "管网末端压力不足，可加装循环泵"},
		TableMotion{MeetingID: "m3", MotionID: "mo1", ItemID: "i1", Text: "供暖公司本周加装循环泵", Options: yesNo, Rule: Rule{Kind: RuleTwoThirds, QuorumPercent: 50}},
		OpenVoting{MeetingID: "m3", MotionID: "mo1", Electorate: reps},
		CastVote{MeetingID: "m3", MotionID: "mo1", VoterID: "rep1", CastBy: "rep1", OptionID: "yes"},
		CastVote{MeetingID: "m3", MotionID: "mo1", VoterID: "rep3", CastBy: "rep1", OptionID: "yes"},
		CastVote{MeetingID: "m3", MotionID: "mo1", VoterID: "rep2", CastBy: "rep2", OptionID: "no"},
		CloseVoting{MeetingID: "m3", MotionID: "mo1"},
		AssignAction{ActionID: "pump", CommunityID: community, GridID: "g1", ProposalID: "heat", MeetingID: "m3", MotionID: "mo1", Title: "加装循环泵", Owner: heating, Due: now.AddDate(0, 0, 7), By: "h1"},
	)
	decideAll(t, s, cmds...)
	refused(t, s, CastVote{MeetingID: "m3", MotionID: "mo1", VoterID: "hc", CastBy: "hc", OptionID: "no"}, "motion_not_open")
	tally := FoldMeeting(s[MeetingStream("m3")]).Motions[0].Tally
	if !tally.Adopted || tally.Attending != 3 || tally.Electorate != 4 || tally.Options[0].Votes != 2 {
		t.Fatalf("tally: %+v", tally)
	}
	if a := FoldAction(s[ActionStream("pump")]); a.Owner != heating {
		t.Fatalf("action owner: %+v", a.Owner)
	}
}

func TestStoryDeveloperDisputeMediated(t *testing.T) {
	s := hengyuan(t)
	developer := Party{Kind: PartyUnit, ID: "dev", Name: "开发商"}
	owners := Party{Kind: PartyPerson, ID: "rep1", Name: "业主代表"}
	decideAll(t, s,
		propose("dispute", "小区配套设施未按约交付", ChannelWindow, owners),
		ScheduleMeeting{MeetingID: "m4", CommunityID: community, GridID: "g1", CompoundID: "c1", Title: "开发商纠纷调解", Place: "社区", StartsAt: now, Format: FormatCouncil, Facilitator: facil},
		AddAgendaItem{MeetingID: "m4", ItemID: "i1", Title: "配套设施纠纷", ProposalID: "dispute"},
		OpenMeeting{MeetingID: "m4"},
		OfferMediation{MeetingID: "m4", MediationID: "md", ItemID: "i1", Dispute: "配套设施未交付", Parties: []Party{developer, owners},
			Options: []Option{{"build", "开发商三个月内建成"}, {"money", "开发商按面积补偿"}, {"hand", "移交物业代建，开发商出资"}}},
		AgreeMediation{MeetingID: "m4", MediationID: "md", OptionID: "hand", Note: "3天内化解"},
		AssignAction{ActionID: "fund", CommunityID: community, GridID: "g1", ProposalID: "dispute", Title: "开发商出资移交物业代建", Owner: developer, Due: now.AddDate(0, 3, 0), By: "h1"},
	)
	refused(t, s, AgreeMediation{MeetingID: "m4", MediationID: "md", OptionID: "money"}, "mediation_already_agreed")
	p := FoldProposal(s[ProposalStream("dispute")])
	if len(p.Decisions) != 1 || p.Decisions[0].How != DecidedByMediation || p.Decisions[0].OptionID != "hand" {
		t.Fatalf("decisions: %+v", p.Decisions)
	}
	if med := FoldMeeting(s[MeetingStream("m4")]).Mediations[0]; len(med.Options) != 3 || med.Agreed.ID != "hand" {
		t.Fatalf("mediation: %+v", med)
	}
}

func TestStoryRidersPhotoReportsMerged(t *testing.T) {
	s := hengyuan(t)
	rider1 := Party{Kind: PartyPerson, ID: "rider1", Name: "骑手甲"}
	rider2 := Party{Kind: PartyPerson, ID: "rider2", Name: "骑手乙"}
	decideAll(t, s,
		propose("wire1", "飞线充电", ChannelPhotoReport, rider1, photo),
		propose("wire2", "3号楼有人从窗户拉线充电", ChannelPhotoReport, rider2, photo),
		SupportProposal{ProposalID: "wire2", PersonID: "r5", Name: "居民"},
		MergeProposal{ProposalID: "wire2", SurvivorID: "wire1", Reason: "同一处飞线充电", By: "h1"},
	)
	survivor := FoldProposal(s[ProposalStream("wire1")])
	if len(survivor.Duplicates) != 1 || len(survivor.Supporters) != 2 {
		t.Fatalf("survivor: %+v", survivor)
	}
	if dup := FoldProposal(s[ProposalStream("wire2")]); dup.Status != StatusMerged || dup.SurvivorID != "wire1" {
		t.Fatalf("duplicate: %+v", dup)
	}
	refused(t, s, SupportProposal{ProposalID: "wire2", PersonID: "r6", Name: "x"}, "proposal_not_open")
}
