package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/internal/spanpolicy"
)

// layout says where a design store keeps its events and how many index
// entries an append writes.
type layout struct {
	// eventsInFile: the events are frames in one file (as raw's, with the
	// id after the position), made durable by write and fdatasync, and the
	// indexes go to pebble after that sync, without one. Otherwise the
	// events and their indexes are one pebble batch, synced, as in the
	// store.
	eventsInFile bool
	// streamPerAppend: the stream index has one entry per append (its
	// first event's version, to its first position and its count), not one
	// per event.
	streamPerAppend bool
	// positionsPerAppend, with eventsInFile: the position index has one
	// entry per append (its first position, to its offset in the file), not
	// one per event.
	positionsPerAppend bool
}

// designStore is a layout of the embedded store measured beside it, not a
// store of the product: it answers the question of which part of the
// store keeps appends of 100 events under half the raw floor
// (docs/performance.md, thirty-second session). It does per append what
// the store's committer does (eventstore/pebble, commit.go), but where its
// layout says otherwise: each event gets a UUID v7 id and a versioned
// type; every pending append is committed as one group; an append's
// expected version is checked against the heads the group leaves, kept in
// memory once read (a stream's first entry looked up, then its last); an
// id is looked up only when it is not above the greatest written; the id
// index's entries hold the position, the revision and the stream, as the
// store's do (what a retried append is answered from); pebble has the
// store's options (bloom filters, one table a file) and each group's keys
// go in table by table; an append that fails writes nothing, and the heads
// and the greatest id move once the group is durable; every append is
// answered once durable.
//
// What it leaves out: the reads a store answers besides a replay; the
// checks of the port (ValidateAppend: the ledger's own payloads skip the
// JSON check, as `yishi-pebble`'s do); the retried appends' answers (no
// workload retries); the disk's free space, looked at once a group by the
// store; and, where its index is written after the events' sync without
// one of its own, the scan that would index the file's tail again at open.
type designStore struct {
	layout

	path     string
	f        *os.File
	off      int64 // the file's length
	db       *pebble.DB
	readOnly bool

	reqs chan *rawReq
	done chan struct{}

	// heads are the streams' event counts once read or written; grown the
	// ones the group being written leaves, kept in heads once it is
	// durable.
	heads, grown map[string]uint64
	next         uint64
	// maxID is the greatest id written; groupMax the greatest of the group
	// being written, kept in maxID once it is durable.
	maxID, groupMax uuid.UUID
	// Each group's batches, one a table: the events (pebble's layouts),
	// then the stream, position and id entries.
	events, streams, positions, ids *pebble.Batch
	buf, key                        []byte
}

// openDesign opens a design store of layout l in dir: anew, or, when dir
// holds one already, read-only for the replay.
func openDesign(l layout) func(dir string, _ *Options) (Store, error) {
	return func(dir string, _ *Options) (Store, error) {
		s := &designStore{layout: l, path: filepath.Join(dir, "events.log"),
			heads: map[string]uint64{}, grown: map[string]uint64{}, next: 1}
		index := filepath.Join(dir, "index")
		if _, err := os.Stat(index); err == nil {
			s.readOnly = true
			if !l.eventsInFile {
				db, err := pebble.Open(index, &pebble.Options{ReadOnly: true, Logger: quietLogger{}})
				if err != nil {
					return nil, fmt.Errorf("design: open %s: %w", index, err)
				}
				s.db = db
			}
			return s, nil
		}
		// The store's options (eventstore/pebble, pebbleOptions).
		o := &pebble.Options{FormatMajorVersion: pebble.FormatNewest, MemTableSize: 8 << 20, DisableTableStats: true, Logger: quietLogger{}}
		o.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
		o.Experimental.SpanPolicyFunc = spanpolicy.FirstByte
		db, err := pebble.Open(index, o)
		if err != nil {
			return nil, fmt.Errorf("design: open %s: %w", index, err)
		}
		s.db = db
		if l.eventsInFile {
			if s.f, err = os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
				return nil, errors.Join(fmt.Errorf("design: open %s: %w", s.path, err), db.Close())
			}
		}
		s.events, s.streams, s.positions, s.ids = db.NewBatch(), db.NewBatch(), db.NewBatch(), db.NewBatch()
		s.reqs, s.done = make(chan *rawReq, 1024), make(chan struct{})
		go s.committer()
		return s, nil
	}
}

