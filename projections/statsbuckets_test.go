package projections

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	jsonv2 "github.com/go-json-experiment/json"
	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oldBucket is a bucket as the statistics kept it before the bucket set,
// with its community, grid and month: the form of every stats snapshot
// written since, which the set writes and reads byte for byte.
type oldBucket struct {
	Community     string         `json:"c"`
	Grid          string         `json:"g"`
	Month         string         `json:"m"`
	ByChannel     map[string]int `json:"ch,omitempty"`
	AtMeetings    map[string]int `json:"am,omitempty"`
	ByFormat      map[string]int `json:"mf,omitempty"`
	Solved        int            `json:"s,omitempty"`
	Direct        int            `json:"sd,omitempty"`
	Convened      int            `json:"sc,omitempty"`
	Closed        int            `json:"cl,omitempty"`
	Days          []float32      `json:"d,omitempty"`
	Verifications int            `json:"v,omitempty"`
	Satisfied     int            `json:"sa,omitempty"`
	Meetings      int            `json:"mt,omitempty"`
	Attendance    int            `json:"a,omitempty"`
	Invited       int            `json:"i,omitempty"`
}

type oldStatsState struct {
	Buckets map[string]*oldBucket `json:"buckets"`
	Orgs    map[string]*statOrg   `json:"orgs"`
}

func toOld(s *bucketSet, p place, month string, b *bucket) *oldBucket {
	var kinds [tallyKinds]map[string]int
	var took []float32
	for _, t := range s.talliesOf(b) {
		if t.kind() == days {
			took = append(took, math.Float32frombits(uint32(t.n)))
			continue
		}
		if kinds[t.kind()] == nil {
			kinds[t.kind()] = map[string]int{}
		}
		kinds[t.kind()][s.words.name(t.word())] = int(t.n)
	}
	return &oldBucket{Community: p.community, Grid: p.grid, Month: month,
		ByChannel: kinds[byChannel], AtMeetings: kinds[atMeetings], ByFormat: kinds[byFormat],
		Solved: int(b.Solved), Direct: int(b.Direct), Convened: int(b.Convened), Closed: int(b.Closed),
		Days: took, Verifications: int(b.Verifications), Satisfied: int(b.Satisfied),
		Meetings: int(b.Meetings), Attendance: int(b.Attendance), Invited: int(b.Invited)}
}

// oldForm is the set as the map of buckets it replaced held it.
func oldForm(s *bucketSet) map[string]*oldBucket {
	m := map[string]*oldBucket{}
	s.each(StatsQuery{}, func(p place, month string, b *bucket) {
		m[p.community+"\x00"+p.grid+"\x00"+month] = toOld(s, p, month, b)
	})
	return m
}

// randomBucket fills b at random, its tallies counted in s: every
// figure, and counts of words with escapes, HTML and non-ASCII.
func randomBucket(t *testing.T, rng *rand.Rand, s *bucketSet, b *bucket) {
	words := []string{"online", "door", "会议", "a\"b", "</script>", "tab\there", ""}
	n := func() int32 { return rng.Int32N(1<<31-1) - 1<<30 }
	for kind := range tallyKinds {
		for range rng.IntN(4) {
			word := words[rng.IntN(len(words))]
			require.NoError(t, s.count(b, kind, word))
			i := slices.IndexFunc(s.talliesOf(b), func(t tally) bool { return t.key == tallyKey(kind, s.words.of(word)) })
			s.talliesOf(b)[i].n = n()
		}
	}
	for range rng.IntN(4) {
		s.day(b, rng.Float32()*400-20)
	}
	b.Solved, b.Direct, b.Convened, b.Closed = n(), n(), n(), n()
	b.Verifications, b.Satisfied, b.Meetings, b.Attendance, b.Invited = n(), n(), n(), n(), n()
}

