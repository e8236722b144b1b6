package kurrent_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// patience bounds every wait for a delivery; it guards against hangs and is
// no assertion about speed.
const patience = 20 * time.Second

// subscriber runs a subscription in the background and checks, as it
// receives them, that positions never go back and no event comes twice.
type subscriber struct {
	tb   testing.TB
	out  chan eventstore.Delivery
	errc chan error
	stop context.CancelFunc
}

func subscribe(tb testing.TB, s eventstore.Store, opts eventstore.SubscribeOptions) *subscriber {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sub := &subscriber{tb: tb, out: make(chan eventstore.Delivery, 1024), errc: make(chan error, 1), stop: cancel}
	go func() {
		seen := make(map[uuid.UUID]bool)
		var last eventstore.Position
		for d, err := range s.Subscribe(ctx, opts) {
			if err != nil {
				sub.errc <- err
				return
			}
			if d.Position < last || (d.Event != nil && d.Position == last && last != 0) {
				sub.errc <- errorf("delivery at %d after %d", d.Position, last)
				return
			}
			last = d.Position
			if d.Event != nil {
				if seen[d.Event.ID] {
					sub.errc <- errorf("event %s delivered twice", d.Event.ID)
					return
				}
				seen[d.Event.ID] = true
			}
			sub.out <- d
		}
		sub.errc <- nil
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-sub.errc:
			if err != nil && !errors.Is(err, context.Canceled) {
				tb.Errorf("subscription ended with %v", err)
			}
		case <-time.After(patience):
			tb.Error("subscription did not end after its context was cancelled")
		}
	})
	return sub
}

type testError string

func (e testError) Error() string { return string(e) }

func errorf(format string, args ...any) error {
	return testError(fmt.Sprintf(format, args...))
}

// next returns the next delivery, failing the test if none comes.
func (sub *subscriber) next() eventstore.Delivery {
	sub.tb.Helper()
	select {
	case d := <-sub.out:
		return d
	case err := <-sub.errc:
		sub.tb.Fatalf("subscription ended: %v", err)
	case <-time.After(patience):
		sub.tb.Fatal("no delivery")
	}
	return eventstore.Delivery{}
}

// events returns the next n events, skipping checkpoints; caughtUp tells
// whether a CaughtUp checkpoint came among them.
func (sub *subscriber) events(n int) (events []eventstore.Event, caughtUp bool) {
	sub.tb.Helper()
	for len(events) < n {
		d := sub.next()
		if d.Event == nil {
			caughtUp = caughtUp || d.CaughtUp
			continue
		}
		events = append(events, *d.Event)
	}
	return events, caughtUp
}

// untilCaughtUp returns the events delivered before the CaughtUp checkpoint.
func (sub *subscriber) untilCaughtUp() []eventstore.Event {
	sub.tb.Helper()
	var events []eventstore.Event
	for {
		d := sub.next()
		if d.CaughtUp {
			return events
		}
		if d.Event != nil {
			events = append(events, *d.Event)
		}
	}
}

func ids(events []eventstore.Event) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func sameIDs(tb testing.TB, what string, got []eventstore.Event, want []eventstore.EventData) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s: %d events %v, want %d", what, len(got), ids(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			tb.Fatalf("%s: event %d is %s, want %s", what, i, got[i].ID, want[i].ID)
		}
	}
}

func TestSubscribeCatchUpThenLive(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	var past []eventstore.EventData
	for i := range 40 {
		e := event("proposal.submitted.v1", i)
		past = append(past, e)
		mustAppend(t, s, "proposal-"+uuid.NewString(), eventstore.NoStream(), e)
	}
	sub := subscribe(t, s, eventstore.SubscribeOptions{})
	sameIDs(t, "catch-up", sub.untilCaughtUp(), past)
	live := event("proposal.supported.v1", 99)
	mustAppend(t, s, "proposal-live", eventstore.Any(), live)
	got, _ := sub.events(1)
	sameIDs(t, "live", got, []eventstore.EventData{live})

	// Resuming from a delivered position is exclusive of it.
	from := subscribe(t, s, eventstore.SubscribeOptions{After: got[0].Position - 1})
	again, _ := from.events(1)
	sameIDs(t, "resume just before the live event", again, []eventstore.EventData{live})
	empty := subscribe(t, s, eventstore.SubscribeOptions{After: got[0].Position})
	if d := empty.next(); !d.CaughtUp || d.Position != got[0].Position {
		t.Errorf("subscription from the head: first delivery %+v, want CaughtUp at %d", d, got[0].Position)
	}
}

