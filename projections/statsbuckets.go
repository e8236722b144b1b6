package projections

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gojson "github.com/goccy/go-json"
)

// bucket holds the figures of one grid in one month: its key (the
// numbers of its place and month in its bucketSet), its counters of 32
// bits (a grid's month counts far fewer), and the span of its tallies (its
// counts by channel and by meeting format, and the days its solved
// proposals took) in the set's slab of them. It holds no pointer: a
// snapshot holds its buckets as they lie in memory, and a load reads them
// in place from the file (bucketsMagic). It takes 52 bytes, where with a
// list of its own and its key beside it it took 80
// (docs/performance.md, twenty-fourth session).
type bucket struct {
	key           bucketKey
	tallies       span
	Solved        int32
	Direct        int32
	Convened      int32
	Closed        int32
	Verifications int32
	Satisfied     int32
	Meetings      int32
	Attendance    int32
	Invited       int32
}

// tally is one count of a bucket: its kind and word in key (the kind in
// the top bits, the word's number in the set's words below), and how
// many; or one of its days: the kind days, its place among them in key,
// and the day's float32 bits in n. It takes 8 bytes where a count by its
// word's string took 24, and a bucket keeps one list of them where it
// kept three and a list of days.
type tally struct {
	key uint32
	n   int32
}

// The kinds of a bucket's tallies.
const (
	// byChannel counts the proposals collected by channel.
	byChannel = iota
	// atMeetings counts the proposals collected at meetings, by format.
	atMeetings
	// byFormat counts the meetings held, by format.
	byFormat
	tallyKinds
	// days are the days each proposal solved in the month took, the last
	// of the list.
	days = tallyKinds
)

// wordBits are the bits of a tally's key that number its word.
const wordBits = 30

func (t tally) kind() int                  { return int(t.key >> wordBits) }
func (t tally) word() int32                { return int32(t.key & (1<<wordBits - 1)) }
func tallyKey(kind int, word int32) uint32 { return uint32(kind)<<wordBits | uint32(word) }

// bucketJSON is a bucket as the snapshot holds it: its community, grid and
// month first, then its figures, its tallies as objects of counts by word.
type bucketJSON struct {
	Community     string    `json:"c"`
	Grid          string    `json:"g"`
	Month         string    `json:"m"`
	ByChannel     counts    `json:"ch,omitempty"`
	AtMeetings    counts    `json:"am,omitempty"`
	ByFormat      counts    `json:"mf,omitempty"`
	Solved        int32     `json:"s,omitempty"`
	Direct        int32     `json:"sd,omitempty"`
	Convened      int32     `json:"sc,omitempty"`
	Closed        int32     `json:"cl,omitempty"`
	Days          []float32 `json:"d,omitempty"`
	Verifications int32     `json:"v,omitempty"`
	Satisfied     int32     `json:"sa,omitempty"`
	Meetings      int32     `json:"mt,omitempty"`
	Attendance    int32     `json:"a,omitempty"`
	Invited       int32     `json:"i,omitempty"`
}

// names keeps one copy of each string a stats snapshot's buckets give:
// their communities and grids (ids) and their months (words), which
// repeat over many buckets. The words are kept apart: a look-up in a map
// of a few hundred months stays in the CPU's cache, where one in the map
// of a city's grids misses it.
type names struct {
	ids, words map[string]string
}

func newNames() names { return names{ids: map[string]string{}, words: map[string]string{}} }

// place is a community's grid.
type place struct{ community, grid string }

// bucketKey names a bucket by the numbers of its place and month.
type bucketKey struct{ place, month uint32 }

// bucketSet holds the statistics' buckets. Places and months are
// numbered in the order they are first met, and a bucket is found by the
// two numbers: no key string per bucket, and no copy of its community,
// grid and month in it. A city's buckets grow with its grids times the
// months of its ledger (607,309 at ten million generated events), and
// were the largest of the views' heaps: 294 MB at ten million events,
// some 485 bytes a bucket (docs/performance.md, seventeenth session).
type bucketSet struct {
	// rows are the buckets: those read from a snapshot (rows.base), in
	// the order of their keys, then those made since. byPlace says where
	// the ones read of each place begin: place p's are rows.base[byPlace[p]:
	// byPlace[p+1]] (nil when none were read), found by their month in a
	// handful, with no index made for them at load (a numberIndex of
	// 607,309 buckets at ten million events was a fifth of the load:
	// docs/performance.md, twenty-fourth session). byKey finds those made
	// since (a numberIndex, not a map: twentieth session).
	rows    bucketRows
	byPlace []int32
	byKey   numberIndex
	places  []place
	placeN  numberIndex
	months  []string
	monthN  map[string]uint32
	// words are the channels and meeting formats the tallies count.
	words dictionary
	// tallies is the slab of every bucket's tallies, in the order of
	// their keys, then the days in the order they were met: a bucket that
	// gains a tally moves its tallies to the end (unless they end the slab
	// already), and the slab is made anew once most of it is dead
	// (slab.compact).
	tallies slab[tally]
	// readDays and readTallies are room for the days and tallies of a
	// bucket being read.
	readDays    []float32
	readTallies []tally
}

