package http

import (
	"container/list"
	"sync"
)

// publicAnswerBytes bounds the memory of the public answers kept.
const publicAnswerBytes = 16 << 20

// answerCache keeps the public answers of timeline pages, the JSON the
// public reads (opened, then masked: policy.PublicJSON, the costliest step
// of a read), by a key that changes whenever the answer could: the page
// asked for, the story's length and last step (a story only grows), and
// the sealer's generation (every erasure moves it). Bounded by bytes, the
// least recently used answer goes first. Safe for concurrent use.
type answerCache struct {
	mu    sync.Mutex
	bytes int
	byKey map[string]*list.Element
	lru   list.List // of *cachedAnswer, most recently used first
	// hits counts the answers served from the cache (for tests).
	hits int
}

type cachedAnswer struct {
	key    string
	answer []byte
}

// get returns the answer kept under key.
func (c *answerCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	c.hits++
	return el.Value.(*cachedAnswer).answer, true
}

// put keeps answer under key; answer must not change afterwards.
func (c *answerCache) put(key string, answer []byte) {
	size := len(key) + len(answer)
	if size > publicAnswerBytes/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = map[string]*list.Element{}
	}
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.lru.PushFront(&cachedAnswer{key: key, answer: answer})
	c.bytes += size
	for c.bytes > publicAnswerBytes {
		last := c.lru.Back()
		ca := last.Value.(*cachedAnswer)
		c.lru.Remove(last)
		delete(c.byKey, ca.key)
		c.bytes -= len(ca.key) + len(ca.answer)
	}
}