// TestBucketsAreWrittenAndReadAsTheirMapWas: random statistics are
// written as JSON byte for byte as the map of buckets with their
// community, grid and month was (the snapshots written before the bucket
// set are read by it), read back as they were, and read by JSON v2's
// reflection as that map; and through their snapshot of buckets
// (bucketsMagic) and back, the same.
func TestBucketsAreWrittenAndReadAsTheirMapWas(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// Names sort as their bytes, not as their escaped forms: "" (a name
	// starting "\x00", written \u0000) before "1" and "G1".
	ids := []string{"g1", "c-7", "会议", "a\"b", "\x00nul", "</script>", "", "1", "G1"}
	months := []string{"2026-01", "2026-02", "1999-12", "a\"b"}
	for range 300 {
		s := newStats(&sync.RWMutex{})
		for range rng.IntN(40) {
			b := s.bucketIn(ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))], months[rng.IntN(len(months))])
			s.st.Buckets.set(bucket{key: b.key}, nil)
			if rng.IntN(4) > 0 { // else left empty: written {}
				randomBucket(t, rng, &s.st.Buckets, b)
			}
		}
		if rng.IntN(2) == 0 {
			s.st.Orgs["c-7"] = &statOrg{Kind: "community", Street: "s1", Grids: map[string]*statGrid{}}
		}
		got, err := s.snapshotJSON()
		require.NoError(t, err)
		want, err := gojson.Marshal(&oldStatsState{Buckets: oldForm(&s.st.Buckets), Orgs: s.st.Orgs})
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
		require.Equal(t, string(want), string(rowsRoundTrip(t, s, newStats(&sync.RWMutex{}))))

		back := newStats(&sync.RWMutex{})
		require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(got)), "%s", got)
		assert.Equal(t, oldForm(&s.st.Buckets), oldForm(&back.st.Buckets))
		assert.Equal(t, s.st.Orgs, back.st.Orgs)
		assert.Equal(t, s.mapSizes(), back.mapSizes())

		var reflected oldStatsState
		require.NoError(t, jsonv2.Unmarshal(got, &reflected))
		assert.Equal(t, oldForm(&s.st.Buckets), reflected.Buckets)
	}
}

// TestBucketsReadRefusesWhatNoSnapshotHolds: a bucket's member of the
// wrong kind, a counter beyond 32 bits, and a snapshot without its
// buckets or organisations are refused; a null bucket is none, and the
// buckets' places and months are kept once.
func TestBucketsReadRefusesWhatNoSnapshotHolds(t *testing.T) {
	for _, bad := range []string{
		`{"buckets":{"a":{"m":true}},"orgs":{}}`,
		`{"buckets":{"a":{"s":"2"}},"orgs":{}}`,
		`{"buckets":{"a":{"s":2147483648}},"orgs":{}}`,
		`{"buckets":{"a":{"i":1.5}},"orgs":{}}`,
		`{"buckets":{"a":{"d":[1,"x"]}},"orgs":{}}`,
		`{"buckets":{"a":{"ch":[]}},"orgs":{}}`,
		`{"buckets":[],"orgs":{}}`,
		`{"buckets":{"a":{}`,
		`{"orgs":{}}`,
		`{"buckets":null,"orgs":{}}`,
		`{"buckets":{}}`,
	} {
		s := newStats(&sync.RWMutex{})
		assert.Error(t, s.UnmarshalSnapshot(bytes.NewReader([]byte(bad))), bad)
	}

	s := newStats(&sync.RWMutex{})
	in := `{"buckets":{"x":null,"a":{"c":"c1","g":"g\u0031","m":"2026-01","s":-2},"b":{"c":"c1","g":"g1","m":"2026-02","zz":[{"q":null}]},"c":{"c":"c1","g":"g2","m":"2026-01"}},"orgs":{}}`
	require.NoError(t, s.UnmarshalSnapshot(bytes.NewReader([]byte(in))))
	assert.Equal(t, map[string]*oldBucket{
		"c1\x00g1\x002026-01": {Community: "c1", Grid: "g1", Month: "2026-01", Solved: -2},
		"c1\x00g1\x002026-02": {Community: "c1", Grid: "g1", Month: "2026-02"},
		"c1\x00g2\x002026-01": {Community: "c1", Grid: "g2", Month: "2026-01"},
	}, oldForm(&s.st.Buckets))
	set := &s.st.Buckets
	assert.Len(t, set.places, 2)
	assert.Len(t, set.months, 2)
	assert.Same(t, unsafe.StringData(set.places[0].community), unsafe.StringData(set.places[1].community))
}

