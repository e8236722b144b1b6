package privacy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"
)

// Errors of a key store.
var (
	// ErrErased is returned by KeyStore.Key for a key that was erased.
	ErrErased = errors.New("key erased")
	// ErrNoKey is returned by KeyStore.Key for a key that never existed
	// (or whose store was lost: see docs/privacy.md on backups).
	ErrNoKey = errors.New("no such key")
)

// KeySize is the size of every data key: AES-256.
const KeySize = 32

// Entry is one key store record: a live key, or the tombstone of an erased
// one (Key nil, Erased set).
type Entry struct {
	ID     string
	Key    []byte
	Erased time.Time
}

// KeyStore keeps the data keys, one per person (person/<id>) and per item
// (item/<stream>), apart from the ledger. It is the port a real KMS can
// implement later; OpenKeyDir is the embedded default and MemoryKeys the
// in-memory one for tests and benchmarks. Keys never leave it except
// through Key and All.
type KeyStore interface {
	// Ensure makes sure a key exists for every id, creating the missing ones
	// durably before it returns. It returns the ids that are erased (for
	// which no key will ever be created again).
	Ensure(ctx context.Context, ids []string) (erased []string, err error)
	// Key returns the key with id. Returns ErrErased for an erased key and
	// ErrNoKey for one that does not exist.
	Key(ctx context.Context, id string) ([]byte, error)
	// Erase destroys the keys with ids durably and leaves tombstones dated
	// at; erasing an erased or unknown key leaves a tombstone too.
	Erase(ctx context.Context, at time.Time, ids ...string) error
	// All yields every key and tombstone, ordered by id (for backups and
	// copies made with --with-keys).
	All(ctx context.Context) iter.Seq2[Entry, error]
	// Put stores entries as they are (restoring a backup). A tombstone
	// replaces a key; a key never replaces a tombstone.
	Put(ctx context.Context, entries []Entry) error
	// Close releases the store.
	Close() error
}

// newKey returns a fresh random data key.
func newKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("new key: %w", err)
	}
	return k, nil
}

// MemoryKeys is a KeyStore in memory: for tests, benchmarks and tools that
// must not touch disk. Its zero value is not usable; use NewMemoryKeys.
type MemoryKeys struct {
	mu      sync.Mutex
	entries map[string]Entry
}

// NewMemoryKeys returns an empty in-memory key store.
func NewMemoryKeys() *MemoryKeys { return &MemoryKeys{entries: map[string]Entry{}} }

var _ KeyStore = (*MemoryKeys)(nil)

// Ensure implements KeyStore.
func (m *MemoryKeys) Ensure(_ context.Context, ids []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var erased []string
	for _, id := range ids {
		e, ok := m.entries[id]
		switch {
		case ok && e.Key == nil:
			erased = append(erased, id)
		case !ok:
			k, err := newKey()
			if err != nil {
				return nil, err
			}
			m.entries[id] = Entry{ID: id, Key: k}
		}
	}
	return erased, nil
}

// Key implements KeyStore.
func (m *MemoryKeys) Key(_ context.Context, id string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("key %s: %w", id, ErrNoKey)
	case e.Key == nil:
		return nil, fmt.Errorf("key %s: %w", id, ErrErased)
	}
	return e.Key, nil
}

// Erase implements KeyStore.
func (m *MemoryKeys) Erase(_ context.Context, at time.Time, ids ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		if e, ok := m.entries[id]; ok && e.Key == nil {
			continue
		}
		m.entries[id] = Entry{ID: id, Erased: at}
	}
	return nil
}

// All implements KeyStore.
func (m *MemoryKeys) All(context.Context) iter.Seq2[Entry, error] {
	m.mu.Lock()
	out := make([]Entry, 0, len(m.entries))
	for _, e := range m.entries {
		out = append(out, e)
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Entry) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return func(yield func(Entry, error) bool) {
		for _, e := range out {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Put implements KeyStore.
func (m *MemoryKeys) Put(_ context.Context, entries []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range entries {
		if old, ok := m.entries[e.ID]; ok && old.Key == nil && e.Key != nil {
			continue
		}
		m.entries[e.ID] = e
	}
	return nil
}

// Close implements KeyStore.
func (m *MemoryKeys) Close() error { return nil }
