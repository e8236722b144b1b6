package http

import (
	"bytes"
	"container/list"
	"sync"
	"sync/atomic"
)

// Bounds of the memory of the answers kept: together with the views'
// other caches (the story cache, the sealer's, the tables' entries) they
// are most of what a server's heap holds beyond its views, and the
// collector doubles it (docs/scaling.md, "A memory budget").
const (
	// timelineAnswerBytes is for whole public timeline pages.
	timelineAnswerBytes = 32 << 20
	// itemAnswerBytes is for the items of list pages (board).
	itemAnswerBytes = 16 << 20
)

// answerCache keeps answers (the JSON a reader gets, opened and, for the
// public, masked: the costliest steps of a read) by a key that changes
// whenever the answer could, such as a story's length and last step or a
// proposal's last change. Every answer depends on what the sealer opens,
// which changes only with its generation (every erasure moves it): the
// cache keeps the answers of one generation and forgets them all as soon
// as the sealer tells of a newer one (forgetBefore, from
// privacy.Sealer.Watch), so that nothing erased stays in memory; an answer
// of an older generation is neither served nor kept. Bounded by bytes; a
// full cache evicts the oldest answer not read since it was last passed
// over (the clock algorithm), so that a read takes only a shared lock: a
// board page looks its items up while it holds the views' read lock.
// Safe for concurrent use.
type answerCache struct {
	max   int // bytes kept at most
	mu    sync.RWMutex
	bytes int
	gen   uint64 // the sealer's generation of the answers kept
	byKey map[string]*list.Element
	order list.List // of *cachedAnswer, newest (or passed over) first
	// hits counts the answers served from the cache (for tests).
	hits atomic.Int64
}

type cachedAnswer struct {
	key    string
	answer []byte
	// used is set by every read; eviction passes over a used answer once.
	used atomic.Bool
}

func newAnswerCache(max int) *answerCache {
	return &answerCache{max: max, byKey: map[string]*list.Element{}}
}

// at moves the cache to generation gen, forgetting every answer of an
// older one, and reports whether answers of gen may be kept: not when gen
// is older than the cache's (a read that began before an erasure). It
// needs the write lock.
func (c *answerCache) at(gen uint64) bool {
	switch {
	case gen < c.gen:
		return false
	case gen > c.gen:
		c.byKey = map[string]*list.Element{}
		c.order.Init()
		c.bytes, c.gen = 0, gen
	}
	return true
}

// forgetBefore drops every answer of a generation older than gen.
func (c *answerCache) forgetBefore(gen uint64) {
	c.mu.Lock()
	c.at(gen)
	c.mu.Unlock()
}

// get returns the answer kept under key at the sealer's generation gen.
func (c *answerCache) get(gen uint64, key string) ([]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if gen != c.gen {
		return nil, false
	}
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	ca := el.Value.(*cachedAnswer)
	if !ca.used.Load() {
		ca.used.Store(true)
	}
	c.hits.Add(1)
	return ca.answer, true
}

// put keeps answer under key at generation gen; answer must not change
// afterwards.
func (c *answerCache) put(gen uint64, key string, answer []byte) {
	size := len(key) + len(answer)
	if size > c.max/16 {
		return
	}
	// An answer is often written into room made for more (the opened JSON
	// into room for the sealed): kept as it was, the item answers held
	// some 26 MB for the 16 MiB they counted (docs/performance.md,
	// eighteenth session). Copied before the lock: readers wait for none.
	if cap(answer)-len(answer) > len(answer)/8 {
		answer = bytes.Clone(answer)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at(gen) {
		return
	}
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.order.PushFront(&cachedAnswer{key: key, answer: answer})
	c.bytes += size
	for c.bytes > c.max {
		last := c.order.Back()
		ca := last.Value.(*cachedAnswer)
		if ca.used.Load() {
			ca.used.Store(false)
			c.order.MoveToFront(last)
			continue
		}
		c.order.Remove(last)
		delete(c.byKey, ca.key)
		c.bytes -= len(ca.key) + len(ca.answer)
	}
}