func (s *designStore) Append(stream string, expected uint64, evs []Event) error {
	if s.readOnly {
		return errors.New("design: store was reopened read-only")
	}
	r := &rawReq{stream: stream, expected: expected, evs: evs, err: make(chan error, 1)}
	s.reqs <- r
	return <-r.err
}

// committer writes every pending append as one group, until reqs closes.
func (s *designStore) committer() {
	defer close(s.done)
	var group []*rawReq
	var errs []error
	for first := range s.reqs {
		group = pending(s.reqs, append(group[:0], first), 0)
		errs = errs[:0]
		for _, r := range group {
			errs = append(errs, s.add(r))
		}
		err := s.commit()
		for i, r := range group {
			r.err <- errors.Join(errs[i], err)
		}
	}
}

// commit makes the group durable, then keeps its heads and greatest id,
// and readies the batches for the next group.
func (s *designStore) commit() error {
	defer func() {
		s.buf = s.buf[:0]
		clear(s.grown)
		s.groupMax = uuid.UUID{}
		// A committed batch is not reused (pebble may hold on to it), as
		// in the store; the ones applied to it are.
		_ = s.events.Close()
		s.events = s.db.NewBatch()
		for _, b := range []*pebble.Batch{s.streams, s.positions, s.ids} {
			b.Reset()
		}
	}()
	if s.streams.Empty() {
		return nil // every append of the group failed
	}
	b := s.events
	if err := errors.Join(b.Apply(s.streams, nil), b.Apply(s.positions, nil), b.Apply(s.ids, nil)); err != nil {
		return fmt.Errorf("design: batch: %w", err)
	}
	if !s.eventsInFile {
		if err := b.Commit(pebble.Sync); err != nil {
			return fmt.Errorf("design: commit: %w", err)
		}
	} else {
		if _, err := s.f.Write(s.buf); err != nil {
			return fmt.Errorf("design: write: %w", err)
		}
		if err := fdatasync(s.f); err != nil {
			return fmt.Errorf("design: sync: %w", err)
		}
		s.off += int64(len(s.buf))
		if err := b.Commit(pebble.NoSync); err != nil {
			return fmt.Errorf("design: index: %w", err)
		}
	}
	for stream, h := range s.grown {
		s.heads[stream] = h
	}
	if bytes.Compare(s.groupMax[:], s.maxID[:]) > 0 {
		s.maxID = s.groupMax
	}
	return nil
}

// add decides one append and, when it holds, adds its events and their
// index entries to the group (and, with eventsInFile, their frames to
// s.buf). An append that does not hold adds nothing.
func (s *designStore) add(r *rawReq) error {
	head, err := s.head(r.stream)
	if err != nil {
		return err
	}
	if head != r.expected {
		return ErrConflict
	}
	ids := make([]uuid.UUID, len(r.evs))
	groupMax := s.groupMax
	for i := range r.evs {
		if v := r.evs[i].Version; v != r.expected+1+uint64(i) {
			return fmt.Errorf("design: bad event version %d", v)
		}
		if ids[i], err = uuid.NewV7(); err != nil {
			return fmt.Errorf("design: id: %w", err)
		}
		if bytes.Compare(ids[i][:], s.maxID[:]) > 0 {
			if bytes.Compare(ids[i][:], groupMax[:]) > 0 {
				groupMax = ids[i]
			}
			continue
		}
		switch _, closer, err := s.db.Get(append([]byte("i"), ids[i][:]...)); {
		case err == nil:
			_ = closer.Close()
			return fmt.Errorf("design: duplicate id %s", ids[i])
		case !errors.Is(err, pebble.ErrNotFound):
			return fmt.Errorf("design: look up id %s: %w", ids[i], err)
		}
	}
	for i := range r.evs {
		e := &r.evs[i]
		pos := s.next
		s.next++
		start := len(s.buf)
		s.buf = appendFrame(s.buf, pos, ids[i], e)
		if !s.eventsInFile {
			if err := s.events.Set(binary.BigEndian.AppendUint64([]byte("e"), pos), s.buf[start:], nil); err != nil {
				return fmt.Errorf("design: batch: %w", err)
			}
			s.buf = s.buf[:start]
		}
		if i == 0 || !s.streamPerAppend {
			count := uint64(1)
			if s.streamPerAppend {
				count = uint64(len(r.evs))
			}
			s.key = binary.BigEndian.AppendUint64(append(append(append(s.key[:0], 's'), r.stream...), 0), e.Version)
			entry := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, pos), count)
			if err := s.streams.Set(s.key, entry, nil); err != nil {
				return fmt.Errorf("design: batch: %w", err)
			}
		}
		if s.eventsInFile && (i == 0 || !s.positionsPerAppend) {
			off := binary.BigEndian.AppendUint64(nil, uint64(s.off)+uint64(start))
			if err := s.positions.Set(binary.BigEndian.AppendUint64([]byte("p"), pos), off, nil); err != nil {
				return fmt.Errorf("design: batch: %w", err)
			}
		}
		// As the store's id entries (eventstore/pebble, encodeIDEntry).
		entry := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, pos), e.Version-1)
		if err := s.ids.Set(append([]byte("i"), ids[i][:]...), append(entry, r.stream...), nil); err != nil {
			return fmt.Errorf("design: batch: %w", err)
		}
	}
	s.groupMax = groupMax
	s.grown[r.stream] = r.expected + uint64(len(r.evs))
	return nil
}

