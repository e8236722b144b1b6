package privacy

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/yishi-civic/yishi/blob"
)

// KEKSize is the size of the key-encryption key of a SharedKeys store.
const KEKSize = 32

// ErrWrongKEK is returned by OpenSharedKeys when the store was made with
// another key-encryption key.
var ErrWrongKEK = errors.New("the key-encryption key is not the one this key store was made with")

// SharedKeys is the key store several replicas share (docs/scaling.md): one
// object per key id in a blob store they all reach (an S3 bucket under a
// prefix of its own), holding the data key, or the tombstone that replaced
// it, wrapped with AES-256-GCM under a key-encryption key (KEK) every
// replica is given apart from the bucket. Object names are an HMAC of the
// id under the KEK, so the bucket alone reveals neither a key nor whose it
// is; what it still shows is how many objects there are and their sizes.
//
// Its semantics across replicas:
//   - Ensure creates a missing key with the store's Create (S3: If-None-Match),
//     so of two replicas creating one id at once exactly one key exists and
//     both use it; the object is stored before Ensure returns, so before the
//     event sealed under it is appended.
//   - Erase replaces the key's object by a tombstone: the key's bytes are
//     gone from the bucket (versioning must be off: OpenSharedKeys refuses a
//     versioned bucket), and no replica can create the id again, since Create
//     fails on the tombstone.
//   - Keys and tombstones read are cached (an LRU of bounded size; concurrent
//     misses of one id make one read). A tombstone is final; a cached key is
//     dropped when this process erases it, which a replica does for every
//     erasure the log records (ledger.FollowErasures), so a key another
//     replica erased stops opening here once the erasure event is folded.
type SharedKeys struct {
	store   blob.Store
	wrap    cipher.AEAD
	nameKey []byte
	cache   *lru.Cache[string, Entry]
	reads   singleflight.Group
	// gen counts erasures: a read that started before one may not cache a
	// key (it could be the erased key's).
	gen atomic.Uint64
	// mu orders cache writes of reads against erasures.
	mu sync.Mutex
	// fetched counts the store reads of keys (cache misses), for tests and
	// the docs' figures.
	fetched atomic.Int64
}

var _ KeyStore = (*SharedKeys)(nil)

// SharedKeysOption configures OpenSharedKeys.
type SharedKeysOption func(*sharedKeysConfig)

type sharedKeysConfig struct{ cache int }

// CacheSize bounds how many keys and tombstones a SharedKeys keeps in
// memory (default 262,144: some 60 MB at most).
func CacheSize(n int) SharedKeysOption { return func(c *sharedKeysConfig) { c.cache = n } }

// checkName is the object that proves the KEK: a known text wrapped under
// the KEK the store was made with.
const checkName = "kek-check"

// checkText is what the check object wraps.
const checkText = "yishi shared key store v1"

// OpenSharedKeys opens the shared key store in store with the
// key-encryption key kek (KEKSize bytes). The first replica to open an
// empty store writes a check object; every later one must unwrap it, or
// OpenSharedKeys returns ErrWrongKEK. It also refuses a store that does not
// honour Create (an S3-compatible server ignoring If-None-Match) and, when
// the store can tell (blob.S3), a bucket with versioning on.
func OpenSharedKeys(ctx context.Context, store blob.Store, kek []byte, opts ...SharedKeysOption) (*SharedKeys, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("shared key store: the key-encryption key has %d bytes, want %d", len(kek), KEKSize)
	}
	cfg := sharedKeysConfig{cache: 1 << 18}
	for _, o := range opts {
		o(&cfg)
	}
	wrapKey, err := hkdf.Key(sha256.New, kek, nil, "yishi shared key store: wrap", 32)
	if err != nil {
		return nil, fmt.Errorf("shared key store: %w", err)
	}
	nameKey, err := hkdf.Key(sha256.New, kek, nil, "yishi shared key store: names", 32)
	if err != nil {
		return nil, fmt.Errorf("shared key store: %w", err)
	}
	block, err := aes.NewCipher(wrapKey)
	if err != nil {
		return nil, fmt.Errorf("shared key store: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("shared key store: %w", err)
	}
	cache, err := lru.New[string, Entry](max(cfg.cache, 1))
	if err != nil {
		return nil, fmt.Errorf("shared key store: %w", err)
	}
	s := &SharedKeys{store: store, wrap: aead, nameKey: nameKey, cache: cache}
	if v, ok := store.(interface {
		Versioned(context.Context) (bool, error)
	}); ok {
		on, err := v.Versioned(ctx)
		if err != nil {
			return nil, fmt.Errorf("shared key store %s: %w", store, err)
		}
		if on {
			return nil, fmt.Errorf("shared key store %s: the bucket keeps old versions of objects, so an erased key would survive as one: use a bucket without versioning", store)
		}
	}
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("shared key store %s: %w", store, err)
	}
	return s, nil
}

