package projections

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// bucketsMagic begins the statistics' snapshot written as its buckets are
// kept: the organisations as JSON after their length, then the places,
// months and words, then each bucket (its place's and month's numbers, its
// figures, its tallies) in the order of those numbers. Reading it looks up
// no name and decodes no JSON but the organisations, where reading the
// JSON the statistics wrote before (still read) looked up each bucket's
// place, month and words (docs/performance.md, nineteenth session).
const bucketsMagic = "\x00yishi buckets 1\n"

// appendBinary appends s as bucketsMagic's snapshot holds it, past the
// organisations.
func (s *bucketSet) appendBinary(out []byte) []byte {
	out = binary.AppendUvarint(out, uint64(len(s.places)))
	for _, p := range s.places {
		out = appendText(appendText(out, p.community), p.grid)
	}
	out = binary.AppendUvarint(out, uint64(len(s.months)))
	for _, m := range s.months {
		out = appendText(out, m)
	}
	out = binary.AppendUvarint(out, uint64(len(s.words.names)-1)) // "" is 0
	for _, w := range s.words.names[1:] {
		out = appendText(out, w)
	}
	order := make([]int32, len(s.keys))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		ka, kb := s.keys[a], s.keys[b]
		return cmp.Or(cmp.Compare(ka.place, kb.place), cmp.Compare(ka.month, kb.month))
	})
	out = binary.AppendUvarint(out, uint64(len(order)))
	for _, i := range order {
		k, b := s.keys[i], s.buckets[i]
		out = binary.AppendUvarint(binary.AppendUvarint(out, uint64(k.place)), uint64(k.month))
		for _, n := range b.figures() {
			out = binary.AppendVarint(out, int64(*n))
		}
		out = binary.AppendUvarint(out, uint64(len(b.tallies)))
		for _, t := range b.tallies {
			out = binary.AppendVarint(binary.AppendUvarint(out, uint64(t.key)), int64(t.n))
		}
	}
	return out
}

// figures are b's nine figures, in the order a snapshot of buckets holds
// them.
func (b *bucket) figures() [9]*int32 {
	return [9]*int32{&b.Solved, &b.Direct, &b.Convened, &b.Closed, &b.Verifications, &b.Satisfied, &b.Meetings, &b.Attendance, &b.Invited}
}

// appendText appends a string after its length.
func appendText(out []byte, s string) []byte {
	return append(binary.AppendUvarint(out, uint64(len(s))), s...)
}

// text reads a string appendText wrote.
func (r *rowsReader) text() string { return string(r.next(r.count(1))) }

// readBucketSet reads a set appendBinary wrote. A place, month or word
// named twice, a number past its list, a bucket given twice, tallies out
// of order or of no word, days not numbered from 0 on, a figure past 32
// bits or bytes after the last bucket are refused.
func readBucketSet(r *rowsReader) (bucketSet, error) {
	s := newBucketSet(0)
	for range r.count(2) {
		if n := len(s.places); s.placeNumber(r.text(), r.text()) != uint32(n) && r.err == nil {
			r.fail("a place named twice")
		}
	}
	for range r.count(1) {
		if n := len(s.months); s.monthNumber(r.text()) != uint32(n) && r.err == nil {
			r.fail("a month named twice")
		}
	}
	r.dictionary(&s.words)
	if len(s.words.names) > 1<<wordBits {
		r.fail("too many words")
	}
	n := r.count(12) // two numbers, nine figures and a count, of a byte each at least
	s.buckets, s.keys, s.byKey = make([]*bucket, 0, n), make([]bucketKey, 0, n), newNumberIndex(n)
	slab := make([]bucket, n) // one allocation for the buckets, not one each
	var tallies []tally
	for i := range slab {
		place, month := r.uvarint(), r.uvarint()
		if place >= uint64(len(s.places)) || month >= uint64(len(s.months)) {
			r.fail("a bucket of no place or month")
		}
		k := bucketKey{place: uint32(place), month: uint32(month)}
		b := &slab[i]
		for _, f := range b.figures() {
			v := r.varint()
			if int64(int32(v)) != v {
				r.fail("a figure past 32 bits")
			}
			*f = int32(v)
		}
		if c := r.count(2); c > 0 {
			if cap(tallies)-len(tallies) < c {
				tallies = make([]tally, 0, max(c, 4096))
			}
			at, day := len(tallies), int32(0)
			for range c {
				key, n := r.uvarint(), r.varint()
				t := tally{key: uint32(key), n: int32(n)}
				switch {
				case uint64(t.key) != key || int64(t.n) != n:
					r.fail("a tally past 32 bits")
				case t.kind() < days && int(t.word()) >= len(s.words.names) ||
					len(tallies) > at && t.key <= tallies[len(tallies)-1].key:
					r.fail("tallies of no word or out of order")
				case t.kind() == days && t.word() != day:
					r.fail("days not numbered in order") // day adds after the last
				case t.kind() == days:
					day++
				}
				tallies = append(tallies, t)
			}
			b.tallies = tallies[at:len(tallies):len(tallies)] // an added tally moves them out
		}
		if !s.set(k, b) && r.err == nil {
			r.fail("a bucket given twice")
		}
		if r.err != nil {
			return bucketSet{}, r.err
		}
	}
	switch {
	case r.err != nil:
		return bucketSet{}, r.err
	case len(r.b) > 0:
		return bucketSet{}, fmt.Errorf("buckets: %d bytes after the last", len(r.b))
	}
	return s, nil
}

// readBuckets reads the statistics' snapshot past bucketsMagic.
func readBuckets(payload []byte) (statsState, error) {
	r := &rowsReader{b: payload}
	var st statsState
	if err := jsonv2.Unmarshal(r.next(r.count(1)), &st.Orgs, jsontext.AllowDuplicateNames(true)); err != nil || r.err != nil {
		return statsState{}, fmt.Errorf("organisations: %w", cmp.Or(r.err, err))
	}
	if st.Orgs == nil {
		return statsState{}, errors.New("missing maps")
	}
	var err error
	if st.Buckets, err = readBucketSet(r); err != nil {
		return statsState{}, err
	}
	return st, nil
}
