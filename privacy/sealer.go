// Package privacy keeps personal data in the immutable ledger forgettable
// (crypto-shredding): the application layer seals every field the domain
// marks as personal (struct tag `pii`, see domain/personal.go) with
// AES-256-GCM under the keys of the persons it belongs to, and of its item,
// before the event is encoded; the stored event keeps only ciphertext and
// key ids. Reading opens the fields with the key store; a field whose key
// was erased reads as the erased marker. The hash chain covers the stored
// ciphertext, so erasing a key changes no stored byte and every proof still
// holds. The domain never sees a key; keys never enter the ledger, logs or
// exports made without --with-keys. docs/privacy.md explains the model.
package privacy

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/maphash"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yishi-civic/yishi/domain"
)

// Markers that take the place of erased data in every read.
const (
	// ErasedName replaces the name of an erased person.
	ErasedName = "已删除的居民 / erased resident"
	// ErasedText replaces any other erased field (free text, a door
	// number, a photo reference).
	ErasedText = "已删除 / erased"
	// Withheld replaces another person's data in a person's own export.
	Withheld = "（他人信息，不予提供）/ another person's data, withheld"
)

// IsMarker reports whether s is one of the markers that take the place of
// erased or withheld data: it is not personal data, and masking must leave
// it whole so that every reader sees plainly that something was erased.
func IsMarker(s string) bool { return s == ErasedName || s == ErasedText || s == Withheld }

// prefix starts every value sealed now: "sealed:v2:<base64
// ciphertext>:<key ids, query-escaped, comma-separated>". The ciphertext
// is the plaintext sealed under each key in turn (a random 12-byte nonce ‖
// ChaCha20-Poly1305 of RFC 8439, the key id as additional data), so it
// opens only while every one of its keys exists.
const prefix = "sealed:v2:"

// prefixV1 starts the values sealed before v2: the same form with
// AES-256-GCM in place of ChaCha20-Poly1305. They open as ever; nothing
// seals them any more (a replay that opens them sets up an AES key
// schedule and GCM table per key, 26 times ChaCha20's set-up).
const prefixV1 = "sealed:v1:"

// sealedBytes is what both prefixes start with.
var sealedBytes = []byte("sealed:v")

// PersonKey is the id of a person's key.
func PersonKey(personID string) string { return "person/" + personID }

// ItemKey is the id of an item's key (free text and photos of one
// proposal, action, ...): the item's stream.
func ItemKey(stream string) string { return "item/" + stream }

// IsSealed reports whether a stored field value is sealed.
func IsSealed(s string) bool {
	return strings.HasPrefix(s, prefix) || strings.HasPrefix(s, prefixV1)
}

// Sealer seals and opens the personal fields of domain events with a key
// store. It caches the ciphers of keys it has used; Erase goes through it
// so that the cache forgets erased keys at once. Safe for concurrent use.
type Sealer struct {
	keys KeyStore
	// shards hold the caches, each part under its lock (shardOf).
	shards []sealerShard
	seed   maphash.Seed
	// gen counts erasures and Forgets: a cipher read from the key store
	// while one happened is not cached (it may be an erased key's). It
	// changes only while every shard's lock is held, so it holds still
	// under any one of them.
	gen atomic.Uint64
	// watchers are told of each new generation (Watch).
	wmu      sync.Mutex
	watchers []func(gen uint64)
}

// sealerShards is how many parts the sealer's caches are split into, each
// under a lock of its own. Under one lock, a burst of first reads (every
// key and value new, each read writing what it opened) queued on it: 115
// of some 200 timeline reads under way waited for it 0.8 s into such a
// burst. BenchmarkOpenJSONAtOnce takes 30% less time an answer with
// sixteen; the burst's p99 did not move, bound by the machine's CPU
// instead (docs/performance.md, twenty-ninth session).
const sealerShards = 16

// sealerShard is one part of the sealer's caches.
type sealerShard struct {
	mu sync.RWMutex
	// cache holds the ciphers of the keys met last, the hot path of a
	// replay: one map look-up per key of a sealed value.
	cache cipherCache
	// opened holds the plaintext of the held values opened lately
	// (OpenJSON); cleared with every erasure and Forget.
	opened openedCache
}

// NewSealer returns a sealer over keys.
func NewSealer(keys KeyStore) *Sealer { return newSealer(keys, sealerShards, maxCiphers) }