// TestBucketsSelectedAsTheQuerySays: each calls back with exactly the
// buckets whose place and month a query selects.
func TestBucketsSelectedAsTheQuerySays(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	communities, grids := []string{"c1", "c2", "c3"}, []string{"", "g1", "g2"}
	months := []string{"2026-01", "2026-02", "2026-03", "2026-04"}
	s := newBucketSet(0)
	for range 40 {
		s.in(communities[rng.IntN(3)], grids[rng.IntN(3)], months[rng.IntN(4)]).Solved++
	}
	at := func(month string) time.Time {
		m, err := time.ParseInLocation("2006-01", month, china)
		require.NoError(t, err)
		return m.AddDate(0, 0, 3)
	}
	for range 500 {
		var q StatsQuery
		if rng.IntN(2) == 0 {
			q.CommunityID = communities[rng.IntN(3)]
		}
		if rng.IntN(2) == 0 {
			q.GridID = grids[rng.IntN(3)]
		}
		if rng.IntN(3) == 0 {
			q.Communities = communities[:rng.IntN(3)]
		}
		if rng.IntN(2) == 0 {
			q.From = at(months[rng.IntN(4)])
		}
		if rng.IntN(2) == 0 {
			q.To = at(months[rng.IntN(4)])
		}
		want := map[bucketKey]bool{}
		for _, b := range s.rows.all {
			k := b.key
			p := s.places[k.place]
			if q.selects(p.community, p.grid, s.months[k.month]) {
				want[k] = true
			}
		}
		got := map[bucketKey]bool{}
		s.each(q, func(p place, month string, b *bucket) {
			k := bucketKey{place: s.placeNumber(p.community, p.grid), month: s.monthN[month]}
			assert.Same(t, s.rows.at(s.slot(k)), b)
			got[k] = true
		})
		assert.Equal(t, want, got, "%+v", q)
	}
}

