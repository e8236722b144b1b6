package pebble

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/yishi-civic/yishi/eventstore"
)

// chunkSize is how many events a read takes from the database at a time. No
// pebble iterator is held while the caller consumes events, so a slow
// consumer pins nothing and Close never waits for one.
const chunkSize = 512

// streamHead returns stream's current revision, -1 for no stream, from the
// stream index.
func (s *Store) streamHead(stream string) (int64, error) {
	prefix := streamPrefix(stream)
	// Every stream's first entry is at revision 0 and no entry is ever
	// deleted, so a missing first entry means no stream. A point look-up
	// answers that from the bloom filters and the memtables, where an
	// iterator over the stream's range opens every level: most heads the
	// committer has to read are those of new streams.
	switch _, closer, err := s.db.Get(binary.BigEndian.AppendUint64(prefix, 0)); {
	case errors.Is(err, pebble.ErrNotFound):
		return -1, nil
	case err != nil:
		return 0, fmt.Errorf("find head of %s: %w", stream, err)
	default:
		_ = closer.Close()
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return 0, fmt.Errorf("find head of %s: %w", stream, err)
	}
	rev := int64(-1)
	if it.Last() {
		rev = int64(binary.BigEndian.Uint64(it.Key()[len(prefix):]))
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("find head of %s: %w", stream, err)
	}
	return rev, nil
}

// prefixEnd is the smallest key greater than every key starting with prefix;
// prefix never ends in 0xff here.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	end[len(end)-1]++
	return end
}

// ReadStream yields the events of one stream. See eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		fail := func(err error) { yield(eventstore.Event{}, fmt.Errorf("read %s: %w", stream, err)) }
		if err := eventstore.ValidateStream(stream); err != nil {
			fail(err)
			return
		}
		limit, _ := s.published()
		from := opts.From
		n := uint64(0)
		first := true
		for {
			if err := ctx.Err(); err != nil {
				fail(err)
				return
			}
			want := uint64(chunkSize)
			if opts.Max > 0 {
				want = min(want, opts.Max-n)
			}
			evs, more, err := s.streamChunk(stream, opts.Direction, from, limit, int(want))
			if err != nil {
				fail(err)
				return
			}
			if first && len(evs) == 0 {
				// Nothing from here on: the stream may still exist.
				head, err := s.readHead(stream, limit)
				if err != nil {
					fail(err)
					return
				}
				if head < 0 {
					fail(eventstore.ErrStreamNotFound)
				}
				return
			}
			first = false
			if !yieldUpTo(yield, evs, &n, opts.Max) || !more {
				return
			}
			last := evs[len(evs)-1].Revision
			if opts.Direction == eventstore.Backwards {
				from = last - 1
			} else {
				from = last + 1
			}
		}
	}
}

// readHead is streamHead for readers: it enters the store and ignores
// revisions past the published position limit. It reads the stream index
// only, from its end: no event is read or decoded, however long the
// stream.
func (s *Store) readHead(stream string, limit eventstore.Position) (int64, error) {
	if err := s.enter(); err != nil {
		return -1, err
	}
	defer s.leave()
	prefix := streamPrefix(stream)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return -1, fmt.Errorf("find head of %s: %w", stream, err)
	}
	defer it.Close()
	for ok := it.Last(); ok; ok = it.Prev() {
		if eventstore.Position(binary.BigEndian.Uint64(it.Value())) <= limit {
			return int64(binary.BigEndian.Uint64(it.Key()[len(prefix):])), nil
		}
	}
	if err := it.Error(); err != nil {
		return -1, fmt.Errorf("find head of %s: %w", stream, err)
	}
	return -1, nil
}

// streamChunk reads up to want events (at most chunkSize) of stream from
// revision from in direction dir, none past position limit. more says
// whether the stream may go on.
func (s *Store) streamChunk(stream string, dir eventstore.Direction, from uint64, limit eventstore.Position, want int) (evs []eventstore.Event, more bool, err error) {
	if err := s.enter(); err != nil {
		return nil, false, err
	}
	defer s.leave()
	prefix := streamPrefix(stream)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	key := streamKey(stream, from)
	var d decoder
	var ok bool
	if dir == eventstore.Backwards {
		ok = it.SeekLT(append(key, 0)) // the last key <= key
	} else {
		ok = it.SeekGE(key)
	}
	for ; ok && len(evs) < want; ok = step(it, dir) {
		pos := eventstore.Position(binary.BigEndian.Uint64(it.Value()))
		if pos > limit {
			if dir == eventstore.Backwards {
				continue // written after the read began
			}
			return evs, false, nil
		}
		e, err := s.get(&d, pos)
		if err != nil {
			return nil, false, err
		}
		evs = append(evs, e)
	}
	if err := it.Error(); err != nil {
		return nil, false, err
	}
	return evs, ok && !(dir == eventstore.Backwards && evs[len(evs)-1].Revision == 0), nil
}

