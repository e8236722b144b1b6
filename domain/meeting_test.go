package domain

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var (
	startsAt  = now.Add(time.Hour)
	facil     = Voter{PersonID: "h1", Name: "李网格长"}
	yesNo     = []Option{{"yes", "同意"}, {"no", "反对"}}
	majority  = Rule{Kind: RuleSimpleMajority}
	scheduled = MeetingScheduled{MeetingID: "m1", CommunityID: community, GridID: "g1", CompoundID: "c1", Title: "3号院楼院议事",
		Place: "3号院", StartsAt: startsAt, Format: FormatCourtyard, Facilitator: facil, At: now}
	item1   = AgendaItemAdded{MeetingID: "m1", ItemID: "i1", Title: "院内停车划线", ProposalID: "p1", MeetingTitle: "3号院楼院议事", StartsAt: startsAt, At: now}
	opened  = MeetingOpened{MeetingID: "m1", At: now}
	tabled  = MotionTabled{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "p1", Text: "请施工方重新划线", Options: yesNo, Rule: majority, At: now}
	voters  = []Voter{{"v1", "甲"}, {"v2", "乙"}, {"v3", "丙"}}
	voting  = VotingOpened{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "p1", Text: tabled.Text, Options: yesNo, Rule: majority, Electorate: voters, At: now}
	present = func(id string) AttendanceRecorded {
		return AttendanceRecorded{MeetingID: "m1", PersonID: id, Name: id, Attendance: Present}
	}
	castYes = func(id string) VoteCast {
		return VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: id, CastBy: id, OptionID: "yes"}
	}
	consensM = MotionTabled{MeetingID: "m1", MotionID: "mc", ItemID: "i1", ProposalID: "p1", Text: "定期举办邻里小饭桌", Options: []Option{{"do", "每月一次"}}, Rule: Rule{Kind: RuleConsensus}}
	offered  = MediationOffered{MeetingID: "m1", MediationID: "md1", ItemID: "i1", ProposalID: "p1", Dispute: "开发商遗留问题",
		Parties: []Party{{PartyUnit, "dev", "开发商"}, {PartyPerson, "v1", "甲"}}, Options: []Option{{"a", "开发商维修"}, {"b", "补偿"}}}
	adjourned = MeetingAdjourned{MeetingID: "m1", At: now}
	minutes   = MinutesPublished{MeetingID: "m1", Summary: "会议决定重新划线", ObjectionUntil: now.Add(72 * time.Hour), At: now}
)