// TestDamagedBucketsAreRefused: a snapshot of buckets cut short anywhere
// is refused, and any byte changed is refused or read into statistics
// that are whole (their JSON written and read back), never a panic; days
// out of order, tallies out of order or of no word, a bucket, place or
// month given twice and bytes after the last bucket are refused.
func TestDamagedBucketsAreRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 3))
	s := newStats(&sync.RWMutex{})
	for i := range 30 {
		randomBucket(t, rng, &s.st.Buckets, s.bucketIn("c", fmt.Sprint("g", i%7), fmt.Sprintf("2026-%02d", 1+i%5)))
	}
	snap, err := s.MarshalSnapshot()
	require.NoError(t, err)
	for n := range len(snap) {
		assert.Error(t, newStats(&sync.RWMutex{}).UnmarshalSnapshot(bytes.NewReader(snap[:n])), "cut at %d of %d", n, len(snap))
	}
	for range 3000 {
		damaged := bytes.Clone(snap)
		damaged[len(bucketsMagic)+rng.IntN(len(snap)-len(bucketsMagic))] ^= byte(1 + rng.IntN(255))
		fresh := newStats(&sync.RWMutex{})
		if fresh.UnmarshalSnapshot(bytes.NewReader(damaged)) == nil {
			out, err := fresh.snapshotJSON()
			require.NoError(t, err)
			require.NoError(t, newStats(&sync.RWMutex{}).UnmarshalSnapshot(bytes.NewReader(out)))
		}
	}

	snapshotOf := func(edit func(s *bucketSet)) []byte {
		s := newStats(&sync.RWMutex{})
		b := s.bucketIn("c", "g", "2026-01")
		require.NoError(t, s.st.Buckets.count(b, byChannel, "visit"))
		s.st.Buckets.day(b, 1.5)
		s.st.Buckets.day(b, 2.5)
		if edit != nil {
			edit(&s.st.Buckets)
		}
		out, err := s.MarshalSnapshot()
		require.NoError(t, err)
		return out
	}
	read := func(b []byte) error { return newStats(&sync.RWMutex{}).UnmarshalSnapshot(bytes.NewReader(b)) }
	require.NoError(t, read(snapshotOf(nil)))
	only := func(s *bucketSet) []tally {
		return s.talliesOf(s.rows.at(0))
	}
	assert.ErrorContains(t, read(snapshotOf(func(s *bucketSet) { only(s)[2].key = tallyKey(days, 5) })), "days not numbered")
	assert.ErrorContains(t, read(snapshotOf(func(s *bucketSet) { only(s)[0].key = tallyKey(byChannel, 9) })), "no word")
	assert.ErrorContains(t, read(snapshotOf(func(s *bucketSet) { only(s)[1].key = tallyKey(byChannel, 0) })), "out of order")
	assert.ErrorContains(t, read(snapshotOf(func(s *bucketSet) { s.places = append(s.places, s.places[0]) })), "place named twice")
	assert.ErrorContains(t, read(snapshotOf(func(s *bucketSet) { s.months = append(s.months, s.months[0]) })), "month named twice")
	twice := append([]byte(bucketsMagicV1), 2, '{', '}', 1, 1, 'c', 1, 'g', 1, 7)
	twice = append(append(twice, "2026-01"...), 0, 2)
	for range 2 { // place 0, month 0, nine figures 0, no tallies
		twice = append(twice, make([]byte, 12)...)
	}
	assert.ErrorContains(t, read(twice), "bucket given twice")
	swapped := append([]byte(bucketsMagicV1), 2, '{', '}', 2, 1, 'c', 2, 'g', '1', 1, 'c', 2, 'g', '2', 1, 7)
	swapped = append(append(swapped, "2026-01"...), 0, 2)
	swapped = append(append(swapped, 1), make([]byte, 11)...) // place 1, month 0, nine figures 0, no tallies
	swapped = append(swapped, make([]byte, 12)...)            // place 0
	assert.ErrorContains(t, read(swapped), "out of the order of their places and months")
	swapped[len(swapped)-24] = 0 // place 0, then place 0 again
	assert.ErrorContains(t, read(swapped), "bucket given twice")
	assert.NoError(t, read(append(twice[:len(twice)-25], append([]byte{1}, make([]byte, 12)...)...)), "one bucket")
	assert.ErrorContains(t, read(append(snapshotOf(nil), 0)), "after the last")
}

// TestBucketsReadFromASnapshotGrowApart: the buckets of a snapshot share
// one slab of tallies, and a tally counted in one does not reach the next;
// a figure or a tally past 32 bits is refused.
func TestBucketsReadFromASnapshotGrowApart(t *testing.T) {
	s := newStats(&sync.RWMutex{})
	for _, g := range []string{"g1", "g2"} {
		require.NoError(t, s.st.Buckets.count(s.bucketIn("c", g, "2026-01"), byChannel, "visit"))
	}
	snap, err := s.MarshalSnapshot()
	require.NoError(t, err)
	back := newStats(&sync.RWMutex{})
	require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(snap)))
	first, second := back.bucketIn("c", "g1", "2026-01"), back.bucketIn("c", "g2", "2026-01")
	require.NoError(t, back.st.Buckets.count(first, byChannel, "window"))
	back.st.Buckets.day(first, 3)
	var kinds [tallyKinds]counts
	back.st.Buckets.counts(second, &kinds, nil)
	assert.Equal(t, counts{{Key: "visit", N: 1}}, kinds[byChannel], "the next bucket's tallies as they were")
	ds := back.st.Buckets.counts(first, &kinds, nil)
	assert.Equal(t, counts{{Key: "visit", N: 1}, {Key: "window", N: 1}}, kinds[byChannel])
	assert.Equal(t, []float32{3}, ds)

	// One bucket, of place 0 and month 0, then its figures and tallies.
	bucketOf := func(rest ...[]byte) []byte {
		b := append([]byte(bucketsMagicV1), 2, '{', '}', 1, 1, 'c', 1, 'g', 1, 7)
		b = append(append(b, "2026-01"...), 0, 1, 0, 0)
		for _, r := range rest {
			b = append(b, r...)
		}
		return b
	}
	read := func(b []byte) error { return newStats(&sync.RWMutex{}).UnmarshalSnapshot(bytes.NewReader(b)) }
	require.NoError(t, read(bucketOf(make([]byte, 10))), "nine figures 0, no tallies")
	assert.ErrorContains(t, read(bucketOf(binary.AppendVarint(nil, 1<<31), make([]byte, 9))), "figure past 32 bits")
	assert.ErrorContains(t, read(bucketOf(make([]byte, 9), []byte{1}, binary.AppendUvarint(nil, 1<<33), []byte{2})), "tally past 32 bits")
	assert.ErrorContains(t, read(bucketOf(make([]byte, 9), []byte{1, 0}, binary.AppendVarint(nil, 1<<40))), "tally past 32 bits")
}

