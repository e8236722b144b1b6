package kurrent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/yishi-civic/yishi/eventstore"
)

// jsonContentType is the content type of every event Yishi writes
// (esdb.ContentTypeJson on the wire).
const jsonContentType = "application/json"

// noPosition is what servers before 22.x report as the $all position of an
// event read from its stream.
const noPosition = math.MaxUint64

// ReadStream yields the events of one stream; see eventstore.Store. On
// servers older than 22.x, events read from a stream carry Position 0
// because the server does not report their place in $all.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if err := eventstore.ValidateStream(stream); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		c, err := s.begin()
		if err != nil {
			yield(eventstore.Event{}, fmt.Errorf("read %s: %w", stream, err))
			return
		}
		defer c.calls.Done()
		for e, err := range s.readStream(ctx, c, stream, opts) {
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// readStream is ReadStream on a client the caller has registered.
func (s *Store) readStream(ctx context.Context, c *conn, stream string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		ctx, cancel := s.withLife(ctx)
		defer cancel()
		op := "read " + stream
		ro := esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(opts.From)}
		if opts.Direction == eventstore.Backwards {
			ro.Direction = esdb.Backwards
			if opts.From == eventstore.LastRevision {
				ro.From = esdb.End{}
			}
		}
		for e, err := range s.events(ctx, c, op, false, func() (*esdb.ReadStream, error) {
			return c.ReadStream(ctx, stream, ro, count(opts.Max))
		}) {
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// ReadAll yields events of the global log; see eventstore.Store. System
// events (streams or types starting with $) are left out, and the filter is
// applied here: the client's reads of $all take no filter.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		c, err := s.begin()
		if err != nil {
			yield(eventstore.Event{}, fmt.Errorf("read $all: %w", err))
			return
		}
		defer c.calls.Done()
		ctx, cancel := s.withLife(ctx)
		defer cancel()

		var n uint64
		emit := func(e eventstore.Event) bool {
			if !opts.Filter.Match(e.Stream, e.Type) {
				return true
			}
			n++
			return yield(e, nil) && (opts.Max == 0 || n < opts.Max)
		}
		if opts.Direction == eventstore.Backwards {
			s.readAllBackwards(ctx, c, opts.From, emit, yield)
			return
		}
		ro := esdb.ReadAllOptions{Direction: esdb.Forwards, From: esdb.Start{}}
		if opts.From != eventstore.Start {
			commit := toCommit(opts.From)
			ro.From = esdb.Position{Commit: commit, Prepare: commit}
		}
		for e, err := range s.readAll(ctx, c, ro, math.MaxUint64) {
			if err != nil {
				yield(eventstore.Event{}, err)
				return
			}
			if e.Position < opts.From {
				continue
			}
			if !emit(e) {
				return
			}
		}
	}
}

// readAllBackwards reads $all from the newest event down to from. KurrentDB
// reads backwards from a position exclusively (the position is the end of
// the range), so a read from an event's own position would miss that event:
// it is fetched on its own when the backwards read did not include it.
func (s *Store) readAllBackwards(ctx context.Context, c *conn, from eventstore.Position, emit func(eventstore.Event) bool, yield func(eventstore.Event, error) bool) {
	ro := esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}
	if from != eventstore.End {
		if from == eventstore.Start {
			return
		}
		commit := toCommit(from)
		ro.From = esdb.Position{Commit: commit, Prepare: commit}
		for e, err := range s.readAll(ctx, c, esdb.ReadAllOptions{Direction: esdb.Forwards, From: ro.From}, 1) {
			if err != nil {
				yield(eventstore.Event{}, err)
				return
			}
			if e.Position == from && !emit(e) {
				return
			}
			break
		}
	}
	for e, err := range s.readAll(ctx, c, ro, math.MaxUint64) {
		if err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		if from != eventstore.End && e.Position >= from {
			continue // a server that reads backwards inclusively
		}
		if !emit(e) {
			return
		}
	}
}

// readAll yields the non-system events among the first n records of one
// client read of $all.
func (s *Store) readAll(ctx context.Context, c *conn, ro esdb.ReadAllOptions, n uint64) iter.Seq2[eventstore.Event, error] {
	return s.events(ctx, c, "read $all", true, func() (*esdb.ReadStream, error) {
		return c.ReadAll(ctx, ro, n)
	})
}

// events yields the non-system events of the client read that open starts
// on c, with errors translated for op. With skipForeign (reads of $all),
// events another application wrote are left out (see Store.ForeignEvents);
// without it (reads of one of Yishi's streams) such an event ends the read
// with an error. A read that a follower refuses as not the leader before it
// has yielded anything is made once more, on the leader the client has
// moved to.
func (s *Store) events(ctx context.Context, c *conn, op string, skipForeign bool, open func() (*esdb.ReadStream, error)) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for attempt := 1; ; attempt++ {
			yielded, err := s.eventsOnce(ctx, c, op, skipForeign, open, yield)
			if err == nil {
				return
			}
			if yielded || attempt > 1 || !notLeader(err) {
				yield(eventstore.Event{}, s.translate(ctx, c, op, err))
				return
			}
		}
	}
}

