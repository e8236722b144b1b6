package domain

import (
	"testing"
	"time"
)

var (
	due        = now.Add(14 * 24 * time.Hour)
	contractor = Party{Kind: PartyUnit, ID: "ct", Name: "施工队"}
	assigned   = ActionAssigned{ActionID: "a1", CommunityID: community, GridID: "g1", ProposalID: "p1", MeetingID: "m1", MotionID: "mo1",
		Title: "重新划线", Owner: contractor, Due: due, By: "h1", At: now}
	assign = AssignAction{ActionID: "a1", CommunityID: community, GridID: "g1", ProposalID: "p1", MeetingID: "m1", MotionID: "mo1",
		Title: "重新划线", Owner: contractor, Due: due, By: "h1"}
	started   = ActionStarted{ActionID: "a1", At: now}
	completed = ActionCompleted{ActionID: "a1", Evidence: []string{photo}, At: now}
	verifier  = Voter{PersonID: "r1", Name: "米阿姨"}
)

func TestAction(t *testing.T) {
	a := []Event{assigned}
	going := with(a, started)
	done := with(going, completed)
	verified := with(done, ActionVerified{ActionID: "a1", ProposalID: "p1", Verifier: verifier, Satisfied: true})
	recurring := []Event{ActionAssigned{ActionID: "a1", CommunityID: community, GridID: "g1", ProposalID: "p1", Title: "邻里小饭桌", Owner: resident, Due: due, Recurrence: "每月一次"}, started}
	edit := func(f func(*AssignAction)) AssignAction { c := assign; f(&c); return c }
	run(t, []spec{
		{name: "assign", when: assign, then: []Event{assigned}},
		{name: "assign twice", given: a, when: assign, code: CodeConflict, reason: "action_exists"},
		{name: "assign without due date", when: edit(func(c *AssignAction) { c.Due = time.Time{} }), code: CodeInvalid, reason: "required", field: "due"},
		{name: "assign without owner", when: edit(func(c *AssignAction) { c.Owner = Party{} }), code: CodeInvalid, reason: "not_allowed", field: "owner.kind"},
		{name: "assign from meeting without motion", when: edit(func(c *AssignAction) { c.MotionID = "" }), code: CodeInvalid, reason: "decision_incomplete"},
		{name: "assign from nothing", when: edit(func(c *AssignAction) { c.ProposalID, c.MeetingID, c.MotionID = "", "", "" }), code: CodeInvalid, reason: "source_required"},
		{name: "start before assign", when: StartAction{ActionID: "a1"}, code: CodeNotFound, reason: "action_not_found"},
		{name: "start", given: a, when: StartAction{ActionID: "a1"}, then: []Event{started}},
		{name: "start twice", given: going, when: StartAction{ActionID: "a1"}, code: CodeConflict, reason: "action_not_assigned"},
		{name: "progress", given: going, when: ReportProgress{ActionID: "a1", Percent: 40, Note: "已划一半", Photos: []string{photo}},
			then: []Event{ActionProgressReported{ActionID: "a1", Percent: 40, Note: "已划一半", Photos: []string{photo}, At: now}}},
		{name: "progress lifts block", given: with(going, ActionBlocked{ActionID: "a1", Reason: "下雨"}), when: ReportProgress{ActionID: "a1", Percent: 50},
			then: []Event{ActionProgressReported{ActionID: "a1", Percent: 50, At: now}}},
		{name: "progress above 100", given: going, when: ReportProgress{ActionID: "a1", Percent: 101}, code: CodeInvalid, reason: "bad_percent", field: "percent"},
		{name: "progress before start", given: a, when: ReportProgress{ActionID: "a1", Percent: 10}, code: CodeConflict, reason: "action_not_in_progress"},
		{name: "progress on verified", given: verified, when: ReportProgress{ActionID: "a1", Percent: 10}, code: CodeConflict, reason: "action_closed"},
		{name: "occurrence", given: recurring, when: RecordOccurrence{ActionID: "a1", HeldOn: now, Participants: 23, Note: "人人是大厨"},
			then: []Event{ActionOccurrenceHeld{ActionID: "a1", Number: 1, HeldOn: now, Participants: 23, Note: "人人是大厨", At: now}}},
		{name: "second occurrence", given: with(recurring, ActionOccurrenceHeld{ActionID: "a1", Number: 1}), when: RecordOccurrence{ActionID: "a1", HeldOn: now},
			then: []Event{ActionOccurrenceHeld{ActionID: "a1", Number: 2, HeldOn: now, At: now}}},
		{name: "occurrence of one-off action", given: going, when: RecordOccurrence{ActionID: "a1", HeldOn: now}, code: CodeConflict, reason: "not_recurring"},
		{name: "occurrence without date", given: recurring, when: RecordOccurrence{ActionID: "a1"}, code: CodeInvalid, reason: "required", field: "held_on"},
		{name: "occurrence with negative participants", given: recurring, when: RecordOccurrence{ActionID: "a1", HeldOn: now, Participants: -1}, code: CodeInvalid, reason: "bad_participants"},
		{name: "occurrence before start", given: recurring[:1], when: RecordOccurrence{ActionID: "a1", HeldOn: now}, code: CodeConflict, reason: "action_not_in_progress"},
		{name: "block", given: going, when: BlockAction{ActionID: "a1", Reason: "等待物业同意"}, then: []Event{ActionBlocked{ActionID: "a1", Reason: "等待物业同意", At: now}}},
		{name: "block twice", given: with(going, ActionBlocked{ActionID: "a1", Reason: "x"}), when: BlockAction{ActionID: "a1", Reason: "y"}, code: CodeConflict, reason: "action_not_in_progress"},
		{name: "block without reason", given: going, when: BlockAction{ActionID: "a1"}, code: CodeInvalid, reason: "required", field: "reason"},
		{name: "complete", given: going, when: CompleteAction{ActionID: "a1", Evidence: []string{photo}}, then: []Event{completed}},
		{name: "complete without evidence", given: going, when: CompleteAction{ActionID: "a1"}, code: CodeInvalid, reason: "evidence_required"},
		{name: "complete blocked", given: with(going, ActionBlocked{ActionID: "a1", Reason: "x"}), when: CompleteAction{ActionID: "a1", Evidence: []string{photo}}, code: CodeConflict, reason: "action_not_in_progress"},
		{name: "verify satisfied", given: done, when: VerifyAction{ActionID: "a1", Verifier: verifier, Satisfied: true},
			then: []Event{ActionVerified{ActionID: "a1", ProposalID: "p1", Verifier: verifier, Satisfied: true, At: now}}},
		{name: "verify not satisfied", given: done, when: VerifyAction{ActionID: "a1", Verifier: verifier, Reason: "线划歪了"},
			then: []Event{ActionVerified{ActionID: "a1", ProposalID: "p1", Verifier: verifier, Reason: "线划歪了", At: now}}},
		{name: "verify with a photo", given: done, when: VerifyAction{ActionID: "a1", Verifier: verifier, Reason: "线划歪了", Photos: []string{photo}},
			then: []Event{ActionVerified{ActionID: "a1", ProposalID: "p1", Verifier: verifier, Reason: "线划歪了", Photos: []string{photo}, At: now}}},
		{name: "verify with a bad photo reference", given: done, when: VerifyAction{ActionID: "a1", Verifier: verifier, Satisfied: true, Photos: []string{"abc"}},
			code: CodeInvalid, reason: "bad_photo_ref", field: "photos"},
		{name: "verify not satisfied without reason", given: done, when: VerifyAction{ActionID: "a1", Verifier: verifier}, code: CodeInvalid, reason: "required", field: "reason"},
		{name: "verify not completed", given: going, when: VerifyAction{ActionID: "a1", Verifier: verifier, Satisfied: true}, code: CodeConflict, reason: "action_not_completed"},
		{name: "staff record a verdict on the verifier's behalf", given: done,
			when: VerifyAction{ActionID: "a1", Verifier: verifier, Satisfied: true, RecordedBy: "w1", Method: VerifiedByPhone, Note: "电话回访，居民表示满意"},
			then: []Event{ActionVerified{ActionID: "a1", ProposalID: "p1", Verifier: verifier, Satisfied: true, RecordedBy: "w1", Method: VerifiedByPhone, Note: "电话回访，居民表示满意", At: now}}},
		{name: "recorded verdict without a note", given: done, when: VerifyAction{ActionID: "a1", Verifier: verifier, Satisfied: true, RecordedBy: "w1", Method: VerifiedByPhone},
			code: CodeInvalid, reason: "required", field: "note"},
		{name: "recorded verdict without a method", given: done, when: VerifyAction{ActionID: "a1", Verifier: verifier, Satisfied: true, RecordedBy: "w1", Note: "x"},
			code: CodeInvalid, reason: "not_allowed", field: "method"},
		{name: "method without a recorder", given: done, when: VerifyAction{ActionID: "a1", Verifier: verifier, Satisfied: true, Method: VerifiedByPhone, Note: "x"},
			code: CodeInvalid, reason: "method_without_recorder", field: "method"},
		{name: "owner records the verification of own work", given: with(recurring, completed),
			when: VerifyAction{ActionID: "a1", Verifier: Voter{PersonID: "r7", Name: "老周"}, Satisfied: true, RecordedBy: resident.ID, Method: VerifiedOnAVisit, Note: "入户"},
			code: CodeForbidden, reason: "owner_cannot_verify"},
		{name: "owner verifies own work", given: with(recurring, completed), when: VerifyAction{ActionID: "a1", Verifier: Voter{PersonID: resident.ID, Name: resident.Name}, Satisfied: true}, code: CodeForbidden, reason: "owner_cannot_verify"},
		{name: "cancel", given: going, when: CancelAction{ActionID: "a1", Reason: "并入其他工程", By: "h1"},
			then: []Event{ActionCancelled{ActionID: "a1", ProposalID: "p1", Reason: "并入其他工程", By: "h1", At: now}}},
		{name: "cancel verified", given: verified, when: CancelAction{ActionID: "a1", Reason: "x", By: "h1"}, code: CodeConflict, reason: "action_closed"},
		{name: "cancel without reason", given: going, when: CancelAction{ActionID: "a1", By: "h1"}, code: CodeInvalid, reason: "required", field: "reason"},
		{name: "organisation command on an action stream", given: a, when: wrongStream{"action-a1"}, code: CodeInvalid, reason: "unknown_command"},
	})
}

func TestUnsatisfiedVerificationReopensTheAction(t *testing.T) {
	s := FoldAction([]Event{assigned, started, completed, ActionVerified{ActionID: "a1", Verifier: verifier, Reason: "线划歪了"}})
	if s.Status != StatusInProgress || s.Reopens != 1 || s.Note != "线划歪了" || s.Verification == nil || s.Verification.Satisfied {
		t.Fatalf("state: %+v", s)
	}
	if _, err := Decide([]Event{assigned, started, completed, ActionVerified{ActionID: "a1", Verifier: verifier, Reason: "x"}}, CompleteAction{ActionID: "a1", Evidence: []string{photo}}, now); err != nil {
		t.Fatalf("a reopened action cannot be completed again: %v", err)
	}
}
