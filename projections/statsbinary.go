package projections

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"unsafe"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// bucketsMagic begins the statistics' snapshot written as its buckets are
// kept: the organisations as text and shapes (textWriter, writeOrgs),
// then the places, months and words, then the buckets as they lie in
// memory, in the order of their places' and months' numbers, and last
// their tallies (writeBinary). A load from a snapshot file reads the
// buckets and tallies in place from the file's mapping, where reading
// them as numbers (bucketsMagicV2, still read) made each anew in memory
// the load had to fault in page by page (docs/performance.md,
// twenty-fourth session). Reading either looks up no name and decodes no
// JSON, where reading the JSON the statistics wrote before (still read)
// looked up each bucket's place, month and words (nineteenth session).
// The organisations were JSON in the first version (bucketsMagicV1, still
// read): a third of its load at ten million events (twentieth session).
const (
	bucketsMagic   = bucketsPrefix + "3\n"
	bucketsMagicV2 = bucketsPrefix + "2\n"
	bucketsMagicV1 = bucketsPrefix + "1\n"
	bucketsPrefix  = "\x00yishi buckets "
)

// writeOrgs writes the organisations as text and shapes: each community
// in the order of their ids, its id, kind and street, its volunteers and
// teams of no grid, then its grids in the order of theirs, each its id,
// kind and head, volunteers and teams, and its workers in the order of
// the people's ids, each with their employment. A community or grid that
// is null (which no event makes, and the readers refuse) is left out.
func writeOrgs(s *snapshotWriter, orgs map[string]*statOrg) {
	var w textWriter
	ids := slices.Sorted(maps.Keys(orgs))
	ids = slices.DeleteFunc(ids, func(id string) bool { return orgs[id] == nil })
	w.num(uint64(len(ids)))
	for _, id := range ids {
		o := orgs[id]
		w.str(id, o.Kind, o.Street)
		w.num(zigzag(o.Volunteers), zigzag(o.Teams))
		grids := slices.Sorted(maps.Keys(o.Grids))
		grids = slices.DeleteFunc(grids, func(id string) bool { return o.Grids[id] == nil })
		w.num(uint64(len(grids)))
		for _, gid := range grids {
			g := o.Grids[gid]
			w.str(gid, g.Kind, g.Head)
			w.num(zigzag(g.Volunteers), zigzag(g.Teams), uint64(len(g.Workers)))
			for _, worker := range g.Workers {
				w.str(worker.Person, worker.Employment)
			}
		}
	}
	w.writeTo(s)
}

// checkOrgs refuses organisations read from JSON that the fold never
// makes: a null community or grid, or a community's grids null (which
// the fold would write into).
func checkOrgs(orgs map[string]*statOrg) error {
	for id, o := range orgs {
		if o == nil || o.Grids == nil {
			return fmt.Errorf("organisations: community %q null, or its grids", id)
		}
		for gid, g := range o.Grids {
			if g == nil {
				return fmt.Errorf("organisations: grid %q of %q null", gid, id)
			}
		}
	}
	return nil
}

// zigzag is n as binary.AppendVarint writes it, for a textWriter's shape.
func zigzag(n int) uint64 { return uint64(n<<1) ^ uint64(n>>63) }