// head returns how many events stream holds as the group leaves it so far:
// kept in memory once read or written, and read before that from its
// stream index as the store reads it (its first entry looked up, a miss
// for the workload's new streams; then its last).
func (s *designStore) head(stream string) (uint64, error) {
	if h, ok := s.grown[stream]; ok {
		return h, nil
	}
	if h, ok := s.heads[stream]; ok {
		return h, nil
	}
	prefix := append(append([]byte("s"), stream...), 0)
	switch _, closer, err := s.db.Get(binary.BigEndian.AppendUint64(bytes.Clone(prefix), 1)); {
	case errors.Is(err, pebble.ErrNotFound):
		s.heads[stream] = 0
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("design: head of %s: %w", stream, err)
	default:
		_ = closer.Close()
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: append(bytes.Clone(prefix[:len(prefix)-1]), 1)})
	if err != nil {
		return 0, fmt.Errorf("design: head of %s: %w", stream, err)
	}
	var h uint64
	if it.Last() {
		first := binary.BigEndian.Uint64(it.Key()[len(prefix):])
		h = first + binary.BigEndian.Uint64(it.Value()[8:]) - 1
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("design: head of %s: %w", stream, err)
	}
	s.heads[stream] = h
	return h, nil
}

// appendFrame appends an event's frame: len u32 | crc32c(body) u32 | body =
// pos u64 | id [16]byte | appendRecordBody(e), its type versioned.
func appendFrame(b []byte, pos uint64, id uuid.UUID, e *Event) []byte {
	start := len(b)
	b = append(b, make([]byte, 8)...)
	b = binary.BigEndian.AppendUint64(b, pos)
	b = append(b, id[:]...)
	v := *e
	v.Type = versionedTypes[e.Type]
	b = appendRecordBody(b, &v)
	closeFrame(b[start:])
	return b
}

// decodeFrameBody decodes a frame's body into e (its Data aliasing body)
// and returns the event's position.
func decodeFrameBody(body []byte, e *Event) (uint64, error) {
	if len(body) < 24 {
		return 0, errors.New("design: short frame")
	}
	if err := decodeRecordBody(body[24:], e); err != nil {
		return 0, err
	}
	e.Type = workloadTypes[e.Type]
	return binary.BigEndian.Uint64(body), nil
}

func (s *designStore) Replay(fn func(pos uint64, e *Event) error) error {
	var e Event
	if s.eventsInFile {
		return replayFrames(s.path, func(body []byte) error {
			pos, err := decodeFrameBody(body, &e)
			if err != nil {
				return err
			}
			return fn(pos, &e)
		})
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte("e"), UpperBound: []byte("f")})
	if err != nil {
		return fmt.Errorf("design: replay: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		frame := it.Value()
		if len(frame) < 8 {
			return errors.Join(errors.New("design: short frame"), it.Close())
		}
		pos, err := decodeFrameBody(frame[8:], &e)
		if err == nil {
			err = fn(pos, &e)
		}
		if err != nil {
			return errors.Join(err, it.Close())
		}
	}
	return it.Close()
}

func (s *designStore) Close() error {
	if s.reqs != nil {
		close(s.reqs)
		<-s.done
	}
	var err error
	if s.f != nil {
		err = s.f.Close()
	}
	if s.events != nil {
		for _, b := range []*pebble.Batch{s.events, s.streams, s.positions, s.ids} {
			err = errors.Join(err, b.Close())
		}
	}
	if s.db != nil {
		err = errors.Join(err, s.db.Close())
	}
	return err
}

// quietLogger keeps pebble's informational lines out of the results; its
// errors still go to stderr.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "design: pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("design: pebble: "+format, args...))
}
