package pebble

import (
	"context"
	"fmt"
	"iter"

	"github.com/yishi-civic/yishi/eventstore"
)

// Subscribe yields the events after opts.After that pass opts.Filter: first
// those already stored, then a CaughtUp checkpoint, then each new group as
// the committer publishes it. See eventstore.Store.
//
// It reads the log in chunks up to the published position and then waits for
// the next publication; since positions are only published after the commit
// that wrote them, and in order, nothing is skipped between catch-up and
// live. When filtered-out events move the log past the last delivered event,
// a checkpoint delivery carries the new position.
func (s *Store) Subscribe(ctx context.Context, opts eventstore.SubscribeOptions) iter.Seq2[eventstore.Delivery, error] {
	return func(yield func(eventstore.Delivery, error) bool) {
		fail := func(err error) { yield(eventstore.Delivery{}, fmt.Errorf("subscribe: %w", err)) }
		if err := s.usable(); err != nil {
			fail(err)
			return
		}
		target, _ := s.published()
		seen := opts.After      // every position up to seen was scanned
		delivered := opts.After // the position of the last delivery
		caughtUp := false
		for {
			head, wake := s.published()
			for seen < head {
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				evs, next, more, err := s.logChunk(eventstore.Forwards, seen+1, head, opts.Filter)
				if err != nil {
					fail(err)
					return
				}
				for i := range evs {
					if !yield(eventstore.Delivery{Event: &evs[i], Position: evs[i].Position}, nil) {
						return
					}
					delivered = evs[i].Position
				}
				if !more {
					seen = head
				} else {
					seen = next - 1
				}
			}
			if !caughtUp && seen >= target {
				caughtUp = true
				if !yield(eventstore.Delivery{Position: seen, CaughtUp: true}, nil) {
					return
				}
				delivered = seen
			}
			if caughtUp && delivered < seen {
				if !yield(eventstore.Delivery{Position: seen}, nil) {
					return
				}
				delivered = seen
			}
			select {
			case <-wake:
			case <-ctx.Done():
				fail(ctx.Err())
				return
			case <-s.done:
				fail(eventstore.ErrClosed)
				return
			}
		}
	}
}