// newSealer returns a sealer over keys whose caches are split into shards
// parts and hold about ciphers keys in all.
func newSealer(keys KeyStore, shards, ciphers int) *Sealer {
	s := &Sealer{keys: keys, seed: maphash.MakeSeed(), shards: make([]sealerShard, shards)}
	for i := range s.shards {
		s.shards[i].cache = newCipherCache(max(1, ciphers/shards))
		s.shards[i].opened = newOpenedCache(maxOpened/shards, maxOpenedBytes/shards)
	}
	return s
}

// shardOf returns the part of the caches that holds id (a key's id, a
// list of them, or a sealed value).
func (s *Sealer) shardOf(id string) *sealerShard {
	return &s.shards[maphash.String(s.seed, id)%uint64(len(s.shards))]
}

// shardOfBytes is shardOf for a sealed value held in bytes.
func (s *Sealer) shardOfBytes(v []byte) *sealerShard {
	return &s.shards[maphash.Bytes(s.seed, v)%uint64(len(s.shards))]
}

// lockAll takes every shard's lock, in order: a new generation starts
// under them.
func (s *Sealer) lockAll() {
	for i := range s.shards {
		s.shards[i].mu.Lock()
	}
}

// Keys returns the sealer's key store.
func (s *Sealer) Keys() KeyStore { return s.keys }

// key returns key id's cached entry, reading the key store on a miss.
func (s *Sealer) key(ctx context.Context, id string) (*cached, error) {
	sh := s.shardOf(id)
	sh.mu.RLock()
	e := sh.cache.get(id)
	gen := s.gen.Load()
	sh.mu.RUnlock()
	if e != nil {
		return e, nil
	}
	return s.load(ctx, id, gen)
}

// load reads key id from the key store and caches its entry, unless an
// erasure or Forget happened since the sealer's generation was gen.
//
// A missing key is not cached: it reads as erased this once, and is read
// again next time, since Seal may create it meanwhile (a value naming a
// key this store never held, from an imported ledger, must not make the
// person's next data be stored as erased).
func (s *Sealer) load(ctx context.Context, id string, gen uint64) (*cached, error) {
	k, err := s.keys.Key(ctx, id)
	missing := false
	switch {
	case errors.Is(err, ErrErased):
		k = nil
	case errors.Is(err, ErrNoKey):
		k, missing = nil, true
	case err != nil:
		return nil, err
	}
	id = strings.Clone(id) // id may be a slice of a whole sealed value
	e, err := newCached(id, k)
	if err != nil {
		return nil, err
	}
	e.missing = missing
	if missing {
		return e, nil
	}
	sh := s.shardOf(id)
	sh.mu.Lock()
	if s.gen.Load() == gen {
		sh.cache.put(id, e)
	}
	sh.mu.Unlock()
	return e, nil
}

// Erase destroys the keys with ids in the key store, dated at, and forgets
// them, and every value opened lately. Every other cached cipher stays:
// the reads that follow an erasure open everyone else's data without
// reading their keys again.
func (s *Sealer) Erase(ctx context.Context, at time.Time, ids ...string) error {
	s.mark(ids)
	err := s.keys.Erase(ctx, at, ids...)
	// Again once the keys are gone: while the store was erasing them, the
	// marks may have been evicted (or Forgotten) and a reader may have read
	// a key the store still held and cached it under the generation that
	// followed the first marks.
	s.mark(ids)
	if err != nil {
		return fmt.Errorf("erase keys: %w", err)
	}
	return nil
}

// mark starts a new generation (no key read before it is cached after it)
// and caches ids as erased.
func (s *Sealer) mark(ids []string) {
	s.lockAll()
	s.gen.Add(1)
	for i := range s.shards {
		s.shards[i].opened.clear()
	}
	for _, id := range ids {
		s.shardOf(id).cache.put(strings.Clone(id), &cached{ad: []byte(id)}) // the erased mark
	}
	s.unlockTelling()
}

// unlockTelling releases the locks taken to start a new generation and
// tells the watchers of it, outside the locks.
func (s *Sealer) unlockTelling() {
	gen := s.gen.Load()
	for i := range s.shards {
		s.shards[i].mu.Unlock()
	}
	s.wmu.Lock()
	watchers := s.watchers
	s.wmu.Unlock()
	for _, fn := range watchers {
		fn(gen)
	}
}

