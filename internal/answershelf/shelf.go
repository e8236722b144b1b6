// Package answershelf keeps answers the server made (the public pages a
// read costs most to make) on disk, so that a restart does not make the
// first reader of every page pay for making it again.
//
// A shelf is a cache: losing any part of it costs time, never
// correctness. What it holds must never outlive an erasure. Every answer
// is made at a generation of the sealer (privacy.Sealer.Generation), and
// an erasure starts a new one; Wipe, called then, deletes the shelf's
// files and starts empty ones before it returns, so that no byte of an
// answer stays in a live file. The shelf serves an answer only to a read
// of the generation of its last wipe, and keeps one only when it was made
// at that generation or a newer one. Across a restart, the shelf is
// stamped with what its answers depend on besides the log (the caller
// says what: the number of erasures the log held, the build that made
// them): a start with another stamp, or after a wipe, deletes the files.
package answershelf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Shelf is one pebble instance in <dir>/db, under a lock on dir that a
// second process cannot take. Keys are "a/<key>" for answers (value: the
// answer's version, length-prefixed, then the answer) and "m/stamp" for
// the stamp. Safe for concurrent use.
type Shelf struct {
	dir  string
	log  *slog.Logger
	lock io.Closer
	// mu guards db: reads take it shared, a wipe and Close exclusive.
	mu sync.RWMutex
	db *pebble.DB // nil once closed or broken
	// gen is the generation of the last wipe (or Start): reads of other
	// generations are not served, answers of older ones are not kept.
	gen atomic.Uint64
	// dirty is set when the files may hold an answer: a wipe with none
	// to remove deletes nothing (a retention run erases many at once).
	dirty atomic.Bool
	// broken is set by the first error of a read or a write: the shelf
	// then serves and keeps nothing more (it is a cache, and a failing
	// disk is not logged at every read).
	broken atomic.Bool
}

var (
	answers  = []byte("a/")
	stampKey = []byte("m/stamp")
)

// ErrInUse is returned by Open and Empty when another process holds the
// shelf.
var ErrInUse = errors.New("answer shelf: in use by another process")

// Open opens the shelf in dir, creating it if needed, for stamp: a shelf
// stamped otherwise, or wiped since its stamp, or whose files do not open,
// is deleted and made again. It fails with ErrInUse when another process
// holds dir. pebble's errors go to log.
func Open(dir, stamp string, log *slog.Logger) (*Shelf, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("answer shelf %s: %w", dir, err)
	}
	lock, err := pebble.LockDirectory(dir, vfs.Default)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInUse, dir, err)
	}
	s := &Shelf{dir: dir, log: log, lock: lock}
	db, err := s.open()
	if err == nil {
		var kept bool
		if kept, err = stamped(db, stamp); err == nil && kept {
			s.db = db
			s.dirty.Store(true)
			return s, nil
		}
		err = errors.Join(err, db.Close())
	}
	if err != nil {
		log.Warn("answer shelf: its files did not open: made again", "dir", dir, "err", err)
	}
	if s.db, err = s.remake(); err == nil {
		err = s.db.Set(stampKey, []byte(stamp), pebble.Sync)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("answer shelf %s: %w", dir, err), s.Close())
	}
	return s, nil
}

