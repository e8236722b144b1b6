package domain

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

// randomMeeting drives a meeting with random commands, keeping the events
// of those the decider accepts: refusals must leave no trace.
func randomMeeting(t *rapid.T) []Event {
	history := []Event{scheduled, item1, opened}
	people := []string{"v1", "v2", "v3", "v4"}
	person := rapid.SampledFrom(people)
	motion := rapid.SampledFrom([]string{"mo1", "mo2"})
	cmds := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Command {
		switch rapid.IntRange(0, 6).Draw(t, "kind") {
		case 0:
			p := person.Draw(t, "person")
			c := RecordAttendance{MeetingID: "m1", PersonID: p, Name: p, Attendance: rapid.SampledFrom([]string{Present, Absent, Proxy}).Draw(t, "att")}
			if c.Attendance == Proxy {
				c.HolderID, c.Authority = person.Draw(t, "holder"), "委托书"
			}
			return c
		case 1:
			return TableMotion{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), ItemID: "i1", Text: "x", Options: yesNo,
				Rule: Rule{Kind: rapid.SampledFrom([]string{RuleSimpleMajority, RuleTwoThirds, RuleAbsoluteMajority}).Draw(t, "rule"), QuorumPercent: rapid.IntRange(0, 100).Draw(t, "q")}}
		case 2:
			return OpenVoting{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), Electorate: electorateOf(people[:rapid.IntRange(1, 4).Draw(t, "n")]...)}
		case 3, 4:
			v := person.Draw(t, "voter")
			return CastVote{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), VoterID: v, CastBy: person.Draw(t, "by"), OptionID: rapid.SampledFrom([]string{"yes", "no", ""}).Draw(t, "option")}
		case 5:
			return CloseVoting{MeetingID: "m1", MotionID: motion.Draw(t, "motion")}
		}
		return RecordStatement{MeetingID: "m1", ItemID: "i1", Speaker: Voter{"v1", "甲"}, Summary: fmt.Sprint(rapid.Int().Draw(t, "n"))}
	}), 0, 40).Draw(t, "commands")
	for _, c := range cmds {
		events, err := Decide(history, c, now)
		if err != nil && (events != nil || ErrorCode(err) == CodeInternal) {
			t.Fatalf("refusal %v came with events %v", err, events)
		}
		history = append(history, events...)
	}
	return history
}

func TestPropertyFoldIsDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		events := randomMeeting(t)
		a, b := FoldMeeting(events), FoldMeeting(events)
		if !reflect.DeepEqual(a, b) {
			t.Fatal("folding the same events twice gave different states")
		}
		decoded := stored(t, events)
		if normaliseState(t, FoldMeeting(decoded)) != normaliseState(t, a) {
			t.Fatal("folding the stored events gave another state than folding the decided ones")
		}
		for _, m := range a.Motions {
			if m.Tally != nil {
				sum := m.Tally.Abstentions
				for _, o := range m.Tally.Options {
					sum += o.Votes
				}
				if sum != m.Tally.Ballots {
					t.Fatalf("tally does not add up: %+v", m.Tally)
				}
			}
		}
	})
}

// normaliseState renders a state as JSON so that time zones compare equal.
func normaliseState(t *rapid.T, s MeetingState) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPropertyProposalLifecycle drives a proposal and its actions with
// random commands and follow-ups, and checks that every fold is
// deterministic, survives the catalogue, and that a closed proposal never
// has an open action or lacks a verified one.
func TestPropertyProposalLifecycle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		streams := map[string][]Event{}
		if err := decideInto(streams, submit, 0); err != nil {
			t.Fatal(err)
		}
		action := rapid.SampledFrom([]string{"a1", "a2"})
		cmds := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Command {
			a := action.Draw(t, "action")
			switch rapid.IntRange(0, 9).Draw(t, "kind") {
			case 0:
				return SupportProposal{ProposalID: "p1", PersonID: rapid.SampledFrom([]string{"r1", "r2", "r3"}).Draw(t, "who"), Name: "x"}
			case 1:
				return AcceptProposal{ProposalID: "p1", Owner: gridHead, By: "h1"}
			case 2:
				return AssignAction{ActionID: a, CommunityID: community, GridID: "g1", ProposalID: "p1", Title: "x", Owner: contractor, Due: due, By: "h1"}
			case 3:
				return StartAction{ActionID: a}
			case 4:
				return CompleteAction{ActionID: a, Evidence: []string{photo}}
			case 5:
				return VerifyAction{ActionID: a, Verifier: verifier, Satisfied: rapid.Bool().Draw(t, "satisfied"), Reason: "x"}
			case 6:
				return CancelAction{ActionID: a, Reason: "x", By: "h1"}
			case 7:
				return CloseProposal{ProposalID: "p1", By: "h1"}
			case 8:
				return ReopenProposal{ProposalID: "p1", Reason: "x", By: "r1"}
			}
			return RejectProposal{ProposalID: "p1", Reason: "x", By: "h1"}
		}), 0, 30).Draw(t, "commands")
		for _, c := range cmds {
			if a, ok := c.(AssignAction); ok && FoldProposal(streams[ProposalStream(a.ProposalID)]).terminal() {
				// Refused across aggregates, by the ledger (checkAssign: an
				// action needs an open proposal), which this harness does
				// not run: the action's stream cannot see its proposal's.
				continue
			}
			if err := decideInto(streams, c, 0); err != nil && ErrorCode(err) == CodeInternal {
				t.Fatal(err)
			}
			p := FoldProposal(streams[ProposalStream("p1")])
			if p.Status == StatusClosed && (len(p.OpenActions()) > 0 || !p.Verified) {
				t.Fatalf("closed with open actions %v or nothing verified: %+v", p.OpenActions(), p)
			}
		}
		for name, events := range streams {
			decoded := stored(t, events)
			a, b, c := fold(name, events), fold(name, events), fold(name, decoded)
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			jc, _ := json.Marshal(c)
			if string(ja) != string(jb) || string(ja) != string(jc) {
				t.Fatalf("%s folds differently:\n%s\n%s\n%s", name, ja, jb, jc)
			}
		}
	})
}

// stored returns events as the store gives them back: encoded, then
// decoded.
func stored(t *rapid.T, events []Event) []Event {
	out := make([]Event, len(events))
	for i, e := range events {
		typ, data, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if out[i], err = Decode(typ, data); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