// Watch has fn called with the new generation after every erasure and
// Forget, once the sealer opens nothing erased any more, so that whoever
// keeps answers opened by the sealer drops them at once rather than at
// their next read. fn runs on the goroutine of the erasure, before it
// returns, outside the sealer's locks: it must not wait for anything that
// waits for the erasure, and should be short (the answer shelf destroys
// its own key in the key store; its files are made again elsewhere).
func (s *Sealer) Watch(fn func(gen uint64)) {
	s.wmu.Lock()
	s.watchers = append(slices.Clip(s.watchers), fn)
	s.wmu.Unlock()
}

// Generation counts the erasures and Forgets the sealer went through: what
// it opens may change only when the generation does.
func (s *Sealer) Generation() uint64 { return s.gen.Load() }

// Forget drops every cached cipher, so the next use reads the key store
// again (after keys were restored or erased by another sealer).
func (s *Sealer) Forget() {
	s.lockAll()
	s.gen.Add(1)
	for i := range s.shards {
		s.shards[i].cache.clear()
		s.shards[i].opened.clear()
	}
	s.unlockTelling()
}

// Seal returns copies of events of stream with every personal field
// sealed. The keys it needs are created (durably) first, all in one call
// to the key store. A field whose key is erased is stored as the erased
// marker's seal: nothing of it reaches the ledger. Events are not changed.
func (s *Sealer) Seal(ctx context.Context, stream string, events []domain.Event) ([]domain.Event, error) {
	out, _, err := s.seal(ctx, stream, events, false)
	return out, err
}

// SealPlaintext is Seal for the events of a ledger written before sealing
// (yishi reseal): it seals the personal fields still held in plaintext,
// leaves those sealed already as they are, and returns how many fields it
// sealed. A plaintext field whose key was erased meanwhile is stored as
// the erased marker's seal, so re-sealing also carries out the erasures
// recorded since.
func (s *Sealer) SealPlaintext(ctx context.Context, stream string, events []domain.Event) ([]domain.Event, int, error) {
	return s.seal(ctx, stream, events, true)
}

func (s *Sealer) seal(ctx context.Context, stream string, events []domain.Event, plainOnly bool) ([]domain.Event, int, error) {
	var ids []string
	for _, e := range events {
		if err := walk(reflect.ValueOf(e), stream, func(st *site, _ reflect.Value, v string, keys []string) (string, bool) {
			if plainOnly && IsSealed(v) {
				return v, false
			}
			for _, k := range keys {
				if !contains(ids, k) {
					ids = append(ids, k)
				}
			}
			return v, false
		}); err != nil {
			return nil, 0, err
		}
	}
	if len(ids) == 0 {
		return events, 0, nil
	}
	erasedList, err := s.keys.Ensure(ctx, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("seal: %w", err)
	}
	out := make([]domain.Event, len(events))
	n := 0
	for i, e := range events {
		var serr error
		cp, err := rewrite(e, stream, true, false, func(_ *site, _ reflect.Value, v string, keys []string) (string, bool) {
			if plainOnly && IsSealed(v) {
				return v, false
			}
			n++
			for _, k := range keys {
				if contains(erasedList, k) {
					return sealedEmpty(keys), true
				}
			}
			sv, err := s.sealValue(ctx, v, keys)
			if err != nil && serr == nil {
				serr = err
			}
			return sv, true
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return nil, 0, fmt.Errorf("seal %s: %w", e.EventType(), err)
		}
		out[i] = cp
	}
	return out, n, nil
}

// joinKeys lists key ids; an id holding a comma or a percent sign (never
// the case for the domain's ids) is query-escaped.
func joinKeys(keys []string) string {
	esc := make([]string, len(keys))
	for i, k := range keys {
		esc[i] = k
		if strings.ContainsAny(k, ",%") {
			esc[i] = url.QueryEscape(k)
		}
	}
	return strings.Join(esc, ",")
}

// splitKeys reverses joinKeys (and reads lists written when every id was
// query-escaped).
func splitKeys(list string) ([]string, error) {
	keys := strings.Split(list, ",")
	for i, k := range keys {
		if strings.IndexByte(k, '%') < 0 {
			continue
		}
		id, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("sealed value: key id: %w", err)
		}
		keys[i] = id
	}
	return keys, nil
}

