package projections

import (
	"encoding/binary"
	"iter"
	"slices"
)

// span is where an owner's values lie in a slab: n of them from at, {0,
// 0} for none. A board head keeps its actions' marks, and a statistics'
// bucket its tallies, as a span in place of a slice of their own: they
// hold no pointer, so that their rows can be read in place from their
// snapshot files (writeFixedRows, bucketSet.writeBinary).
type span struct{ at, n int32 }

// follows reports whether s is where a snapshot writes it (written): right
// after the spans before it, which end at next, within a slab of total
// values; none at 0.
func (s span) follows(next int32, total int) bool {
	switch {
	case s.n < 0, s.n == 0 && s.at != 0, s.n > 0 && s.at != next, int64(s.at)+int64(s.n) > int64(total):
		return false
	}
	return true
}

// written returns s as a snapshot writes it, after the spans written
// before it, which end at *next (then moved past it): each owner's values
// in the order of the owners, so that two slabs that give their owners the
// same values write the same bytes, whatever else they hold.
func (s span) written(next *int32) span {
	if s.n == 0 {
		return span{}
	}
	s.at, *next = *next, *next+s.n
	return s
}

// put writes s into the bytes of a row, at offset off, as it lies in
// memory.
func (s span) put(row []byte, off int) {
	binary.NativeEndian.PutUint32(row[off:], uint32(s.at))
	binary.NativeEndian.PutUint32(row[off+4:], uint32(s.n))
}

// slab holds the values of many owners, each owner's a span of it: one
// array for them all, and no pointer in the owners. used is how many
// values the owners' spans name; the others are dead, left behind by an
// owner whose values grew and moved to the end, until compact drops them.
type slab[T any] struct {
	vals []T
	used int
}

// of returns the values of s (nil for none).
func (sl *slab[T]) of(s span) []T {
	if s.n == 0 {
		return nil
	}
	return sl.vals[s.at : s.at+s.n : s.at+s.n]
}

// add appends vals and returns their span.
func (sl *slab[T]) add(vals []T) span {
	if len(vals) == 0 {
		return span{}
	}
	at := len(sl.vals)
	sl.vals = append(sl.vals, vals...)
	sl.used += len(vals)
	return span{int32(at), int32(len(vals))}
}

// resize returns the span of n values in place of old's, the first of
// them old's values (the others as they were, for the caller to write):
// none for n = 0; old's room when they fit in it, or when old ends the
// slab (which grows); else at the end, old's room left dead.
func (sl *slab[T]) resize(old span, n int) span {
	sl.used += n - int(old.n)
	switch {
	case n == 0:
		return span{}
	case n <= int(old.n):
		return span{old.at, int32(n)}
	case old.n > 0 && int(old.at+old.n) == len(sl.vals):
		sl.vals = slices.Grow(sl.vals, n-int(old.n))[:int(old.at)+n]
		return span{old.at, int32(n)}
	}
	at := len(sl.vals)
	sl.vals = append(sl.vals, sl.of(old)...) // old's stay good if the slab moves
	sl.vals = slices.Grow(sl.vals, n-int(old.n))[:at+n]
	return span{int32(at), int32(n)}
}

// compact makes the slab anew, each owner's values in the order spans
// yields the owners' spans, once it holds more than twice the values in
// use (and 4,096 more): the dead ones are dropped. A span is written only
// where it moves: an owner read in place from its snapshot stays the page
// cache's until it is written (after the first owner whose values moved,
// most do, and their pages become the process's own).
func (sl *slab[T]) compact(spans iter.Seq[*span]) {
	if len(sl.vals) <= 2*sl.used+4096 {
		return
	}
	vals := make([]T, 0, sl.used+sl.used/8)
	for s := range spans {
		if s.n == 0 {
			continue
		}
		vals = append(vals, sl.of(*s)...)
		if at := int32(len(vals)) - s.n; s.at != at {
			s.at = at
		}
	}
	sl.vals = vals
}
