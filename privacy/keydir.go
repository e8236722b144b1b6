package privacy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"os"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// KeyDir is the embedded key store: a pebble database of its own in a
// directory beside the ledger's data (never inside the ledger). Every
// write is synced before it returns; an erasure also flushes and compacts
// the key range, so the destroyed key no longer sits in any live table of
// the database (docs/privacy.md says what that does and does not promise).
type KeyDir struct {
	db   *pebble.DB
	mu   sync.Mutex // one writer at a time: Ensure's check-then-create
	path string
	// ensureSync is how Ensure commits: pebble.Sync unless opened with
	// BulkLoad.
	ensureSync *pebble.WriteOptions
	// readOnly opens the store without writing a file of it (ReadOnly).
	readOnly bool
}

// KeyDirOption configures OpenKeyDir.
type KeyDirOption func(*KeyDir)

// BulkLoad makes Ensure return before its new keys are synced; the bulk
// writer must call Sync before it appends events that use them (yishi
// generate does, before every append).
func BulkLoad() KeyDirOption { return func(d *KeyDir) { d.ensureSync = pebble.NoSync } }

// ReadOnly opens an existing key store without changing any of its files,
// for an auditor's commands on an evidence copy (yishi verify --views).
func ReadOnly() KeyDirOption { return func(d *KeyDir) { d.readOnly = true } }

// Sync makes every key written so far durable.
func (d *KeyDir) Sync() error {
	if err := d.db.LogData(nil, pebble.Sync); err != nil {
		return fmt.Errorf("key store: sync: %w", err)
	}
	return nil
}

var _ KeyStore = (*KeyDir)(nil)

// Record kinds of a KeyDir value.
const (
	recKey  byte = 1
	recTomb byte = 2
)

// OpenKeyDir opens (creating it if needed) the key store in dir. Returns an
// error when another process has it open.
func OpenKeyDir(dir string, opts ...KeyDirOption) (*KeyDir, error) {
	d := &KeyDir{path: dir, ensureSync: pebble.Sync}
	for _, o := range opts {
		o(d)
	}
	if !d.readOnly {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open key store %s: %w", dir, err)
		}
	}
	db, err := pebble.Open(dir, &pebble.Options{
		MemTableSize: 1 << 20,
		Logger:       quietLogger{},
		ReadOnly:     d.readOnly,
	})
	if err != nil {
		return nil, fmt.Errorf("open key store %s: %w", dir, err)
	}
	d.db = db
	return d, nil
}

// quietLogger keeps pebble's informational lines out of the service's log.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("key store: "+format, args...))
}

func dbKey(id string) []byte { return append([]byte("k/"), id...) }

// get reads id's record from r (the database, or a batch being written
// over it, which sees its own records first): the key, or nil and the
// erasure time, or found false. Records are read from the database, not held in memory: a city's
// ledger holds millions of keys, and the Sealer caches the ciphers of the
// ones in use.
func (d *KeyDir) get(r pebble.Reader, id string) (key []byte, erased time.Time, found bool, err error) {
	v, closer, err := r.Get(dbKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("key store: read %s: %w", id, err)
	}
	defer closer.Close()
	return decodeRecord(id, v)
}

func decodeRecord(id string, v []byte) ([]byte, time.Time, bool, error) {
	switch {
	case len(v) == 1+KeySize && v[0] == recKey:
		return append([]byte(nil), v[1:]...), time.Time{}, true, nil
	case len(v) == 9 && v[0] == recTomb:
		return nil, time.Unix(0, int64(binary.BigEndian.Uint64(v[1:]))).UTC(), true, nil
	}
	return nil, time.Time{}, false, fmt.Errorf("key store: record of %s is damaged (%d bytes)", id, len(v))
}

func tombstone(at time.Time) []byte {
	v := make([]byte, 9)
	v[0] = recTomb
	binary.BigEndian.PutUint64(v[1:], uint64(at.UnixNano()))
	return v
}

