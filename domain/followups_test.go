package domain

import (
	"fmt"
	"reflect"
	"testing"
)

func TestFollowUps(t *testing.T) {
	closedTally := Tally{Result: ResultAdopted, Adopted: true, WinningOptionID: "yes", Options: []OptionTally{{OptionID: "yes", Label: "同意"}, {OptionID: "no", Label: "反对"}}}
	for _, c := range []struct {
		event Event
		want  Command
	}{
		{ProposalMerged{ProposalID: "p2", SurvivorID: "p1", AuthorID: "r1", Supporters: []string{"r2"}}, AbsorbDuplicate{ProposalID: "p1", DuplicateID: "p2", Supporters: []string{"r1", "r2"}}},
		{item1, PutOnAgenda{ProposalID: "p1", MeetingID: "m1", ItemID: "i1", MeetingTitle: item1.MeetingTitle, StartsAt: item1.StartsAt}},
		{AgendaItemAdded{MeetingID: "m1", ItemID: "i2"}, nil},
		{VotingClosed{MeetingID: "m1", MotionID: "mo1", ProposalID: "p1", Text: "划线", Tally: closedTally},
			RecordDecision{ProposalID: "p1", MeetingID: "m1", MotionID: "mo1", How: DecidedByVote, Adopted: true, OptionID: "yes", Outcome: "划线: 同意"}},
		{VotingClosed{MeetingID: "m1", MotionID: "mo1", ProposalID: "p1", Text: "划线", Tally: Tally{Result: ResultNoQuorum}},
			RecordDecision{ProposalID: "p1", MeetingID: "m1", MotionID: "mo1", How: DecidedByVote, Outcome: "划线: 未通过（参与人数未达到要求）"}},
		{VotingClosed{MeetingID: "m1", MotionID: "mo1", ProposalID: "p1", Text: "划线", Tally: Tally{Result: ResultRejected, Options: []OptionTally{{OptionID: "yes", Label: "同意", Votes: 1}, {OptionID: "no", Label: "反对", Votes: 2}}}},
			RecordDecision{ProposalID: "p1", MeetingID: "m1", MotionID: "mo1", How: DecidedByVote, Outcome: "划线: 未通过（同意 1，反对 2，弃权 0）"}},
		{VotingClosed{MeetingID: "m1", MotionID: "mo1"}, nil},
		{ConsensusReached{MeetingID: "m1", MotionID: "mc", ProposalID: "p1", Text: "小饭桌", OptionID: "do", Label: "每月"},
			RecordDecision{ProposalID: "p1", MeetingID: "m1", MotionID: "mc", How: DecidedByConsensus, Adopted: true, OptionID: "do", Outcome: "小饭桌: 每月"}},
		{MediationAgreed{MeetingID: "m1", MediationID: "md", ProposalID: "p1", Dispute: "纠纷", OptionID: "a", Label: "维修"},
			RecordDecision{ProposalID: "p1", MeetingID: "m1", MotionID: "md", How: DecidedByMediation, Adopted: true, OptionID: "a", Outcome: "纠纷: 维修"}},
		{assigned, LinkAction{ProposalID: "p1", ActionID: "a1", Title: assigned.Title}},
		{ActionAssigned{ActionID: "a2", MeetingID: "m1", MotionID: "mo1"}, nil},
		{ActionVerified{ActionID: "a1", ProposalID: "p1", Satisfied: true}, SettleAction{ProposalID: "p1", ActionID: "a1", Outcome: StatusVerified}},
		{ActionVerified{ActionID: "a1", ProposalID: "p1", Verifier: verifier, Reason: "没修好"}, ReopenProposal{ProposalID: "p1", ActionID: "a1", Reason: "没修好", By: "r1"}},
		{ActionVerified{ActionID: "a1", Satisfied: true}, nil},
		{ActionCancelled{ActionID: "a1", ProposalID: "p1", Reason: "x"}, SettleAction{ProposalID: "p1", ActionID: "a1", Outcome: StatusCancelled}},
		{ActionCancelled{ActionID: "a1"}, nil},
		{submitted, nil},
	} {
		t.Run(c.event.EventType(), func(t *testing.T) {
			got := FollowUps("any-x", []Event{c.event})
			var want []Command
			if c.want != nil {
				want = []Command{c.want}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v\nwant %#v", got, want)
			}
		})
	}
	both := FollowUps("action-a1", []Event{assigned, ActionCancelled{ActionID: "a1", ProposalID: "p1"}})
	if len(both) != 2 || both[0].(LinkAction).ActionID != "a1" || both[1].(SettleAction).Outcome != StatusCancelled {
		t.Fatalf("follow-ups of two events, in order: %#v", both)
	}
}

func TestErrorHelpers(t *testing.T) {
	e := invalid("title", "required", "the title is required", "请填写标题")
	if e.Error() != "the title is required (required, field title)" {
		t.Errorf("Error() = %q", e.Error())
	}
	c := refuse(CodeConflict, "motion_not_open", "voting is closed", "表决已结束")
	if c.Error() != "voting is closed (motion_not_open)" {
		t.Errorf("Error() = %q", c.Error())
	}
	wrapped := fmt.Errorf("decide: %w", c)
	if ErrorCode(wrapped) != CodeConflict || ErrorReason(wrapped) != "motion_not_open" {
		t.Errorf("wrapped refusal lost: %s %s", ErrorCode(wrapped), ErrorReason(wrapped))
	}
	if ErrorCode(nil) != "" || ErrorCode(fmt.Errorf("disk full")) != CodeInternal || ErrorReason(fmt.Errorf("x")) != "" {
		t.Error("ErrorCode or ErrorReason misread a non-domain error")
	}
}
