package domain

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// randomMeeting drives a meeting with random commands, keeping the events
// of those the decider accepts: refusals must leave no trace.
func randomMeeting(t *rapid.T) []Event {
	history := []Event{scheduled, item1, opened}
	people := []string{"v1", "v2", "v3", "v4"}
	person := rapid.SampledFrom(people)
	motion := rapid.SampledFrom([]string{"mo1", "mo2"})
	mediation := rapid.SampledFrom([]string{"md1", "md2"})
	cmds := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Command {
		// Adjourning (40) is rare, so that most meetings vote a while
		// first; the minutes' commands (34 – 39) need it.
		switch rapid.IntRange(0, 40).Draw(t, "kind") {
		case 0:
			p := person.Draw(t, "person")
			c := RecordAttendance{MeetingID: "m1", PersonID: p, Name: p, Attendance: rapid.SampledFrom([]string{Present, Absent, Proxy}).Draw(t, "att")}
			if c.Attendance == Proxy {
				c.HolderID, c.Authority = person.Draw(t, "holder"), "委托书"
			}
			return c
		case 1:
			return TableMotion{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), ItemID: "i1", Text: "x", Options: yesNo,
				Rule: Rule{Kind: rapid.SampledFrom([]string{RuleSimpleMajority, RuleTwoThirds, RuleAbsoluteMajority, RuleConsensus}).Draw(t, "rule"), QuorumPercent: rapid.IntRange(0, 100).Draw(t, "q")}}
		case 2:
			return OpenVoting{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), Electorate: electorateOf(people[:rapid.IntRange(1, 4).Draw(t, "n")]...)}
		case 3, 4, 11, 12, 13, 14:
			v := person.Draw(t, "voter")
			by := v
			if rapid.IntRange(0, 3).Draw(t, "for another") == 0 {
				by = person.Draw(t, "by")
			}
			return CastVote{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), VoterID: v, CastBy: by, OptionID: rapid.SampledFrom([]string{"yes", "no", ""}).Draw(t, "option")}
		case 5:
			return CloseVoting{MeetingID: "m1", MotionID: motion.Draw(t, "motion")}
		case 7:
			p := person.Draw(t, "objector")
			return RaiseMotionObjection{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), PersonID: p, Name: p, Reason: "x"}
		case 8:
			return WithdrawMotionObjection{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), PersonID: person.Draw(t, "objector")}
		case 9:
			return OfferMediation{MeetingID: "m1", MediationID: mediation.Draw(t, "mediation"), ItemID: "i1", Dispute: "x",
				Parties: []Party{{PartyUnit, "dev", "开发商"}, {PartyPerson, "v1", "甲"}}, Options: []Option{{"a", "维修"}, {"b", "补偿"}}}
		case 10:
			return AgreeMediation{MeetingID: "m1", MediationID: mediation.Draw(t, "mediation"), OptionID: rapid.SampledFrom([]string{"a", "b"}).Draw(t, "agreed")}
		case 15, 16, 17, 18, 19, 20:
			v := person.Draw(t, "voter")
			return CastVote{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), VoterID: v, CastBy: v, OptionID: rapid.SampledFrom([]string{"yes", "no", ""}).Draw(t, "option")}
		case 21, 22:
			p := person.Draw(t, "invited")
			return InviteParticipant{MeetingID: "m1", Participant: Participant{PersonID: p, Name: p, Kind: ParticipantResident}}
		case 23, 24:
			return AmendMotion{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), Text: "y", Options: yesNo, Rule: Rule{Kind: RuleConsensus}, Reason: "x"}
		case 25, 26:
			return RecordConsensus{MeetingID: "m1", MotionID: motion.Draw(t, "motion"), OptionID: rapid.SampledFrom([]string{"yes", "no"}).Draw(t, "agreed")}
		case 34, 35:
			return DraftMinutes{MeetingID: "m1", Summary: "x", Recorder: Voter{"v1", "甲"}, Notes: []MinutesNote{{ItemID: "i1", Text: "y"}}}
		case 36, 37:
			return PublishMinutes{MeetingID: "m1", Summary: "x", ObjectionUntil: now.Add(72 * time.Hour)}
		case 38, 39:
			p := person.Draw(t, "objector")
			return ObjectToMinutes{MeetingID: "m1", PersonID: p, Name: p, Text: "x"}
		case 40:
			return AdjournMeeting{MeetingID: "m1"}
		}
		return RecordStatement{MeetingID: "m1", ItemID: "i1", Speaker: Voter{"v1", "甲"}, Summary: fmt.Sprint(rapid.Int().Draw(t, "n"))}
	}), 30, 120).Draw(t, "commands")
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

