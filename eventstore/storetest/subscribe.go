package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// subscription consumes a Subscribe in a goroutine so that a test can wait
// for deliveries with a guard against hangs.
type subscription struct {
	deliveries chan eventstore.Delivery
	end        chan error // receives the error the subscription ended with
	cancel     context.CancelFunc
	last       eventstore.Position
}

func subscribe(t *testing.T, s eventstore.Store, opts eventstore.SubscribeOptions) *subscription {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sub := &subscription{deliveries: make(chan eventstore.Delivery), end: make(chan error, 1), cancel: cancel}
	go func() {
		for d, err := range s.Subscribe(ctx, opts) {
			if err != nil {
				sub.end <- err
				return
			}
			select {
			case sub.deliveries <- d:
			case <-ctx.Done():
				sub.end <- ctx.Err()
				return
			}
		}
		sub.end <- nil
	}()
	t.Cleanup(cancel)
	return sub
}

// next returns the next delivery and checks that positions never go back
// and that events are never at or before an earlier delivery.
func (sub *subscription) next(t *testing.T) eventstore.Delivery {
	t.Helper()
	select {
	case d := <-sub.deliveries:
		if d.Event != nil {
			require.Greater(t, d.Position, sub.last, "event %s delivered at or before an earlier position", d.Event.ID)
			require.Equal(t, d.Event.Position, d.Position)
		} else {
			require.GreaterOrEqual(t, d.Position, sub.last, "checkpoint went back")
		}
		sub.last = d.Position
		return d
	case err := <-sub.end:
		t.Fatalf("subscription ended early: %v", err)
	case <-time.After(waitLimit):
		t.Fatalf("no delivery within %s", waitLimit)
	}
	return eventstore.Delivery{}
}

// events reads deliveries until n events arrived, skipping checkpoints other
// than the CaughtUp one, which it refuses: use untilCaughtUp for catch-up.
func (sub *subscription) events(t *testing.T, n int) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for len(out) < n {
		d := sub.next(t)
		require.False(t, d.CaughtUp, "a second CaughtUp")
		if d.Event != nil {
			out = append(out, *d.Event)
		}
	}
	return out
}

// untilCaughtUp returns the events delivered before the CaughtUp checkpoint,
// and that checkpoint.
func (sub *subscription) untilCaughtUp(t *testing.T) ([]eventstore.Event, eventstore.Delivery) {
	t.Helper()
	var out []eventstore.Event
	for {
		d := sub.next(t)
		if d.CaughtUp {
			require.Nil(t, d.Event, "CaughtUp is a checkpoint")
			return out, d
		}
		if d.Event != nil {
			out = append(out, *d.Event)
		}
	}
}

func testSubscribeCatchUpThenLive(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	cat := category(t)
	stream := streamIn(cat)
	before := evs(t, "test.happened.v1", 0, 5)
	res := mustAppend(t, s, stream, eventstore.NoStream(), before...)

	sub := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}}})
	caught, marker := sub.untilCaughtUp(t)
	assert.Equal(t, dataIDs(before), ids(caught), "catch-up delivers what was stored")
	assert.GreaterOrEqual(t, marker.Position, res.Position, "CaughtUp covers the stored events")

	after := evs(t, "test.happened.v1", 5, 3)
	res = mustAppend(t, s, stream, eventstore.Exact(4), after[:2]...)
	mustAppend(t, s, streamIn(cat), eventstore.NoStream(), after[2])
	live := sub.events(t, 3)
	assert.Equal(t, dataIDs(after), ids(live), "live delivers new events in commit order")
	assert.Equal(t, res.Position, live[1].Position)
}

func testSubscribeFromCheckpoint(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	cat := category(t)
	stream := streamIn(cat)
	written := evs(t, "test.happened.v1", 0, 6)
	var checkpoint eventstore.Position
	for i, e := range written {
		res := mustAppend(t, s, stream, eventstore.Any(), e)
		if i == 2 {
			checkpoint = res.Position
		}
	}
	sub := subscribe(t, s, eventstore.SubscribeOptions{After: checkpoint, Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}}})
	caught, _ := sub.untilCaughtUp(t)
	assert.Equal(t, dataIDs(written[3:]), ids(caught), "only events after the checkpoint")
}