// check creates or verifies the check object, and makes sure the store
// refuses to create an object that exists.
func (s *SharedKeys) check(ctx context.Context) error {
	data, err := s.store.Get(ctx, checkName)
	switch {
	case errors.Is(err, blob.ErrNotFound):
		data, err = s.seal(checkName, []byte(checkText))
		if err != nil {
			return err
		}
		if err := s.store.Create(ctx, checkName, data); err != nil && !errors.Is(err, blob.ErrExists) {
			return err
		}
		// Another replica may have made it first, with its own KEK.
		if data, err = s.store.Get(ctx, checkName); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	if text, err := s.open(checkName, data); err != nil || string(text) != checkText {
		return ErrWrongKEK
	}
	// Creating it again must fail: a server that ignored the condition has
	// just rewritten the same bytes.
	if err := s.store.Create(ctx, checkName, data); !errors.Is(err, blob.ErrExists) {
		if err == nil {
			return errors.New("the store overwrote an existing object on a conditional create (If-None-Match): two replicas could make two keys for one person; use a server that honours it (S3, MinIO)")
		}
		return err
	}
	return nil
}

// name is the object of key id: an HMAC of the id, so names reveal no id.
func (s *SharedKeys) name(id string) string {
	m := hmac.New(sha256.New, s.nameKey)
	m.Write([]byte(id))
	return "k-" + hex.EncodeToString(m.Sum(nil))
}

// seal wraps plaintext for the object name (bound to it as additional data,
// so an object cannot be swapped for another id's).
func (s *SharedKeys) seal(name string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.wrap.NonceSize(), 1+s.wrap.NonceSize()+len(plaintext)+s.wrap.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	out := append([]byte{1}, nonce...)
	return s.wrap.Seal(out, nonce, plaintext, []byte(name)), nil
}

// open unwraps an object's bytes.
func (s *SharedKeys) open(name string, data []byte) ([]byte, error) {
	ns := s.wrap.NonceSize()
	if len(data) < 1+ns || data[0] != 1 {
		return nil, fmt.Errorf("object %s is not a wrapped key", name)
	}
	return s.wrap.Open(nil, data[1:1+ns], data[1+ns:], []byte(name))
}

// record is the plaintext of a key's object.
type record struct {
	ID     string    `json:"id"`
	Key    string    `json:"key,omitempty"`
	Erased time.Time `json:"erased,omitzero"`
}

func (s *SharedKeys) encode(e Entry) ([]byte, error) {
	r := record{ID: e.ID, Erased: e.Erased.UTC()}
	if e.Key != nil {
		r.Key = base64.StdEncoding.EncodeToString(e.Key)
		r.Erased = time.Time{}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return s.seal(s.name(e.ID), b)
}

func (s *SharedKeys) decode(name string, data []byte) (Entry, error) {
	b, err := s.open(name, data)
	if err != nil {
		return Entry{}, fmt.Errorf("key store: object %s does not open under the key-encryption key: %w", name, err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return Entry{}, fmt.Errorf("key store: object %s: %w", name, err)
	}
	e := Entry{ID: r.ID, Erased: r.Erased}
	if r.Key != "" {
		if e.Key, err = base64.StdEncoding.DecodeString(r.Key); err != nil || len(e.Key) != KeySize {
			return Entry{}, fmt.Errorf("key store: object %s holds a damaged key", name)
		}
	}
	return e, nil
}

// fetch reads id's object from the store: found false when there is none.
func (s *SharedKeys) fetch(ctx context.Context, id string) (Entry, bool, error) {
	s.fetched.Add(1)
	name := s.name(id)
	data, err := s.store.Get(ctx, name)
	if errors.Is(err, blob.ErrNotFound) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("key store: read %s: %w", id, err)
	}
	e, err := s.decode(name, data)
	if err != nil {
		return Entry{}, false, err
	}
	if e.ID != id {
		return Entry{}, false, fmt.Errorf("key store: object %s holds the key of another id", name)
	}
	return e, true, nil
}

// remember caches e unless an erasure happened since gen was read (a key
// read then may be an erased one) or a tombstone is cached already.
func (s *SharedKeys) remember(e Entry, gen uint64) Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.cache.Peek(e.ID); ok && old.Key == nil {
		return old
	}
	if e.Key == nil || s.gen.Load() == gen {
		s.cache.Add(e.ID, e)
	}
	return e
}

// get returns id's entry from the cache or the store (one read for
// concurrent misses of one id); found false when the store has none.
func (s *SharedKeys) get(ctx context.Context, id string) (Entry, bool, error) {
	if e, ok := s.cache.Get(id); ok {
		return e, true, nil
	}
	type result struct {
		e     Entry
		found bool
	}
	v, err, _ := s.reads.Do(id, func() (any, error) {
		// A reader that missed while another's read of id was finishing
		// comes here after it: the cache has the key by now.
		if e, ok := s.cache.Get(id); ok {
			return result{e, true}, nil
		}
		gen := s.gen.Load()
		e, found, err := s.fetch(ctx, id)
		if err != nil || !found {
			return result{}, err
		}
		return result{s.remember(e, gen), true}, nil
	})
	if err != nil {
		return Entry{}, false, err
	}
	r := v.(result)
	return r.e, r.found, nil
}

// Ensure implements KeyStore: a missing key is created with the store's
// Create; when another replica created it first, its key is read and used.
func (s *SharedKeys) Ensure(ctx context.Context, ids []string) ([]string, error) {
	var erased []string
	for _, id := range ids {
		e, found, err := s.get(ctx, id)
		if err != nil {
			return nil, err
		}
		if !found {
			if e, err = s.create(ctx, id); err != nil {
				return nil, err
			}
		}
		if e.Key == nil {
			erased = append(erased, id)
		}
	}
	return erased, nil
}

// create makes id's key, or returns what another replica stored first.
func (s *SharedKeys) create(ctx context.Context, id string) (Entry, error) {
	gen := s.gen.Load()
	k, err := newKey()
	if err != nil {
		return Entry{}, err
	}
	e := Entry{ID: id, Key: k}
	data, err := s.encode(e)
	if err != nil {
		return Entry{}, err
	}
	err = s.store.Create(ctx, s.name(id), data)
	if errors.Is(err, blob.ErrExists) {
		var found bool
		e, found, err = s.fetch(ctx, id)
		if err == nil && !found {
			err = fmt.Errorf("key store: %s exists and cannot be read", id)
		}
	}
	if err != nil {
		return Entry{}, fmt.Errorf("key store: create %s: %w", id, err)
	}
	return s.remember(e, gen), nil
}

// Key implements KeyStore.
func (s *SharedKeys) Key(ctx context.Context, id string) ([]byte, error) {
	e, found, err := s.get(ctx, id)
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, fmt.Errorf("key %s: %w", id, ErrNoKey)
	case e.Key == nil:
		return nil, fmt.Errorf("key %s: %w", id, ErrErased)
	}
	return e.Key, nil
}

