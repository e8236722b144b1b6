package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/eventstore"
)

// appendRequest is one Append waiting for the committer.
type appendRequest struct {
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData
	size     int
	reply    chan appendReply // buffered: the committer never blocks on it
}

type appendReply struct {
	result eventstore.AppendResult
	err    error
}

// maxCachedHeads bounds the stream heads the committer keeps in memory
// (about 100 bytes each); past it the cache starts again empty.
const maxCachedHeads = 200_000

// maxGroupBytes bounds the data one group commit writes, so that a flood of
// large appends cannot build one huge batch.
const maxGroupBytes = 32 << 20

// Append writes events at the end of stream if expected holds, durably. See
// eventstore.Store for the full contract.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	if s.readOnly {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, ErrReadOnly)
	}
	req := &appendRequest{stream: stream, expected: expected, events: events, reply: make(chan appendReply, 1)}
	for _, e := range events {
		req.size += len(e.Data) + 256
	}
	if err := s.enter(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	s.reqs <- req
	s.leave()
	select {
	case r := <-req.reply:
		return r.result, r.err
	case <-ctx.Done():
		// The append may still commit; a retry with the same ids is safe.
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, ctx.Err())
	}
}

// committer is the state of the one goroutine that writes.
type committer struct {
	s     *Store
	next  eventstore.Position   // the position the next event gets
	heads map[string]int64      // known current revisions, -1 for none
	batch *pebble.Batch         // the group being built: its events, then its index entries
	sidx  *pebble.Batch         // the group's stream index entries, until they join batch
	iidx  *pebble.Batch         // the group's id index entries, until they join batch
	group []*appendRequest      // the requests in the group
	reply []appendReply         // their replies, sent after the commit
	ids   map[uuid.UUID]idEntry // ids written by the group
	maxID uuid.UUID             // the greatest id committed
	grown map[string]int64      // heads the group moves
	buf   []byte                // reused encoding buffer
	err   error                 // a failed commit: the store takes no more writes
}

// newCommitter prepares the committer of s for a log whose last event key
// and last id key are lastEvent and lastID (nil when the log is empty).
func newCommitter(s *Store, lastEvent, lastID []byte) *committer {
	c := &committer{
		s:     s,
		next:  1,
		heads: make(map[string]int64),
		ids:   make(map[uuid.UUID]idEntry),
		grown: make(map[string]int64),
	}
	if lastEvent != nil {
		c.next = keyPosition(lastEvent) + 1
	}
	if lastID != nil {
		copy(c.maxID[:], lastID[1:])
	}
	return c
}

// loop runs the committer until reqs is closed, answering every request.
func (c *committer) loop() {
	defer close(c.s.committed)
	defer func() {
		if c.sidx != nil {
			_ = c.sidx.Close()
			_ = c.iidx.Close()
		}
	}()
	for first := range c.s.reqs {
		c.group = append(c.group[:0], first)
		size := first.size
	drain:
		for size < maxGroupBytes {
			select {
			case r, ok := <-c.s.reqs:
				if !ok {
					break drain
				}
				c.group = append(c.group, r)
				size += r.size
			default:
				break drain
			}
		}
		c.run()
	}
}

// run decides, writes and acknowledges one group.
func (c *committer) run() {
	if c.err != nil {
		for _, r := range c.group {
			r.reply <- appendReply{err: fmt.Errorf("append to %s: %w", r.stream, c.err)}
		}
		return
	}
	if err := c.s.space.refresh(); err != nil {
		for _, r := range c.group {
			r.reply <- appendReply{err: fmt.Errorf("append to %s: %w", r.stream, err)}
		}
		return
	}
	c.batch = c.s.db.NewBatch()
	defer func() { _ = c.batch.Close() }()
	if c.sidx == nil {
		c.sidx, c.iidx = c.s.db.NewBatch(), c.s.db.NewBatch()
	}
	c.sidx.Reset()
	c.iidx.Reset()
	clear(c.ids)
	clear(c.grown)
	c.reply = c.reply[:0]
	start := c.next
	recorded := c.s.now()
	for _, r := range c.group {
		res, err := c.add(r, recorded)
		c.reply = append(c.reply, appendReply{result: res, err: err})
	}
	if c.next > start {
		// The events first, then the stream index entries, then the ids:
		// the memtable carries its insertion point from key to key, so keys
		// that lie next to each other go in faster.
		if err := errors.Join(c.batch.Apply(c.sidx, nil), c.batch.Apply(c.iidx, nil)); err != nil {
			panic(fmt.Sprintf("pebble store: add to batch: %v", err))
		}
		if err := c.batch.Commit(pebble.Sync); err != nil {
			c.err = fmt.Errorf("commit failed, reopen the store: %w", err)
			for i, r := range c.group {
				if c.reply[i].err == nil {
					c.reply[i] = appendReply{err: fmt.Errorf("append to %s: %w", r.stream, c.err)}
				}
			}
		} else {
			if len(c.heads) > maxCachedHeads {
				clear(c.heads) // a cache: missing heads are read from the index
			}
			for stream, rev := range c.grown {
				c.heads[stream] = rev
			}
			for id := range c.ids {
				if bytes.Compare(id[:], c.maxID[:]) > 0 {
					c.maxID = id
				}
			}
			c.s.publish(c.next - 1)
		}
	}
	for i, r := range c.group {
		r.reply <- c.reply[i]
	}
}

