package projections

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gojson "github.com/goccy/go-json"
)

// bucket holds the figures of one grid in one month. Its grid and month
// are its key in the statistics' bucketSet, not fields of its own; its
// counters are 32 bits (a grid's month counts far fewer), and its counts
// by channel and by meeting format, and the days its solved proposals
// took, are tallies of 8 bytes, all in one list. It takes 64 bytes where
// it took 144 (docs/performance.md, eighteenth session). The snapshot
// holds it as a bucketJSON.
type bucket struct {
	// tallies are the bucket's counts by word, sorted by key, then the
	// days in the order they were met.
	tallies       []tally
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
	// buckets are in the order they were made, keys the key of each, and
	// byKey finds a bucket by its key (a numberIndex, not a map: twentieth
	// session).
	buckets []*bucket
	keys    []bucketKey
	byKey   numberIndex
	places  []place
	placeN  numberIndex
	months  []string
	monthN  map[string]uint32
	// words are the channels and meeting formats the tallies count.
	words dictionary
	// readDays is room for the days of a bucket being read.
	readDays []float32
}

// newBucketSet makes an empty set with room for n buckets (none for n
// below zero).
func newBucketSet(n int) bucketSet {
	n = max(0, n)
	return bucketSet{
		buckets: make([]*bucket, 0, n), keys: make([]bucketKey, 0, n), byKey: newNumberIndex(n),
		monthN: map[string]uint32{}, words: newDictionary(),
	}
}

// set makes b the bucket of k, in place of the one there if there is
// one.
func (s *bucketSet) set(k bucketKey, b *bucket) {
	n, _ := s.slot(k)
	s.buckets[n] = b
}

// slot returns the number of k's bucket, with one probe of the index:
// found, or made for it (added, its bucket nil).
func (s *bucketSet) slot(k bucketKey) (n int32, added bool) {
	n, added = s.byKey.put(hashKey(k), int32(len(s.buckets)), func(n int32) bool { return s.keys[n] == k })
	if added {
		s.buckets, s.keys = append(s.buckets, nil), append(s.keys, k)
	}
	return n, added
}

// count counts one more of word, of a kind, in b.
func (s *bucketSet) count(b *bucket, kind int, word string) error {
	n := s.words.of(word)
	if n >= 1<<wordBits {
		return fmt.Errorf("stats: more than %d channels and formats", 1<<wordBits)
	}
	k := tallyKey(kind, n)
	i, found := slices.BinarySearchFunc(b.tallies, k, func(t tally, k uint32) int { return cmp.Compare(t.key, k) })
	if found {
		b.tallies[i].n++
		return nil
	}
	b.tallies = slices.Insert(b.tallies, i, tally{key: k, n: 1})
	return nil
}

// day adds the days a proposal solved in b's month took.
func (s *bucketSet) day(b *bucket, d float32) {
	first, _ := slices.BinarySearchFunc(b.tallies, tallyKey(days, 0), func(t tally, k uint32) int { return cmp.Compare(t.key, k) })
	b.tallies = append(b.tallies, tally{key: tallyKey(days, int32(len(b.tallies)-first)), n: int32(math.Float32bits(d))})
}

// counts returns b's counts of each kind by word, in the words' order, and
// its days in the order they were met, onto into and ds (emptied first).
func (s *bucketSet) counts(b *bucket, into *[tallyKinds]counts, ds []float32) []float32 {
	for k := range into {
		into[k] = into[k][:0]
	}
	ds = ds[:0]
	for _, t := range b.tallies {
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
	n, added := s.slot(bucketKey{place: s.placeNumber(community, grid), month: s.monthNumber(month)})
	if added {
		s.buckets[n] = &bucket{}
	}
	return s.buckets[n]
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
func (s *bucketSet) len() int { return len(s.buckets) }

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
	for i, k := range s.keys {
		if places[k.place] && months[k.month] {
			f(s.places[k.place], s.months[k.month], s.buckets[i])
		}
	}
}

// appendJSON appends the set as the snapshot holds it: an object of
// bucketJSON by "<community>\x00<grid>\x00<month>", in the order of those
// names, as goccy wrote the map the buckets were kept in before.
func (s *bucketSet) appendJSON(out []byte) ([]byte, error) {
	type entry struct {
		name string
		k    bucketKey
		b    *bucket
	}
	entries := make([]entry, 0, len(s.keys))
	for i, k := range s.keys {
		p := s.places[k.place]
		entries = append(entries, entry{name: p.community + "\x00" + p.grid + "\x00" + s.months[k.month], k: k, b: s.buckets[i]})
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
		p, b := s.places[e.k.place], e.b
		ds = s.counts(b, &kinds, ds)
		v, err := gojson.Marshal(bucketJSON{
			Community: p.community, Grid: p.grid, Month: s.months[e.k.month],
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
		b := new(bucket)
		community, grid, month, err := s.readBucket(b, dec, keep)
		if err != nil {
			return err
		}
		s.set(bucketKey{place: s.placeNumber(community, grid), month: s.monthNumber(month)}, b)
		return nil
	})
}

// readBucket reads b as the snapshot holds it (bucketJSON), its community,
// grid and month returned, interned in keep (members), and its counts'
// words numbered in s.words.
func (s *bucketSet) readBucket(b *bucket, dec *jsontext.Decoder, keep names) (community, grid, month string, err error) {
	var buf [8]tally // most buckets hold one to three
	tallies := buf[:0]
	err = members(dec, func(name []byte) (err error) {
		switch string(name) {
		case "c":
			community, err = readString(dec, keep.ids)
		case "g":
			grid, err = readString(dec, keep.ids)
		case "m":
			month, err = readString(dec, keep.words)
		case "ch":
			tallies, err = s.readTallies(dec, byChannel, tallies)
		case "am":
			tallies, err = s.readTallies(dec, atMeetings, tallies)
		case "mf":
			tallies, err = s.readTallies(dec, byFormat, tallies)
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
	if err != nil {
		return "", "", "", err
	}
	slices.SortFunc(tallies, func(a, b tally) int { return cmp.Compare(a.key, b.key) })
	for i := 1; i < len(tallies); i++ {
		if t := tallies[i]; t.key == tallies[i-1].key {
			if t.kind() == days {
				return "", "", "", errors.New("days given twice")
			}
			return "", "", "", fmt.Errorf("counts: %q given twice", s.words.name(t.word()))
		}
	}
	if len(tallies) > 0 {
		b.tallies = append(make([]tally, 0, len(tallies)), tallies...) // at its length, off the stack
	}
	return community, grid, month, nil
}

// readTallies reads an object of counts by word, of a kind, onto
// tallies: null is no counts, and a null count 0, as the map of counts
// the snapshots were first written from read them.
func (s *bucketSet) readTallies(dec *jsontext.Decoder, kind int, tallies []tally) ([]tally, error) {
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