// eventsOnce is one read for events. It returns whether it yielded an
// event and the client's error that ended the read (nil at its end or when
// the consumer stopped).
func (s *Store) eventsOnce(ctx context.Context, c *conn, op string, skipForeign bool, open func() (*esdb.ReadStream, error), yield func(eventstore.Event, error) bool) (yielded bool, err error) {
	rs, err := guard(ctx, c, s.callLimit, open, (*esdb.ReadStream).Close)
	if err != nil {
		return false, err
	}
	next, stop := s.receive(ctx, c, rs)
	defer stop()
	for {
		re, err := next()
		if errors.Is(err, io.EOF) {
			return yielded, nil
		}
		if err != nil {
			return yielded, err
		}
		e, ok, err := convert(re)
		if err != nil && skipForeign {
			s.skipForeign(re.Event, err)
			continue
		}
		if err != nil {
			yield(eventstore.Event{}, fmt.Errorf("%s: %w", op, err))
			return true, nil
		}
		if ok {
			yielded = true
			if !yield(e, nil) {
				return true, nil
			}
		}
	}
}

// received is one result of a read's Recv.
type received struct {
	re  *esdb.ResolvedEvent
	err error
}

// receive reads rs in a goroutine of its own and returns next, which waits
// for the next result at most s.callLimit (then errStuck) and no longer
// than ctx, and stop, which ends the read. A read's Recv that fails with
// Unavailable hands the error to the client's connection goroutine and can
// wait forever if that goroutine has ended (see guard); the caller does not
// wait with it.
func (s *Store) receive(ctx context.Context, c *conn, rs *esdb.ReadStream) (next func() (*esdb.ResolvedEvent, error), stop func()) {
	results := make(chan received, 32)
	done := make(chan struct{})
	c.calls.Add(1)
	go func() {
		defer c.calls.Done()
		for {
			re, err := rs.Recv()
			select {
			case results <- received{re, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	timer := time.NewTimer(s.callLimit)
	next = func() (*esdb.ResolvedEvent, error) {
		timer.Reset(s.callLimit)
		select {
		case r := <-results:
			return r.re, r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			return nil, errStuck
		}
	}
	stop = func() {
		timer.Stop()
		rs.Close()
		close(done)
	}
	return next, stop
}

// head returns the commit position of the newest record in $all, system
// records included, and false for an empty log. A follower's refusal as not
// the leader is answered by reading again from the leader.
func (s *Store) head(ctx context.Context) (uint64, bool, error) {
	c, err := s.begin()
	if err != nil {
		return 0, false, err
	}
	defer c.calls.Done()
	for attempt := 1; ; attempt++ {
		commit, ok, err := s.headOnce(ctx, c)
		if err == nil {
			return commit, ok, nil
		}
		if attempt > 1 || !notLeader(err) {
			return 0, false, s.translate(ctx, c, "read head of $all", err)
		}
	}
}

// headOnce is one read for head; errors are the client's.
func (s *Store) headOnce(ctx context.Context, c *conn) (uint64, bool, error) {
	call := s.outgoing(ctx)
	rs, err := guard(ctx, c, s.callLimit, func() (*esdb.ReadStream, error) {
		return c.ReadAll(call, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	}, (*esdb.ReadStream).Close)
	if err != nil {
		return 0, false, err
	}
	next, stop := s.receive(ctx, c, rs)
	defer stop()
	re, err := next()
	if errors.Is(err, io.EOF) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return re.OriginalEvent().Position.Commit, true, nil
}

// count is the client's read count for a bound of max events (0: none).
func count(max uint64) uint64 {
	if max == 0 {
		return math.MaxUint64
	}
	return max
}

// isSystem reports whether a stream or event type is KurrentDB's own.
func isSystem(name string) bool { return strings.HasPrefix(name, "$") }

// convert turns a read event into the envelope. ok is false for system
// events and links, which Yishi never writes and does not deliver. An event
// that is not JSON or whose metadata is not Yishi's JSON (another
// application's) is an error.
func convert(re *esdb.ResolvedEvent) (e eventstore.Event, ok bool, err error) {
	r := re.Event
	if r == nil || re.Link != nil || isSystem(r.StreamID) || isSystem(r.EventType) {
		return eventstore.Event{}, false, nil
	}
	e = eventstore.Event{
		ID:       r.EventID,
		Stream:   r.StreamID,
		Revision: r.EventNumber,
		Type:     r.EventType,
		Recorded: r.CreatedDate,
		Data:     r.Data,
	}
	if r.ContentType != jsonContentType {
		return eventstore.Event{}, false, fmt.Errorf("event %s in %s (revision %d) has content type %q, not Yishi's JSON", r.EventID, r.StreamID, r.EventNumber, r.ContentType)
	}
	if r.Position.Commit != noPosition {
		e.Position = fromCommit(r.Position.Commit)
	}
	if len(r.UserMetadata) > 0 {
		var sm storedMetadata
		if err := json.Unmarshal(r.UserMetadata, &sm); err != nil {
			return eventstore.Event{}, false, fmt.Errorf("metadata of event %s in %s (revision %d) is not Yishi's: %w", r.EventID, r.StreamID, r.EventNumber, err)
		}
		e.Metadata = sm.Metadata
		if sm.Recorded != nil {
			e.Recorded = sm.Recorded.UTC()
		}
	}
	return e, true, nil
}
