// Package pebble is Yishi's embedded event store, the default backend: one
// data directory, no server, built on github.com/cockroachdb/pebble/v2.
//
// One committer goroutine owns every write. It drains all pending appends,
// answers idempotent retries, checks expected revisions, assigns global
// positions, writes the whole group as one pebble batch with one WAL sync,
// and only then acknowledges the appends and publishes the new high-water
// mark to readers and subscribers. Global order is therefore commit order and
// has no gaps a subscriber could trip over; readers never see an event that
// is not yet durable. A process lock (flock) keeps a second process, or a
// second Open in the same process, away from the data.
//
// The store does not implement the HTTP or domain layers, and it never
// deletes or rewrites an event.
package pebble

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"golang.org/x/sys/unix"
	"golang.org/x/time/rate"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/internal/spanpolicy"
)

// Store is the embedded event store. It implements eventstore.Store.
type Store struct {
	db       *pebble.DB
	lock     *os.File // nil for a read-only store without a lock file
	now      func() time.Time
	space    *space
	readOnly bool

	reqs      chan *appendRequest
	committed chan struct{} // closed when the committer has returned

	// life is held for reading by every operation that touches db and for
	// writing by Close, so Close waits for them and they see closed.
	life   sync.RWMutex
	closed bool

	mu     sync.Mutex
	head   eventstore.Position // the last durable, published position
	notify chan struct{}       // closed and replaced at every publication
	done   chan struct{}       // closed by Close: ends subscriptions
}

var _ eventstore.Store = (*Store)(nil)

// Option configures Open.
type Option func(*config)

type config struct {
	now      func() time.Time
	minFree  uint64
	ballast  int64
	log      *slog.Logger
	readOnly bool
}

