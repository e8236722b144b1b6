package kurrent

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/yishi-civic/yishi/eventstore"
)

// maxFailures is how many times in a row a subscription resubscribes after
// errors other than unavailability before it gives up and yields the error.
const maxFailures = 5

// Subscribe yields every event after opts.After; see eventstore.Store. It is
// a catch-up subscription to $all that resumes from the last position it has
// seen whenever the server drops it (a restart, a slow consumer aborted, a
// new leader), so a consumer sees neither gaps nor duplicates. One of the
// filter's parts runs on the server (stream prefixes if given, else type
// prefixes, else the exclusion of system events); the rest runs here.
func (s *Store) Subscribe(ctx context.Context, opts eventstore.SubscribeOptions) iter.Seq2[eventstore.Delivery, error] {
	return func(yield func(eventstore.Delivery, error) bool) {
		ctx, cancel := s.withLife(ctx)
		defer cancel()
		sub := &subscription{s: s, filter: opts.Filter, emitted: opts.After, delay: s.retryDelay}
		if opts.After != eventstore.Start {
			c := toCommit(opts.After)
			sub.last, sub.started = esdb.Position{Commit: c, Prepare: c}, true
		}
		sub.run(ctx, yield)
	}
}

// subscription is the state of one Subscribe call across resubscriptions.
type subscription struct {
	s      *Store
	filter eventstore.Filter

	// last is the $all position of the newest event or checkpoint received;
	// started is false while nothing has been received after Start.
	last    esdb.Position
	started bool
	// emitted is the highest Yishi position yielded (or After).
	emitted eventstore.Position

	head     uint64 // commit position of the newest record when the subscription began
	haveHead bool   // the log had a record then
	knowHead bool   // head has been read
	caughtUp bool   // the CaughtUp checkpoint has been yielded

	failures int
	delay    time.Duration
}

// run subscribes, delivers and resubscribes until ctx ends, the store closes,
// the consumer stops or an error cannot be retried.
func (sub *subscription) run(ctx context.Context, yield func(eventstore.Delivery, error) bool) {
	s := sub.s
	for {
		if !sub.knowHead {
			h, ok, err := s.head(ctx)
			if err != nil {
				if !sub.retry(ctx, err, yield) {
					return
				}
				continue
			}
			sub.head, sub.haveHead, sub.knowHead = h, ok, true
			if !ok || (sub.started && h <= sub.last.Commit) {
				sub.caughtUp = true
				if !yield(eventstore.Delivery{Position: sub.emitted, CaughtUp: true}, nil) {
					return
				}
			}
		}
		c, err := s.begin()
		if err != nil {
			yield(eventstore.Delivery{}, fmt.Errorf("subscribe to $all: %w", err))
			return
		}
		more, err := sub.receive(ctx, c, yield)
		if !more {
			return
		}
		if !sub.retry(ctx, err, yield) {
			return
		}
	}
}

// receive runs one server subscription on c, whose registration (see
// Store.begin) it ends once subscribed: from then on it only reads the
// subscription's stream, which Close ends, and Close must not wait for a
// consumer that holds a delivery and reads no more. It returns more ==
// false when the Subscribe call is over, else the error that dropped the
// subscription.
func (sub *subscription) receive(ctx context.Context, c *conn, yield func(eventstore.Delivery, error) bool) (more bool, err error) {
	opts := esdb.SubscribeToAllOptions{From: esdb.Start{}, Filter: sub.serverFilter()}
	if sub.started {
		opts.From = sub.last
	}
	h, err := guard(ctx, c, sub.s.callLimit, func() (*esdb.Subscription, error) {
		return c.SubscribeToAll(ctx, opts)
	}, func(h *esdb.Subscription) { _ = h.Close() })
	c.calls.Done()
	if err != nil {
		return true, sub.s.translate(ctx, c, "subscribe to $all", err)
	}
	defer h.Close()
	for {
		ev := h.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			return true, sub.s.translate(ctx, c, "subscription to $all", ev.SubscriptionDropped.Error)
		case ev.EventAppeared != nil:
			sub.progress()
			if !sub.event(ev.EventAppeared, yield) {
				return false, nil
			}
		case ev.CheckPointReached != nil:
			sub.progress()
			if !sub.checkpoint(*ev.CheckPointReached, yield) {
				return false, nil
			}
		case ev.CaughtUp != nil:
			sub.progress()
			if !sub.markCaughtUp(yield) {
				return false, nil
			}
		}
	}
}