// Erase implements KeyStore: each key's object is replaced by a tombstone.
// A tombstone already stored keeps its time.
func (s *SharedKeys) Erase(ctx context.Context, at time.Time, ids ...string) error {
	for _, id := range ids {
		if err := s.tombstone(ctx, Entry{ID: id, Erased: at.UTC()}); err != nil {
			return err
		}
	}
	return nil
}

// tombstone stores t (an entry without key) in place of whatever id has.
func (s *SharedKeys) tombstone(ctx context.Context, t Entry) error {
	s.mu.Lock()
	s.gen.Add(1)
	old, cached := s.cache.Peek(t.ID)
	if !cached || old.Key != nil {
		s.cache.Add(t.ID, t)
	}
	s.mu.Unlock()
	if cached && old.Key == nil {
		return nil
	}
	data, err := s.encode(t)
	if err != nil {
		return err
	}
	err = s.store.Create(ctx, s.name(t.ID), data)
	if errors.Is(err, blob.ErrExists) {
		var cur Entry
		var found bool
		cur, found, err = s.fetch(ctx, t.ID)
		switch {
		case err != nil:
		case found && cur.Key == nil:
			s.mu.Lock()
			s.cache.Add(t.ID, cur)
			s.mu.Unlock()
		default:
			err = s.store.Put(ctx, s.name(t.ID), data)
		}
	}
	if err != nil {
		return fmt.Errorf("key store: erase %s: %w", t.ID, err)
	}
	return nil
}