// checkTallies checks that the set counts as used the tallies its
// buckets' spans name, each span within the slab.
func checkTallies(t *testing.T, s *bucketSet) {
	t.Helper()
	used := 0
	for _, b := range s.rows.all {
		require.GreaterOrEqual(t, b.tallies.n, int32(0))
		require.LessOrEqual(t, int(b.tallies.at+b.tallies.n), len(s.tallies.vals))
		if b.tallies.n == 0 {
			require.Zero(t, b.tallies.at, "an empty span at 0")
		}
		used += int(b.tallies.n)
	}
	require.Equal(t, used, s.tallies.used)
}

// writeBinaryV2 writes s as bucketsMagicV2's snapshot held it, past the
// organisations: as the build before the fixed buckets wrote it.
func (s *bucketSet) writeBinaryV2(w *snapshotWriter) {
	s.writeNames(w)
	order := s.inKeyOrder()
	w.buf = binary.AppendUvarint(w.buf, uint64(len(order)))
	for _, b := range order {
		w.buf = binary.AppendUvarint(binary.AppendUvarint(w.buf, uint64(b.key.place)), uint64(b.key.month))
		for _, n := range b.figures() {
			w.buf = binary.AppendVarint(w.buf, int64(*n))
		}
		w.buf = binary.AppendUvarint(w.buf, uint64(b.tallies.n))
		for _, t := range s.talliesOf(b) {
			w.buf = binary.AppendVarint(binary.AppendUvarint(w.buf, uint64(t.key)), int64(t.n))
		}
	}
}

// randomStats is statistics of random buckets, made in a random order.
func randomStats(t *testing.T, rng *rand.Rand) *Stats {
	s := newStats(&sync.RWMutex{})
	for i := range 40 + rng.IntN(40) {
		randomBucket(t, rng, &s.st.Buckets, s.bucketIn(fmt.Sprint("c", rng.IntN(3)), fmt.Sprint("g", i%9), fmt.Sprintf("2026-%02d", 1+rng.IntN(12))))
	}
	s.st.Orgs["c1"] = &statOrg{Kind: "community", Street: "s1", Grids: map[string]*statGrid{}}
	return s
}

// Statistics written by the build before the fixed buckets (bucketsMagicV2)
// are read as they were written; verify sees them as another form (their
// magic line differs), and the next snapshot writes them as fixed buckets.
func TestBucketsOfEarlierBuildsAreStillRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 2))
	for range 20 {
		s := randomStats(t, rng)
		w := &snapshotWriter{}
		w.buf = append(w.buf, bucketsMagicV2...)
		writeOrgs(w, s.st.Orgs)
		s.st.Buckets.writeBinaryV2(w)
		back := newStats(&sync.RWMutex{})
		require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(w.buf)))
		assert.Equal(t, oldForm(&s.st.Buckets), oldForm(&back.st.Buckets))
		assert.Equal(t, s.st.Orgs, back.st.Orgs)
		now, err := back.MarshalSnapshot()
		require.NoError(t, err)
		want, err := s.MarshalSnapshot()
		require.NoError(t, err)
		assert.Equal(t, want, now, "written again as fixed buckets")
		assert.False(t, sameForm(now, w.buf))
	}
}