func step(it *pebble.Iterator, dir eventstore.Direction) bool {
	if dir == eventstore.Backwards {
		return it.Prev()
	}
	return it.Next()
}

// get reads the event at pos; the caller has entered the store.
func (s *Store) get(d *decoder, pos eventstore.Position) (eventstore.Event, error) {
	v, closer, err := s.db.Get(eventKey(pos))
	if err != nil {
		return eventstore.Event{}, fmt.Errorf("event at position %d: %w", pos, err)
	}
	defer closer.Close()
	return d.event(pos, v)
}

// ReadAll yields events of the global log. See eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if err := s.usable(); err != nil {
			yield(eventstore.Event{}, fmt.Errorf("read all: %w", err))
			return
		}
		limit, _ := s.published()
		from := opts.From
		if opts.Direction == eventstore.Backwards {
			from = min(from, limit)
		} else {
			from = max(from, 1)
		}
		n := uint64(0)
		if opts.Direction == eventstore.Forwards && len(opts.Filter.StreamPrefixes) > 0 {
			positions, ok, err := s.indexed(opts.Filter.StreamPrefixes, from, limit)
			if err != nil {
				yield(eventstore.Event{}, fmt.Errorf("read all: %w", err))
				return
			}
			if ok {
				s.readPositions(ctx, positions, opts, yield)
				return
			}
		}
		for {
			if err := ctx.Err(); err != nil {
				yield(eventstore.Event{}, fmt.Errorf("read all: %w", err))
				return
			}
			evs, next, more, err := s.logChunk(opts.Direction, from, limit, opts.Filter)
			if err != nil {
				yield(eventstore.Event{}, fmt.Errorf("read all: %w", err))
				return
			}
			if !yieldUpTo(yield, evs, &n, opts.Max) || !more {
				return
			}
			from = next
		}
	}
}

// yieldUpTo yields evs until the consumer stops or, with max > 0, until max
// events were yielded in all (counted in n). It reports whether to go on.
func yieldUpTo(yield func(eventstore.Event, error) bool, evs []eventstore.Event, n *uint64, max uint64) bool {
	for _, e := range evs {
		if !yield(e, nil) {
			return false
		}
		if *n++; max > 0 && *n >= max {
			return false
		}
	}
	return true
}

// logChunk scans up to chunkSize events of the global log from position from
// (inclusive) in direction dir, none past limit, and returns those that pass
// f, where the next scan starts, and whether there may be more.
func (s *Store) logChunk(dir eventstore.Direction, from, limit eventstore.Position, f eventstore.Filter) (evs []eventstore.Event, next eventstore.Position, more bool, err error) {
	if from > limit || from == 0 {
		return nil, from, false, nil
	}
	if err := s.enter(); err != nil {
		return nil, from, false, err
	}
	defer s.leave()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: eventKey(1), UpperBound: eventKey(limit + 1)})
	if err != nil {
		return nil, from, false, err
	}
	defer it.Close()
	var ok bool
	if dir == eventstore.Backwards {
		ok = it.SeekLT(append(eventKey(from), 0))
	} else {
		ok = it.SeekGE(eventKey(from))
	}
	scanned := 0
	var pos eventstore.Position
	var d decoder
	for ; ok && scanned < chunkSize; ok = step(it, dir) {
		scanned++
		pos = keyPosition(it.Key())
		e, ok, err := d.eventIf(pos, it.Value(), f)
		if err != nil {
			return nil, from, false, err
		}
		if ok {
			evs = append(evs, e)
		}
	}
	if err := it.Error(); err != nil {
		return nil, from, false, err
	}
	if !ok || scanned == 0 {
		return evs, from, false, nil
	}
	if dir == eventstore.Backwards {
		return evs, pos - 1, pos > 1, nil
	}
	return evs, pos + 1, pos < limit, nil
}

