package projections

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// bucketsMagic begins the statistics' snapshot written as its buckets are
// kept: the organisations as text and shapes (textWriter, writeOrgs),
// then the places, months and words, then each bucket (its place's and
// month's numbers, its figures, its tallies) in the order of those
// numbers. Reading it looks up no name and decodes no JSON, where reading
// the JSON the statistics wrote before (still read) looked up each
// bucket's place, month and words (docs/performance.md, nineteenth
// session). Its organisations were JSON in its first version
// (bucketsMagicV1, still read): a third of its load at ten million
// events (twentieth session).
const (
	bucketsMagic   = bucketsPrefix + "2\n"
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
// organisations.
func (s *bucketSet) writeBinary(w *snapshotWriter) {
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
		w.buf = out
		w.next()
		out = w.buf
	}
	w.buf = out
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

// readBucketSet reads a set writeBinary wrote. A place, month or word
// named twice, a number past its list, a bucket given twice, tallies out
// of order or of no word, days not numbered from 0 on, a figure past 32
// bits or bytes after the last bucket are refused.
func readBucketSet(r *rowsReader) (bucketSet, error) {
	s := newBucketSet(0)
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
	n := r.count(12) // two numbers, nine figures and a count, of a byte each at least
	s.buckets, s.keys = make([]*bucket, n), make([]bucketKey, n)
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
		s.buckets[i], s.keys[i] = b, k
		// In order, each after the one before: none given twice.
		switch prev := s.keys[max(0, i-1)]; {
		case i == 0:
		case k == prev:
			r.fail("a bucket given twice")
		case k.place < prev.place || k.place == prev.place && k.month < prev.month:
			r.fail("buckets out of the order of their places and months")
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
	// The order checked above rules out a key given twice.
	s.byKey.bulk(0, n, func(k int32) uint64 { return hashKey(s.keys[k]) }, func(a, b int32) bool { return s.keys[a] == s.keys[b] })
	return s, nil
}

// readBuckets reads the statistics' snapshot past bucketsPrefix: its
// version, the organisations (as text and shapes, or as JSON in the first
// version) and the buckets.
func readBuckets(payload []byte) (statsState, error) {
	r := &rowsReader{b: payload}
	var st statsState
	switch v := string(r.next(len(bucketsMagic) - len(bucketsPrefix))); v {
	case bucketsMagic[len(bucketsPrefix):]:
		if st.Orgs = readOrgs(r); r.err != nil {
			return statsState{}, fmt.Errorf("organisations: %w", r.err)
		}
	case bucketsMagicV1[len(bucketsPrefix):]:
		if err := jsonv2.Unmarshal(r.next(r.count(1)), &st.Orgs, jsontext.AllowDuplicateNames(true)); err != nil || r.err != nil {
			return statsState{}, fmt.Errorf("organisations: %w", cmp.Or(r.err, err))
		}
		if err := checkOrgs(st.Orgs); err != nil {
			return statsState{}, err
		}
	default:
		return statsState{}, fmt.Errorf("buckets: version %q", v)
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