// Two sets that hold the same buckets write the same bytes, whatever order
// they made them in and whatever dead tallies their slabs hold; and a set
// read from a snapshot writes it again byte for byte.
func TestBucketSnapshotsAreCanonical(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 2))
	for range 20 {
		a := randomStats(t, rng)
		type made struct {
			community, grid, month string
			b                      bucket
			tallies                []tally
		}
		var all []made
		for _, b := range a.st.Buckets.rows.all {
			p := a.st.Buckets.places[b.key.place]
			all = append(all, made{p.community, p.grid, a.st.Buckets.months[b.key.month], *b, a.st.Buckets.talliesOf(b)})
		}
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		b := newStats(&sync.RWMutex{})
		b.st.Orgs = a.st.Orgs
		// The same numbers for the same places, months and words.
		set := &b.st.Buckets
		for _, p := range a.st.Buckets.places {
			set.placeNumber(p.community, p.grid)
		}
		for _, m := range a.st.Buckets.months {
			set.monthNumber(m)
		}
		for _, w := range a.st.Buckets.words.names[1:] {
			set.words.of(w)
		}
		for _, m := range all {
			m.b.key = b.bucketIn(m.community, m.grid, m.month).key
			set.set(m.b, make([]tally, len(m.tallies)+1)) // one more than it keeps: left dead below
			set.set(m.b, m.tallies)
		}
		require.Greater(t, len(set.tallies.vals), set.tallies.used, "dead tallies in the slab")
		checkTallies(t, set)
		sa, err := a.MarshalSnapshot()
		require.NoError(t, err)
		sb, err := b.MarshalSnapshot()
		require.NoError(t, err)
		assert.Equal(t, sa, sb)
		back := newStats(&sync.RWMutex{})
		require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(sa)))
		again, err := back.MarshalSnapshot()
		require.NoError(t, err)
		assert.Equal(t, sa, again)
	}
}

// A bucket's address stays the same as more buckets are made after it,
// whether it was read from a snapshot or made since: the fold holds one
// while it makes another (Stats.end). The slab of tallies is made anew
// once most of it is dead, and every bucket's counts stay as counted.
func TestBucketsKeepTheirPlaceAndTalliesAreCompacted(t *testing.T) {
	s := newStats(&sync.RWMutex{})
	require.NoError(t, s.st.Buckets.count(s.bucketIn("c", "g0", "2026-01"), byChannel, "visit"))
	snap, err := s.MarshalSnapshot()
	require.NoError(t, err)
	back := newStats(&sync.RWMutex{})
	require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(snap)))
	set := &back.st.Buckets
	read, made := back.bucketIn("c", "g0", "2026-01"), back.bucketIn("c", "g1", "2026-01")
	require.Len(t, set.rows.base, 1)
	want := map[string]int{}
	compacted := false
	channels := []string{"visit", "door", "online", "hotline", "app", "wall"}
	for i := range 8 * bucketBlock {
		g := fmt.Sprint("g", i%(bucketBlock+7))
		b := back.bucketIn("c", g, "2026-01")
		ch := channels[i%len(channels)]
		before := len(set.tallies.vals)
		require.NoError(t, set.count(b, byChannel, ch))
		want[g+"/"+ch]++
		// A bucket's new tally moves its tallies to the end, leaving dead
		// ones behind, until the slab is made anew.
		compacted = compacted || len(set.tallies.vals) < before
		require.LessOrEqual(t, len(set.tallies.vals), 2*set.tallies.used+4096)
	}
	checkTallies(t, set)
	assert.True(t, compacted, "the slab made anew")
	assert.Same(t, read, back.bucketIn("c", "g0", "2026-01"))
	assert.Same(t, made, back.bucketIn("c", "g1", "2026-01"))
	assert.Greater(t, len(set.rows.more), 1, "buckets in more than one block")
	want["g0/visit"]++ // the one read
	got := map[string]int{}
	var kinds [tallyKinds]counts
	back.st.Buckets.each(StatsQuery{}, func(p place, _ string, b *bucket) {
		back.st.Buckets.counts(b, &kinds, nil)
		for _, c := range kinds[byChannel] {
			got[p.grid+"/"+c.Key] += c.N
		}
	})
	assert.Equal(t, want, got)
}