// cipherFor returns the AES-256-GCM cipher of key id (an attachment's),
// or nil when it is erased or missing.
func (s *Sealer) cipherFor(ctx context.Context, id string) (cipher.AEAD, error) {
	e, err := s.key(ctx, id)
	if err != nil || e.erased() {
		return nil, err
	}
	return s.gcmOf(ctx, e)
}

// gcmOf returns the AES-256-GCM cipher of e's key, setting it up at the
// first call with the key read again from the key store (the entry keeps
// only its ChaCha20 cipher); nil when the key is gone meanwhile. Two first
// calls at once both set one up; either is kept.
func (s *Sealer) gcmOf(ctx context.Context, e *cached) (cipher.AEAD, error) {
	if a := e.gcm.Load(); a != nil {
		return *a, nil
	}
	k, err := s.keys.Key(ctx, string(e.ad))
	switch {
	case errors.Is(err, ErrErased), errors.Is(err, ErrNoKey):
		return nil, nil
	case err != nil:
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", e.ad, err)
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", e.ad, err)
	}
	e.gcm.Store(&a)
	return a, nil
}

// maxSealKeys is how many keys a value is sealed under at most without
// an allocation to open it (the domain uses two: a person's and the
// item's).
const maxSealKeys = 4

// keysOf appends the entries of the keys in list (a sealed value's key
// ids, joinKeys's form) to into: one cache look-up for the whole list in
// the usual case, the key store read for the keys not cached; ok is false
// when list does not parse.
func (s *Sealer) keysOf(ctx context.Context, list string, into []*cached) (_ []*cached, ok bool, err error) {
	sh := s.shardOf(list)
	sh.mu.RLock()
	e := sh.cache.get(list)
	gen := s.gen.Load()
	sh.mu.RUnlock()
	switch {
	case e != nil && e.parts == nil:
		return append(into, e), true, nil
	case e != nil && e.gen == gen:
		return append(into, e.parts...), true, nil
	}
	if e == nil && strings.IndexByte(list, ',') < 0 && strings.IndexByte(list, '%') < 0 {
		k, err := s.load(ctx, list, gen) // a single key, not cached: looked up once
		if err != nil {
			return into, false, err
		}
		return append(into, k), true, nil
	}
	// A list cached before an erasure or Forget is made again from its
	// keys' entries, which the erasure marked.
	parts := make([]*cached, 0, 2)
	for rest := list; ; {
		id, more, found := strings.Cut(rest, ",")
		if strings.IndexByte(id, '%') >= 0 {
			if id, err = url.QueryUnescape(id); err != nil {
				return into, false, nil
			}
		}
		k, err := s.key(ctx, id)
		if err != nil {
			return into, false, err
		}
		parts = append(parts, k)
		if !found {
			break
		}
		rest = more
	}
	if len(parts) > 1 && !slices.ContainsFunc(parts, func(p *cached) bool { return p.missing }) {
		e = &cached{parts: parts, gen: gen}
		sh.mu.Lock()
		if s.gen.Load() == gen {
			sh.cache.put(strings.Clone(list), e)
		}
		sh.mu.Unlock()
	}
	return append(into, parts...), true, nil
}

// sealedEmpty is the stored form of a field whose key is erased already.
func sealedEmpty(keys []string) string { return prefix + ":" + joinKeys(keys) }

func (s *Sealer) sealValue(ctx context.Context, v string, keys []string) (string, error) {
	b := []byte(v)
	for _, id := range keys {
		e, err := s.key(ctx, id)
		if err != nil {
			return "", err
		}
		if e.erased() {
			return sealedEmpty(keys), nil
		}
		a := e.chacha
		nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(b)+a.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return "", fmt.Errorf("nonce: %w", err)
		}
		b = a.Seal(nonce, nonce, b, e.ad)
	}
	return prefix + base64.RawStdEncoding.EncodeToString(b) + ":" + joinKeys(keys), nil
}