// bucketRows are a set's buckets: those read from a snapshot first, where
// they lie (in place in its file's mapping, or copied into memory), then
// those made since, in blocks that never move. A bucket's address stays
// the same as more are made: the fold holds one while it makes another
// (Stats.end).
type bucketRows struct {
	base []bucket
	more [][]bucket
	n    int
}

// bucketBlock is how many buckets a block of bucketRows.more holds.
const bucketBlock = 1024

// at returns bucket i.
func (r *bucketRows) at(i int32) *bucket {
	if int(i) < len(r.base) {
		return &r.base[i]
	}
	j := int(i) - len(r.base)
	return &r.more[j/bucketBlock][j%bucketBlock]
}

// add adds b after the others.
func (r *bucketRows) add(b bucket) {
	if (r.n-len(r.base))%bucketBlock == 0 {
		r.more = append(r.more, make([]bucket, 0, bucketBlock))
	}
	last := &r.more[len(r.more)-1]
	*last = append(*last, b)
	r.n++
}

// all yields each bucket's number and address, in order.
func (r *bucketRows) all(yield func(int32, *bucket) bool) {
	for i := range r.base {
		if !yield(int32(i), &r.base[i]) {
			return
		}
	}
	i := int32(len(r.base))
	for _, block := range r.more {
		for j := range block {
			if !yield(i, &block[j]) {
				return
			}
			i++
		}
	}
}

// newBucketSet makes an empty set with room for n buckets in its index
// (none for n below zero).
func newBucketSet(n int) bucketSet {
	return bucketSet{byKey: newNumberIndex(max(0, n)), monthN: map[string]uint32{}, words: newDictionary()}
}

// set makes b, with tallies, the bucket of its key, in place of the one
// there if there is one.
func (s *bucketSet) set(b bucket, tallies []tally) {
	at := s.rows.at(s.slot(b.key))
	b.tallies = s.tallies.resize(at.tallies, len(tallies))
	copy(s.tallies.of(b.tallies), tallies)
	*at = b
}

// slot returns the number of k's bucket: found among those read, or with
// one probe of the index of those made since, found or made for it
// (empty).
func (s *bucketSet) slot(k bucketKey) int32 {
	if n, ok := s.findRead(k); ok {
		return n
	}
	n, added := s.byKey.put(hashKey(k), int32(s.rows.n), func(n int32) bool { return s.rows.at(n).key == k })
	if added {
		s.rows.add(bucket{key: k})
	}
	return n
}

// findRead returns the number of k's bucket among those read from a
// snapshot, false if none of them is k's.
func (s *bucketSet) findRead(k bucketKey) (int32, bool) {
	if int(k.place)+1 >= len(s.byPlace) {
		return 0, false
	}
	from, to := int(s.byPlace[k.place]), int(s.byPlace[k.place+1])
	read := s.rows.base[from:to]
	i := sort.Search(len(read), func(i int) bool { return read[i].key.month >= k.month })
	return int32(from + i), i < len(read) && read[i].key.month == k.month
}

// placeStarts returns where the buckets of each place begin in base,
// which is in the order of their keys, and ends with its length
// (byPlace).
func placeStarts(base []bucket, places int) []int32 {
	starts := make([]int32, places+1)
	p := 0
	for i := range base {
		for ; p <= int(base[i].key.place); p++ {
			starts[p] = int32(i)
		}
	}
	for ; p <= places; p++ {
		starts[p] = int32(len(base))
	}
	return starts
}

// talliesOf returns b's tallies, in the slab (nil for none).
func (s *bucketSet) talliesOf(b *bucket) []tally { return s.tallies.of(b.tallies) }

// count counts one more of word, of a kind, in b.
func (s *bucketSet) count(b *bucket, kind int, word string) error {
	n := s.words.of(word)
	if n >= 1<<wordBits {
		return fmt.Errorf("stats: more than %d channels and formats", 1<<wordBits)
	}
	k := tallyKey(kind, n)
	ts := s.talliesOf(b)
	i, found := slices.BinarySearchFunc(ts, k, func(t tally, k uint32) int { return cmp.Compare(t.key, k) })
	if found {
		ts[i].n++
		return nil
	}
	s.insertTally(b, i, tally{key: k, n: 1})
	return nil
}

