// Package answershelf keeps answers the server made (the pages and items
// a read costs most to make) on disk, so that a restart does not make the
// first reader of every page pay for making it again.
//
// A shelf is a cache: losing any part of it costs time, never
// correctness. What it holds must never outlive an erasure, in the live
// files or in any copy or backup of them. So every answer is sealed
// (ChaCha20-Poly1305, as the ledger's personal fields are) with the
// shelf's own key, kept in the server's key store beside the people's
// keys, and an erasure destroys that key: Wipe, which the sealer's
// watchers call before the erasure returns, destroys it in the key store
// and stops the shelf, with no read or write of the shelf's own files;
// they are deleted and made again, with a new key, on the shelf's own
// goroutine. The shelf serves an answer only to a read of the sealer's
// generation of its last wipe, and keeps one only when it was made at
// that generation or a newer one. Across a restart the shelf is stamped
// with what its answers depend on besides the log (the caller says what:
// the number of erasures the log holds, the build): a start with another
// stamp, after a wipe, or without the shelf's key deletes the files.
package answershelf

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/golang/snappy"
	"github.com/google/uuid"
	"golang.org/x/crypto/chacha20poly1305"
)

// Keys is the key store the shelf's key lives in (privacy.KeyStore).
type Keys interface {
	// Ensure creates the keys with ids that do not exist, durably.
	Ensure(ctx context.Context, ids []string) (erased []string, err error)
	// Key returns the key with id.
	Key(ctx context.Context, id string) ([]byte, error)
	// Erase destroys the keys with ids, durably.
	Erase(ctx context.Context, at time.Time, ids ...string) error
}

// Shelf is one pebble instance in <dir>/db, under a lock on dir that a
// second process cannot take. Keys are "a/<key>" for answers (value: a
// nonce, then, sealed, the version, length-prefixed, and the answer,
// snappy-compressed), "m/stamp"
// for the stamp and "m/key" for the id of the shelf's key in the key
// store. Safe for concurrent use.
//
// Two locks: state guards what a read or a write checks first (the
// generation, the epoch, stale, dirty) and is never held across a read or
// a write of a file or of the key store, so that Wipe, on an erasure's
// path, waits for no disk; mu guards the files (db, aead, filesEpoch):
// reads and writes take it shared, the goroutine that makes the files
// again and Close exclusive.
type Shelf struct {
	dir  string
	log  *slog.Logger
	keys Keys
	lock io.Closer

	state sync.Mutex
	// gen is the generation of the last wipe (or Start): reads of other
	// generations are not served, answers of older ones are not kept.
	gen uint64
	// epoch counts the wipes that destroyed a key: an answer is written
	// only into files of the epoch it was checked in.
	epoch uint64
	// stale is set by such a wipe until the files of its epoch are made:
	// the shelf serves and keeps nothing meanwhile.
	stale bool
	// dirty is set when the files may hold an answer: a wipe with none
	// to remove destroys no key (a retention run erases many at once).
	dirty bool
	// keyID is the id of the key of the newest files, in the key store
	// (and in <dir>/key, so that files that no longer open do not hide
	// it).
	keyID string
	// doomed are the keys a wipe must have destroyed before it returns:
	// kept until the key store says they are, so that a wipe that failed
	// is done again by the next, and two erasures at once both wait.
	doomed []string
	// closed is set by Close: no wipe asks for files made again after it.
	closed bool

	mu         sync.RWMutex
	db         *pebble.DB // nil once closed
	aead       cipher.AEAD
	filesEpoch uint64

	// broken is set by the first error of a read, a write or a wipe: the
	// shelf then serves and keeps nothing more (it is a cache, and a
	// failing disk is not logged at every read).
	broken atomic.Bool
	// remake asks the shelf's goroutine to make the files again; done is
	// closed when it has stopped.
	remake chan struct{}
	done   chan struct{}
}