// bucketRowsAt returns where a snapshot of fixed buckets holds its
// buckets, and how many, and where its tallies begin.
func bucketRowsAt(t *testing.T, snap []byte) (rows, n, tallies int) {
	r := &rowsReader{b: snap[len(bucketsMagic):]}
	readOrgs(r)
	s := newBucketSet(0)
	s.readNames(r)
	n = r.countOf(fixedLayout[bucket](), "buckets")
	r.aligned()
	rows = len(snap) - len(r.b)
	r.next(n * int(unsafe.Sizeof(bucket{})))
	r.countOf(fixedLayout[tally](), "tallies")
	r.aligned()
	require.NoError(t, r.err)
	return rows, n, len(snap) - len(r.b)
}

// Fixed buckets whose spans of tallies overlap, leave a gap, name tallies
// past the last or leave some unnamed, whose days are not numbers, or
// that were laid out by another build, are refused.
func TestFixedBucketsAreChecked(t *testing.T) {
	s := newStats(&sync.RWMutex{})
	for _, g := range []string{"g1", "g2"} {
		b := s.bucketIn("c", g, "2026-01")
		require.NoError(t, s.st.Buckets.count(b, byChannel, "visit"))
		s.st.Buckets.day(b, 2)
	}
	snap, err := s.MarshalSnapshot()
	require.NoError(t, err)
	rows, n, tallies := bucketRowsAt(t, snap)
	require.Equal(t, 2, n)
	read := func(edit func(b []byte)) error {
		damaged := bytes.Clone(snap)
		edit(damaged)
		return newStats(&sync.RWMutex{}).UnmarshalSnapshot(bytes.NewReader(damaged))
	}
	require.NoError(t, read(func([]byte) {}))
	size, span := int(unsafe.Sizeof(bucket{})), int(unsafe.Offsetof(bucket{}.tallies))
	second := rows + size + span
	put := func(at int, v uint32) func(b []byte) {
		return func(b []byte) { binary.NativeEndian.PutUint32(b[at:], v) }
	}
	assert.ErrorContains(t, read(put(second, 1)), "not where the tallies before them end", "overlapping")
	assert.ErrorContains(t, read(put(second, 3)), "not where the tallies before them end", "past the last")
	assert.ErrorContains(t, read(put(second+4, 1)), "1 tallies no bucket names")
	assert.ErrorContains(t, read(put(second+4, 0)), "not where the tallies before them end", "an empty span not at 0")
	assert.ErrorContains(t, read(put(rows+span+4, 0xffffffff)), "not where the tallies before them end", "a negative count")
	day := tallies + 8 + 4 // the first bucket's day, its bits
	assert.ErrorContains(t, read(put(day, math.Float32bits(float32(math.NaN())))), "days not a number")
	assert.ErrorContains(t, read(put(day, math.Float32bits(float32(math.Inf(1))))), "days not a number")
	assert.NoError(t, read(put(day, math.Float32bits(-3))), "any finite day")
	layout := bytes.Index(snap, binary.LittleEndian.AppendUint64(nil, fixedLayout[bucket]().fingerprint))
	require.Positive(t, layout)
	assert.ErrorContains(t, read(func(b []byte) { b[layout] ^= 1 }), "laid out as this build does not lay them out")
	assert.ErrorContains(t, read(put(rows, 5)), "a bucket of no place or month")
	assert.ErrorContains(t, read(put(rows+size, 0)), "a bucket given twice")
	assert.ErrorContains(t, read(func(b []byte) { put(rows, 1)(b); put(rows+size, 0)(b) }), "out of the order of their places and months")
}