func TestMeeting(t *testing.T) {
	sched := []Event{scheduled, item1}
	open := with(sched, opened)
	motion := with(open, tabled)
	vote := with(motion, voting, present("v1"), present("v2"))
	cons := with(open, present("v2"), consensM)
	medi := with(open, offered)
	adj := with(open, adjourned)
	pub := with(adj, minutes)
	schedule := ScheduleMeeting{MeetingID: "m1", CommunityID: community, GridID: "g1", CompoundID: "c1", Title: "3号院楼院议事", Place: "3号院", StartsAt: startsAt, Format: FormatCourtyard, Facilitator: facil}
	run(t, []spec{
		{name: "schedule", when: schedule, then: []Event{scheduled}},
		{name: "schedule twice", given: sched, when: schedule, code: CodeConflict, reason: "meeting_exists"},
		{name: "schedule without start", when: ScheduleMeeting{MeetingID: "m1", CommunityID: community, GridID: "g1", Title: "x", Place: "x", Format: FormatCourtyard, Facilitator: facil}, code: CodeInvalid, reason: "required", field: "starts_at"},
		{name: "schedule bad format", when: ScheduleMeeting{MeetingID: "m1", CommunityID: community, GridID: "g1", Title: "x", Place: "x", StartsAt: startsAt, Format: "party", Facilitator: facil}, code: CodeInvalid, reason: "not_allowed", field: "format"},
		{name: "owners assembly without compound", when: ScheduleMeeting{MeetingID: "m1", CommunityID: community, GridID: "g1", Title: "x", Place: "x", StartsAt: startsAt, Format: FormatOwners, Facilitator: facil}, code: CodeInvalid, reason: "compound_required"},
		{name: "agenda before schedule", when: AddAgendaItem{MeetingID: "m1", ItemID: "i1", Title: "x"}, code: CodeNotFound, reason: "meeting_not_found"},
		{name: "add agenda item", given: sched[:1], when: AddAgendaItem{MeetingID: "m1", ItemID: "i1", Title: "院内停车划线", ProposalID: "p1"}, then: []Event{item1}},
		{name: "add agenda item twice", given: sched, when: AddAgendaItem{MeetingID: "m1", ItemID: "i1", Title: "x"}, code: CodeConflict, reason: "item_exists"},
		{name: "add agenda item after adjourning", given: adj, when: AddAgendaItem{MeetingID: "m1", ItemID: "i2", Title: "x"}, code: CodeConflict, reason: "meeting_not_scheduled"},
		{name: "invite heating company", given: sched, when: InviteParticipant{MeetingID: "m1", Participant: Participant{PersonID: "hc1", Name: "刘经理", Kind: ParticipantUnit, PartnerID: "heat"}},
			then: []Event{ParticipantInvited{MeetingID: "m1", Participant: Participant{PersonID: "hc1", Name: "刘经理", Kind: ParticipantUnit, PartnerID: "heat"}, At: now}}},
		{name: "invite unit without unit", given: sched, when: InviteParticipant{MeetingID: "m1", Participant: Participant{PersonID: "hc1", Name: "刘经理", Kind: ParticipantUnit}}, code: CodeInvalid, reason: "partner_required"},
		{name: "invite twice", given: with(sched, ParticipantInvited{MeetingID: "m1", Participant: Participant{PersonID: "v1", Name: "甲", Kind: ParticipantResident}}),
			when: InviteParticipant{MeetingID: "m1", Participant: Participant{PersonID: "v1", Name: "甲", Kind: ParticipantResident}}, code: CodeConflict, reason: "already_invited"},
		{name: "invite bad kind", given: sched, when: InviteParticipant{MeetingID: "m1", Participant: Participant{PersonID: "v1", Name: "甲", Kind: "guest"}}, code: CodeInvalid, reason: "not_allowed"},
		{name: "open", given: sched, when: OpenMeeting{MeetingID: "m1"}, then: []Event{opened}},
		{name: "open twice", given: open, when: OpenMeeting{MeetingID: "m1"}, code: CodeConflict, reason: "meeting_not_scheduled"},
		{name: "attendance", given: open, when: RecordAttendance{MeetingID: "m1", PersonID: "v1", Name: "v1", Attendance: Present}, then: []Event{present("v1").at()}},
		{name: "attendance before opening", given: sched, when: RecordAttendance{MeetingID: "m1", PersonID: "v1", Name: "v1", Attendance: Present}, code: CodeConflict, reason: "meeting_not_open"},
		{name: "attendance unchanged", given: with(open, present("v1")), when: RecordAttendance{MeetingID: "m1", PersonID: "v1", Name: "v1", Attendance: Present}, code: CodeConflict, reason: "attendance_unchanged"},
		{name: "attendance bad value", given: open, when: RecordAttendance{MeetingID: "m1", PersonID: "v1", Name: "v1", Attendance: "late"}, code: CodeInvalid, reason: "not_allowed"},
		{name: "proxy", given: with(open, present("v1")), when: RecordAttendance{MeetingID: "m1", PersonID: "v3", Name: "丙", Attendance: Proxy, HolderID: "v1", Authority: "委托书 2026-07-14"},
			then: []Event{AttendanceRecorded{MeetingID: "m1", PersonID: "v3", Name: "丙", Attendance: Proxy, HolderID: "v1", Authority: "委托书 2026-07-14", At: now}}},
		{name: "proxy holder absent", given: open, when: RecordAttendance{MeetingID: "m1", PersonID: "v3", Name: "丙", Attendance: Proxy, HolderID: "v1", Authority: "委托书"}, code: CodeConflict, reason: "proxy_holder_not_present"},
		{name: "proxy without authority", given: with(open, present("v1")), when: RecordAttendance{MeetingID: "m1", PersonID: "v3", Name: "丙", Attendance: Proxy, HolderID: "v1"}, code: CodeInvalid, reason: "required", field: "authority"},
		{name: "proxy for self", given: with(open, present("v1")), when: RecordAttendance{MeetingID: "m1", PersonID: "v1", Name: "甲", Attendance: Proxy, HolderID: "v1", Authority: "x"}, code: CodeInvalid, reason: "proxy_for_self"},
		{name: "holder without proxy", given: open, when: RecordAttendance{MeetingID: "m1", PersonID: "v1", Name: "甲", Attendance: Present, HolderID: "v2"}, code: CodeInvalid, reason: "holder_without_proxy"},
		{name: "statement", given: open, when: RecordStatement{MeetingID: "m1", ItemID: "i1", Speaker: Voter{"v1", "甲"}, Summary: "路太窄，经常剐蹭"},
			then: []Event{StatementRecorded{MeetingID: "m1", ItemID: "i1", Speaker: Voter{"v1", "甲"}, Summary: "路太窄，经常剐蹭", At: now}}},
		{name: "statement on unknown item", given: open, when: RecordStatement{MeetingID: "m1", ItemID: "i9", Speaker: Voter{"v1", "甲"}, Summary: "x"}, code: CodeNotFound, reason: "item_not_found"},
		{name: "statement without summary", given: open, when: RecordStatement{MeetingID: "m1", ItemID: "i1", Speaker: Voter{"v1", "甲"}}, code: CodeInvalid, reason: "required", field: "summary"},
		{name: "table motion", given: open, when: TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: tabled.Text, Options: yesNo, Rule: majority}, then: []Event{tabled}},
		{name: "table motion twice", given: motion, when: TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "x", Options: yesNo, Rule: majority}, code: CodeConflict, reason: "motion_exists"},
		{name: "table motion on unknown item", given: open, when: TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i9", Text: "x", Options: yesNo, Rule: majority}, code: CodeNotFound, reason: "item_not_found"},
		{name: "table motion with one option", given: open, when: TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "x", Options: yesNo[:1], Rule: majority}, code: CodeInvalid, reason: "too_few_options"},
		{name: "table motion with option twice", given: open, when: TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "x", Options: []Option{{"a", "x"}, {"a", "y"}}, Rule: majority}, code: CodeInvalid, reason: "duplicate_option"},
		{name: "table motion bad rule", given: open, when: TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "x", Options: yesNo, Rule: Rule{Kind: "loudest"}}, code: CodeInvalid, reason: "not_allowed", field: "rule.kind"},
		{name: "table motion bad quorum", given: open, when: TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "x", Options: yesNo, Rule: Rule{Kind: RuleTwoThirds, QuorumPercent: 120}}, code: CodeInvalid, reason: "bad_quorum"},
		{name: "amend motion", given: motion, when: AmendMotion{MeetingID: "m1", MotionID: "mo1", Text: "重新划线并加装反光镜", Options: yesNo, Rule: Rule{Kind: RuleTwoThirds}, Reason: "居民补充"},
			then: []Event{MotionAmended{MeetingID: "m1", MotionID: "mo1", Text: "重新划线并加装反光镜", Options: yesNo, Rule: Rule{Kind: RuleTwoThirds}, Reason: "居民补充", At: now}}},
		{name: "amend rule after voting opened", given: vote, when: AmendMotion{MeetingID: "m1", MotionID: "mo1", Text: "x", Options: yesNo, Rule: Rule{Kind: RuleTwoThirds}, Reason: "x"}, code: CodeConflict, reason: "voting_already_opened"},
		{name: "amend unknown motion", given: motion, when: AmendMotion{MeetingID: "m1", MotionID: "mo9", Text: "x", Options: yesNo, Rule: majority, Reason: "x"}, code: CodeNotFound, reason: "motion_not_found"},
		{name: "amend without reason", given: motion, when: AmendMotion{MeetingID: "m1", MotionID: "mo1", Text: "x", Options: yesNo, Rule: majority}, code: CodeInvalid, reason: "required", field: "reason"},
		{name: "open voting", given: motion, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: voters}, then: []Event{voting}},
		{name: "open voting twice", given: vote, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: voters}, code: CodeConflict, reason: "voting_already_opened"},
		{name: "open voting without electorate", given: motion, when: OpenVoting{MeetingID: "m1", MotionID: "mo1"}, code: CodeInvalid, reason: "electorate_required"},
		{name: "open voting with voter twice", given: motion, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: []Voter{{"v1", "甲"}, {"v1", "甲"}}}, code: CodeInvalid, reason: "duplicate_voter"},
		{name: "open voting with register but no owners rule", given: motion, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: voters, Units: []OwnedUnit{{"u1", 1, []string{"v1"}}}}, code: CodeInvalid, reason: "units_without_owners_rule"},
		{name: "open voting on consensus motion", given: cons, when: OpenVoting{MeetingID: "m1", MotionID: "mc", Electorate: voters}, code: CodeConflict, reason: "consensus_needs_no_vote"},
		{name: "open voting before meeting opens", given: with(sched, tabled), when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: voters}, code: CodeConflict, reason: "meeting_not_open"},
		{name: "cast vote", given: vote, when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "yes"},
			then: []Event{VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "yes", At: now}}},
		{name: "abstain", given: vote, when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1"},
			then: []Event{VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", At: now}}},
		{name: "change vote", given: with(vote, castYes("v1")), when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "no"},
			then: []Event{VoteChanged{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "no", PreviousOption: "yes", At: now}}},
		{name: "vote twice without change", given: with(vote, castYes("v1")), when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "yes"}, code: CodeConflict, reason: "already_voted"},
		{name: "vote not in electorate", given: vote, when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "x9", CastBy: "x9", OptionID: "yes"}, code: CodeForbidden, reason: "not_in_electorate"},
		{name: "vote before voting opens", given: motion, when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "yes"}, code: CodeConflict, reason: "motion_not_open"},
		{name: "vote on closed motion", given: with(vote, VotingClosed{MeetingID: "m1", MotionID: "mo1"}), when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "yes"}, code: CodeConflict, reason: "motion_not_open"},
		{name: "vote for unknown option", given: vote, when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "maybe"}, code: CodeInvalid, reason: "unknown_option"},
		{name: "vote on unknown motion", given: vote, when: CastVote{MeetingID: "m1", MotionID: "mo9", VoterID: "v1", CastBy: "v1", OptionID: "yes"}, code: CodeNotFound, reason: "motion_not_found"},
		{name: "vote for another without proxy", given: vote, when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "v3", CastBy: "v1", OptionID: "yes"}, code: CodeForbidden, reason: "no_proxy"},
		{name: "vote by proxy", given: with(vote, AttendanceRecorded{MeetingID: "m1", PersonID: "v3", Attendance: Proxy, HolderID: "v1", Authority: "x"}),
			when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "v3", CastBy: "v1", OptionID: "no"},
			then: []Event{VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "v3", CastBy: "v1", OptionID: "no", At: now}}},
		{name: "vote by proxy someone else holds", given: with(vote, AttendanceRecorded{MeetingID: "m1", PersonID: "v3", Attendance: Proxy, HolderID: "v1", Authority: "x"}),
			when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "v3", CastBy: "v2", OptionID: "no"}, code: CodeForbidden, reason: "no_proxy"},
		{name: "vote without voter", given: vote, when: CastVote{MeetingID: "m1", MotionID: "mo1", CastBy: "v1", OptionID: "yes"}, code: CodeInvalid, reason: "required", field: "voter_id"},
		{name: "close voting", given: with(vote, castYes("v1"), castYes("v2")), when: CloseVoting{MeetingID: "m1", MotionID: "mo1"},
			then: []Event{VotingClosed{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "p1", Text: tabled.Text, At: now,
				Tally: Tally{Rule: majority, Options: []OptionTally{{OptionID: "yes", Label: "同意", Votes: 2}, {OptionID: "no", Label: "反对"}}, Ballots: 2, Electorate: 3, Attending: 2, QuorumMet: true,
					Result: ResultAdopted, Adopted: true, WinningOptionID: "yes"}}}},
		{name: "close voting not open", given: motion, when: CloseVoting{MeetingID: "m1", MotionID: "mo1"}, code: CodeConflict, reason: "motion_not_open"},
		{name: "object to consensus motion", given: cons, when: RaiseMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙", Reason: "费用怎么分摊？"},
			then: []Event{MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙", Reason: "费用怎么分摊？", At: now}}},
		{name: "object twice", given: with(cons, MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v2"}), when: RaiseMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙", Reason: "x"}, code: CodeConflict, reason: "already_objected"},
		{name: "object to voted motion", given: motion, when: RaiseMotionObjection{MeetingID: "m1", MotionID: "mo1", PersonID: "v2", Name: "乙", Reason: "x"}, code: CodeConflict, reason: "not_consensus_motion"},
		{name: "object without reason", given: cons, when: RaiseMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙"}, code: CodeInvalid, reason: "required", field: "reason"},
		{name: "withdraw objection", given: with(cons, MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v2"}), when: WithdrawMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2"},
			then: []Event{MotionObjectionWithdrawn{MeetingID: "m1", MotionID: "mc", PersonID: "v2", At: now}}},
		{name: "withdraw no objection", given: cons, when: WithdrawMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2"}, code: CodeNotFound, reason: "objection_not_found"},
		{name: "consensus", given: cons, when: RecordConsensus{MeetingID: "m1", MotionID: "mc", OptionID: "do", Note: "提前报名、费用平摊"},
			then: []Event{ConsensusReached{MeetingID: "m1", MotionID: "mc", ItemID: "i1", ProposalID: "p1", Text: consensM.Text, OptionID: "do", Label: "每月一次", Note: "提前报名、费用平摊", At: now}}},
		{name: "consensus after objection withdrawn", given: with(cons, MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v2"}, MotionObjectionWithdrawn{MeetingID: "m1", MotionID: "mc", PersonID: "v2"}),
			when: RecordConsensus{MeetingID: "m1", MotionID: "mc", OptionID: "do"},
			then: []Event{ConsensusReached{MeetingID: "m1", MotionID: "mc", ItemID: "i1", ProposalID: "p1", Text: consensM.Text, OptionID: "do", Label: "每月一次", At: now}}},
		{name: "consensus with objection", given: with(cons, MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙"}), when: RecordConsensus{MeetingID: "m1", MotionID: "mc", OptionID: "do"}, code: CodeConflict, reason: "objection_standing"},
		{name: "consensus twice", given: with(cons, ConsensusReached{MeetingID: "m1", MotionID: "mc", OptionID: "do"}), when: RecordConsensus{MeetingID: "m1", MotionID: "mc", OptionID: "do"}, code: CodeConflict, reason: "motion_already_decided"},
		{name: "consensus on unknown option", given: cons, when: RecordConsensus{MeetingID: "m1", MotionID: "mc", OptionID: "x"}, code: CodeInvalid, reason: "unknown_option"},
		{name: "consensus on voted motion", given: motion, when: RecordConsensus{MeetingID: "m1", MotionID: "mo1", OptionID: "yes"}, code: CodeConflict, reason: "not_consensus_motion"},
		{name: "offer mediation", given: open, when: OfferMediation{MeetingID: "m1", MediationID: "md1", ItemID: "i1", Dispute: offered.Dispute, Parties: offered.Parties, Options: offered.Options},
			then: []Event{offered.at()}},
		{name: "offer mediation twice", given: medi, when: OfferMediation{MeetingID: "m1", MediationID: "md1", ItemID: "i1", Dispute: "x", Parties: offered.Parties, Options: offered.Options}, code: CodeConflict, reason: "mediation_exists"},
		{name: "offer one option", given: open, when: OfferMediation{MeetingID: "m1", MediationID: "md1", ItemID: "i1", Dispute: "x", Parties: offered.Parties, Options: offered.Options[:1]}, code: CodeInvalid, reason: "too_few_options"},
		{name: "offer with one party", given: open, when: OfferMediation{MeetingID: "m1", MediationID: "md1", ItemID: "i1", Dispute: "x", Parties: offered.Parties[:1], Options: offered.Options}, code: CodeInvalid, reason: "too_few_parties"},
		{name: "offer on unknown item", given: open, when: OfferMediation{MeetingID: "m1", MediationID: "md1", ItemID: "i9", Dispute: "x", Parties: offered.Parties, Options: offered.Options}, code: CodeNotFound, reason: "item_not_found"},
		{name: "agree mediation", given: medi, when: AgreeMediation{MeetingID: "m1", MediationID: "md1", OptionID: "a"},
			then: []Event{MediationAgreed{MeetingID: "m1", MediationID: "md1", ItemID: "i1", ProposalID: "p1", Dispute: offered.Dispute, OptionID: "a", Label: "开发商维修", Parties: offered.Parties, At: now}}},
		{name: "agree twice", given: with(medi, MediationAgreed{MeetingID: "m1", MediationID: "md1", OptionID: "a"}), when: AgreeMediation{MeetingID: "m1", MediationID: "md1", OptionID: "b"}, code: CodeConflict, reason: "mediation_already_agreed"},
		{name: "agree unknown option", given: medi, when: AgreeMediation{MeetingID: "m1", MediationID: "md1", OptionID: "z"}, code: CodeInvalid, reason: "unknown_option"},
		{name: "agree unknown mediation", given: medi, when: AgreeMediation{MeetingID: "m1", MediationID: "md9", OptionID: "a"}, code: CodeNotFound, reason: "mediation_not_found"},
		{name: "adjourn", given: open, when: AdjournMeeting{MeetingID: "m1"}, then: []Event{adjourned}},
		{name: "adjourn while voting", given: vote, when: AdjournMeeting{MeetingID: "m1"}, code: CodeConflict, reason: "voting_still_open"},
		{name: "adjourn twice", given: adj, when: AdjournMeeting{MeetingID: "m1"}, code: CodeConflict, reason: "meeting_not_open"},
		{name: "publish minutes", given: adj, when: PublishMinutes{MeetingID: "m1", Summary: minutes.Summary, ObjectionUntil: minutes.ObjectionUntil}, then: []Event{minutes}},
		{name: "publish before adjourning", given: open, when: PublishMinutes{MeetingID: "m1", Summary: "x", ObjectionUntil: minutes.ObjectionUntil}, code: CodeConflict, reason: "meeting_not_adjourned"},
		{name: "publish twice", given: pub, when: PublishMinutes{MeetingID: "m1", Summary: "x", ObjectionUntil: minutes.ObjectionUntil}, code: CodeConflict, reason: "meeting_not_adjourned"},
		{name: "publish with past period", given: adj, when: PublishMinutes{MeetingID: "m1", Summary: "x", ObjectionUntil: now}, code: CodeInvalid, reason: "objection_period_in_past"},
		{name: "publish with bad document", given: adj, when: PublishMinutes{MeetingID: "m1", Summary: "x", Document: "minutes.pdf", ObjectionUntil: minutes.ObjectionUntil}, code: CodeInvalid, reason: "bad_photo_ref", field: "document"},
		{name: "object to minutes", given: pub, when: ObjectToMinutes{MeetingID: "m1", PersonID: "v2", Name: "乙", Text: "我的发言记录有误"},
			then: []Event{MinutesObjectionRaised{MeetingID: "m1", PersonID: "v2", Name: "乙", Text: "我的发言记录有误", At: now}}},
		{name: "object after period", given: with(adj, MinutesPublished{MeetingID: "m1", Summary: "x", ObjectionUntil: now.Add(-time.Minute)}), when: ObjectToMinutes{MeetingID: "m1", PersonID: "v2", Name: "乙", Text: "x"}, code: CodeConflict, reason: "objection_period_over"},
		{name: "object before publication", given: adj, when: ObjectToMinutes{MeetingID: "m1", PersonID: "v2", Name: "乙", Text: "x"}, code: CodeConflict, reason: "meeting_not_published"},
		{name: "action command on a meeting stream", given: open, when: wrongStream{"meeting-m1"}, code: CodeInvalid, reason: "unknown_command"},
	})
}

// at returns the event stamped with the specs' clock.
func (e AttendanceRecorded) at() AttendanceRecorded { e.At = now; return e }

// at returns the event stamped with the specs' clock.
func (e MediationOffered) at() MediationOffered { e.At = now; return e }

func TestFoldMeetingKeepsBallotsInOrderOfLatestCasting(t *testing.T) {
	s := FoldMeeting(with([]Event{scheduled, item1, opened, tabled, voting}, castYes("v1"), castYes("v2"),
		VoteChanged{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "no"}))
	b := s.Motions[0].Ballots
	if len(b) != 2 || b[0].VoterID != "v2" || b[1].VoterID != "v1" || b[1].OptionID != "no" {
		t.Fatalf("ballots: %+v", b)
	}
}

// However many ballots a stream casts and replaces (past the point where
// the fold drops the replaced ones on its way), the fold keeps each
// voter's latest ballot once, in the order of casting, as removing the
// earlier ballot at once would.
func TestFoldMeetingKeepsLatestBallotsOfALongVote(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		voters := rapid.IntRange(1, 30).Draw(t, "voters")
		history := []Event{scheduled, item1, opened, tabled, voting}
		var want []Ballot
		for i := range rapid.IntRange(0, 400).Draw(t, "ballots") {
			b := Ballot{VoterID: fmt.Sprintf("v%d", rapid.IntRange(0, voters-1).Draw(t, "voter")), CastBy: "x",
				OptionID: rapid.SampledFrom([]string{"yes", "no", ""}).Draw(t, "option")}
			if i%2 == 0 {
				history = append(history, VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: b.VoterID, CastBy: b.CastBy, OptionID: b.OptionID})
			} else {
				history = append(history, VoteChanged{MeetingID: "m1", MotionID: "mo1", VoterID: b.VoterID, CastBy: b.CastBy, OptionID: b.OptionID})
			}
			want = append(slices.DeleteFunc(want, func(x Ballot) bool { return x.VoterID == b.VoterID }), b)
		}
		got := FoldMeeting(history).Motions[0]
		if !slices.Equal(got.Ballots, want) || got.seat != nil {
			t.Fatalf("ballots %+v (seats %v), want %+v", got.Ballots, got.seat, want)
		}
	})
}

func TestOwnersVote(t *testing.T) {
	ownersMotion := MotionTabled{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "p1", Text: "使用维修资金更换电梯", Options: yesNo, Rule: Rule{Kind: RuleOwnersMajor}}
	open := []Event{scheduled, item1, opened, ownersMotion}
	names := []Voter{{"a", "业主甲"}}
	opening := VotingOpened{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "p1", Text: ownersMotion.Text, Options: yesNo, Rule: ownersMotion.Rule,
		Electorate: []Voter{{"a", "业主甲"}, {"b", "b"}, {"c", "c"}, {"d", "d"}, {"e", "e"}}, Units: ownersRegister, At: now}
	run(t, []spec{
		{name: "open an owners' vote locks the register", given: open, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: names, Units: ownersRegister}, then: []Event{opening}},
		{name: "a non-owner named in the electorate", given: open, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: []Voter{{"tenant", "租户"}}, Units: ownersRegister}, code: CodeInvalid, reason: "not_an_owner", field: "electorate[0]"},
		{name: "owners' vote without register", given: open, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: names}, code: CodeInvalid, reason: "register_required"},
		{name: "unit twice", given: open, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Units: []OwnedUnit{{"u1", 1, []string{"a"}}, {"u1", 1, []string{"b"}}}}, code: CodeInvalid, reason: "duplicate_unit"},
		{name: "unit without owner", given: open, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Units: []OwnedUnit{{"u1", 1, nil}}}, code: CodeInvalid, reason: "owners_required"},
		{name: "unit without area", given: open, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Units: []OwnedUnit{{"u1", 0, []string{"a"}}}}, code: CodeInvalid, reason: "bad_area"},
		{name: "owner with bad id", given: open, when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Units: []OwnedUnit{{"u1", 1, []string{"a b"}}}}, code: CodeInvalid, reason: "bad_id"},
		{name: "a tenant is not an owner", given: with(open, opening), when: CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: "tenant", CastBy: "tenant", OptionID: "yes"}, code: CodeForbidden, reason: "not_in_electorate"},
		{name: "close an owners' vote", given: with(open, opening, castYes("a"), castYes("b"), castYes("c"), castYes("e")), when: CloseVoting{MeetingID: "m1", MotionID: "mo1"},
			then: []Event{VotingClosed{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "p1", Text: ownersMotion.Text, At: now,
				Tally: Tally{Rule: ownersMotion.Rule, Options: []OptionTally{{OptionID: "yes", Label: "同意", Votes: 4, AreaDM2: 65000, Heads: 4}, {OptionID: "no", Label: "反对"}},
					Ballots: 4, Electorate: 5, Attending: 4, QuorumMet: true, TotalAreaDM2: 65000, ParticipatingAreaDM2: 65000, TotalHeads: 4, ParticipatingHeads: 4,
					Result: ResultAdopted, Adopted: true, WinningOptionID: "yes"}}}},
	})
}

