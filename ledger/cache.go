package ledger

import (
	"time"

	"container/list"
	"sync"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// cacheStreams is how many streams the ledger keeps decoded in memory.
const cacheStreams = 4096

// record is what the ledger needs of a stored event besides its body: who
// caused it and where it landed, for idempotent replays.
type record struct {
	id        uuid.UUID
	actor     string
	causation string
	revision  uint64
	position  eventstore.Position
	// recorded is when the event reached the ledger.
	recorded time.Time
}

// cachedStream is a decoded prefix of a stream. Entries are never changed
// after they are stored: an update stores a new entry, so a reader can keep
// using the one it got.
type cachedStream struct {
	events   []domain.Event
	records  []record
	revision int64
	lastHash string
}

// streamCache keeps the most recently used streams decoded, so that a busy
// stream (a meeting during a vote) is read from the store only from the
// revision the ledger last saw. The store stays the truth: every load reads
// the stream's tail after the cached revision.
type streamCache struct {
	mu    sync.Mutex
	order *list.List // of string, most recent first
	items map[string]*list.Element
	data  map[string]*cachedStream
}

func newStreamCache() *streamCache {
	return &streamCache{order: list.New(), items: map[string]*list.Element{}, data: map[string]*cachedStream{}}
}

// get returns the cached prefix of stream, or nil.
func (c *streamCache) get(stream string) *cachedStream {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[stream]; ok {
		c.order.MoveToFront(e)
		return c.data[stream]
	}
	return nil
}

// clear drops every entry.
func (c *streamCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	clear(c.items)
	clear(c.data)
}

// put stores s as stream's prefix unless a longer one is already cached.
func (c *streamCache) put(stream string, s *cachedStream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.data[stream]; ok {
		if old.revision > s.revision {
			return
		}
		c.order.MoveToFront(c.items[stream])
		c.data[stream] = s
		return
	}
	c.items[stream] = c.order.PushFront(stream)
	c.data[stream] = s
	for c.order.Len() > cacheStreams {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(string))
		delete(c.data, last.Value.(string))
	}
}