// WithNow sets the clock that stamps Recorded times; tests pass a fixed one.
// The default is time.Now().UTC().
func WithNow(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// ReadOnly opens an existing store without changing a byte of it: pebble
// opens in read-only mode (no write-ahead log, MANIFEST or lock file of its
// own is written, no compaction runs), the process lock is taken shared, so
// that no writer opens the directory meanwhile, no ballast is made or
// released, the free space is not checked, and every Append fails with
// ErrReadOnly. Auditors' commands (verify, seal sign, export) use it on
// evidence copies.
func ReadOnly() Option {
	return func(c *config) { c.readOnly = true }
}

// ErrReadOnly is returned by Append on a store opened with ReadOnly.
var ErrReadOnly = errors.New("event store opened read-only")

// DensePositions reports that the store's positions are 1, 2, 3 … in
// commit order without gaps: the committer hands them out one by one and a
// failed commit ends all writes until the store is reopened. Verifiers use
// it to flag a gap (see ledger.DenseStore).
func (s *Store) DensePositions() bool { return true }

// lockFile is the file in the data directory that carries the process lock.
const lockFile = "yishi.lock"

// Open opens (creating it if needed) the store in dir. Returns an error
// matching eventstore.ErrLocked when another process, or another Store in
// this process, has dir open, and one matching eventstore.ErrDiskFull when
// the disk has too little space left to open the store safely (pebble may
// have to flush what it replays from its write-ahead log). A store opened
// on a disk below its floor serves reads and refuses appends until space is
// freed.
func Open(dir string, opts ...Option) (*Store, error) {
	c := config{
		now:     func() time.Time { return time.Now().UTC() },
		minFree: DefaultMinFree,
		log:     slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(&c)
	}
	if c.readOnly {
		c.ballast = 0 // neither made nor released
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	lock, err := lockDir(dir, c.readOnly)
	if err != nil {
		return nil, err
	}
	sp := newSpace(dir, c)
	if !c.readOnly {
		_ = sp.refresh() // releases the ballast on a full disk
		if free, err := freeBytes(dir); err == nil && free < minOpenFree(sp.floor) {
			closeLock(lock)
			return nil, fmt.Errorf("open event store %s: only %d MiB free, at least %d MiB needed to open it; free some space: %w",
				dir, free>>20, minOpenFree(sp.floor)>>20, eventstore.ErrDiskFull)
		}
	}
	po := pebbleOptions(sp)
	po.ReadOnly = c.readOnly
	db, err := pebble.Open(filepath.Join(dir, "pebble"), po)
	if err != nil {
		closeLock(lock)
		return nil, fmt.Errorf("open event store %s: %w", dir, err)
	}
	s := &Store{
		db:        db,
		lock:      lock,
		now:       c.now,
		space:     sp,
		readOnly:  c.readOnly,
		reqs:      make(chan *appendRequest, 256),
		committed: make(chan struct{}),
		notify:    make(chan struct{}),
		done:      make(chan struct{}),
	}
	lastEvent, err := s.lastKey(tableEvents)
	var lastID []byte
	if err == nil {
		lastID, err = s.lastKey(tableIDs)
	}
	if err != nil {
		db.Close()
		closeLock(lock)
		return nil, fmt.Errorf("open event store %s: find the end of the log: %w", dir, err)
	}
	w := newCommitter(s, lastEvent, lastID)
	s.head = w.next - 1
	go w.loop()
	if !c.readOnly {
		go s.watchSpace()
	}
	return s, nil
}

// minOpenFree is the free space Open needs: room for pebble to flush what
// it replays and to start a new write-ahead log.
func minOpenFree(floor uint64) uint64 { return min(floor, 4*memTableSize) }

// spaceInterval is how often the store looks at its disk between appends,
// so that readiness and metrics follow it and appends resume on their own.
const spaceInterval = time.Second

// watchSpace looks at the disk every spaceInterval until Close.
func (s *Store) watchSpace() {
	t := time.NewTicker(spaceInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			_ = s.space.refresh()
		}
	}
}

// Space reports the disk's free space and whether appends are refused; it
// implements eventstore.SpaceReporter.
func (s *Store) Space() eventstore.Space { return s.space.state() }

// pebbleOptions tunes pebble for an append-only log whose appends look up
// event ids and stream heads: bloom filters make the lookup of a new id (a
// miss) cheap, a memtable twice pebble's default halves the flushes, every
// table file holds keys of one table only (spanpolicy.FirstByte), and no
// table statistics are collected (the log has no tombstones). Pebble's
// errors go to the store's logger, at most one a second, and an ENOSPC met
// in the background marks the disk full at once.
func pebbleOptions(sp *space) *pebble.Options {
	lg := &pebbleLogger{log: sp.log, every: &rate.Sometimes{Interval: time.Second}}
	o := &pebble.Options{
		Logger:             lg,
		FormatMajorVersion: pebble.FormatNewest,
		MemTableSize:       memTableSize,
		// Table statistics tell pebble's compactions where tombstones
		// are; the log deletes nothing, so it has none. Collected, they
		// opened every table file after each open, beside the views'
		// load: 2,324 files and 8% of a start's CPU at ten million events
		// (docs/performance.md, twentieth session).
		DisableTableStats: true,
		EventListener: &pebble.EventListener{
			BackgroundError: func(err error) {
				if isNoSpace(err) {
					sp.noteNoSpace()
				}
				lg.Errorf("background error: %v", err)
			},
		},
	}
	o.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	// Every file pebble writes holds one table's keys (codec.go). Events
	// are keyed by position, so each new file of events lies past every
	// older one and overlaps none: it stays where it is while the small
	// index entries are merged. Otherwise each flushed file spans the
	// events and both indexes, overlaps every other, and every compaction
	// rewrites the events with them: appends of 100 measured 94–96k
	// events/s against 136k with it, two runs each (BenchmarkAppend,
	// docs/performance.md, "How the store is built").
	o.Experimental.SpanPolicyFunc = spanpolicy.FirstByte
	return o
}

// memTableSize is pebble's memtable size, its largest use of memory. Pebble
// preallocates each write-ahead log to 110% of it and keeps a few logs for
// reuse, so it also sets a fixed floor of disk use (up to about 35 MiB). 32 MiB measured no faster on the peers workload
// here, and cost 60 MiB more of both.
const memTableSize = 8 << 20

// closeSettle bounds how long Close lets pebble's compactions run: within
// the 10 s a container stop allows before its kill (which is safe too:
// pebble replays its log at the next start).
const closeSettle = 5 * time.Second

// settle waits, up to max, until db runs no compaction and no level needs
// one. pebble's Open schedules the compactions a store needs as it opens,
// and then waits for those under way before it removes obsolete files
// (pebble v2.1.7: Open, scanObsoleteFiles), so the ones a burst of
// appends left due (a generated ledger's, or a busy day's) would
// otherwise be paid by the next start (at 100k generated events, some
// 0.4 s of its time to ready), not by the stop.
func settle(db *pebble.DB, max time.Duration) {
	deadline := time.Now().Add(max)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); {
		if compacting(db.Metrics()) {
			quiet = 0
		} else {
			quiet++
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// compacting reports whether m shows a compaction running or a level that
// needs one.
func compacting(m *pebble.Metrics) bool {
	if m.Compact.NumInProgress > 0 {
		return true
	}
	for _, l := range m.Levels {
		if l.Score > 0 {
			return true
		}
	}
	return false
}

// lockDir takes an exclusive flock on dir's lock file, without waiting. A
// read-only store takes it shared and neither creates nor writes the file;
// it returns nil when there is no lock file (no writer ever opened dir).
func lockDir(dir string, readOnly bool) (*os.File, error) {
	flag, how := os.O_CREATE|os.O_RDWR, unix.LOCK_EX
	if readOnly {
		flag, how = os.O_RDONLY, unix.LOCK_SH
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), flag, 0o640)
	if readOnly && errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open event store lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("open event store %s: %w", dir, eventstore.ErrLocked)
		}
		return nil, fmt.Errorf("lock event store %s: %w", dir, err)
	}
	return f, nil
}