// TestMeetingRoom covers what staff record for the people in the room and
// the checks that keep a meeting honest (issue 9, points 6, 8, 13 and 14).
func TestMeetingRoom(t *testing.T) {
	open := []Event{scheduled, item1, opened}
	cons := with(open, consensM)
	consIn := with(cons, present("v2"))
	vote := with(open, tabled, voting, present("v1"))
	secret := with(open, MotionTabled{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "x", Options: yesNo, Rule: majority, Secret: true},
		VotingOpened{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "x", Options: yesNo, Rule: majority, Secret: true, Electorate: voters}, present("v1"))
	published := with(cons, present("v2"), MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙"}, adjourned, minutes)
	owners := func(kind string, matter int) TableMotion {
		return TableMotion{MeetingID: "m1", MotionID: "mo2", ItemID: "i1", Text: "维修资金", Options: yesNo, Rule: Rule{Kind: kind, Matter: matter}}
	}
	ownersTabled := func(kind string, matter int) []Event {
		return []Event{MotionTabled{MeetingID: "m1", MotionID: "mo2", ItemID: "i1", ProposalID: "p1", Text: "维修资金", Options: yesNo, Rule: Rule{Kind: kind, Matter: matter}, At: now}}
	}
	run(t, []spec{
		// 13: consensus needs somebody in the room; objections are withdrawn only in the meeting.
		{name: "consensus in an empty room", given: cons, when: RecordConsensus{MeetingID: "m1", MotionID: "mc", OptionID: "do"}, code: CodeConflict, reason: "nobody_present"},
		{name: "consensus with people present", given: consIn, when: RecordConsensus{MeetingID: "m1", MotionID: "mc", OptionID: "do"},
			then: []Event{ConsensusReached{MeetingID: "m1", MotionID: "mc", ItemID: "i1", ProposalID: "p1", Text: consensM.Text, OptionID: "do", Label: "每月一次", At: now}}},
		{name: "withdraw an objection after the minutes were published", given: published, when: WithdrawMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2"}, code: CodeConflict, reason: "meeting_not_open"},
		// 14: an objection said aloud, recorded by staff, says so.
		{name: "objection spoken aloud", given: consIn, when: RaiseMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙", Reason: "太吵", RecordedBy: "h1", How: RecordedSpoken},
			then: []Event{MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙", Reason: "太吵", RecordedBy: "h1", How: RecordedSpoken, At: now}}},
		{name: "objection spoken by someone not in the room", given: cons, when: RaiseMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙", Reason: "太吵", RecordedBy: "h1", How: RecordedSpoken}, code: CodeConflict, reason: "speaker_not_present"},
		{name: "objection in writing needs no attendance", given: cons, when: RaiseMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙", Reason: "太吵", RecordedBy: "h1", How: RecordedInWriting},
			then: []Event{MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙", Reason: "太吵", RecordedBy: "h1", How: RecordedInWriting, At: now}}},
		{name: "objection recorded without saying how", given: consIn, when: RaiseMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2", Name: "乙", Reason: "x", RecordedBy: "h1"}, code: CodeInvalid, reason: "not_allowed", field: "how"},
		{name: "withdrawal spoken aloud", given: with(consIn, MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v2"}), when: WithdrawMotionObjection{MeetingID: "m1", MotionID: "mc", PersonID: "v2", RecordedBy: "h1", How: RecordedSpoken},
			then: []Event{MotionObjectionWithdrawn{MeetingID: "m1", MotionID: "mc", PersonID: "v2", RecordedBy: "h1", How: RecordedSpoken, At: now}}},
		// 14: a show of hands, recorded by name.
		{name: "show of hands", given: with(vote, present("v2")), when: RecordBallots{MeetingID: "m1", MotionID: "mo1", OptionID: "yes", VoterIDs: []string{"v1", "v2"}, Method: MethodShowOfHands, RecordedBy: "h1"},
			then: []Event{VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "yes", Method: MethodShowOfHands, RecordedBy: "h1", At: now},
				VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "v2", CastBy: "v2", OptionID: "yes", Method: MethodShowOfHands, RecordedBy: "h1", At: now}}},
		{name: "a hand of someone not in the room", given: vote, when: RecordBallots{MeetingID: "m1", MotionID: "mo1", OptionID: "yes", VoterIDs: []string{"v1", "v2"}, Method: MethodShowOfHands, RecordedBy: "h1"}, code: CodeConflict, reason: "voter_not_present", field: "voter_ids[1]"},
		{name: "a paper ballot needs no attendance", given: vote, when: RecordBallots{MeetingID: "m1", MotionID: "mo1", OptionID: "no", VoterIDs: []string{"v3"}, Method: MethodPaper, RecordedBy: "h1"},
			then: []Event{VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "v3", CastBy: "v3", OptionID: "no", Method: MethodPaper, RecordedBy: "h1", At: now}}},
		{name: "a hand changes a ballot", given: with(vote, castYes("v1")), when: RecordBallots{MeetingID: "m1", MotionID: "mo1", OptionID: "no", VoterIDs: []string{"v1"}, Method: MethodShowOfHands, RecordedBy: "h1"},
			then: []Event{VoteChanged{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "no", PreviousOption: "yes", Method: MethodShowOfHands, RecordedBy: "h1", At: now}}},
		{name: "no show of hands on a secret motion", given: secret, when: RecordBallots{MeetingID: "m1", MotionID: "mo1", OptionID: "yes", VoterIDs: []string{"v1"}, Method: MethodShowOfHands, RecordedBy: "h1"}, code: CodeInvalid, reason: "secret_show_of_hands", field: "method"},
		{name: "a hand outside the electorate", given: with(vote, present("x9")), when: RecordBallots{MeetingID: "m1", MotionID: "mo1", OptionID: "yes", VoterIDs: []string{"x9"}, Method: MethodShowOfHands, RecordedBy: "h1"}, code: CodeForbidden, reason: "not_in_electorate", field: "voter_ids[0]"},
		{name: "ballots without a method", given: vote, when: RecordBallots{MeetingID: "m1", MotionID: "mo1", OptionID: "yes", VoterIDs: []string{"v1"}, RecordedBy: "h1"}, code: CodeInvalid, reason: "not_allowed", field: "method"},
		// 6: the matter decides the rule.
		{name: "using the fund (五) is an ordinary matter", given: open, when: owners(RuleOwners, MatterFundUse), then: ownersTabled(RuleOwnersOrdinary, MatterFundUse)},
		{name: "raising the fund (六) is a major matter", given: open, when: owners(RuleOwners, MatterFundRaise), then: ownersTabled(RuleOwnersMajor, MatterFundRaise)},
		{name: "changing the use of common parts (八) is major", given: open, when: owners(RuleOwnersMajor, MatterCommonUse), then: ownersTabled(RuleOwnersMajor, MatterCommonUse)},
		{name: "another major matter (九) needs more than half", given: open, when: owners(RuleOwners, MatterOther), then: ownersTabled(RuleOwnersOrdinary, MatterOther)},
		{name: "using the fund cannot be made a 3/4 matter", given: open, when: owners(RuleOwnersMajor, MatterFundUse), code: CodeInvalid, reason: "rule_does_not_fit_matter", field: "rule.kind"},
		{name: "rebuilding cannot be made a 1/2 matter", given: open, when: owners(RuleOwnersOrdinary, MatterRebuild), code: CodeInvalid, reason: "rule_does_not_fit_matter", field: "rule.kind"},
		{name: "an owners' motion without its matter", given: open, when: owners(RuleOwnersMajor, 0), code: CodeInvalid, reason: "matter_required", field: "rule.matter"},
		{name: "an item beyond 九", given: open, when: owners(RuleOwners, 10), code: CodeInvalid, reason: "matter_required", field: "rule.matter"},
		{name: "a matter on a simple majority", given: open, when: owners(RuleSimpleMajority, MatterFundUse), code: CodeInvalid, reason: "matter_without_owners_rule", field: "rule.matter"},
		{name: "amend to the matter's rule", given: with(open, ownersTabled(RuleOwnersOrdinary, MatterFundUse)[0]),
			when: AmendMotion{MeetingID: "m1", MotionID: "mo2", Text: "筹集维修资金", Options: yesNo, Rule: Rule{Kind: RuleOwners, Matter: MatterFundRaise}, Reason: "事项应为筹集"},
			then: []Event{MotionAmended{MeetingID: "m1", MotionID: "mo2", Text: "筹集维修资金", Options: yesNo, Rule: Rule{Kind: RuleOwnersMajor, Matter: MatterFundRaise}, Reason: "事项应为筹集", At: now}}},
		// The default electorate: the invited participants other than officials.
		{name: "open voting with the invited as electorate", given: with(open, tabled,
			ParticipantInvited{MeetingID: "m1", Participant: Participant{PersonID: "v1", Name: "甲", Kind: ParticipantResident}},
			ParticipantInvited{MeetingID: "m1", Participant: Participant{PersonID: "w1", Name: "网格员", Kind: ParticipantOfficial}}),
			when: OpenVoting{MeetingID: "m1", MotionID: "mo1"},
			then: []Event{VotingOpened{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", ProposalID: "p1", Text: tabled.Text, Options: yesNo, Rule: majority, Electorate: []Voter{{"v1", "甲"}}, At: now}}},
	})
}

func TestMinutes(t *testing.T) {
	open := []Event{scheduled, item1, opened}
	adj := with(open, adjourned)
	recorder := Voter{PersonID: "w1", Name: "王网格员"}
	draft := DraftMinutes{MeetingID: "m1", Summary: "会议表决通过重新划线。", Notes: []MinutesNote{{ItemID: "i1", Text: "物业两周内施工"}},
		Remarks: "下次议事会讨论充电桩。", Recorder: recorder}
	drafted := MinutesDrafted{MeetingID: "m1", Draft: 1, Summary: draft.Summary, Notes: draft.Notes, Remarks: draft.Remarks, Recorder: recorder, At: now}
	dr := with(adj, drafted)
	redraft := draft
	redraft.Summary = "会议表决通过重新划线，并加宽消防通道。"
	redraft.Notes = []MinutesNote{{ItemID: "i1", Text: ""}}
	fromDraft := MinutesPublished{MeetingID: "m1", Summary: drafted.Summary, ObjectionUntil: now.AddDate(0, 0, 7), ObjectionDays: 7, Draft: 1,
		Notes: drafted.Notes, Remarks: drafted.Remarks, Recorder: recorder, At: now}
	run(t, []spec{
		{name: "draft after the meeting", given: adj, when: draft, then: []Event{drafted}},
		{name: "a second draft replaces the first, empty notes left out", given: dr, when: redraft,
			then: []Event{MinutesDrafted{MeetingID: "m1", Draft: 2, Summary: redraft.Summary, Remarks: draft.Remarks, Recorder: recorder, At: now}}},
		{name: "the same draft twice", given: dr, when: draft, code: CodeConflict, reason: "minutes_unchanged"},
		{name: "draft during the meeting", given: open, when: draft, code: CodeConflict, reason: "meeting_not_adjourned"},
		{name: "draft after publication", given: with(dr, fromDraft), when: redraft, code: CodeConflict, reason: "meeting_not_adjourned"},
		{name: "draft without summary", given: adj, when: DraftMinutes{MeetingID: "m1", Recorder: recorder}, code: CodeInvalid, reason: "required", field: "summary"},
		{name: "draft without recorder", given: adj, when: DraftMinutes{MeetingID: "m1", Summary: "x"}, code: CodeInvalid, reason: "required", field: "recorder.person_id"},
		{name: "a note on an item of another meeting", given: adj, when: DraftMinutes{MeetingID: "m1", Summary: "x", Recorder: recorder, Notes: []MinutesNote{{ItemID: "i9", Text: "x"}}},
			code: CodeNotFound, reason: "item_not_found", field: "notes[0].item_id"},
		{name: "two notes on one item", given: adj, when: DraftMinutes{MeetingID: "m1", Summary: "x", Recorder: recorder, Notes: []MinutesNote{{ItemID: "i1", Text: "a"}, {ItemID: "i1", Text: "b"}}},
			code: CodeInvalid, reason: "duplicate_note", field: "notes[1].item_id"},
		{name: "publish the draft for 7 days", given: dr, when: PublishMinutes{MeetingID: "m1", ObjectionDays: 7, Draft: 1}, then: []Event{fromDraft}},
		{name: "publish a draft someone changed since", given: with(dr, MinutesDrafted{MeetingID: "m1", Draft: 2, Summary: "y", Recorder: recorder, At: now}),
			when: PublishMinutes{MeetingID: "m1", ObjectionDays: 7, Draft: 1}, code: CodeConflict, reason: "draft_changed"},
		{name: "publish a summary over a draft", given: dr, when: PublishMinutes{MeetingID: "m1", Summary: "另写的纪要", ObjectionDays: 7}, code: CodeInvalid, reason: "summary_in_draft", field: "summary"},
		{name: "publish without summary or draft", given: adj, when: PublishMinutes{MeetingID: "m1", ObjectionDays: 7}, code: CodeInvalid, reason: "required", field: "summary"},
		{name: "publish naming a draft that does not exist", given: adj, when: PublishMinutes{MeetingID: "m1", Summary: "x", ObjectionDays: 7, Draft: 1}, code: CodeConflict, reason: "draft_changed"},
		{name: "period in days and as an end", given: dr, when: PublishMinutes{MeetingID: "m1", ObjectionDays: 7, ObjectionUntil: now.Add(time.Hour)}, code: CodeInvalid, reason: "objection_period_twice", field: "objection_days"},
		{name: "period of 0 days", given: dr, when: PublishMinutes{MeetingID: "m1", ObjectionDays: -1}, code: CodeInvalid, reason: "bad_objection_days", field: "objection_days"},
		{name: "period of a year", given: dr, when: PublishMinutes{MeetingID: "m1", ObjectionDays: 365}, code: CodeInvalid, reason: "bad_objection_days", field: "objection_days"},
		{name: "no period", given: dr, when: PublishMinutes{MeetingID: "m1"}, code: CodeInvalid, reason: "required", field: "objection_until"},
	})
	s := FoldMeeting(with(dr, fromDraft))
	if s.MinutesDraft == nil || s.MinutesDraft.Draft != 1 || s.Minutes == nil || s.Minutes.Remarks != draft.Remarks || s.Status != StatusPublished {
		t.Fatalf("folded minutes: draft %+v, published %+v, status %s", s.MinutesDraft, s.Minutes, s.Status)
	}
}
