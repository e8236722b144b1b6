package domain

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// now is the clock of every spec.
var now = time.Date(2026, 7, 15, 19, 30, 0, 0, time.FixedZone("CST", 8*3600))

// spec is one given/when/then case: given these events on the target
// stream, when this command, then these events, or a refusal with this
// code and reason.
type spec struct {
	name  string
	given []Event
	when  Command
	then  []Event
	code  Code
	// reason is the refusal's key; empty when the command must succeed.
	reason string
	// field, when set, is the field the refusal must name.
	field string
}

// run checks every spec: the decision, and that the resulting events
// survive the catalogue and fold without a panic.
func run(t *testing.T, specs []spec) {
	t.Helper()
	for _, s := range specs {
		t.Run(s.name, func(t *testing.T) {
			got, err := Decide(s.given, s.when, now)
			if s.reason != "" {
				if err == nil {
					t.Fatalf("want refusal %s, got events %+v", s.reason, got)
				}
				var de *Error
				if !errors.As(err, &de) || de.Reason != s.reason || de.Code != s.code {
					t.Fatalf("want %s/%s, got %v", s.code, s.reason, err)
				}
				if s.field != "" && de.Field != s.field {
					t.Fatalf("want field %q, got %q", s.field, de.Field)
				}
				if de.Message == "" || de.MessageZH == "" {
					t.Fatalf("refusal %s lacks a message: %+v", s.reason, de)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected refusal: %v", err)
			}
			if !reflect.DeepEqual(got, s.then) {
				t.Fatalf("events:\n got %#v\nwant %#v", got, s.then)
			}
			for _, e := range got {
				roundTrip(t, e)
			}
			fold(s.when.Stream(), append(append([]Event{}, s.given...), got...))
		})
	}
}

// roundTrip encodes and decodes e and checks it comes back equal.
func roundTrip(t testing.TB, e Event) {
	t.Helper()
	typ, data, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(typ, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalise(back), normalise(e)) {
		t.Fatalf("round trip of %s:\n got %#v\nwant %#v", typ, back, e)
	}
}

// normalise re-encodes an event so that times in different zones and nil
// versus empty slices compare equal.
func normalise(e Event) string {
	_, data, _ := Encode(e)
	return string(data)
}

// fold folds events with the fold of the stream's aggregate.
func fold(stream string, events []Event) any {
	switch category(stream) {
	case "organisation":
		return FoldOrganisation(events)
	case "proposal":
		return FoldProposal(events)
	case "meeting":
		return FoldMeeting(events)
	case "action":
		return FoldAction(events)
	case "subscriber":
		return FoldSubscriber(events)
	case "notification":
		return FoldNotification(events)
	case "reminder":
		return len(events)
	case "service":
		return FoldService(events)
	case "points":
		return FoldPoints(events)
	case "wish":
		return FoldWish(events)
	}
	panic("no aggregate for " + stream)
}

// decideAll runs commands one after the other, each on the history of its
// own stream, running follow-ups as the application layer does; it returns
// every stream's events. It fails the test on any refusal.
func decideAll(t testing.TB, streams map[string][]Event, cmds ...Command) {
	t.Helper()
	for _, c := range cmds {
		if err := decideInto(streams, c, 0); err != nil {
			t.Fatalf("%T: %v", c, err)
		}
	}
}

func decideInto(streams map[string][]Event, c Command, depth int) error {
	if depth > 4 {
		return &Error{Code: CodeInternal, Reason: "follow_up_loop", Message: "follow-ups nest too deep"}
	}
	st := c.Stream()
	events, err := Decide(streams[st], c, now)
	if err != nil {
		return err
	}
	streams[st] = append(streams[st], events...)
	for _, f := range FollowUps(st, events) {
		if err := decideInto(streams, f, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// types returns the event types of events, joined, for short assertions.
func types(events []Event) string {
	var out []string
	for _, e := range events {
		out = append(out, e.EventType())
	}
	return strings.Join(out, " ")
}
