// Package answershelf keeps answers the server made (the public pages a
// read costs most to make) on disk, so that a restart does not make the
// first reader of every page pay for making it again.
//
// A shelf is a cache: losing any part of it costs time, never
// correctness. What it holds must never outlive an erasure: every answer
// is made at a generation of the sealer (privacy.Sealer.Generation), an
// erasure starts a new one, and Wipe, called then, removes every answer
// durably before it returns. An answer made at an older generation is
// refused. Across a restart, the shelf is stamped with the number of
// erasures the log held when it was opened: a start that finds another
// number (an erasure recorded while the server was down, by another
// replica or the command line), or a shelf wiped since it was stamped,
// empties it.
package answershelf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// Shelf is one pebble instance in its own directory. Keys are "a/<key>"
// for answers (value: the answer's version, length-prefixed, then the
// answer) and "m/erasures" for the stamp. Safe for concurrent use.
type Shelf struct {
	db *pebble.DB
	mu sync.Mutex
	// gen is the generation of the last Wipe: answers of older ones are
	// refused.
	gen uint64
	// broken is set by the first error of a Get, Put or Wipe: the shelf
	// then serves and keeps nothing more (it is a cache; a server goes on
	// without it, and a failing disk is not logged at every read).
	broken atomic.Bool
}

var (
	answers  = []byte("a/")
	stampKey = []byte("m/erasures")
)

// Open opens the shelf in dir, creating it if needed, for a log that
// holds erasures erasures: a shelf stamped with another number, or with
// none, is emptied first. pebble's errors go to log.
func Open(dir string, erasures int, log *slog.Logger) (*Shelf, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("answer shelf %s: %w", dir, err)
	}
	cache := pebble.NewCache(cacheBytes)
	defer cache.Unref()
	o := &pebble.Options{
		FormatMajorVersion: pebble.FormatNewest,
		MemTableSize:       memTableBytes,
		Cache:              cache,
		Logger:             logger{log},
	}
	// Bloom filters: a page never read before is looked for in vain.
	o.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	db, err := pebble.Open(dir, o)
	if err != nil {
		return nil, fmt.Errorf("answer shelf %s: %w", dir, err)
	}
	s := &Shelf{db: db}
	stamp := binary.AppendUvarint(nil, uint64(erasures))
	v, closer, err := db.Get(stampKey)
	switch {
	case err == nil:
		same := bytes.Equal(v, stamp)
		_ = closer.Close()
		if same {
			return s, nil
		}
	case !errors.Is(err, pebble.ErrNotFound):
		_ = db.Close()
		return nil, fmt.Errorf("answer shelf %s: read its stamp: %w", dir, err)
	}
	b := db.NewBatch()
	err = errors.Join(b.DeleteRange(answers, end(answers), nil), b.Set(stampKey, stamp, nil), b.Commit(pebble.Sync))
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("answer shelf %s: empty it: %w", dir, err)
	}
	return s, nil
}

// The shelf's memory, small beside the views' (a server of a million
// events is held under 512 MiB): its block cache, which needs to hold
// little more than the files' indexes and filters, since an answer is read
// from it once after a restart and then from the server's own cache in
// memory; and its memtable, some 300 answers of a few kilobytes.
const (
	cacheBytes    = 1 << 20
	memTableBytes = 2 << 20
)

// end is the first key after every key that starts with prefix.
func end(prefix []byte) []byte {
	e := bytes.Clone(prefix)
	e[len(e)-1]++
	return e
}

// Get returns the answer kept under key when it was kept at version, and
// false when none is or the one kept is of another version. Its first
// error stops the shelf (see Shelf.broken).
func (s *Shelf) Get(key, version string) ([]byte, bool, error) {
	if s.broken.Load() {
		return nil, false, nil
	}
	v, closer, err := s.db.Get(append(bytes.Clone(answers), key...))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		s.broken.Store(true)
		return nil, false, fmt.Errorf("answer shelf: get %s: %w", key, err)
	}
	defer closer.Close()
	n, w := binary.Uvarint(v)
	if w <= 0 || uint64(len(v)-w) < n {
		s.broken.Store(true)
		return nil, false, fmt.Errorf("answer shelf: get %s: a damaged value", key)
	}
	if string(v[w:w+int(n)]) != version {
		return nil, false, nil
	}
	return bytes.Clone(v[w+int(n):]), true, nil
}

// Put keeps answer under key at version, in place of any answer kept
// under key before, unless it was made at a generation older than the
// last Wipe's. It does not wait for the disk: a crash may lose it. Its
// first error stops the shelf (see Shelf.broken).
func (s *Shelf) Put(gen uint64, key, version string, answer []byte) error {
	v := make([]byte, 0, binary.MaxVarintLen64+len(version)+len(answer))
	v = binary.AppendUvarint(v, uint64(len(version)))
	v = append(append(v, version...), answer...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen < s.gen || s.broken.Load() {
		return nil
	}
	if err := s.db.Set(append(bytes.Clone(answers), key...), v, pebble.NoSync); err != nil {
		s.broken.Store(true)
		return fmt.Errorf("answer shelf: put %s: %w", key, err)
	}
	return nil
}

// Wipe removes every answer, durably, and refuses from now on answers
// made at a generation older than gen. It also removes the stamp (the
// shelf does not know how many erasures the log holds now), so that the
// next Open empties the shelf again. When it fails, the shelf serves and
// keeps nothing more until it is opened again.
func (s *Shelf) Wipe(gen uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen = max(s.gen, gen)
	b := s.db.NewBatch()
	if err := errors.Join(b.DeleteRange(answers, end(answers), nil), b.Delete(stampKey, nil), b.Commit(pebble.Sync)); err != nil {
		s.broken.Store(true)
		return fmt.Errorf("answer shelf: wipe: %w", err)
	}
	return nil
}

// Empty removes, durably, every answer of the shelf in dir, if there is
// one, and its stamp: for erasures made while no server runs on dir (a
// server that runs has the shelf open, and empties it itself when it
// learns of the erasure; Empty fails then).
func Empty(dir string, log *slog.Logger) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	s, err := Open(dir, -1, log)
	if err != nil {
		return err
	}
	return errors.Join(s.Wipe(0), s.Close())
}

// Close closes the shelf.
func (s *Shelf) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("answer shelf: close: %w", err)
	}
	return nil
}

// logger keeps pebble's informational lines out of the service's log and
// passes its errors on.
type logger struct{ log *slog.Logger }

func (logger) Infof(string, ...any) {}
func (l logger) Errorf(format string, args ...any) {
	l.log.Error("answer shelf: " + fmt.Sprintf(format, args...))
}
func (l logger) Fatalf(format string, args ...any) {
	msg := "answer shelf: " + fmt.Sprintf(format, args...)
	l.log.Error(msg)
	panic(msg)
}