// readOrgs reads the organisations writeOrgs wrote. Communities, grids
// or workers out of the order of their ids (or given twice) are refused.
func readOrgs(r *rowsReader) map[string]*statOrg {
	t := newTextReader(r)
	n := r.count(6)
	orgs := make(map[string]*statOrg, n)
	slab := make([]statOrg, n)
	var grids []statGrid
	var workers statWorkers // the slab the grids' workers are cut from
	last := ""
	for i := range slab {
		o := &slab[i]
		id := t.next()
		o.Kind, o.Street = t.next(), t.next()
		o.Volunteers, o.Teams = int(r.varint()), int(r.varint())
		if i > 0 && id <= last {
			r.fail(fmt.Sprintf("community %q out of order", id))
		}
		last = id
		k := r.count(5)
		if cap(grids)-len(grids) < k {
			grids = make([]statGrid, 0, max(k, 4096))
		}
		o.Grids = make(map[string]*statGrid, k)
		lastGrid := ""
		for j := range k {
			gid := t.next()
			grids = append(grids, statGrid{Kind: t.next(), Head: t.next(), Volunteers: int(r.varint()), Teams: int(r.varint())})
			g := &grids[len(grids)-1]
			if j > 0 && gid <= lastGrid {
				r.fail(fmt.Sprintf("grid %q of %q out of order", gid, id))
			}
			lastGrid = gid
			if w := r.count(2); w > 0 {
				if cap(workers)-len(workers) < w {
					workers = make(statWorkers, 0, max(w, 4096))
				}
				at := len(workers)
				for l := range w {
					person := t.next()
					if l > 0 && person <= workers[len(workers)-1].Person {
						r.fail(fmt.Sprintf("worker %q of %q out of order", person, gid))
					}
					workers = append(workers, statWorker{Person: person, Employment: t.next()})
				}
				g.Workers = workers[at:len(workers):len(workers)] // a worker added later moves them out
			}
			o.Grids[gid] = g
			if r.err != nil {
				return nil
			}
		}
		orgs[id] = o
		if r.err != nil {
			return nil
		}
	}
	if len(t.text) > 0 {
		r.fail(fmt.Sprintf("%d bytes of the organisations' text left over", len(t.text)))
	}
	return orgs
}

// writeBinary writes s as bucketsMagic's snapshot holds it, past the
// organisations: its places, months and words; its buckets in the order
// of their places and months, as they lie in memory, after their count,
// size and layout, each bucket's span of tallies where they are written
// after; then the tallies of every bucket, in the same order, after their
// count, size and layout. Both start at an offset of eight bytes in the
// payload. So two sets that hold the same buckets, their places, months
// and words numbered alike, write the same bytes, whatever order they
// made the buckets in and whatever their slab holds besides.
func (s *bucketSet) writeBinary(w *snapshotWriter) {
	s.writeNames(w)
	order := s.inKeyOrder()
	bl, tl := fixedLayout[bucket](), fixedLayout[tally]()
	bl.writeCount(w, len(order))
	w.align()
	off := int(unsafe.Offsetof(bucket{}.tallies))
	next := int32(0)
	var b *bucket
	patch := func(_ int, row []byte) { b.tallies.written(&next).put(row, off) }
	for _, b = range order {
		writeMemory(w, bl, bytesOf(unsafe.Slice(b, 1)), patch)
	}
	tl.writeCount(w, int(next))
	w.align()
	for _, b := range order {
		writeMemory(w, tl, bytesOf(s.talliesOf(b)), nil)
	}
}

// writeNames writes the set's places, months and words.
func (s *bucketSet) writeNames(w *snapshotWriter) {
	out := w.buf
	out = binary.AppendUvarint(out, uint64(len(s.places)))
	for _, p := range s.places {
		out = appendText(appendText(out, p.community), p.grid)
	}
	out = binary.AppendUvarint(out, uint64(len(s.months)))
	for _, m := range s.months {
		out = appendText(out, m)
	}
	out = binary.AppendUvarint(out, uint64(len(s.words.names)-1)) // "" is 0
	for _, word := range s.words.names[1:] {
		out = appendText(out, word)
	}
	w.buf = out
	w.next()
}

