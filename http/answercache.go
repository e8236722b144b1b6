package http

import (
	"container/list"
	"sync"
)

// Bounds of the memory of the answers kept.
const (
	// timelineAnswerBytes is for whole public timeline pages.
	timelineAnswerBytes = 48 << 20
	// itemAnswerBytes is for the items of list pages (board).
	itemAnswerBytes = 32 << 20
)

// answerCache keeps answers (the JSON a reader gets, opened and, for the
// public, masked: the costliest steps of a read) by a key that changes
// whenever the answer could, such as a story's length and last step or a
// proposal's last change. Every answer depends on what the sealer opens,
// which changes only with its generation (every erasure moves it): the
// cache keeps the answers of one generation, and forgets them all when a
// newer one is seen, so that nothing erased stays in memory. Bounded by
// bytes, the least recently used answer goes first. Safe for concurrent
// use.
type answerCache struct {
	max   int // bytes kept at most
	mu    sync.Mutex
	bytes int
	gen   uint64 // the sealer's generation of the answers kept
	byKey map[string]*list.Element
	lru   list.List // of *cachedAnswer, most recently used first
	// hits counts the answers served from the cache (for tests).
	hits int
}

type cachedAnswer struct {
	key    string
	answer []byte
}

func newAnswerCache(max int) *answerCache {
	return &answerCache{max: max, byKey: map[string]*list.Element{}}
}

// at moves the cache to generation gen, forgetting every answer of an
// older one, and reports whether answers of gen may be read and kept: not
// when gen is older than answers kept already (a read that began before
// an erasure).
func (c *answerCache) at(gen uint64) bool {
	switch {
	case gen < c.gen:
		return false
	case gen > c.gen:
		c.byKey = map[string]*list.Element{}
		c.lru.Init()
		c.bytes, c.gen = 0, gen
	}
	return true
}

// get returns the answer kept under key at the sealer's generation gen.
func (c *answerCache) get(gen uint64, key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at(gen) {
		return nil, false
	}
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	c.hits++
	return el.Value.(*cachedAnswer).answer, true
}

// put keeps answer under key at generation gen; answer must not change
// afterwards.
func (c *answerCache) put(gen uint64, key string, answer []byte) {
	size := len(key) + len(answer)
	if size > c.max/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at(gen) {
		return
	}
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.lru.PushFront(&cachedAnswer{key: key, answer: answer})
	c.bytes += size
	for c.bytes > c.max {
		last := c.lru.Back()
		ca := last.Value.(*cachedAnswer)
		c.lru.Remove(last)
		delete(c.byKey, ca.key)
		c.bytes -= len(ca.key) + len(ca.answer)
	}
}