// stamped reports whether db's stamp is stamp.
func stamped(db *pebble.DB, stamp string) (bool, error) {
	v, closer, err := db.Get(stampKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	return string(v) == stamp, nil
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

// open opens the pebble instance in <dir>/db.
func (s *Shelf) open() (*pebble.DB, error) {
	cache := pebble.NewCache(cacheBytes)
	defer cache.Unref()
	o := &pebble.Options{
		FormatMajorVersion: pebble.FormatNewest,
		MemTableSize:       memTableBytes,
		Cache:              cache,
		Logger:             &logger{log: s.log},
	}
	// Bloom filters: a page never read before is looked for in vain.
	o.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	return pebble.Open(filepath.Join(s.dir, "db"), o)
}

// remake deletes <dir>/db, durably, and opens an empty one.
func (s *Shelf) remake() (*pebble.DB, error) {
	if err := removeDurably(filepath.Join(s.dir, "db")); err != nil {
		return nil, err
	}
	return s.open()
}

// removeDurably deletes dir and waits for its parent's entry to be gone
// from the disk.
func removeDurably(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	parent, err := os.Open(filepath.Dir(dir))
	if err != nil {
		return err
	}
	return errors.Join(parent.Sync(), parent.Close())
}

// Start sets the generation of the answers the shelf holds at open: the
// sealer's at the server's start, read once the shelf's wipes are watched.
func (s *Shelf) Start(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen.Store(max(s.gen.Load(), gen))
}

// Get returns the answer kept under key when it was kept at version, for
// a read of the sealer's generation gen, and false when none is, the one
// kept is of another version, or gen is not the last wipe's. Its first
// error stops the shelf (see Shelf.broken).
func (s *Shelf) Get(gen uint64, key, version string) ([]byte, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil || s.broken.Load() || gen != s.gen.Load() {
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
// last wipe's. It does not wait for the disk: a crash may lose it. Its
// first error stops the shelf (see Shelf.broken).
func (s *Shelf) Put(gen uint64, key, version string, answer []byte) error {
	v := make([]byte, 0, binary.MaxVarintLen64+len(version)+len(answer))
	v = binary.AppendUvarint(v, uint64(len(version)))
	v = append(append(v, version...), answer...)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil || s.broken.Load() || gen < s.gen.Load() {
		return nil
	}
	// dirty is set before the write, under the shared lock, so that a
	// wipe (which takes the lock exclusively) sees it.
	s.dirty.Store(true)
	if err := s.db.Set(append(bytes.Clone(answers), key...), v, pebble.NoSync); err != nil {
		s.broken.Store(true)
		return fmt.Errorf("answer shelf: put %s: %w", key, err)
	}
	return nil
}

// Wipe removes every answer, its bytes included: it closes the shelf's
// files, deletes them durably and opens empty ones, without a stamp, so
// that the next Open deletes what is kept after it too (the shelf does
// not know how many erasures the log holds now). From then on it serves
// reads of generation gen only, and keeps answers of gen or newer. Reads
// and writes wait meanwhile. When it fails, the shelf serves and keeps
// nothing more.
func (s *Shelf) Wipe(gen uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return nil
	}
	if !s.dirty.Load() {
		s.gen.Store(max(s.gen.Load(), gen))
		return nil
	}
	// The stamp goes first, so that files a failed deletion leaves are
	// deleted by the next Open. What matters is that the files go: these
	// two steps' errors are not the wipe's.
	_ = s.db.Delete(stampKey, pebble.Sync)
	_ = s.db.Close()
	s.db = nil
	db, err := s.remake()
	if err != nil {
		s.broken.Store(true)
		return fmt.Errorf("answer shelf: wipe: %w", err)
	}
	s.db = db
	s.dirty.Store(false)
	s.gen.Store(max(s.gen.Load(), gen))
	return nil
}

// Empty deletes every answer of the shelf in dir, if there is one: for
// erasures made while no server runs on dir. It fails with ErrInUse when
// a server holds the shelf (that server empties it itself when it learns
// of the erasure).
func Empty(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	lock, err := pebble.LockDirectory(dir, vfs.Default)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInUse, dir, err)
	}
	err = removeDurably(filepath.Join(dir, "db"))
	if cerr := lock.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("answer shelf %s: empty it: %w", dir, err)
	}
	return nil
}

// Close closes the shelf; reads and writes after it find nothing.
func (s *Shelf) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.db != nil {
		err = s.db.Close()
		s.db = nil
	}
	if s.lock != nil {
		err = errors.Join(err, s.lock.Close())
		s.lock = nil
	}
	if err != nil {
		return fmt.Errorf("answer shelf: close: %w", err)
	}
	return nil
}

// logger keeps pebble's informational lines out of the service's log and
// passes its first error on (a failing disk would repeat it at every
// retry of a flush). A fatal error of pebble's stops the server, as the
// views' table store's do: pebble does not go on after one.
type logger struct {
	log    *slog.Logger
	logged atomic.Bool
}

func (*logger) Infof(string, ...any) {}
func (l *logger) Errorf(format string, args ...any) {
	if l.logged.CompareAndSwap(false, true) {
		l.log.Error("answer shelf: "+fmt.Sprintf(format, args...), "note", "later errors of the shelf's files are not logged")
	}
}
func (l *logger) Fatalf(format string, args ...any) {
	msg := "answer shelf: " + fmt.Sprintf(format, args...)
	l.log.Error(msg)
	panic(msg)
}