// inKeyOrder returns the buckets in the order of their places' and
// months' numbers.
func (s *bucketSet) inKeyOrder() []*bucket {
	order := make([]*bucket, 0, s.rows.n)
	for _, b := range s.rows.all {
		order = append(order, b)
	}
	slices.SortFunc(order, func(a, b *bucket) int {
		return cmp.Or(cmp.Compare(a.key.place, b.key.place), cmp.Compare(a.key.month, b.key.month))
	})
	return order
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

// readNames reads the places, months and words writeNames wrote into s,
// which is new. A place, month or word named twice is refused.
func (s *bucketSet) readNames(r *rowsReader) {
	names := r.texts(2 * r.count(2)) // each place its community and grid
	s.places = make([]place, len(names)/2)
	for i := range s.places {
		s.places[i] = place{names[2*i], names[2*i+1]}
	}
	if _, ok := s.placeN.bulk(0, len(s.places), func(k int32) uint64 { return hashKey(s.places[k]) },
		func(a, b int32) bool { return s.places[a] == s.places[b] }); !ok {
		r.fail("a place named twice")
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
}

// readFixedBuckets reads the buckets and tallies writeBinary wrote, past
// the organisations, from r, which reads payload. When mapped, the
// payload is a mapping of its file, kept (never unmapped) when this
// returns no error, with room after it up to its capacity: the buckets and tallies are read in place
// (inPlace), the tallies the fold adds going into that room until append
// moves them to the heap, and the buckets it makes into blocks of their
// own. Otherwise (or when they do not lie aligned in memory) they are
// copied into memory made for them. Every bucket and tally is checked as
// readBucketSet checks those it reads, and each bucket's span must follow
// the one before it: no tally is named twice, or by none.
func readFixedBuckets(r *rowsReader, payload []byte, mapped bool) (_ bucketSet, inPlace bool, _ error) {
	s := newBucketSet(0)
	s.readNames(r)
	bl, tl := fixedLayout[bucket](), fixedLayout[tally]()
	n := r.countOf(bl, "buckets")
	r.aligned()
	rowsAt := len(payload) - len(r.b)
	r.next(n * bl.size)
	m := r.countOf(tl, "tallies")
	if m > math.MaxInt32 {
		r.fail("more tallies than a span counts")
	}
	r.aligned()
	talliesAt := len(payload) - len(r.b)
	r.next(m * tl.size)
	switch {
	case r.err != nil:
		return bucketSet{}, false, r.err
	case len(r.b) > 0:
		return bucketSet{}, false, fmt.Errorf("buckets: %d bytes after the last tally", len(r.b))
	}
	// The buckets at their length (those made later go into blocks of
	// their own), the tallies with the room after them.
	rows, tallies := payload[rowsAt:rowsAt+n*bl.size:rowsAt+n*bl.size], payload[talliesAt:]
	inPlace = mapped && n > 0 && alignedAt(rows) && alignedAt(tallies)
	s.rows.base = rowsOf[bucket](rows, n, inPlace)
	s.tallies = slab[tally]{vals: rowsOf[tally](tallies, m, inPlace), used: m}
	s.rows.n = n
	next := int32(0) // where the next bucket's tallies start
	for i := range s.rows.base {
		b := &s.rows.base[i]
		if !b.tallies.follows(next, m) {
			r.fail("tallies not where the tallies before them end")
		} else {
			next += b.tallies.n
			s.checkBucket(r, b, s.talliesOf(b))
		}
		if i > 0 {
			r.checkOrder(s.rows.base[i-1].key, b.key)
		}
		if r.err != nil {
			return bucketSet{}, false, r.err
		}
	}
	if int(next) != m {
		return bucketSet{}, false, fmt.Errorf("buckets: %d tallies no bucket names", m-int(next))
	}
	// In the order checked above, each once.
	s.byPlace = placeStarts(s.rows.base, len(s.places))
	return s, inPlace, nil
}

// checkBucket refuses a bucket of no place or month, and tallies of no
// word, out of order or given twice, or days not numbered from 0 on or
// not finite.
func (s *bucketSet) checkBucket(r *rowsReader, b *bucket, tallies []tally) {
	if int(b.key.place) >= len(s.places) || int(b.key.month) >= len(s.months) {
		r.fail("a bucket of no place or month")
	}
	day := int32(0)
	for i, t := range tallies {
		switch {
		case t.kind() < days && int(t.word()) >= len(s.words.names) || i > 0 && t.key <= tallies[i-1].key:
			r.fail("tallies of no word or out of order")
		case t.kind() == days && t.word() != day:
			r.fail("days not numbered in order") // day adds after the last
		case t.kind() == days && !finite(math.Float32frombits(uint32(t.n))):
			r.fail("days not a number") // JSON, which the statistics are read as, holds none
		case t.kind() == days:
			day++
		}
	}
}

// finite reports whether f is neither infinite nor NaN.
func finite(f float32) bool { return !math.IsInf(float64(f), 0) && !math.IsNaN(float64(f)) }

// checkOrder refuses a bucket's key that does not come after the one
// before it in the order of places and months.
func (r *rowsReader) checkOrder(prev, k bucketKey) {
	switch {
	case k == prev:
		r.fail("a bucket given twice")
	case k.place < prev.place || k.place == prev.place && k.month < prev.month:
		r.fail("buckets out of the order of their places and months")
	}
}

// readBucketSet reads a set bucketsMagicV2's snapshot holds, each bucket
// as numbers (its place's and month's, its figures, its tallies after
// their count). A bucket or tally past 32 bits, or bytes after the last
// bucket, are refused, as readFixedBuckets refuses what is wrong.
func readBucketSet(r *rowsReader) (bucketSet, error) {
	s := newBucketSet(0)
	s.readNames(r)
	n := r.count(12) // two numbers, nine figures and a count, of a byte each at least
	s.rows.base, s.rows.n = make([]bucket, n), n
	for i := range s.rows.base {
		b := &s.rows.base[i]
		place, month := r.uvarint(), r.uvarint()
		if place > 1<<32-1 || month > 1<<32-1 {
			r.fail("a bucket of no place or month")
		}
		b.key = bucketKey{place: uint32(place), month: uint32(month)}
		for _, f := range b.figures() {
			v := r.varint()
			if int64(int32(v)) != v {
				r.fail("a figure past 32 bits")
			}
			*f = int32(v)
		}
		if c := r.count(2); c > 0 && len(s.tallies.vals)+c > math.MaxInt32 {
			r.fail("more tallies than a span counts")
		} else if c > 0 {
			b.tallies = s.tallies.resize(span{}, c)
			ts := s.talliesOf(b)
			for j := range ts {
				key, n := r.uvarint(), r.varint()
				ts[j] = tally{key: uint32(key), n: int32(n)}
				if uint64(ts[j].key) != key || int64(ts[j].n) != n {
					r.fail("a tally past 32 bits")
				}
			}
		}
		s.checkBucket(r, b, s.talliesOf(b))
		if i > 0 {
			r.checkOrder(s.rows.base[i-1].key, b.key)
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
	// In the order checked above, each once.
	s.byPlace = placeStarts(s.rows.base, len(s.places))
	return s, nil
}

// readBuckets reads the statistics' snapshot past bucketsPrefix: its
// version, the organisations (as text and shapes, or as JSON in the first
// version) and the buckets, read in place from payload when it is mapped
// (readFixedBuckets), as inPlace says.
func readBuckets(payload []byte, mapped bool) (_ statsState, inPlace bool, _ error) {
	r := &rowsReader{b: payload}
	var st statsState
	v := string(r.next(len(bucketsMagic) - len(bucketsPrefix)))
	switch v {
	case bucketsMagic[len(bucketsPrefix):], bucketsMagicV2[len(bucketsPrefix):]:
		if st.Orgs = readOrgs(r); r.err != nil {
			return statsState{}, false, fmt.Errorf("organisations: %w", r.err)
		}
	case bucketsMagicV1[len(bucketsPrefix):]:
		if err := jsonv2.Unmarshal(r.next(r.count(1)), &st.Orgs, jsontext.AllowDuplicateNames(true)); err != nil || r.err != nil {
			return statsState{}, false, fmt.Errorf("organisations: %w", cmp.Or(r.err, err))
		}
		if err := checkOrgs(st.Orgs); err != nil {
			return statsState{}, false, err
		}
	default:
		return statsState{}, false, fmt.Errorf("buckets: version %q", v)
	}
	if st.Orgs == nil {
		return statsState{}, false, errors.New("missing maps")
	}
	var err error
	if v == bucketsMagic[len(bucketsPrefix):] {
		st.Buckets, inPlace, err = readFixedBuckets(r, payload, mapped)
	} else {
		st.Buckets, err = readBucketSet(r)
	}
	if err != nil {
		return statsState{}, false, err
	}
	return st, inPlace, nil
}
