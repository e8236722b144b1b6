package projections

import (
	"fmt"
	"hash/maphash"
	"reflect"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// An event's strings are decoded as references into its stored bytes (no
// copy each), then given memory of their own before the event leaves the
// decoder: a string seen lately (the meeting's id in each of its votes,
// a grid's, an option's, a kind) is shared from a small cache, any other
// is copied. No decoded event refers to its stored bytes, which the store
// reads many events into at once (an arena of up to 256 KiB), so a view
// that keeps a string keeps that string's bytes alone.

// stringPlan says where the strings of a type are, as offsets from its
// start: the walk runs over those alone, without reflection.
type stringPlan struct {
	sites []stringSite
}

// stringSite is one place of a plan: a string at off, or a slice at off
// whose elements (of size size) have plan elem.
type stringSite struct {
	off  uintptr
	kind siteKind
	elem *stringPlan
	size uintptr
}

type siteKind uint8

const (
	siteString siteKind = iota
	siteSlice
)

var timeType = reflect.TypeFor[time.Time]()

// planStrings compiles the plan of type rt; it fails for a type that
// holds a map, an interface, a pointer to strings or anything else the
// walk does not follow (the catalogue has none today), whose strings are
// then copied by goccy itself.
func planStrings(rt reflect.Type) (*stringPlan, error) {
	p := &stringPlan{}
	if err := p.add(rt, 0, 0); err != nil {
		return nil, err
	}
	return p, nil
}

// add puts the places of a value of type rt at offset off into p.
func (p *stringPlan) add(rt reflect.Type, off uintptr, depth int) error {
	if depth > 16 {
		return fmt.Errorf("%s: nested too deep", rt)
	}
	switch rt.Kind() {
	case reflect.String:
		p.sites = append(p.sites, stringSite{off: off, kind: siteString})
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
	case reflect.Struct:
		if rt == timeType {
			return nil // parsed into numbers; its location is never the input's
		}
		for i := range rt.NumField() {
			f := rt.Field(i)
			if err := p.add(f.Type, off+f.Offset, depth+1); err != nil {
				return fmt.Errorf("%s.%s: %w", rt, f.Name, err)
			}
		}
	case reflect.Array:
		for i := range rt.Len() {
			if err := p.add(rt.Elem(), off+uintptr(i)*rt.Elem().Size(), depth+1); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		elem := &stringPlan{}
		if err := elem.add(rt.Elem(), 0, depth+1); err != nil {
			return err
		}
		if len(elem.sites) > 0 {
			return fmt.Errorf("%s: a pointer to strings is not followed", rt)
		}
	case reflect.Slice:
		elem := &stringPlan{}
		if err := elem.add(rt.Elem(), 0, depth+1); err != nil {
			return err
		}
		if len(elem.sites) > 0 {
			p.sites = append(p.sites, stringSite{off: off, kind: siteSlice, elem: elem, size: rt.Elem().Size()})
		}
	default:
		return fmt.Errorf("%s: a %s is not followed", rt, rt.Kind())
	}
	return nil
}

// own gives every string of the value at base that lies inside in memory
// of its own: the cache's, a copy of its own for one longer than
// cacheLen, and for the others the cache does not hold, copies in chunks
// of settleLen bytes shared by several of them, of this event and of the
// events decoded before and after it (most events' new ids and short
// texts cost no allocation; a view keeping one of them keeps at most
// settleLen bytes alive).
func (p *stringPlan) own(base unsafe.Pointer, in []byte, c *stringCache) {
	p.walk(base, in, c)
	c.settle()
}

// walk is own's walk over the value at base, for a value and for each
// element of its slices, leaving the strings missed for settle.
func (p *stringPlan) walk(base unsafe.Pointer, in []byte, c *stringCache) {
	for i := range p.sites {
		s := &p.sites[i]
		at := unsafe.Add(base, s.off)
		switch s.kind {
		case siteString:
			c.own((*string)(at), in)
		case siteSlice:
			sl := *(*[]byte)(at) // the header alone: its data and length
			for j := range len(sl) {
				s.elem.walk(unsafe.Add(unsafe.Pointer(unsafe.SliceData(sl)), uintptr(j)*s.size), in, c)
			}
		}
	}
}

// stringCache is a direct-mapped cache of strings lately kept: a string's
// hash picks its one slot, and a new string takes the slot over. The
// shortest strings (at most shortLen bytes: the ids of grids, compounds,
// communities, motions and agenda items, kinds, statuses) have slots of
// their own, eight times as many: there are tens of thousands of them in a
// city, each recurring over the whole ledger, and the longer ones (an
// aggregate's UUID, a title), mostly seen once or in one burst (a
// meeting's id in each of its votes), would take their slots over. Its
// memory is bounded: cacheSlots+shortSlots strings of at most cacheLen
// bytes, each keeping alive the copy it shares (settle), settleLen bytes
// at most.
type stringCache struct {
	slots [cacheSlots]string
	short [shortSlots]string
	// missed is what own left for settle: each string still in the input,
	// and the slot to keep its copy in.
	missed []missedString
	// chunk is where settle copies them: its bytes up to its length are
	// strings handed out, never written again; it is written only past
	// them, by the one goroutine using the cache.
	chunk []byte
}

// missedString is a string own left in the input, for settle to copy.
type missedString struct {
	str, slot *string
}

const (
	cacheSlots = 1 << 12
	shortSlots = 1 << 15
	shortLen   = 16
	cacheLen   = 64
)

var (
	cacheSeed  = maphash.MakeSeed()
	cachesPool = sync.Pool{New: func() any { return new(stringCache) }}
)

// own leaves *str as it is when it is not in in, else makes it a string
// of its own with the same bytes: the cache's when it holds one, a copy
// for one longer than cacheLen; another the cache lacks is left for
// settle.
func (c *stringCache) own(str *string, in []byte) {
	s := *str
	if len(s) == 0 || !within(s, in) {
		return
	}
	if len(s) > cacheLen {
		*str = strings.Clone(s)
		return
	}
	h := maphash.String(cacheSeed, s)
	slot := &c.slots[h&(cacheSlots-1)]
	if len(s) <= shortLen {
		slot = &c.short[h&(shortSlots-1)]
	}
	if *slot == s {
		*str = *slot
		return
	}
	c.missed = append(c.missed, missedString{str: str, slot: slot})
}

// settleLen is the size of the chunks settle copies strings into; no
// less than cacheLen, the longest string it copies (the assertion below).
const settleLen = 256

var _ [settleLen - cacheLen]struct{}

// settle copies the strings own left, in order, into the cache's current
// chunk (chunk), a new one of settleLen bytes when the next string does
// not fit in what is left of it, each string then kept in its slot, and
// forgets them. A chunk is shared by the strings of the events decoded one
// after another, so that most events cost no allocation here, and a view
// keeping one of them keeps settleLen bytes alive at most.
func (c *stringCache) settle() {
	for _, m := range c.missed {
		s := *m.str
		if len(s) > cap(c.chunk)-len(c.chunk) {
			c.chunk = make([]byte, 0, settleLen)
		}
		at := len(c.chunk)
		c.chunk = append(c.chunk, s...)              // within its capacity: never moves
		*m.str = unsafe.String(&c.chunk[at], len(s)) // bytes never written again
		*m.slot = *m.str
	}
	clear(c.missed) // the pooled cache keeps no pointer into an event
	c.missed = c.missed[:0]
}

// within reports whether s's bytes are part of b.
func within(s string, b []byte) bool {
	if len(b) == 0 {
		return false
	}
	p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return lo <= p && p < lo+uintptr(len(b))
}
