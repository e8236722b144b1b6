package privacy

import (
	"crypto/cipher"
	"fmt"
	"sync/atomic"

	"golang.org/x/crypto/chacha20poly1305"
)

// maxCiphers bounds the sealer's cache of keys and key lists. An entry
// costs about 270 bytes (its ChaCha20-Poly1305 cipher, its id twice, the
// map's and the ring's slots; a list, its keys' entries), 768 more once a
// key opened an AES-GCM value (sealed:v1: or an attachment): a city's
// ledger meets millions of persons and items, and a cache of them all
// would grow for the life of the process. 32,768 entries, split among the
// sealer's shards, are about 9 MB (131,072 took 35 MB of a 1M ledger's
// server under reads, more than any view but two); a key that fell out
// costs one key read (and a ChaCha20 set-up, 30 ns) when a value sealed
// with it is opened again.
const maxCiphers = 1 << 15

// cached is one key in the sealer's cache, or the mark of a key that is
// erased or missing (chacha nil), or the keys of a sealed value's list of
// several (parts).
type cached struct {
	// chacha is the key's cipher for the values sealed now (sealed:v2:).
	chacha cipher.AEAD
	// gcm is the key's AES-256-GCM cipher (sealed:v1: values,
	// attachments), set up at its first use (Sealer.gcmOf): its set-up
	// costs 0.76 µs and 1,280 bytes, 26 times ChaCha20-Poly1305's
	// (BenchmarkCiphers).
	gcm atomic.Pointer[cipher.AEAD]
	// ad is the key's id, the additional data of every seal under it.
	ad []byte
	// parts are the entries of a list's keys, in sealing order, as they
	// were at the sealer's generation gen (an erasure makes it stale).
	parts []*cached
	gen   uint64
	// slot is the entry's place in the cache's ring.
	slot int
	// used is set by each reader and cleared by the clock's hand.
	used atomic.Bool
	// missing marks a key the store does not hold: never cached
	// (Sealer.load).
	missing bool
}

// newCached returns the entry of key id with bytes key, nil for an erased
// or missing key.
func newCached(id string, key []byte) (*cached, error) {
	c := &cached{ad: []byte(id)}
	if key == nil {
		return c, nil
	}
	a, err := chacha20poly1305.New(key) // a copy of key: the entry keeps no slice of the store's
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", id, err)
	}
	c.chacha = a
	return c, nil
}

// erased reports whether the entry marks an erased or missing key.
func (c *cached) erased() bool { return c.chacha == nil }

// cipherCache holds at most max ciphers by key id and evicts with the
// CLOCK algorithm (second chance): a reader only sets its entry's used
// bit, so reads share a lock, and an entry read since the hand last passed
// it survives the next pass, which a replay's recurring persons and items
// need. The caller serialises writes (put, clear) against reads.
type cipherCache struct {
	max  int
	m    map[string]*cached
	ring []string // the id of the entry in each slot
	hand int
}

func newCipherCache(max int) cipherCache {
	return cipherCache{max: max, m: map[string]*cached{}}
}

// get returns id's entry, or nil, and marks it used. Safe under a shared
// lock.
func (c *cipherCache) get(id string) *cached {
	e := c.m[id]
	if e != nil && !e.used.Load() {
		e.used.Store(true)
	}
	return e
}

// put caches e as id's entry, evicting one entry when the cache is full.
// id must not share memory with a larger string (the cache keeps it).
func (c *cipherCache) put(id string, e *cached) {
	if old := c.m[id]; old != nil {
		e.slot = old.slot
		c.m[id] = e
		return
	}
	if len(c.ring) < c.max {
		e.slot = len(c.ring)
		c.ring = append(c.ring, id)
		c.m[id] = e
		return
	}
	for {
		slot := c.hand
		c.hand = (c.hand + 1) % len(c.ring)
		if old := c.m[c.ring[slot]]; old.used.Load() {
			old.used.Store(false)
			continue
		}
		delete(c.m, c.ring[slot])
		e.slot = slot
		c.ring[slot] = id
		c.m[id] = e
		return
	}
}

// len is how many entries the cache holds.
func (c *cipherCache) len() int { return len(c.m) }

// clear drops every entry.
func (c *cipherCache) clear() {
	clear(c.m)
	c.ring, c.hand = c.ring[:0], 0
}

// maxOpened bounds each of the two generations of the cache of opened
// values, in values and in bytes (the sealed value kept as the key and
// its plaintext), split evenly among the sealer's shards: at most
// 2×16,384 values and 2×4 MiB in all. A value larger than maxOpenedValue
// (a long text) is not cached.
const (
	maxOpened      = 1 << 14
	maxOpenedBytes = 4 << 20
	maxOpenedValue = 8 << 10
)

// openedCache remembers the plaintext of the values opened lately, so that
// the answers read again and again (a board, a busy proposal's timeline)
// open their names and texts once, not on every read. Two generations: a
// value is put in the current one; when that is full it becomes the old
// one and the older is dropped, so the cache holds at most twice its bound
// and a value read in either generation stays. An erasure clears it
// (Sealer.mark), so no erased value is served from it. The caller
// serialises put and clear against get.
type openedCache struct {
	cur, old map[string]string
	// bytes is what cur holds: its keys' and values' lengths.
	bytes int
	// maxValues and maxBytes bound each generation.
	maxValues, maxBytes int
}

// newOpenedCache returns a cache of opened values whose generations hold
// at most maxValues values and maxBytes bytes each.
func newOpenedCache(maxValues, maxBytes int) openedCache {
	return openedCache{maxValues: maxValues, maxBytes: maxBytes}
}

// get returns the plaintext of sealed value v, if cached.
func (c *openedCache) get(v []byte) (string, bool) {
	if p, ok := c.cur[string(v)]; ok {
		return p, true
	}
	p, ok := c.old[string(v)]
	return p, ok
}

// put caches plaintext p of sealed value v (which must not share memory
// with a larger string: the cache keeps it), unless the two are larger
// than maxOpenedValue.
func (c *openedCache) put(v, p string) {
	n := len(v) + len(p)
	if n > maxOpenedValue {
		return
	}
	if c.cur == nil || len(c.cur) >= c.maxValues || c.bytes+n > c.maxBytes {
		c.old, c.cur, c.bytes = c.cur, make(map[string]string), 0
	}
	c.cur[v] = p
	c.bytes += n
}

// clear drops every value.
func (c *openedCache) clear() { c.cur, c.old, c.bytes = nil, nil, 0 }

// len is how many values the cache holds.
func (c *openedCache) len() int { return len(c.cur) + len(c.old) }