func TestSubscribeFilters(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	var wantBoth, wantType []eventstore.EventData
	for i := range 100 {
		stream, typ := "meeting-m", "meeting.opened.v1"
		if i%3 == 0 {
			stream = "proposal-p"
		}
		if i%2 == 0 {
			typ = "vote.cast.v1"
		}
		e := event(typ, i)
		mustAppend(t, s, stream, eventstore.Any(), e)
		if typ == "vote.cast.v1" {
			wantType = append(wantType, e)
			if stream == "meeting-m" {
				wantBoth = append(wantBoth, e)
			}
		}
	}
	both := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{"meeting-"}, TypePrefixes: []string{"vote."}}})
	sameIDs(t, "stream and type filter", both.untilCaughtUp(), wantBoth)
	byType := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{TypePrefixes: []string{"vote."}}})
	sameIDs(t, "type filter", byType.untilCaughtUp(), wantType)

	// Checkpoints arrive while filtered-out events go by.
	none := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{"seal-"}}})
	var checkpoints int
	for {
		d := none.next()
		if d.Event != nil {
			t.Fatalf("filter let %s through", d.Event.Stream)
		}
		if d.CaughtUp {
			break
		}
		checkpoints++
	}
	if checkpoints == 0 {
		t.Error("no checkpoint during a catch-up over 100 filtered-out events")
	}
}

func TestSubscriptionSurvivesDrops(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	sub := subscribe(t, s, eventstore.SubscribeOptions{})
	sub.untilCaughtUp()
	var want []eventstore.EventData
	for round := range 5 {
		for i := range 10 {
			e := event("action.progressed.v1", round*10+i)
			want = append(want, e)
			mustAppend(t, s, "action-a", eventstore.Any(), e)
		}
		srv.DropSubscriptions()
	}
	got, _ := sub.events(len(want))
	sameIDs(t, "after drops", got, want)
}

func TestSubscriptionSurvivesDropsDuringCatchUp(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	var want []eventstore.EventData
	for i := range 30 {
		batch := make([]eventstore.EventData, 100)
		for j := range batch {
			batch[j] = event("statement.recorded.v1", i*100+j)
		}
		want = append(want, batch...)
		mustAppend(t, s, fmt.Sprintf("meeting-%d", i), eventstore.NoStream(), batch...)
	}
	sub := subscribe(t, s, eventstore.SubscribeOptions{})
	var got []eventstore.Event
	for len(got) < len(want) {
		more, _ := sub.events(min(500, len(want)-len(got)))
		got = append(got, more...)
		srv.DropSubscriptions()
	}
	sameIDs(t, "catch-up with drops", got, want)
	// The first drop hits a live subscription, so the adapter must
	// subscribe again; how many later drops find one in flight depends on
	// how far ahead the client had read, which varies with the load.
	deadline := time.Now().Add(patience)
	for srv.Subscriptions() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the server saw %d subscriptions, want a resubscription after the drops", srv.Subscriptions())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSubscriptionSurvivesRestart(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	before := []eventstore.EventData{event("proposal.submitted.v1", 1), event("proposal.triaged.v1", 2)}
	mustAppend(t, s, "proposal-r", eventstore.NoStream(), before...)
	sub := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{"proposal-"}}})
	sameIDs(t, "before restart", sub.untilCaughtUp(), before)

	srv.Stop()
	// The adapter notices: appends fail as unavailable meanwhile.
	if _, err := s.Append(context.Background(), "proposal-r", eventstore.Exact(1), event("proposal.merged.v1", 3)); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("append while the node is down: %v, want ErrUnavailable", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	after := []eventstore.EventData{event("proposal.merged.v1", 3), event("proposal.closed.v1", 4)}
	appendEventually(t, s, "proposal-r", eventstore.Exact(1), after...)
	got, _ := sub.events(len(after))
	sameIDs(t, "after restart", got, after)
}

// appendEventually retries an append while the store reports unavailable,
// as a caller riding out a node restart does.
func appendEventually(tb testing.TB, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, events ...eventstore.EventData) {
	tb.Helper()
	appendWithin(tb, patience, s, stream, exp, events...)
}