func testSubscribeFilters(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	cat, other := category(t), category(t)
	a := streamIn(cat)
	opened := ev(t, "test.opened.v1", 0)
	closed := ev(t, "test.closed.v1", 1)
	mustAppend(t, s, a, eventstore.NoStream(), opened, closed)
	mustAppend(t, s, streamIn(other), eventstore.NoStream(), ev(t, "test.opened.v1", 2))

	byStream := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}}})
	byType := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-", other + "-"}, TypePrefixes: []string{"test.clo"}}})
	caught, _ := byStream.untilCaughtUp(t)
	assert.Equal(t, []uuid.UUID{opened.ID, closed.ID}, ids(caught), "stream prefix filter in catch-up")
	caught, _ = byType.untilCaughtUp(t)
	assert.Equal(t, []uuid.UUID{closed.ID}, ids(caught), "type prefix filter in catch-up")

	mustAppend(t, s, streamIn(other), eventstore.NoStream(), ev(t, "test.closed.v1", 3))
	late := ev(t, "test.closed.v1", 4)
	mustAppend(t, s, a, eventstore.Exact(1), late)
	assert.Equal(t, []uuid.UUID{late.ID}, ids(byStream.events(t, 1)), "stream prefix filter live")
	live := byType.events(t, 2)
	assert.Equal(t, late.ID, live[1].ID, "type prefix filter live")
	for _, e := range live {
		assert.Equal(t, "test.closed.v1", e.Type)
	}
}

func testSubscribeFilteredCheckpoints(t *testing.T, f Features, open Open) {
	if !f.FilteredCheckpoints {
		t.Skip("the backend declares that it sends checkpoints at its own pace, not when filtered-out events arrive (Features.FilteredCheckpoints)")
	}
	s := fresh(t, open)
	cat, other := category(t), category(t)
	sub := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}}})
	sub.untilCaughtUp(t)
	res := mustAppend(t, s, streamIn(other), eventstore.NoStream(), ev(t, "test.happened.v1", 0))
	for {
		d := sub.next(t)
		require.Nil(t, d.Event, "an event the filter drops was delivered")
		if d.Position >= res.Position {
			break
		}
	}
}

func testSubscribeWhileAppending(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	cat := category(t)
	mustAppend(t, s, streamIn(cat), eventstore.NoStream(), ev(t, "test.happened.v1", 0))
	sub := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}}})
	caught, _ := sub.untilCaughtUp(t)
	require.Len(t, caught, 1)

	const writers, perWriter = 8, 25
	var wg sync.WaitGroup
	errs := make([]error, writers)
	written := make([][]eventstore.AppendResult, writers)
	for w := range writers {
		wg.Go(func() {
			stream := streamIn(cat)
			for i := range perWriter {
				n := 1 + i%3 // appends of one to three events
				res, err := s.Append(context.Background(), stream, eventstore.Any(), evs(t, "test.happened.v1", i, n)...)
				if err != nil {
					errs[w] = err
					return
				}
				written[w] = append(written[w], res)
			}
		})
	}
	total := 0
	for i := range perWriter {
		total += writers * (1 + i%3)
	}
	got := sub.events(t, total)
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "writer %d", w)
	}
	byStream := map[string][]eventstore.Event{}
	for _, e := range got {
		byStream[e.Stream] = append(byStream[e.Stream], e)
	}
	require.Len(t, byStream, writers)
	for stream, events := range byStream {
		for i, e := range events {
			require.Equal(t, uint64(i), e.Revision, "stream %s: an event was missed or repeated", stream)
		}
	}
	delivered := map[eventstore.Position]bool{}
	for _, e := range got {
		delivered[e.Position] = true
	}
	for w, results := range written {
		for _, res := range results {
			assert.True(t, delivered[res.Position], "writer %d: acknowledged position %d not delivered", w, res.Position)
		}
	}
}

func testCloseEndsSubscription(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	cat := category(t)
	mustAppend(t, s, streamIn(cat), eventstore.NoStream(), ev(t, "test.happened.v1", 0))
	sub := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}}})
	sub.untilCaughtUp(t)
	require.NoError(t, s.Close())
	timeout := time.After(waitLimit)
	for {
		select {
		case <-sub.deliveries: // on a shared server, checkpoints may still be on their way
		case err := <-sub.end:
			require.ErrorIs(t, err, eventstore.ErrClosed)
			return
		case <-timeout:
			t.Fatalf("subscription still running %s after Close", waitLimit)
		}
	}
}
