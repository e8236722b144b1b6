package domain

import "testing"

// TestGridHomeTalksAndActivities: a policy talk and an activity at a
// 网格之家 are meetings of their own formats; an opinion collected at the
// talk is a proposal naming it (that the talk exists in the proposal's
// community is the ledger's rule: ledger.TestAgendaItemTakesAProposalOfTheMeetingsCommunity).
func TestGridHomeTalksAndActivities(t *testing.T) {
	talk := ScheduleMeeting{MeetingID: "m1", CommunityID: community, GridID: "g1", Title: "养老服务政策宣讲", Place: "网格之家",
		StartsAt: startsAt, Format: FormatTalk, Facilitator: facil}
	clinic := talk
	clinic.Title, clinic.Format = "口腔义诊", FormatActivity
	talkScheduled := MeetingScheduled{MeetingID: "m1", CommunityID: community, GridID: "g1", Title: talk.Title, Place: talk.Place,
		StartsAt: startsAt, Format: FormatTalk, Facilitator: facil, At: now}
	clinicScheduled := talkScheduled
	clinicScheduled.Title, clinicScheduled.Format = clinic.Title, FormatActivity
	opinion := submit
	opinion.MeetingID = "m1"
	collected := submitted
	collected.MeetingID = "m1"
	run(t, []spec{
		{name: "schedule a policy talk", when: talk, then: []Event{talkScheduled}},
		{name: "schedule an activity", when: clinic, then: []Event{clinicScheduled}},
		{name: "open the talk", given: []Event{talkScheduled}, when: OpenMeeting{MeetingID: "m1"}, then: []Event{MeetingOpened{MeetingID: "m1", At: now}}},
		{name: "an opinion collected at the talk names it", when: opinion, then: []Event{collected}},
		{name: "an opinion names a well-formed meeting", when: func() SubmitProposal { o := opinion; o.MeetingID = "m 1"; return o }(),
			code: CodeInvalid, reason: "bad_id", field: "meeting_id"},
	})
}