// Ensure implements KeyStore: the new keys of one call are written in one
// synced batch.
func (d *KeyDir) Ensure(_ context.Context, ids []string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var erased []string
	b := d.db.NewIndexedBatch()
	defer b.Close()
	for _, id := range ids {
		k, _, found, err := d.get(b, id)
		if err != nil {
			return nil, err
		}
		if found {
			if k == nil {
				erased = append(erased, id)
			}
			continue
		}
		k, err = newKey()
		if err != nil {
			return nil, err
		}
		if err := b.Set(dbKey(id), append([]byte{recKey}, k...), nil); err != nil {
			return nil, fmt.Errorf("key store: %w", err)
		}
	}
	if b.Empty() {
		return erased, nil
	}
	if err := b.Commit(d.ensureSync); err != nil {
		return nil, fmt.Errorf("key store: write keys: %w", err)
	}
	return erased, nil
}

// Key implements KeyStore.
func (d *KeyDir) Key(_ context.Context, id string) ([]byte, error) {
	k, _, found, err := d.get(d.db, id)
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, fmt.Errorf("key %s: %w", id, ErrNoKey)
	case k == nil:
		return nil, fmt.Errorf("key %s: %w", id, ErrErased)
	}
	return k, nil
}

// Erase implements KeyStore. After the synced tombstones it flushes the
// memtable and compacts the key range, so the keys' bytes are rewritten
// out of the database's live files.
func (d *KeyDir) Erase(ctx context.Context, at time.Time, ids ...string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.db.NewIndexedBatch()
	defer b.Close()
	for _, id := range ids {
		_, when, found, err := d.get(b, id)
		if err != nil {
			return err
		}
		if found && !when.IsZero() {
			continue
		}
		if err := b.Set(dbKey(id), tombstone(at), nil); err != nil {
			return fmt.Errorf("key store: %w", err)
		}
	}
	if b.Empty() {
		return nil
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("key store: erase: %w", err)
	}
	if err := d.db.Flush(); err != nil {
		return fmt.Errorf("key store: erase: flush: %w", err)
	}
	if err := d.db.Compact(ctx, []byte("k/"), []byte("k0"), false); err != nil {
		return fmt.Errorf("key store: erase: compact: %w", err)
	}
	return nil
}

// All implements KeyStore.
func (d *KeyDir) All(ctx context.Context) iter.Seq2[Entry, error] { return d.scan(ctx) }

// scan reads every record from the database, ordered by id.
func (d *KeyDir) scan(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		it, err := d.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte("k/"), UpperBound: []byte("k0")})
		if err != nil {
			yield(Entry{}, fmt.Errorf("key store: %w", err))
			return
		}
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			id := string(it.Key()[2:])
			k, at, _, err := decodeRecord(id, it.Value())
			if !yield(Entry{ID: id, Key: k, Erased: at}, err) || err != nil {
				return
			}
		}
		if err := it.Error(); err != nil {
			yield(Entry{}, fmt.Errorf("key store: %w", err))
		}
	}
}

// Put implements KeyStore.
func (d *KeyDir) Put(_ context.Context, entries []Entry) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.db.NewIndexedBatch()
	defer b.Close()
	for _, e := range entries {
		var v []byte
		switch {
		case e.Key == nil:
			v = tombstone(e.Erased)
		case len(e.Key) != KeySize:
			return fmt.Errorf("key store: key %s has %d bytes, want %d", e.ID, len(e.Key), KeySize)
		default:
			if _, when, found, err := d.get(b, e.ID); err != nil {
				return err
			} else if found && !when.IsZero() {
				continue
			}
			v = append([]byte{recKey}, e.Key...)
		}
		if err := b.Set(dbKey(e.ID), v, nil); err != nil {
			return fmt.Errorf("key store: %w", err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("key store: put: %w", err)
	}
	return nil
}

// Close implements KeyStore.
func (d *KeyDir) Close() error {
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("close key store %s: %w", d.path, err)
	}
	return nil
}