// add decides one request and, if it writes, adds its events to the batch.
func (c *committer) add(r *appendRequest, recorded time.Time) (eventstore.AppendResult, error) {
	if res, done, err := c.retried(r); done || err != nil {
		return res, err
	}
	cur, err := c.head(r.stream)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", r.stream, err)
	}
	if !r.expected.Holds(cur) {
		return eventstore.AppendResult{}, &eventstore.WrongRevisionError{Stream: r.stream, Expected: r.expected, Actual: cur}
	}
	e := eventstore.Event{Stream: r.stream, Recorded: recorded}
	for i, d := range r.events {
		e.ID, e.Type, e.Data, e.Metadata = d.ID, d.Type, d.Data, d.Metadata
		e.Recorded = recorded
		if !d.Recorded.IsZero() {
			e.Recorded = d.Recorded.UTC()
		}
		e.Revision = uint64(cur + 1 + int64(i))
		e.Position = c.next
		c.next++
		c.buf = encodeEvent(c.buf[:0], &e)
		entry := idEntry{pos: e.Position, rev: e.Revision, stream: r.stream}
		if err := errors.Join(
			c.batch.Set(eventKey(e.Position), c.buf, nil),
			c.sidx.Set(streamKey(r.stream, e.Revision), binary.BigEndian.AppendUint64(nil, uint64(e.Position)), nil),
			c.iidx.Set(idKey(e.ID), encodeIDEntry(entry), nil),
		); err != nil {
			// A batch Set fails only on a closed batch; nothing else in the
			// group can be trusted either.
			panic(fmt.Sprintf("pebble store: add to batch: %v", err))
		}
		c.ids[e.ID] = entry
	}
	c.grown[r.stream] = cur + int64(len(r.events))
	return eventstore.AppendResult{NextRevision: e.Revision, Position: e.Position}, nil
}

// retried answers a request whose event ids were written before. done is
// true when every id was written by one earlier append to the same stream, at
// consecutive revisions in the same order: the original result is returned.
// Any other overlap is ErrDuplicateID.
func (c *committer) retried(r *appendRequest) (res eventstore.AppendResult, done bool, err error) {
	found := 0
	var prev idEntry
	for i, d := range r.events {
		entry, ok, err := c.lookupID(d.ID)
		if err != nil {
			return res, false, fmt.Errorf("append to %s: %w", r.stream, err)
		}
		if !ok {
			continue
		}
		if entry.stream != r.stream || i != found || (i > 0 && entry.rev != prev.rev+1) {
			return res, false, fmt.Errorf("append to %s: event %d (%s) is already at %s@%d: %w",
				r.stream, i, d.ID, entry.stream, entry.rev, eventstore.ErrDuplicateID)
		}
		found++
		prev = entry
	}
	if found == 0 {
		return res, false, nil
	}
	if found != len(r.events) {
		return res, false, fmt.Errorf("append to %s: %d of %d event ids already written: %w",
			r.stream, found, len(r.events), eventstore.ErrDuplicateID)
	}
	return eventstore.AppendResult{NextRevision: prev.rev, Position: prev.pos}, true, nil
}

// lookupID finds where id was written, by this group or before.
func (c *committer) lookupID(id uuid.UUID) (idEntry, bool, error) {
	if e, ok := c.ids[id]; ok {
		return e, true, nil
	}
	if bytes.Compare(id[:], c.maxID[:]) > 0 {
		// Greater than every id in the index, so not in it. UUID v7 ids
		// grow with time: most new ids take this way and cost no lookup.
		return idEntry{}, false, nil
	}
	v, closer, err := c.s.db.Get(idKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return idEntry{}, false, nil
	}
	if err != nil {
		return idEntry{}, false, fmt.Errorf("look up event id %s: %w", id, err)
	}
	defer closer.Close()
	e, err := decodeIDEntry(v)
	return e, err == nil, err
}

// head returns stream's current revision (-1 for no stream), as this group
// leaves it so far.
func (c *committer) head(stream string) (int64, error) {
	if rev, ok := c.grown[stream]; ok {
		return rev, nil
	}
	if rev, ok := c.heads[stream]; ok {
		return rev, nil
	}
	rev, err := c.s.streamHead(stream)
	if err != nil {
		return 0, err
	}
	c.heads[stream] = rev
	return rev, nil
}