// day adds the days a proposal solved in b's month took.
func (s *bucketSet) day(b *bucket, d float32) {
	ts := s.talliesOf(b)
	first, _ := slices.BinarySearchFunc(ts, tallyKey(days, 0), func(t tally, k uint32) int { return cmp.Compare(t.key, k) })
	s.insertTally(b, len(ts), tally{key: tallyKey(days, int32(len(ts)-first)), n: int32(math.Float32bits(d))})
}

// insertTally puts t at index i of b's tallies (slab.resize), then drops
// the dead tallies once they are most of the slab, each bucket's in the
// order of the buckets.
func (s *bucketSet) insertTally(b *bucket, i int, t tally) {
	b.tallies = s.tallies.resize(b.tallies, int(b.tallies.n)+1)
	ts := s.talliesOf(b)
	copy(ts[i+1:], ts[i:])
	ts[i] = t
	s.tallies.compact(func(yield func(*span) bool) {
		for _, b := range s.rows.all {
			if !yield(&b.tallies) {
				return
			}
		}
	})
}

// counts returns b's counts of each kind by word, in the words' order, and
// its days in the order they were met, onto into and ds (emptied first).
func (s *bucketSet) counts(b *bucket, into *[tallyKinds]counts, ds []float32) []float32 {
	for k := range into {
		into[k] = into[k][:0]
	}
	ds = ds[:0]
	for _, t := range s.talliesOf(b) {
		if t.kind() == days {
			ds = append(ds, math.Float32frombits(uint32(t.n)))
			continue
		}
		into[t.kind()] = append(into[t.kind()], count{Key: s.words.name(t.word()), N: int(t.n)})
	}
	for k := range into {
		slices.SortFunc(into[k], compareCounts)
	}
	return ds
}

// in returns the bucket of a grid in a month ("2026-07"), made on first
// use. The strings are kept as given, the first time each is met.
func (s *bucketSet) in(community, grid, month string) *bucket {
	return s.rows.at(s.slot(bucketKey{place: s.placeNumber(community, grid), month: s.monthNumber(month)}))
}

// placeNumber returns the number of a community's grid, numbering it if
// it is new.
func (s *bucketSet) placeNumber(community, grid string) uint32 {
	p := place{community, grid}
	n, added := s.placeN.put(hashKey(p), int32(len(s.places)), func(n int32) bool { return s.places[n] == p })
	if added {
		s.places = append(s.places, p)
	}
	return uint32(n)
}

// monthNumber returns the number of a month, numbering it if it is new.
func (s *bucketSet) monthNumber(month string) uint32 {
	n, ok := s.monthN[month]
	if !ok {
		n = uint32(len(s.months))
		s.months = append(s.months, month)
		s.monthN[month] = n
	}
	return n
}

// len is the number of buckets.
func (s *bucketSet) len() int { return s.rows.n }

// each calls f with every bucket q selects, its place and its month. Each
// place and month is matched against q once, not once a bucket.
func (s *bucketSet) each(q StatsQuery, f func(p place, month string, b *bucket)) {
	places := make([]bool, len(s.places))
	for i, p := range s.places {
		places[i] = q.covers(p.community, p.grid)
	}
	months := make([]bool, len(s.months))
	for i, m := range s.months {
		months[i] = q.during(m)
	}
	for _, b := range s.rows.all {
		if k := b.key; places[k.place] && months[k.month] {
			f(s.places[k.place], s.months[k.month], b)
		}
	}
}

// appendJSON appends the set as the snapshot holds it: an object of
// bucketJSON by "<community>\x00<grid>\x00<month>", in the order of those
// names, as goccy wrote the map the buckets were kept in before.
func (s *bucketSet) appendJSON(out []byte) ([]byte, error) {
	type entry struct {
		name string
		b    *bucket
	}
	entries := make([]entry, 0, s.rows.n)
	for _, b := range s.rows.all {
		p := s.places[b.key.place]
		entries = append(entries, entry{name: p.community + "\x00" + p.grid + "\x00" + s.months[b.key.month], b: b})
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.name, b.name) })
	out = append(out, '{')
	var kinds [tallyKinds]counts // reused: each bucket's are written before the next's are made
	var ds []float32
	for i, e := range entries {
		if i > 0 {
			out = append(out, ',')
		}
		name, err := gojson.Marshal(e.name)
		if err != nil {
			return nil, fmt.Errorf("bucket %q: %w", e.name, err)
		}
		b := e.b
		p := s.places[b.key.place]
		ds = s.counts(b, &kinds, ds)
		v, err := gojson.Marshal(bucketJSON{
			Community: p.community, Grid: p.grid, Month: s.months[b.key.month],
			ByChannel: kinds[byChannel], AtMeetings: kinds[atMeetings], ByFormat: kinds[byFormat],
			Solved: b.Solved, Direct: b.Direct, Convened: b.Convened, Closed: b.Closed, Days: ds,
			Verifications: b.Verifications, Satisfied: b.Satisfied, Meetings: b.Meetings, Attendance: b.Attendance, Invited: b.Invited,
		})
		if err != nil {
			return nil, fmt.Errorf("bucket %q: %w", e.name, err)
		}
		out = append(append(append(out, name...), ':'), v...)
	}
	return append(out, '}'), nil
}