// A meeting's state carried forward (FoldMeetingOnto, from a state kept
// for the stream's first events) is the state of folding the whole stream,
// the state it was carried from is left as it was, and a command decided
// on it (DecideMeeting) decides as Decide on the whole history does.
func TestPropertyFoldMeetingOntoIsTheWholeFold(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		events := randomMeeting(t)
		k1 := rapid.IntRange(0, len(events)).Draw(t, "k1")
		k2 := rapid.IntRange(k1, len(events)).Draw(t, "k2")
		first := FoldMeeting(events[:k1])
		kept := normaliseState(t, first)
		middle := FoldMeetingOnto(&first, events[k1:k2])
		other := FoldMeetingOnto(&first, events[k1:]) // a second fold from the same state
		last := FoldMeetingOnto(&middle, events[k2:])
		whole := FoldMeeting(events)
		if !reflect.DeepEqual(last, whole) || !reflect.DeepEqual(other, whole) {
			t.Fatalf("carried forward:\n%s\nwhole:\n%s", normaliseState(t, last), normaliseState(t, whole))
		}
		if normaliseState(t, first) != kept {
			t.Fatal("folding onto a state changed it")
		}
		cmd := CastVote{MeetingID: "m1", MotionID: rapid.SampledFrom([]string{"mo1", "mo2"}).Draw(t, "motion"),
			VoterID: "v1", CastBy: "v1", OptionID: rapid.SampledFrom([]string{"yes", "no"}).Draw(t, "option")}
		want, wantErr := Decide(events, cmd, now)
		got, err := DecideMeeting(last, cmd, now)
		if !reflect.DeepEqual(got, want) || ErrorCode(err) != ErrorCode(wantErr) {
			t.Fatalf("DecideMeeting: %v %v, Decide: %v %v", got, err, want, wantErr)
		}
	})
}

// The parts of a meeting the random meetings seldom or never reach after
// the state was kept: ballots replaced, a mediation agreed, objections
// raised and withdrawn.
func TestFoldMeetingOntoMediationsAndObjections(t *testing.T) {
	said := func(s string) StatementRecorded {
		return StatementRecorded{MeetingID: "m1", ItemID: "i1", Speaker: Voter{"v1", "甲"}, Summary: s}
	}
	consensus := MotionTabled{MeetingID: "m1", MotionID: "mc", ItemID: "i1", Text: "协商", Options: yesNo, Rule: Rule{Kind: RuleConsensus}}
	// Five ballots leave room for three more in their array: a replaced
	// ballot is appended there, and the fold's compaction moves the
	// ballots within it.
	head := []Event{scheduled, item1, opened, tabled, voting, castYes("v1"), castYes("v2"), castYes("v3"), castYes("v4"), castYes("v5"),
		consensus, offered, MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v1"},
		MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v3"}, MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v4"},
		said("一"), said("二"), said("三")}
	tail := []Event{said("四"), VoteChanged{MeetingID: "m1", MotionID: "mo1", VoterID: "v1", CastBy: "v1", OptionID: "no"},
		MediationAgreed{MeetingID: "m1", MediationID: "md1", OptionID: "a", Label: "甲"},
		MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v2"},
		AttendanceRecorded{MeetingID: "m1", PersonID: "v3", Attendance: Present}}
	first := FoldMeeting(head)
	again := FoldMeeting(head)
	got := FoldMeetingOnto(&first, tail)
	// A second fold from the same state, which appends to the same lists.
	other := []Event{said("五"), MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "v5"}, castYes("v4"),
		AttendanceRecorded{MeetingID: "m1", PersonID: "v4", Attendance: Absent},
		MotionObjectionWithdrawn{MeetingID: "m1", MotionID: "mc", PersonID: "v1"}}
	if got, want := FoldMeetingOnto(&first, other), FoldMeeting(append(slices.Clip(head), other...)); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if want := FoldMeeting(append(slices.Clip(head), tail...)); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if !reflect.DeepEqual(first, again) {
		t.Fatalf("the kept state changed: %+v", first)
	}
}
