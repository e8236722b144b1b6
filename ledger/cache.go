package ledger

import (
	"time"

	"container/list"
	"sync"
	"sync/atomic"

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
// using the one it got. The entries of one stream share the arrays behind
// events and records: an update appends to them in place, into the room
// past every earlier entry's length, so that one more ballot on a meeting
// of thousands copies nothing (it copied the whole stream before: 1.1 MB
// per vote at 5,000 events).
type cachedStream struct {
	events   []domain.Event
	records  []record
	revision int64
	lastHash string
	// filled is how many elements of the shared arrays are written; only
	// the entry whose length it is may append in place, and claims the
	// room first, so that two updates of one entry never write the same
	// element.
	filled *atomic.Int64
	// meeting is, for a meeting's stream, the state of exactly events,
	// once a command on it needed it (loaded.meetingState); the next
	// entry's is carried forward from it.
	meeting atomic.Pointer[domain.MeetingState]
	// base is the latest state kept on an entry this one descends from,
	// the state of its first baseLen events (set when the entry is made):
	// a read of the stream between two commands makes an entry without
	// a state, and the next command carries base forward instead of
	// folding the whole meeting again.
	base    *domain.MeetingState
	baseLen int
}

// extend returns c's events and records followed by evs and recs: in place
// when c is the longest entry of its arrays and they have room, else in new
// arrays of twice the length. The returned slices' room past their length
// belongs to the entry made of them (put them in the cache as they are).
func (c *cachedStream) extend(evs []domain.Event, recs []record) ([]domain.Event, []record, *atomic.Int64) {
	n, k := len(c.events), len(evs)
	if k == 0 {
		return c.events, c.records, c.filled
	}
	if c.filled != nil && n+k <= cap(c.events) && n+k <= cap(c.records) && c.filled.CompareAndSwap(int64(n), int64(n+k)) {
		return append(c.events, evs...), append(c.records, recs...), c.filled
	}
	events := append(make([]domain.Event, 0, 2*(n+k)), c.events...)
	records := append(make([]record, 0, 2*(n+k)), c.records...)
	filled := new(atomic.Int64)
	filled.Store(int64(n + k))
	return append(events, evs...), append(records, recs...), filled
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
	// gen counts clears: a load that began before one (an erasure's
	// Forget) may hold what the erasure hid, and must not cache it.
	gen uint64
}

func newStreamCache() *streamCache {
	return &streamCache{order: list.New(), items: map[string]*list.Element{}, data: map[string]*cachedStream{}}
}

// get returns the cached prefix of stream, or nil, and the cache's
// generation, for put.
func (c *streamCache) get(stream string) (*cachedStream, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[stream]; ok {
		c.order.MoveToFront(e)
		return c.data[stream], c.gen
	}
	return nil, c.gen
}

// clear drops every entry.
func (c *streamCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	clear(c.items)
	clear(c.data)
	c.gen++
}

// put stores s as stream's prefix unless a longer one is already cached,
// or the cache was cleared since the get of generation gen that began the
// load of s.
func (c *streamCache) put(stream string, s *cachedStream, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
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
