package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/google/uuid"
)

// designStore is a layout of the embedded store measured beside it, not a
// store of the product: it answers the question of which part of the
// store keeps appends of 100 events under half the raw floor
// (docs/performance.md, thirty-second session). Each event gets a UUID v7
// id and a versioned type, as the store's do; the committer takes every
// pending append at once, checks its expected version against the stream
// heads it keeps, looks an id up only when it is not above the greatest
// written (as the store does), and acknowledges each append once it is
// durable. What it leaves out: the reads a store answers besides a replay,
// and, where its index is written after the events' sync without one of
// its own, the scan that would index the file's tail again at open.
//
// The layouts:
//   - eventsInFile: the events are frames in one file (as raw's, with the
//     id after the position), made durable by write and fdatasync; the
//     indexes go to pebble after that sync, without one. Otherwise the
//     events and the indexes are one pebble batch, synced, as in the store.
//   - streamPerAppend: the stream index has one entry per append (its
//     first revision, to its first position and its count), not one per
//     event.
//   - positionsPerAppend, with eventsInFile: the position index has one
//     entry per append (its first position, to its offset in the file),
//     not one per event.
//
// The id index has one entry per event in every layout.
type designStore struct {
	eventsInFile, streamPerAppend, positionsPerAppend bool

	path     string
	f        *os.File
	off      int64 // the file's length
	db       *pebble.DB
	readOnly bool

	reqs chan *rawReq
	done chan struct{}

	heads map[string]uint64
	next  uint64
	maxID uuid.UUID
	buf   []byte
	key   []byte
}

// openDesign opens a design store in dir: anew, or, when dir holds one
// already, read-only for the replay.
func openDesign(eventsInFile, streamPerAppend, positionsPerAppend bool) func(dir string, _ *Options) (Store, error) {
	return func(dir string, _ *Options) (Store, error) {
		s := &designStore{eventsInFile: eventsInFile, streamPerAppend: streamPerAppend, positionsPerAppend: positionsPerAppend,
			path: filepath.Join(dir, "events.log"), heads: map[string]uint64{}, next: 1}
		index := filepath.Join(dir, "index")
		if _, err := os.Stat(index); err == nil {
			s.readOnly = true
			if !eventsInFile {
				db, err := pebble.Open(index, &pebble.Options{ReadOnly: true, Logger: quietLogger{}})
				if err != nil {
					return nil, err
				}
				s.db = db
			}
			return s, nil
		}
		o := &pebble.Options{FormatMajorVersion: pebble.FormatNewest, MemTableSize: 8 << 20, DisableTableStats: true, Logger: quietLogger{}}
		o.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
		db, err := pebble.Open(index, o)
		if err != nil {
			return nil, err
		}
		s.db = db
		if eventsInFile {
			if s.f, err = os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
				return nil, errors.Join(err, db.Close())
			}
		}
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
		group = append(group[:0], first)
	drain:
		for {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break drain
				}
				group = append(group, r)
			default:
				break drain
			}
		}
		b := s.db.NewBatch()
		s.buf, errs = s.buf[:0], errs[:0]
		for _, r := range group {
			errs = append(errs, s.add(b, r))
		}
		var err error
		switch {
		case b.Empty():
		case !s.eventsInFile:
			err = b.Commit(pebble.Sync)
		default:
			if _, err = s.f.Write(s.buf); err == nil {
				err = fdatasync(s.f)
			}
			if err == nil {
				s.off += int64(len(s.buf))
				err = b.Commit(pebble.NoSync)
			}
		}
		err = errors.Join(err, b.Close())
		for i, r := range group {
			r.err <- errors.Join(errs[i], err)
		}
	}
}

// add decides one append and adds its events and their index entries to b
// (and, with eventsInFile, their frames to s.buf).
func (s *designStore) add(b *pebble.Batch, r *rawReq) error {
	head, err := s.head(r.stream)
	if err != nil {
		return err
	}
	if head != r.expected {
		return ErrConflict
	}
	for i := range r.evs {
		e := &r.evs[i]
		if e.Version != r.expected+1+uint64(i) {
			return fmt.Errorf("design: bad event version %d", e.Version)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		if bytes.Compare(id[:], s.maxID[:]) <= 0 {
			if _, closer, err := s.db.Get(append([]byte("i"), id[:]...)); err == nil {
				_ = closer.Close()
				return fmt.Errorf("design: duplicate id %s", id)
			} else if !errors.Is(err, pebble.ErrNotFound) {
				return err
			}
		} else {
			s.maxID = id
		}
		pos := s.next
		s.next++
		start := len(s.buf)
		s.buf = appendFrame(s.buf, pos, id, e)
		var at [16]byte // the position, and how many events the entry covers
		binary.BigEndian.PutUint64(at[:], pos)
		binary.BigEndian.PutUint64(at[8:], 1)
		if s.streamPerAppend {
			binary.BigEndian.PutUint64(at[8:], uint64(len(r.evs)))
		}
		if !s.eventsInFile {
			if err := b.Set(binary.BigEndian.AppendUint64([]byte("e"), pos), s.buf[start:], nil); err != nil {
				return err
			}
			s.buf = s.buf[:start]
		}
		if i == 0 || !s.streamPerAppend {
			s.key = binary.BigEndian.AppendUint64(append(append(append(s.key[:0], 's'), r.stream...), 0), e.Version)
			if err := b.Set(s.key, at[:], nil); err != nil {
				return err
			}
		}
		if s.eventsInFile && (i == 0 || !s.positionsPerAppend) {
			var off [8]byte
			binary.BigEndian.PutUint64(off[:], uint64(s.off)+uint64(start))
			if err := b.Set(binary.BigEndian.AppendUint64([]byte("p"), pos), off[:], nil); err != nil {
				return err
			}
		}
		if err := b.Set(append([]byte("i"), id[:]...), at[:8], nil); err != nil {
			return err
		}
	}
	s.heads[r.stream] = r.expected + uint64(len(r.evs))
	return nil
}

// head returns how many events stream holds: kept in memory after its
// first append, and read before that from the last entry of its stream
// index (as the store does; a miss for the workload's new streams).
func (s *designStore) head(stream string) (uint64, error) {
	if h, ok := s.heads[stream]; ok {
		return h, nil
	}
	prefix := append(append([]byte("s"), stream...), 0)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: append(bytes.Clone(prefix[:len(prefix)-1]), 1)})
	if err != nil {
		return 0, err
	}
	var h uint64
	if it.Last() {
		first := binary.BigEndian.Uint64(it.Key()[len(prefix):])
		h = first + binary.BigEndian.Uint64(it.Value()[8:]) - 1
	}
	return h, it.Close()
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
	body := b[start+8:]
	binary.BigEndian.PutUint32(b[start:], uint32(len(body)))
	binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(body, castagnoli))
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
	if !s.eventsInFile {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte("e"), UpperBound: []byte("f")})
		if err != nil {
			return err
		}
		for it.First(); it.Valid(); it.Next() {
			frame := it.Value()
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
	return replayFrames(s.path, func(body []byte) error {
		pos, err := decodeFrameBody(body, &e)
		if err != nil {
			return err
		}
		return fn(pos, &e)
	})
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