// scratch holds a sealed value's base64 text and its decoded bytes while
// it is opened, so that opening allocates only the plaintext string.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// openValue opens a sealed value; ok is false when a key is erased or
// missing or the ciphertext does not open (a malformed value included).
func (s *Sealer) openValue(ctx context.Context, v string) (string, bool, error) {
	body, list, found := strings.Cut(v[len(prefix):], ":")
	if !found || body == "" {
		return "", false, nil
	}
	var ks [maxSealKeys]*cached
	keys, ok, err := s.keysOf(ctx, list, ks[:0])
	if err != nil || !ok {
		return "", false, err
	}
	for _, e := range keys {
		if e.erased() {
			return "", false, nil
		}
	}
	bp := scratch.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 {
			scratch.Put(bp)
		}
	}()
	n := base64.RawStdEncoding.DecodedLen(len(body))
	buf := append((*bp)[:0], body...)
	buf = append(buf, make([]byte, n)...)
	*bp = buf
	ct := buf[len(body):]
	if n, err = base64.RawStdEncoding.Decode(ct, buf[:len(body)]); err != nil {
		return "", false, nil
	}
	ct = ct[:n]
	v1 := strings.HasPrefix(v, prefixV1)
	for i := len(keys) - 1; i >= 0; i-- {
		a := keys[i].chacha
		if v1 {
			if a, err = s.gcmOf(ctx, keys[i]); a == nil || err != nil {
				return "", false, err
			}
		}
		ns := a.NonceSize()
		if len(ct) < ns {
			return "", false, nil
		}
		if ct, err = a.Open(ct[ns:ns], ct[:ns], ct[ns:], keys[i].ad); err != nil {
			return "", false, nil
		}
	}
	return string(ct), true, nil
}

// marker is what an erased field of kind reads as.
func marker(kind string) string {
	if kind == "name" {
		return ErasedName
	}
	return ErasedText
}

// Open returns e with every sealed field opened: its plaintext, or the
// erased marker when one of its keys is erased or missing. Fields stored in
// plaintext (events written before sealing) read as they are. e must be
// the caller's own, just decoded: slices inside it are opened in place.
// Fails only when the key store cannot be read.
func (s *Sealer) Open(ctx context.Context, e domain.Event) (domain.Event, error) {
	return s.open(ctx, e, "")
}

// OpenFor is Open for a person's own export (PIPL art. 45): fields that
// belong to personID are opened, every other person's data reads as
// Withheld.
func (s *Sealer) OpenFor(ctx context.Context, e domain.Event, personID string) (domain.Event, error) {
	return s.open(ctx, e, personID)
}

func (s *Sealer) open(ctx context.Context, e domain.Event, only string) (domain.Event, error) {
	var oerr error
	out, err := rewrite(e, "", false, only == "", s.opener(ctx, only, &oerr))
	if err == nil {
		err = oerr
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", e.EventType(), err)
	}
	return out, nil
}

// OpenInPlace is Open on the event ptr points to, changed in place: ptr
// is a pointer to an event struct the caller just decoded, and no copy of
// it is made (the token registry, yishi reseal).
func (s *Sealer) OpenInPlace(ctx context.Context, ptr any) error {
	var oerr error
	if err := inPlace("open", ptr, s.opener(ctx, "", &oerr)); err != nil {
		return err
	}
	if oerr != nil {
		return fmt.Errorf("open %T: %w", ptr, oerr)
	}
	return nil
}

// inPlace calls fn on every personal string of the event struct ptr points
// to, setting what it returns; what names the caller in an error.
func inPlace(what string, ptr any, fn visit) error {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%s: %T is not a pointer to an event struct", what, ptr)
	}
	p, err := planOf(v.Elem().Type())
	if err != nil || p.empty() {
		return err
	}
	walkPlan(p, v.Elem(), "", fn, true, false, true)
	return nil
}

// opener is the visit that opens each personal string (for only's own
// export when only is set), keeping the first key store failure in oerr.
func (s *Sealer) opener(ctx context.Context, only string, oerr *error) visit {
	return func(st *site, _ reflect.Value, v string, persons []string) (string, bool) {
		if only != "" && !contains(persons, PersonKey(only)) {
			if v == "" {
				return v, false
			}
			return Withheld, true
		}
		if !IsSealed(v) {
			return v, false
		}
		p, ok, err := s.openValue(ctx, v)
		if err != nil && *oerr == nil {
			*oerr = err
		}
		if !ok {
			return marker(st.tag.kind), true
		}
		return p, true
	}
}