// appendWithin is appendEventually giving up after limit.
func appendWithin(tb testing.TB, limit time.Duration, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, events ...eventstore.EventData) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		_, err := s.Append(context.Background(), stream, exp, events...)
		if err == nil {
			return
		}
		if !errors.Is(err, eventstore.ErrUnavailable) || time.Now().After(deadline) {
			tb.Fatalf("append to %s: %v", stream, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSubscribeEndsOnClose(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	errc := make(chan error, 1)
	go func() {
		for _, err := range s.Subscribe(context.Background(), eventstore.SubscribeOptions{}) {
			if err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("subscription ended with %v, want ErrClosed", err)
		}
	case <-time.After(patience):
		t.Fatal("subscription still running after Close")
	}
}

func TestSubscriptionSurvivesLongOutage(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	// A short default deadline shortens the wait for calls stuck in a client
	// that has shut itself down.
	s, err := kurrent.Open(context.Background(), srv.ConnectionString()+"&defaultDeadline=1000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	sub := subscribe(t, s, eventstore.SubscribeOptions{})
	sub.untilCaughtUp()
	first := event("meeting.scheduled.v1", 1)
	mustAppend(t, s, "meeting-o", eventstore.NoStream(), first)
	got, _ := sub.events(1)
	sameIDs(t, "before the outage", got, []eventstore.EventData{first})

	srv.Stop()
	// Long enough for the client to give up discovery and shut itself down
	// (about a second with the default ten attempts): the adapter must
	// replace it.
	for i := range 4 {
		if _, err := s.Append(context.Background(), "meeting-o", eventstore.Exact(0), event("meeting.opened.v1", i)); !errors.Is(err, eventstore.ErrUnavailable) {
			t.Fatalf("append %d while the node is down: %v, want ErrUnavailable", i, err)
		}
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	after := event("meeting.opened.v1", 2)
	appendEventually(t, s, "meeting-o", eventstore.Exact(0), after)
	got, _ = sub.events(1)
	sameIDs(t, "after the outage", got, []eventstore.EventData{after})
}

// TestCaughtUpWithoutServerMessage covers servers that send no caught-up
// message: the adapter marks the subscription caught up once it passes the
// head of $all it read at the start.
func TestCaughtUpWithoutServerMessage(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	srv.OmitCaughtUp()
	s := mustOpen(t, srv)
	var past []eventstore.EventData
	for i := range 5 {
		e := event("proposal.submitted.v1", i)
		past = append(past, e)
		mustAppend(t, s, "proposal-nc", eventstore.Any(), e)
	}
	sub := subscribe(t, s, eventstore.SubscribeOptions{})
	sameIDs(t, "catch-up without a caught-up message", sub.untilCaughtUp(), past)
	live := event("proposal.supported.v1", 9)
	mustAppend(t, s, "proposal-nc", eventstore.Any(), live)
	got, again := sub.events(1)
	sameIDs(t, "live", got, []eventstore.EventData{live})
	if again {
		t.Error("a second CaughtUp checkpoint")
	}
}

// TestCloseWhileConsumerHoldsDelivery closes the store while a subscription
// waits for its consumer, which has stopped reading, to take a delivery (on
// a server shared with other writers, checkpoints keep coming). Close must
// not wait for that consumer.
func TestCloseWhileConsumerHoldsDelivery(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s, err := kurrent.Open(context.Background(), srv.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	taken := make(chan eventstore.Delivery)
	ended := make(chan error, 1)
	go func() {
		for d, err := range s.Subscribe(context.Background(), eventstore.SubscribeOptions{}) {
			if err != nil {
				ended <- err
				return
			}
			taken <- d // the test stops taking after the first event
		}
		ended <- nil
	}()
	for d := range taken {
		if d.CaughtUp {
			break
		}
	}
	mustAppend(t, s, "proposal-h", eventstore.NoStream(), event("proposal.submitted.v1", 1), event("proposal.triaged.v1", 2))
	<-taken // the first event; the second waits in the subscription
	if err := s.Close(); err != nil {
		t.Fatalf("close while a consumer holds a delivery: %v", err)
	}
	// The consumer comes back: the subscription ends with ErrClosed.
	timeout := time.After(patience)
	for {
		select {
		case <-taken:
		case err := <-ended:
			if !errors.Is(err, eventstore.ErrClosed) {
				t.Errorf("subscription ended with %v, want ErrClosed", err)
			}
			return
		case <-timeout:
			t.Fatal("subscription still running after Close")
		}
	}
}