// All implements KeyStore: every object is read (eight at a time) and the
// entries are yielded ordered by id.
func (s *SharedKeys) All(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		var names []string
		for in, err := range s.store.List(ctx) {
			if err != nil {
				yield(Entry{}, fmt.Errorf("key store: %w", err))
				return
			}
			if strings.HasPrefix(in.Key, "k-") {
				names = append(names, in.Key)
			}
		}
		entries := make([]Entry, len(names))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(8)
		for i, name := range names {
			g.Go(func() error {
				data, err := s.store.Get(gctx, name)
				if errors.Is(err, blob.ErrNotFound) {
					return nil
				}
				if err != nil {
					return fmt.Errorf("key store: %w", err)
				}
				entries[i], err = s.decode(name, data)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			yield(Entry{}, err)
			return
		}
		entries = slices.DeleteFunc(entries, func(e Entry) bool { return e.ID == "" })
		slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
		for _, e := range entries {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Put implements KeyStore. A key is stored only where the id has no object
// yet: a live key is never replaced (replicas may be using it), so putting
// a different key for an id that has one is an error.
func (s *SharedKeys) Put(ctx context.Context, entries []Entry) error {
	for _, e := range entries {
		switch {
		case e.Key == nil:
			if err := s.tombstone(ctx, Entry{ID: e.ID, Erased: e.Erased.UTC()}); err != nil {
				return err
			}
			continue
		case len(e.Key) != KeySize:
			return fmt.Errorf("key store: key %s has %d bytes, want %d", e.ID, len(e.Key), KeySize)
		}
		gen := s.gen.Load()
		data, err := s.encode(e)
		if err != nil {
			return err
		}
		err = s.store.Create(ctx, s.name(e.ID), data)
		if errors.Is(err, blob.ErrExists) {
			cur, found, ferr := s.fetch(ctx, e.ID)
			switch {
			case ferr != nil:
				err = ferr
			case !found, cur.Key == nil, string(cur.Key) == string(e.Key):
				err = nil // erased (a key never replaces a tombstone) or the same
			default:
				err = errors.New("it holds another key, which replicas may be using")
			}
		} else if err == nil {
			s.remember(e, gen)
		}
		if err != nil {
			return fmt.Errorf("key store: put %s: %w", e.ID, err)
		}
	}
	return nil
}

// Fetched returns how many times a key was read from the store (cache
// misses, and the reads of Ensure after a lost race).
func (s *SharedKeys) Fetched() int64 { return s.fetched.Load() }

// Close implements KeyStore.
func (s *SharedKeys) Close() error { return nil }

// ParseKEK reads a key-encryption key: KEKSize bytes in standard base64
// (with or without padding; surrounding white space, such as a secret
// file's last newline, is ignored). Make one with
// `head -c 32 /dev/urandom | base64`.
func ParseKEK(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		k, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, errors.New("the key-encryption key is not base64")
	}
	if len(k) != KEKSize {
		return nil, fmt.Errorf("the key-encryption key has %d bytes, want %d", len(k), KEKSize)
	}
	return k, nil
}