// closeLock releases a lock lockDir took, if any.
func closeLock(f *os.File) error {
	if f == nil {
		return nil
	}
	return f.Close()
}

// lastKey returns a copy of the last key of table, nil when it is empty.
func (s *Store) lastKey(table byte) ([]byte, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{table}, UpperBound: []byte{table + 1}})
	if err != nil {
		return nil, err
	}
	var last []byte
	if it.Last() {
		last = append(last, it.Key()...)
	}
	return last, it.Close()
}

// enter starts an operation on the database; it fails once the store is
// closed. Every successful enter must be followed by leave.
func (s *Store) enter() error {
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return eventstore.ErrClosed
	}
	return nil
}

func (s *Store) leave() { s.life.RUnlock() }

// usable returns eventstore.ErrClosed once the store is closed.
func (s *Store) usable() error {
	if err := s.enter(); err != nil {
		return err
	}
	s.leave()
	return nil
}

// published returns the last published position and the channel that is
// closed when a later one is published.
func (s *Store) published() (eventstore.Position, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head, s.notify
}

// publish makes everything up to pos visible and wakes every waiting reader.
func (s *Store) publish(pos eventstore.Position) {
	s.mu.Lock()
	s.head = pos
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
}

// Close lets pending appends finish, ends subscriptions with
// eventstore.ErrClosed, and releases the data directory. Calling Close again
// returns eventstore.ErrClosed.
func (s *Store) Close() error {
	s.life.Lock()
	if s.closed {
		s.life.Unlock()
		return eventstore.ErrClosed
	}
	s.closed = true
	close(s.reqs)
	s.life.Unlock()
	<-s.committed
	close(s.done)
	// Flushing the memtable leaves compact tables instead of write-ahead
	// logs (pebble preallocates each to the memtable's size) and makes the
	// next Open fast; after a crash Open replays the logs instead. On a
	// full disk the flush could not finish (pebble would retry it forever),
	// so the logs, which hold every acknowledged event, stay.
	var err error
	if !s.readOnly && !s.space.state().Full {
		if err = s.db.Flush(); err == nil {
			settle(s.db, closeSettle)
		}
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if lerr := closeLock(s.lock); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("close event store: %w", err)
	}
	return nil
}

// pebbleLogger drops pebble's informational messages and passes its errors
// to the store's logger, at most one a second (a flush that fails is
// retried at once, and would otherwise log hundreds of lines a second).
// Fatal ones end the process, as pebble's default logger does: pebble
// cannot go on after them.
type pebbleLogger struct {
	log   *slog.Logger
	every *rate.Sometimes
}

func (*pebbleLogger) Infof(string, ...any) {}

func (l *pebbleLogger) Errorf(format string, args ...any) {
	l.every.Do(func() { l.log.Error("pebble: " + fmt.Sprintf(format, args...)) })
}

func (l *pebbleLogger) Fatalf(format string, args ...any) {
	msg := "pebble: " + fmt.Sprintf(format, args...)
	l.log.Error(msg)
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(2)
}
