package domain

import (
	"strings"
	"testing"
)

// TestFieldRefusals covers the field checks each decider runs before it
// looks at the state.
func TestFieldRefusals(t *testing.T) {
	org := []Event{registered, grid1, compound1}
	going := []Event{assigned, started}
	open := []Event{scheduled, item1, opened}
	cons := with(open, consensM)
	run(t, []spec{
		{name: "compound without name", given: org, when: RegisterCompound{CommunityID: community, CompoundID: "c2", GridID: "g1"}, code: CodeInvalid, reason: "required", field: "name"},
		{name: "owner without name", given: org, when: RegisterUnit{CommunityID: community, CompoundID: "c1", UnitID: "u2", Label: "x", AreaDM2: 1, Owners: []Voter{{PersonID: "p1"}}}, code: CodeInvalid, reason: "required", field: "owners.name"},
		{name: "withdraw with an essay", given: []Event{submitted}, when: WithdrawProposal{ProposalID: "p1", PersonID: "r1", Reason: strings.Repeat("字", maxLong+1)}, code: CodeInvalid, reason: "too_long", field: "reason"},
		{name: "progress with a bad photo", given: going, when: ReportProgress{ActionID: "a1", Percent: 10, Photos: []string{"x"}}, code: CodeInvalid, reason: "bad_photo_ref", field: "photos"},
		{name: "complete with a bad photo", given: going, when: CompleteAction{ActionID: "a1", Evidence: []string{strings.Repeat("A", 64)}}, code: CodeInvalid, reason: "bad_photo_ref", field: "evidence"},
		{name: "verify without verifier", given: with(going, completed), when: VerifyAction{ActionID: "a1", Satisfied: true}, code: CodeInvalid, reason: "required", field: "verifier.person_id"},
		{name: "option without label", given: open, when: TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "x", Options: []Option{{"a", ""}, {"b", "y"}}, Rule: majority}, code: CodeInvalid, reason: "required", field: "options[0].label"},
		{name: "electorate member without name", given: with(open, tabled), when: OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: []Voter{{PersonID: "v1"}}}, code: CodeInvalid, reason: "required", field: "electorate[0].name"},
		{name: "withdraw an objection to an unknown motion", given: cons, when: WithdrawMotionObjection{MeetingID: "m1", MotionID: "x", PersonID: "v2"}, code: CodeNotFound, reason: "motion_not_found"},
		{name: "consensus after adjourning", given: with(cons, adjourned), when: RecordConsensus{MeetingID: "m1", MotionID: "mc", OptionID: "do"}, code: CodeConflict, reason: "meeting_not_open"},
		{name: "mediation party without kind", given: open, when: OfferMediation{MeetingID: "m1", MediationID: "md", ItemID: "i1", Dispute: "x", Parties: []Party{offered.Parties[0], {ID: "v1", Name: "甲"}}, Options: offered.Options}, code: CodeInvalid, reason: "not_allowed", field: "parties[1].kind"},
		{name: "agreement after adjourning", given: with(open, offered, adjourned), when: AgreeMediation{MeetingID: "m1", MediationID: "md1", OptionID: "a"}, code: CodeConflict, reason: "meeting_not_open"},
	})
}

func TestTallyWithoutOptions(t *testing.T) {
	got := ComputeTally(Rule{Kind: RuleSimpleMajority}, nil, electorateOf("a"), nil, ballots("a="), nil)
	if got.Result != ResultNotAdopted || got.Abstentions != 1 || got.Ballots != 1 {
		t.Fatalf("got %+v", got)
	}
}

// TestTextRefusesInvisibleAndControl: a title of zero-width characters is
// empty, and control or bidi-override characters are refused in free text
// whichever door the command came through (issue 10, 15).
func TestTextRefusesInvisibleAndControl(t *testing.T) {
	for _, tc := range []struct{ title, reason string }{
		{"\u200b\u200c\u200d\ufeff", "required"},
		{" \u3000\u2060\u3164 ", "required"},
		{"停车\x00棚", "control_character"},
		{"\x1b[31m紧急\x1b[0m", "control_character"},
		{"楼道\u202e灯不亮", "control_character"},
		{"\u2067abc\u2069", "control_character"},
		{"楼道灯\u200d不亮", ""},
		{"第一行\n第二行\t制表", ""},
	} {
		e := text("title", "the title", "标题", tc.title, maxShort)
		switch {
		case tc.reason == "" && e != nil:
			t.Errorf("%q refused: %v", tc.title, e)
		case tc.reason != "" && (e == nil || e.Reason != tc.reason || e.Field != "title"):
			t.Errorf("%q: got %v, want %s", tc.title, e, tc.reason)
		}
	}
}

// FuzzText: whatever text() accepts has something visible in it and no
// control character but tab and line breaks.
func FuzzText(f *testing.F) {
	for _, s := range []string{"标题", "\u200b", "a\x00", "\x1b[0m", "\u202e", "a\tb\nc", " ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if text("title", "the title", "标题", s, maxShort) != nil {
			return
		}
		if strings.TrimFunc(s, invisible) == "" || strings.IndexFunc(s, control) >= 0 {
			t.Fatalf("accepted %q", s)
		}
	})
}