var (
	answers  = []byte("a/")
	stampKey = []byte("m/stamp")
)

// KeyPrefix starts the ids of shelves' keys in the key store. They seal a
// cache only: backups and copies of keys leave them out.
const KeyPrefix = "answers/"

// ErrInUse is returned by Open and Empty when another process holds the
// shelf.
var ErrInUse = errors.New("answer shelf: in use by another process")

// Open opens the shelf in dir, creating it if needed, for stamp, with its
// key in keys: a shelf stamped otherwise, or wiped since its stamp, or
// whose key is gone, or whose files do not open, is deleted and made
// again with a new key. It fails with ErrInUse when another process holds
// dir. pebble's errors go to log.
func Open(ctx context.Context, dir, stamp string, keys Keys, log *slog.Logger) (*Shelf, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("answer shelf %s: %w", dir, err)
	}
	lock, err := pebble.LockDirectory(dir, vfs.Default)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInUse, dir, err)
	}
	s := &Shelf{dir: dir, log: log, keys: keys, lock: lock, remake: make(chan struct{}, 1), done: make(chan struct{})}
	if err := s.openKept(ctx, stamp); err != nil {
		log.Warn("answer shelf: what it kept is not used: made again", "dir", dir, "err", err)
		if err := s.makeAgain(ctx, stamp, 0); err != nil {
			return nil, errors.Join(fmt.Errorf("answer shelf %s: %w", dir, err), s.closeFiles())
		}
	}
	go s.remaking()
	return s, nil
}

// errNotKept is why openKept keeps nothing of a shelf stamped otherwise.
var errNotKept = errors.New("another stamp, or none")

// openKept opens the files in <dir>/db when they hold answers for stamp
// sealed with a key keys still holds. Otherwise it destroys their key, the
// one <dir>/key names, whether or not the files open.
func (s *Shelf) openKept(ctx context.Context, stamp string) error {
	id, err := readKeyID(s.dir)
	if err != nil {
		return err
	}
	db, err := s.open()
	var aead cipher.AEAD
	if err == nil {
		got, gotErr := value(db, stampKey)
		switch err = gotErr; {
		case err != nil:
		case got != stamp || id == "":
			err = errNotKept
		default:
			aead, err = s.cipher(ctx, id)
		}
		if err != nil {
			err = errors.Join(err, db.Close())
		}
	}
	if err != nil {
		if id != "" {
			// The old answers' key goes with them.
			if eerr := s.keys.Erase(ctx, time.Now(), id); eerr != nil {
				return errors.Join(err, fmt.Errorf("destroy the old answers' key: %w", eerr))
			}
		}
		return err
	}
	s.db, s.aead, s.keyID, s.dirty = db, aead, id, true
	return nil
}

// keyFile is where a shelf names its key, outside pebble's files.
const keyFile = "key"

// readKeyID returns the id <dir>/key names, "" when there is none.
func readKeyID(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, keyFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	return string(bytes.TrimSpace(b)), err
}

