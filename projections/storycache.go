package projections

import (
	"container/list"
	"slices"
	"sync"
	"unsafe"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// storyCacheBytes bounds the memory the story cache's entries take, their
// strings counted (Entry.size): a neighbourhood's reads go to the items it
// talks about now, a few thousand stories of some 600 bytes a step. Public
// readers are answered from the server's cache of whole answers first, so
// this one serves mostly staff and the pages after a story changed.
const storyCacheBytes = 12 << 20

// storyCacheLongest is the longest story the cache takes: a miss reads a
// cached story whole, which for a long one costs more than its page.
const storyCacheLongest = 200

// storyCache keeps the stories read lately, whole, as entries, so that a
// story read again is not read from the log again. A cached story is good
// while the story has as many steps, ending at the same position, as when
// it was read: a story only grows (steps appended, a meeting's earlier
// steps inserted), so any change shows in its length. Entries hold sealed
// personal data sealed (opened by the answer), so an erasure leaves them
// right. Safe for concurrent use.
type storyCache struct {
	mu    sync.Mutex
	bytes int
	byID  map[string]*list.Element
	lru   list.List // of *cachedStory, most recently used first
}

type cachedStory struct {
	id      string
	steps   int
	last    eventstore.Position
	entries []Entry
	bytes   int
}

// get returns a copy of the entries from start to end of story id, whose
// positions are told, if the cache holds the story as it is.
func (c *storyCache) get(id string, told []eventstore.Position, start, end int) ([]Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	cs := el.Value.(*cachedStory)
	if cs.steps != len(told) || cs.last != told[len(told)-1] {
		c.drop(el)
		return nil, false
	}
	c.lru.MoveToFront(el)
	out := make([]Entry, end-start)
	for i, en := range cs.entries[start:end] {
		out[i] = en.clone()
	}
	return out, true
}

// put keeps a copy of the entries of story id, read at positions told.
func (c *storyCache) put(id string, told []eventstore.Position, entries []Entry) {
	if len(told) == 0 || len(told) > storyCacheLongest || len(entries) != len(told) {
		return
	}
	kept, size := make([]Entry, len(entries)), 0
	for i, en := range entries {
		kept[i] = en.clone()
		size += en.size()
	}
	if size > storyCacheBytes/8 {
		return // one story never takes most of the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[string]*list.Element{}
	}
	if el, ok := c.byID[id]; ok {
		c.drop(el)
	}
	c.byID[id] = c.lru.PushFront(&cachedStory{id: id, steps: len(told), last: told[len(told)-1], entries: kept, bytes: size})
	c.bytes += size
	for c.bytes > storyCacheBytes {
		c.drop(c.lru.Back())
	}
}

// clear empties the cache.
func (c *storyCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byID, c.bytes = nil, 0
	c.lru.Init()
}

// drop removes el; the caller holds mu.
func (c *storyCache) drop(el *list.Element) {
	cs := c.lru.Remove(el).(*cachedStory)
	delete(c.byID, cs.id)
	c.bytes -= cs.bytes
}

// size is about the memory en takes: the struct, its strings and what its
// pointers hold.
func (en Entry) size() int {
	n := int(unsafe.Sizeof(en)) + len(en.Stream) + len(en.Type) + len(en.MeetingID) + len(en.MotionID) + len(en.ActionID) +
		len(en.Summary) + len(en.PersonName) + len(en.Method) + len(en.Note)
	for _, p := range en.Photos {
		n += 16 + len(p)
	}
	if r := en.Report; r != nil {
		n += int(unsafe.Sizeof(*r)) + len(r.CommunityID) + len(r.GridID) + len(r.CompoundID) + len(r.Category) + len(r.Channel) + len(r.Place) + len(r.Text)
	}
	if t := en.Tally; t != nil {
		n += int(unsafe.Sizeof(*t)) + len(t.Options)*int(unsafe.Sizeof(domain.OptionTally{}))
		for _, o := range t.Options {
			n += len(o.OptionID) + len(o.Label)
		}
	}
	return n
}

// clone returns the entry with nothing shared with en.
func (en Entry) clone() Entry {
	en.Photos = slices.Clone(en.Photos)
	if en.Report != nil {
		r := *en.Report
		en.Report = &r
	}
	if en.Tally != nil {
		t := *en.Tally
		t.Options = slices.Clone(t.Options)
		en.Tally = &t
	}
	if en.Satisfied != nil {
		v := *en.Satisfied
		en.Satisfied = &v
	}
	return en
}