// event delivers one received event unless it was delivered before (the
// server repeats nothing, but a resubscription from a checkpoint might), the
// client-side part of the filter drops it, or another application wrote it
// (see Store.ForeignEvents).
func (sub *subscription) event(re *esdb.ResolvedEvent, yield func(eventstore.Delivery, error) bool) bool {
	r := re.Event
	if r == nil {
		return true
	}
	if sub.started && !after(r.Position, sub.last) {
		return true
	}
	sub.last, sub.started = r.Position, true
	if !sub.filter.Match(r.StreamID, r.EventType) {
		return sub.caughtUpByHead(yield)
	}
	e, ok, err := convert(re)
	if err != nil {
		sub.s.skipForeign(r, err)
		ok = false
	}
	if ok {
		if e.Position > sub.emitted {
			sub.emitted = e.Position
		}
		if !yield(eventstore.Delivery{Event: &e, Position: e.Position}, nil) {
			return false
		}
	}
	return sub.caughtUpByHead(yield)
}

// checkpoint passes on the server's checkpoint: every event up to it has
// been delivered or filtered out. It takes the server's checkpoint position
// to be that of the last record scanned (KurrentDB's "last indexed
// position"), so that resuming exclusively from it misses nothing.
func (sub *subscription) checkpoint(p esdb.Position, yield func(eventstore.Delivery, error) bool) bool {
	if sub.started && p.Commit <= sub.last.Commit {
		return true
	}
	if p.Prepare == 0 { // some servers send checkpoints without a prepare position
		p.Prepare = p.Commit
	}
	sub.last, sub.started = p, true
	if pos := fromCommit(p.Commit); pos > sub.emitted {
		sub.emitted = pos
		if !yield(eventstore.Delivery{Position: pos}, nil) {
			return false
		}
	}
	return sub.caughtUpByHead(yield)
}

// markCaughtUp yields the CaughtUp checkpoint, once per Subscribe call, when
// the server says the subscription has caught up. Everything up to the head
// read at the start has then been delivered or filtered out.
func (sub *subscription) markCaughtUp(yield func(eventstore.Delivery, error) bool) bool {
	if sub.caughtUp {
		return true
	}
	sub.caughtUp = true
	if sub.haveHead {
		if pos := fromCommit(sub.head); pos > sub.emitted {
			sub.emitted = pos
		}
	}
	return yield(eventstore.Delivery{Position: sub.emitted, CaughtUp: true}, nil)
}

// caughtUpByHead marks the subscription caught up once it has passed the
// head read at the start, for servers that send no caught-up message.
func (sub *subscription) caughtUpByHead(yield func(eventstore.Delivery, error) bool) bool {
	if sub.caughtUp || !sub.haveHead || !sub.started || sub.last.Commit < sub.head {
		return true
	}
	return sub.markCaughtUp(yield)
}

// progress resets the backoff once the server delivers again.
func (sub *subscription) progress() {
	sub.failures, sub.delay = 0, sub.s.retryDelay
}

// retry decides after a failure whether to resubscribe; if so it waits the
// backoff first. Otherwise it yields the reason and returns false.
func (sub *subscription) retry(ctx context.Context, err error, yield func(eventstore.Delivery, error) bool) bool {
	s := sub.s
	switch {
	case s.isClosed():
		yield(eventstore.Delivery{}, fmt.Errorf("subscribe to $all: %w", eventstore.ErrClosed))
		return false
	case ctx.Err() != nil:
		yield(eventstore.Delivery{}, fmt.Errorf("subscribe to $all: %w", ctx.Err()))
		return false
	case permanent(err):
		yield(eventstore.Delivery{}, err)
		return false
	case !errors.Is(err, eventstore.ErrUnavailable):
		sub.failures++
		if sub.failures > maxFailures {
			yield(eventstore.Delivery{}, fmt.Errorf("subscribe to $all: giving up after %d failures: %w", sub.failures, err))
			return false
		}
	}
	t := time.NewTimer(sub.delay)
	defer t.Stop()
	sub.delay = min(2*sub.delay, s.maxRetryDelay)
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return sub.retry(ctx, ctx.Err(), yield)
	}
}

// serverFilter is the part of the filter the server applies. It always keeps
// system events out: a prefix filter does so because Yishi's stream names
// and types never start with $.
func (sub *subscription) serverFilter() *esdb.SubscriptionFilter {
	switch {
	case len(sub.filter.StreamPrefixes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: sub.filter.StreamPrefixes}
	case len(sub.filter.TypePrefixes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Prefixes: sub.filter.TypePrefixes}
	default:
		return esdb.ExcludeSystemEventsFilter()
	}
}

// after reports whether position a comes after b in $all.
func after(a, b esdb.Position) bool {
	return a.Commit > b.Commit || (a.Commit == b.Commit && a.Prepare > b.Prepare)
}