// The buckets read from a snapshot are found by their place and month
// (byPlace), with no index made for them; a bucket of a place or month
// read but never together, or of neither, is made after them, once.
func TestBucketsReadAreFoundByTheirPlaceAndMonth(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 2))
	for range 20 {
		s := randomStats(t, rng)
		snap, err := s.MarshalSnapshot()
		require.NoError(t, err)
		back := newStats(&sync.RWMutex{})
		require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(snap)))
		set := &back.st.Buckets
		read := set.rows.n
		require.Equal(t, s.st.Buckets.rows.n, read)
		require.Zero(t, set.byKey.used, "no index of the buckets read")
		for _, b := range s.st.Buckets.rows.all {
			p, month := s.st.Buckets.places[b.key.place], s.st.Buckets.months[b.key.month]
			got := back.bucketIn(p.community, p.grid, month)
			assert.Equal(t, b.figures(), got.figures(), "%v %s", p, month)
			assert.Equal(t, s.st.Buckets.talliesOf(b), set.talliesOf(got))
		}
		require.Equal(t, read, set.rows.n, "none made for the buckets read")
		made := 0
		places, months := append(slices.Clone(set.places), place{"new", "g"}), append(slices.Clone(set.months), "2030-01")
		for _, p := range places {
			for _, month := range months {
				if _, ok := set.findRead(bucketKey{place: set.placeNumber(p.community, p.grid), month: set.monthNumber(month)}); !ok {
					made++
				}
				b := back.bucketIn(p.community, p.grid, month)
				assert.Same(t, b, back.bucketIn(p.community, p.grid, month))
			}
		}
		assert.Equal(t, read+made, set.rows.n, "each made once")
	}
}

// Buckets read in place from their snapshot file are counted into and
// compacted where they lie: the spans compaction moves are written into
// the process's own copies of the file's pages, never into the file, and
// every bucket counts what it was given.
func TestBucketsReadInPlaceAreCompactedWhereTheyLie(t *testing.T) {
	dir := t.TempDir()
	s := newStats(&sync.RWMutex{})
	for g := range 300 {
		require.NoError(t, s.st.Buckets.count(s.bucketIn("c", fmt.Sprint("g", g), "2026-01"), byChannel, "visit"))
	}
	p, err := stageSnapshot(dir, s, func(w io.Writer) error {
		sw := newSnapshotWriter(w)
		if err := s.encodeSnapshot(sw); err != nil {
			return err
		}
		return sw.flush()
	}, s.mapSizes(), identity{pos: 1})
	require.NoError(t, err)
	require.NoError(t, p.Commit())
	file, err := os.ReadFile(snapshotPath(dir, "stats"))
	require.NoError(t, err)

	back := newStats(&sync.RWMutex{})
	_, err = loadSnapshot(dir, back, nil)
	require.NoError(t, err)
	set := &back.st.Buckets
	require.Equal(t, snapshotPath(dir, "stats"), mappedFrom(t, unsafe.Pointer(unsafe.SliceData(set.rows.base))), "read in place")
	want := map[string]int{}
	for g := range 300 {
		want[fmt.Sprint("g", g)+"/visit"] = 1
	}
	channels := []string{"door", "online", "hotline", "app", "wall", "phone", "letter", "visit"}
	compacted := false
	for i := range 40 * 300 {
		g := fmt.Sprint("g", i%300)
		ch := channels[(i/300)%len(channels)]
		before := len(set.tallies.vals)
		require.NoError(t, set.count(back.bucketIn("c", g, "2026-01"), byChannel, ch))
		compacted = compacted || len(set.tallies.vals) < before
		want[g+"/"+ch]++
	}
	require.True(t, compacted, "the slab made anew")
	checkTallies(t, set)
	assert.Equal(t, snapshotPath(dir, "stats"), mappedFrom(t, unsafe.Pointer(unsafe.SliceData(set.rows.base))), "the buckets where they were read")
	got := map[string]int{}
	var kinds [tallyKinds]counts
	set.each(StatsQuery{}, func(p place, _ string, b *bucket) {
		set.counts(b, &kinds, nil)
		for _, c := range kinds[byChannel] {
			got[p.grid+"/"+c.Key] += c.N
		}
	})
	assert.Equal(t, want, got)
	now, err := os.ReadFile(snapshotPath(dir, "stats"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(file, now), "the file never written through its mapping")
}