// writeKeyID makes <dir>/key name id, durably.
func writeKeyID(dir, id string) error {
	tmp := filepath.Join(dir, keyFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(id + "\n")
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, keyFile)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// value returns key's value in db, "" when there is none.
func value(db *pebble.DB, key []byte) (string, error) {
	v, closer, err := db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer closer.Close()
	return string(v), nil
}

// cipher returns the sealing of the key with id in s.keys.
func (s *Shelf) cipher(ctx context.Context, id string) (cipher.AEAD, error) {
	k, err := s.keys.Key(ctx, id)
	if err != nil {
		return nil, err
	}
	return chacha20poly1305.New(k)
}

// makeAgain deletes <dir>/db, durably, and opens an empty one with a new
// key, stamped with stamp ("" for none), for epoch. It needs mu held, or
// the shelf not yet shared.
func (s *Shelf) makeAgain(ctx context.Context, stamp string, epoch uint64) error {
	if s.db != nil {
		_ = s.db.Close() // its files are deleted next
		s.db = nil
	}
	if err := removeDurably(filepath.Join(s.dir, "db")); err != nil {
		return err
	}
	// Named first: a crash before the key is made leaves a name the next
	// Open destroys (a tombstone), never a key nobody names.
	id := KeyPrefix + uuid.NewString()
	if err := writeKeyID(s.dir, id); err != nil {
		return err
	}
	if _, err := s.keys.Ensure(ctx, []string{id}); err != nil {
		return err
	}
	aead, err := s.cipher(ctx, id)
	if err != nil {
		return err
	}
	db, err := s.open()
	if err != nil {
		return err
	}
	if stamp != "" {
		if err := db.Set(stampKey, []byte(stamp), pebble.Sync); err != nil {
			return errors.Join(err, db.Close())
		}
	}
	s.db, s.aead, s.filesEpoch = db, aead, epoch
	s.state.Lock()
	s.keyID = id
	if s.epoch == epoch {
		s.dirty, s.stale = false, false
	}
	s.state.Unlock()
	return nil
}

// The shelf's memory (a server of a million events is held under 512
// MiB, of ten million under 1 GiB): its block cache, which holds the
// files' indexes and filters and few answers, since an answer is read from it
// once after a restart and then from the server's own cache in memory,
// most of them in one pass at start (Each); but a board's items never
// read before are each looked for in vain, and at ten million events,
// with 1 MiB, those look-ups read the index blocks again and took a fifth
// of the board's CPU: with 16 MiB the saturated board answered a sixth
// more pages, at a peak some 48 MiB higher (docs/performance.md,
// thirty-fourth session); and its
// memtable, some 300 answers of a few kilobytes.
const (
	cacheBytes    = 16 << 20
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
// sealer's at the server's start. Read it before watching the sealer, and
// Wipe after when it moved meanwhile.
func (s *Shelf) Start(gen uint64) {
	s.state.Lock()
	s.gen = max(s.gen, gen)
	s.state.Unlock()
}

// check reports whether a read (exact) or a write (not exact) of
// generation gen may use the files, and the epoch it may use them in.
func (s *Shelf) check(gen uint64, exact bool) (uint64, bool) {
	s.state.Lock()
	defer s.state.Unlock()
	ok := !s.stale && !s.broken.Load() && (gen == s.gen || !exact && gen > s.gen)
	return s.epoch, ok
}

// Get returns the answer kept under key when it was kept at version, for
// a read of the sealer's generation gen, and false when none is, the one
// kept is of another version, or gen is not the last wipe's; also false,
// without waiting, while the files are being made again after a wipe (a
// board page reads the shelf under the views' read lock, which the fold
// waits for). Its first error stops the shelf (see Shelf.broken).
func (s *Shelf) Get(gen uint64, key, version string) ([]byte, bool, error) {
	epoch, ok := s.check(gen, true)
	if !ok {
		return nil, false, nil
	}
	if !s.mu.TryRLock() {
		return nil, false, nil
	}
	defer s.mu.RUnlock()
	if s.db == nil || s.filesEpoch != epoch {
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
	kept, answer, err := s.unseal(key, v)
	if err != nil {
		s.broken.Store(true)
		return nil, false, fmt.Errorf("answer shelf: get %s: %w", key, err)
	}
	if kept != version {
		return nil, false, nil
	}
	// Again: a wipe may have returned while this read was in the files.
	if now, ok := s.check(gen, true); !ok || now != epoch {
		return nil, false, nil
	}
	return answer, true, nil
}

// unseal returns the version and the answer of the value v kept under key.
// The caller holds mu shared.
func (s *Shelf) unseal(key string, v []byte) (version string, answer []byte, err error) {
	ns := s.aead.NonceSize()
	var plain []byte
	if len(v) > ns {
		plain, err = s.aead.Open(nil, v[:ns], v[ns:], []byte(key))
	}
	if err == nil {
		plain, err = snappy.Decode(nil, plain)
	}
	n, w := binary.Uvarint(plain)
	if len(plain) == 0 || err != nil || w <= 0 || uint64(len(plain)-w) < n {
		return "", nil, fmt.Errorf("a value that does not open (%v)", err)
	}
	return string(plain[w : w+int(n)]), plain[w+int(n):], nil
}

// Each calls fn with the key, the version and the answer of every answer
// kept under a key that starts with prefix, in the order of their keys,
// for a read of the sealer's generation gen, until fn returns false: to
// put what a server kept before a restart back into its memory in one
// pass over the files, rather than a read of them an answer. It calls
// fn with none when gen is not the last wipe's, and stops at a wipe:
// what it gave before it is of gen, which the caller's own generation
// checks then refuse. Its first error stops the shelf (see
// Shelf.broken).
func (s *Shelf) Each(gen uint64, prefix string, fn func(key, version string, answer []byte) bool) error {
	epoch, ok := s.check(gen, true)
	if !ok {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil || s.filesEpoch != epoch {
		return nil
	}
	lower := append(bytes.Clone(answers), prefix...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower})
	if err != nil {
		s.broken.Store(true)
		return fmt.Errorf("answer shelf: read %s: %w", prefix, err)
	}
	for it.First(); it.Valid() && bytes.HasPrefix(it.Key(), lower); it.Next() {
		if now, ok := s.check(gen, true); !ok || now != epoch {
			break
		}
		key := string(it.Key()[len(answers):])
		version, answer, err := s.unseal(key, it.Value())
		if err != nil {
			s.broken.Store(true)
			return errors.Join(fmt.Errorf("answer shelf: read %s: %w", key, err), it.Close())
		}
		if !fn(key, version, answer) {
			break
		}
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		s.broken.Store(true)
		return fmt.Errorf("answer shelf: read %s: %w", prefix, err)
	}
	return nil
}

// Keeps reports whether an answer of the sealer's generation gen put now
// would be kept and read back by a read of gen, and the epoch of the files
// it would be kept in: not while the files are made again after a wipe
// (each making starts an epoch, and destroys what the files held), not
// once an error stopped the shelf, not for a generation other than the
// last wipe's.
func (s *Shelf) Keeps(gen uint64) (epoch uint64, ok bool) {
	epoch, ok = s.check(gen, true)
	if !ok {
		return 0, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return epoch, s.db != nil && s.filesEpoch == epoch
}

// Put keeps answer under key at version, in place of any answer kept
// under key before, unless it was made at a generation older than the
// last wipe's. It does not wait for the disk: a crash may lose it. Its
// first error stops the shelf (see Shelf.broken).
func (s *Shelf) Put(gen uint64, key, version string, answer []byte) error {
	s.state.Lock()
	ok := !s.stale && !s.broken.Load() && gen >= s.gen
	epoch := s.epoch
	if ok {
		// Before the write: a wipe that follows destroys the key the
		// write uses.
		s.dirty = true
	}
	s.state.Unlock()
	if !ok {
		return nil
	}
	plain := make([]byte, 0, binary.MaxVarintLen64+len(version)+len(answer))
	plain = binary.AppendUvarint(plain, uint64(len(version)))
	plain = append(append(plain, version...), answer...)
	// Compressed before it is sealed: a sealed value does not compress
	// (33 MB of pages at one million events, 12 MB so).
	plain = snappy.Encode(nil, plain)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil || s.filesEpoch != epoch {
		return nil
	}
	ns := s.aead.NonceSize()
	v := make([]byte, ns, ns+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(v); err != nil {
		return fmt.Errorf("answer shelf: put %s: %w", key, err)
	}
	v = s.aead.Seal(v, v[:ns], plain, []byte(key))
	if err := s.db.Set(append(bytes.Clone(answers), key...), v, pebble.NoSync); err != nil {
		s.broken.Store(true)
		return fmt.Errorf("answer shelf: put %s: %w", key, err)
	}
	return nil
}

// Wipe makes every answer kept unreadable, in the live files and in any
// copy of them: it destroys the shelf's key in the key store, durably, and
// stops the shelf. It touches none of the shelf's files and waits for no
// read or write of them: the shelf's goroutine deletes them and makes
// empty ones, with a new key and without a stamp (so that the next Open
// deletes what is kept after it too). From then on the shelf serves reads
// of generation gen only, and keeps answers of gen or newer. When the key
// is not destroyed, the shelf serves and keeps nothing more.
func (s *Shelf) Wipe(gen uint64) error {
	s.state.Lock()
	s.gen = max(s.gen, gen)
	if s.dirty {
		s.stale, s.dirty = true, false
		s.epoch++
		s.doomed = append(s.doomed, s.keyID)
		if !s.closed {
			select {
			case s.remake <- struct{}{}:
			default: // one is pending already
			}
		}
	}
	doomed := slices.Clone(s.doomed)
	s.state.Unlock()
	if len(doomed) == 0 {
		return nil
	}
	if err := s.keys.Erase(context.Background(), time.Now(), doomed...); err != nil {
		s.broken.Store(true)
		return fmt.Errorf("answer shelf: wipe: destroy its key: %w", err)
	}
	s.state.Lock()
	s.doomed = slices.DeleteFunc(s.doomed, func(id string) bool { return slices.Contains(doomed, id) })
	s.state.Unlock()
	return nil
}

// remaking makes the files again after each wipe, until Close.
func (s *Shelf) remaking() {
	defer close(s.done)
	for range s.remake {
		s.state.Lock()
		epoch, closed, doomed := s.epoch, s.closed, len(s.doomed) > 0
		s.state.Unlock()
		if closed {
			continue
		}
		if doomed {
			// The files' name for their key is replaced only once the key
			// is destroyed: a wipe that could not destroy it left the
			// shelf broken, and the next Open destroys it.
			if err := s.Wipe(0); err != nil {
				s.log.Error("answer shelf: its key was not destroyed: it keeps nothing more", "err", err)
				continue
			}
		}
		s.mu.Lock()
		// The answers sealed with the destroyed key are deleted with
		// their files.
		err := s.makeAgain(context.Background(), "", epoch)
		s.mu.Unlock()
		if err != nil {
			s.broken.Store(true)
			s.log.Error("answer shelf: not made again after an erasure: it keeps nothing more (what it kept was unreadable already)", "err", err)
		}
	}
}

// Empty deletes every answer of the shelf in dir, if there is one, and
// destroys its key in keys: for erasures made while no server runs on dir.
// It fails with ErrInUse when a server holds the shelf (that server
// empties it itself when it learns of the erasure).
func Empty(ctx context.Context, dir string, keys Keys) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	lock, err := pebble.LockDirectory(dir, vfs.Default)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInUse, dir, err)
	}
	id, err := readKeyID(dir)
	if err == nil && id != "" {
		err = keys.Erase(ctx, time.Now(), id)
	}
	if err == nil {
		err = removeDurably(filepath.Join(dir, "db"))
	}
	if cerr := lock.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("answer shelf %s: empty it: %w", dir, err)
	}
	return nil
}

// Close stops the shelf's goroutine and closes its files; reads and
// writes after it find nothing.
func (s *Shelf) Close() error {
	s.state.Lock()
	if s.closed {
		s.state.Unlock()
		return nil
	}
	s.closed = true
	close(s.remake)
	s.state.Unlock()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeFiles()
}

// closeFiles closes the pebble instance and the directory's lock. It
// needs mu held, or the shelf not yet shared.
func (s *Shelf) closeFiles() error {
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
// views' table store's do: pebble does not go on after one; no erasure
// waits for the shelf's files.
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