// MaySeal reports whether a stored body may hold sealed fields; a body
// without the marker needs no Open. It looks for the marker's bytes as the
// sealer writes them: a body that escapes a character of the prefix
// (`sealed\u003av2:`) is taken for one with no sealed field, whose value
// then stays as stored, sealed.
func MaySeal(data []byte) bool { return bytes.Contains(data, sealedBytes) }

// visit is called for each personal string of an event: the site, the
// struct holding it, its value and its key ids (persons' keys, then the
// item's, which is known only when sealing: opening reads the key ids
// from the sealed value). It returns the new value and whether it changed.
type visit func(st *site, holder reflect.Value, v string, keys []string) (string, bool)

// walk calls fn on every personal string of struct value v (read only).
func walk(v reflect.Value, stream string, fn visit) error {
	if v.Kind() != reflect.Struct {
		return nil
	}
	p, err := planOf(v.Type())
	if err != nil {
		return err
	}
	walkPlan(p, v, stream, fn, false, false, false)
	return nil
}

// rewrite returns a copy of e with fn applied to every personal string;
// noKeys spares working out the key ids (fn then gets none).
// With clone, slices it changes are copied first, so e and whatever shares
// its slices are never modified; without, e must be the reader's own (just
// decoded) and its slices are changed in place.
func rewrite(e domain.Event, stream string, clone, noKeys bool, fn visit) (domain.Event, error) {
	v := reflect.ValueOf(e)
	if v.Kind() != reflect.Struct {
		return e, nil
	}
	p, err := planOf(v.Type())
	if err != nil {
		return nil, err
	}
	if p.empty() {
		return e, nil
	}
	cp := reflect.New(v.Type()).Elem()
	cp.Set(v)
	walkPlan(p, cp, stream, fn, true, clone, noKeys)
	return cp.Interface().(domain.Event), nil
}

func walkPlan(p *plan, v reflect.Value, stream string, fn visit, set, clone, noKeys bool) {
	for i := range p.sites {
		st := &p.sites[i]
		var keys []string
		if noKeys {
			if !st.applies(v) {
				continue
			}
		} else {
			ok, persons := st.personal(v)
			if !ok {
				continue
			}
			keys = make([]string, 0, len(persons)+1)
			for _, id := range persons {
				keys = append(keys, PersonKey(id))
			}
			if st.tag.item && stream != "" {
				keys = append(keys, ItemKey(stream))
			}
			if len(keys) == 0 && stream != "" {
				continue // sealing: nobody to seal it for
			}
		}
		f := v.Field(st.index)
		if !st.slice {
			if f.String() == "" {
				continue
			}
			if nv, changed := fn(st, v, f.String(), keys); changed && set {
				f.SetString(nv)
			}
			continue
		}
		var cp reflect.Value
		for j := 0; j < f.Len(); j++ {
			if f.Index(j).String() == "" {
				continue
			}
			nv, changed := fn(st, v, f.Index(j).String(), keys)
			if !changed || !set {
				continue
			}
			if !clone {
				f.Index(j).SetString(nv)
				continue
			}
			if !cp.IsValid() {
				cp = reflect.MakeSlice(f.Type(), f.Len(), f.Len())
				reflect.Copy(cp, f)
			}
			cp.Index(j).SetString(nv)
		}
		if cp.IsValid() {
			f.Set(cp)
		}
	}
	for _, n := range p.nested {
		f := v.Field(n.index)
		if !n.slice {
			walkPlan(n.plan, f, stream, fn, set, clone, noKeys)
			continue
		}
		if f.Len() == 0 {
			continue
		}
		if set && clone {
			cp := reflect.MakeSlice(f.Type(), f.Len(), f.Len())
			reflect.Copy(cp, f)
			f.Set(cp)
			f = cp
		}
		for j := 0; j < f.Len(); j++ {
			walkPlan(n.plan, f.Index(j), stream, fn, set, clone, noKeys)
		}
	}
}

// Persons returns the ids of the persons whose personal data e holds (the
// persons its pii tags name), in order of first appearance.
func Persons(e domain.Event) ([]string, error) {
	var ids []string
	err := walk(reflect.ValueOf(e), "", func(st *site, holder reflect.Value, v string, _ []string) (string, bool) {
		_, persons := st.personal(holder)
		for _, id := range persons {
			if !contains(ids, id) {
				ids = append(ids, id)
			}
		}
		return v, false
	})
	return ids, err
}