// maxIndexed bounds how many positions a filtered read of the log collects
// from the stream index; a filter that matches more reads the log itself
// in order, since looking each event up would cost more.
// A variable only so that a test can take the other path.
var maxIndexed = 1 << 16

// indexed returns the positions in [from, limit] of the events of every
// stream whose name starts with one of prefixes, in log order, from the
// stream index alone (a few streams of a long log: the tokens, the
// erasures). ok is false when they are more than maxIndexed.
func (s *Store) indexed(prefixes []string, from, limit eventstore.Position) (positions []eventstore.Position, ok bool, err error) {
	if err := s.enter(); err != nil {
		return nil, false, err
	}
	defer s.leave()
	for _, p := range prefixes {
		lower := append([]byte{tableStreams}, p...)
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
		if err != nil {
			return nil, false, err
		}
		for valid := it.First(); valid; valid = it.Next() {
			pos := eventstore.Position(binary.BigEndian.Uint64(it.Value()))
			if pos < from || pos > limit {
				continue
			}
			if len(positions) == maxIndexed {
				it.Close()
				return nil, false, nil
			}
			positions = append(positions, pos)
		}
		if err := it.Close(); err != nil {
			return nil, false, err
		}
	}
	slices.Sort(positions)
	return slices.Compact(positions), true, nil
}

// readPositions yields the events at positions (in log order) that pass
// opts' filter, up to opts.Max, a chunk at a time.
func (s *Store) readPositions(ctx context.Context, positions []eventstore.Position, opts eventstore.ReadAllOptions, yield func(eventstore.Event, error) bool) {
	n := uint64(0)
	for len(positions) > 0 {
		if err := ctx.Err(); err != nil {
			yield(eventstore.Event{}, fmt.Errorf("read all: %w", err))
			return
		}
		chunk := positions[:min(len(positions), chunkSize)]
		positions = positions[len(chunk):]
		evs, err := s.getAll(chunk, opts.Filter)
		if err != nil {
			yield(eventstore.Event{}, fmt.Errorf("read all: %w", err))
			return
		}
		if !yieldUpTo(yield, evs, &n, opts.Max) {
			return
		}
	}
}

// ReadAt returns the events at positions, none past the published
// position. Positions in ascending order (a story's steps) are read with
// one iterator, each a seek forward from the last, which finds neighbours
// in the block it already holds; others with a point lookup each. See
// eventstore.PositionReader.
func (s *Store) ReadAt(ctx context.Context, positions []eventstore.Position) ([]eventstore.Event, error) {
	limit, _ := s.published()
	for _, p := range positions {
		if p > limit || p == eventstore.Start {
			return nil, fmt.Errorf("read at positions: %d: %w", p, eventstore.ErrNoEventAt)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read at positions: %w", err)
	}
	var evs []eventstore.Event
	var err error
	if slices.IsSorted(positions) {
		evs, err = s.seekAll(positions)
	} else {
		evs, err = s.getAll(positions, eventstore.Filter{})
		if errors.Is(err, pebble.ErrNotFound) {
			err = fmt.Errorf("%w: %w", eventstore.ErrNoEventAt, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read at positions: %w", err)
	}
	return evs, nil
}

// seekAll reads the events at positions, in ascending order, with one
// iterator.
func (s *Store) seekAll(positions []eventstore.Position) ([]eventstore.Event, error) {
	evs := make([]eventstore.Event, 0, len(positions))
	if len(positions) == 0 {
		return evs, nil
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: eventKey(positions[0]), UpperBound: eventKey(positions[len(positions)-1] + 1)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var d decoder
	for _, pos := range positions {
		if !it.SeekGE(eventKey(pos)) || keyPosition(it.Key()) != pos {
			if err := it.Error(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("event at position %d: %w", pos, eventstore.ErrNoEventAt)
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		e, err := d.event(pos, v)
		if err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	return evs, nil
}

// getAll reads the events at positions that pass f.
func (s *Store) getAll(positions []eventstore.Position, f eventstore.Filter) ([]eventstore.Event, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var d decoder
	evs := make([]eventstore.Event, 0, len(positions))
	for _, pos := range positions {
		v, closer, err := s.db.Get(eventKey(pos))
		if err != nil {
			return nil, fmt.Errorf("event at position %d: %w", pos, err)
		}
		e, ok, err := d.eventIf(pos, v, f)
		closer.Close()
		if err != nil {
			return nil, err
		}
		if ok {
			evs = append(evs, e)
		}
	}
	return evs, nil
}