// read reads the object of buckets dec is at, as appendJSON writes it,
// into s: each bucket by the community, grid and month it holds, its
// name not read (a snapshot's names are made of the same three). Places
// and months are interned in keep. A bucket given twice keeps its last
// value whole, and a null bucket is none; null is no bucket at all.
func (s *bucketSet) read(dec *jsontext.Decoder, keep names) error {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		return err
	}
	if dec.PeekKind() != '{' {
		return fmt.Errorf("buckets: want an object, not %v", dec.PeekKind())
	}
	return members(dec, func([]byte) error {
		if dec.PeekKind() == 'n' {
			_, err := dec.ReadToken()
			return err
		}
		var b bucket
		community, grid, month, tallies, err := s.readBucket(&b, dec, keep)
		if err != nil {
			return err
		}
		b.key = bucketKey{place: s.placeNumber(community, grid), month: s.monthNumber(month)}
		s.set(b, tallies)
		return nil
	})
}

// readBucket reads b's figures as the snapshot holds them (bucketJSON),
// its community, grid and month returned, interned in keep (members), and
// its tallies, sorted, their words numbered in s.words (in s.readTallies,
// which the next bucket read reuses).
func (s *bucketSet) readBucket(b *bucket, dec *jsontext.Decoder, keep names) (community, grid, month string, _ []tally, err error) {
	tallies := s.readTallies[:0]
	err = members(dec, func(name []byte) (err error) {
		switch string(name) {
		case "c":
			community, err = readString(dec, keep.ids)
		case "g":
			grid, err = readString(dec, keep.ids)
		case "m":
			month, err = readString(dec, keep.words)
		case "ch":
			tallies, err = s.readCounts(dec, byChannel, tallies)
		case "am":
			tallies, err = s.readCounts(dec, atMeetings, tallies)
		case "mf":
			tallies, err = s.readCounts(dec, byFormat, tallies)
		case "d":
			s.readDays = s.readDays[:0]
			if err = jsonv2.UnmarshalDecode(dec, &s.readDays); err == nil {
				for i, d := range s.readDays {
					tallies = append(tallies, tally{key: tallyKey(days, int32(i)), n: int32(math.Float32bits(d))})
				}
			}
		case "s":
			b.Solved, err = readInt32(dec)
		case "sd":
			b.Direct, err = readInt32(dec)
		case "sc":
			b.Convened, err = readInt32(dec)
		case "cl":
			b.Closed, err = readInt32(dec)
		case "v":
			b.Verifications, err = readInt32(dec)
		case "sa":
			b.Satisfied, err = readInt32(dec)
		case "mt":
			b.Meetings, err = readInt32(dec)
		case "a":
			b.Attendance, err = readInt32(dec)
		case "i":
			b.Invited, err = readInt32(dec)
		default:
			err = dec.SkipValue()
		}
		return err
	})
	s.readTallies = tallies
	if err != nil {
		return "", "", "", nil, err
	}
	slices.SortFunc(tallies, func(a, b tally) int { return cmp.Compare(a.key, b.key) })
	for i := 1; i < len(tallies); i++ {
		if t := tallies[i]; t.key == tallies[i-1].key {
			if t.kind() == days {
				return "", "", "", nil, errors.New("days given twice")
			}
			return "", "", "", nil, fmt.Errorf("counts: %q given twice", s.words.name(t.word()))
		}
	}
	return community, grid, month, tallies, nil
}

// readCounts reads an object of counts by word, of a kind, onto
// tallies: null is no counts, and a null count 0, as the map of counts
// the snapshots were first written from read them.
func (s *bucketSet) readCounts(dec *jsontext.Decoder, kind int, tallies []tally) ([]tally, error) {
	err := members(dec, func(name []byte) error {
		word := s.words.ofBytes(name) // before the count is read over name's bytes
		if word >= 1<<wordBits {
			return fmt.Errorf("more than %d channels and formats", 1<<wordBits)
		}
		n, err := readInt32(dec)
		if err != nil {
			return err
		}
		tallies = append(tallies, tally{key: tallyKey(kind, word), n: n})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("counts: %w", err)
	}
	return tallies, nil
}
