package projections

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// randomIDs returns a maker of random ids: mostly UUIDs as the ledger
// writes them (one of n for each prefix, so that they repeat), and the
// forms kept as other ids: in upper case, with twelve zero bytes first,
// a character short, a character long ("/" or not), and name's names.
func randomIDs(rng *rand.Rand, name func(prefix string, n int) string) func(prefix string, n int) string {
	return func(prefix string, n int) string {
		i := rng.IntN(n)
		u := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%s%d", prefix, i)).String()
		switch rng.IntN(10) {
		case 0:
			return strings.ToUpper(u)
		case 1:
			return fmt.Sprintf("00000000-0000-0000-0000-0000%08x", i)
		case 2:
			return u[:35]
		case 3:
			return u + "/"
		case 4:
			return u + "x"
		case 5, 6:
			return name(prefix, n)
		}
		return u
	}
}

// TestIdentsStandForTheirStrings: every string is kept as an ident that
// writes it back, is found again, orders as the string does and is
// written to JSON as goccy writes the string; two strings never share an
// ident; UUIDs as the ledger writes them are held in their bytes, and
// nothing else is. The same for pairs.
func TestIdentsStandForTheirStrings(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	id := randomIDs(rng, randomNames(rng))
	random := func() string {
		switch rng.IntN(6) {
		case 0:
			b := make([]byte, rng.IntN(40))
			for i := range b {
				b[i] = "0123456789abcdefABCDEF-/\"é\x00"[rng.IntN(28)]
			}
			return string(b)
		case 1:
			return id("m-", 30) + "/" + id("mo-", 30)
		}
		return id("p-", 30)
	}
	others := newDictionary()
	idents, pairs := map[ident]string{}, map[identPair]string{}
	var strs []string
	for range 3000 {
		s := random()
		strs = append(strs, s)
		k := identOf(s, &others)
		u, err := uuid.Parse(s)
		canonical := err == nil && u.String() == s && [12]byte(u[:12]) != [12]byte{}
		assert.Equal(t, canonical, k.held(), s)
		assert.Equal(t, s, k.text(&others))
		if seen, ok := idents[k]; ok {
			require.Equal(t, seen, s, "one ident for two strings")
		}
		idents[k] = s
		found, ok := findIdent(s, &others)
		assert.True(t, ok, s)
		assert.Equal(t, k, found)
		want, err := gojson.Marshal(s)
		require.NoError(t, err)
		got, err := k.appendJSON(nil, &others)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), s)

		p := identPair{}.of(s, &others)
		assert.Equal(t, s, string(p.appendText(nil, &others)))
		assert.Equal(t, p, identPair{}.ofBytes([]byte(s), &others))
		if seen, ok := pairs[p]; ok {
			require.Equal(t, seen, s, "one pair for two keys")
		}
		pairs[p] = s
		foundPair, ok := identPair{}.find(s, &others)
		assert.True(t, ok, s)
		assert.Equal(t, p, foundPair)
		got, err = p.appendJSON(nil, &others)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), s)
	}
	for range 20000 {
		a, b := strs[rng.IntN(len(strs))], strs[rng.IntN(len(strs))]
		ka, kb := identOf(a, &others), identOf(b, &others)
		assert.Equal(t, strings.Compare(a, b), compareIdents(ka, kb, &others), "%q %q", a, b)
		pa, pb := identPair{}.of(a, &others), identPair{}.of(b, &others)
		assert.Equal(t, strings.Compare(a, b), pa.compare(pb, &others), "%q %q", a, b)
	}
	// A UUID is read and found with no allocation: the fold and every
	// page look ids up.
	u, b := uuid.NewString(), []byte(uuid.NewString())
	assert.Zero(t, testing.AllocsPerRun(100, func() { findIdent(u, &others) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { identOfBytes(b, &others) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { identOf(u, &others).appendText(make([]byte, 0, 36), &others) }))

	_, ok := findIdent("never seen", &others)
	assert.False(t, ok)
	_, ok = identPair{}.find(uuid.NewString()+"/never seen", &others)
	assert.False(t, ok)
	assert.Equal(t, ident{}, identOf("", &others))
}

// rowsRoundTrip writes v's snapshot, which must be rows (or buckets), reads
// it into fresh, a view of the same kind, and returns fresh's state as
// JSON.
func rowsRoundTrip(t *testing.T, v, fresh View) []byte {
	t.Helper()
	snap, err := v.MarshalSnapshot()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(snap), rowsMagic) || strings.HasPrefix(string(snap), fixedRowsMagic) || strings.HasPrefix(string(snap), registerMagic) ||
		strings.HasPrefix(string(snap), bucketsMagic), "written as rows")
	require.NoError(t, fresh.UnmarshalSnapshot(iotest.HalfReader(strings.NewReader(string(snap)))))
	again, err := fresh.MarshalSnapshot()
	require.NoError(t, err)
	require.Equal(t, snap, again, "rows read are written as they were")
	out, err := readableSnapshot(fresh)
	require.NoError(t, err)
	return out
}

// TestDamagedRowsAreRefused: the board's, the outcomes' and the
// register's rows cut short anywhere are refused, and any byte changed is
// refused or read into a view that is whole (its JSON written and read
// back), never a panic; rows out of order, an id given twice, a number
// past its dictionary, a name numbered twice, a UUID numbered (which
// reads as the same JSON), a register key kept whole that its first id
// splits and bytes after the last row are refused.
func TestDamagedRowsAreRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2))
	drawn := randomHeads(rng)
	for len(drawn) < 20 {
		drawn = randomHeads(rng)
	}
	b := NewViews().Board
	b.heads = headsOf(t, drawn)
	refusedOrWhole(t, rng, b, func() View { return NewViews().Board })
	o := NewViews().Outcomes
	require.NoError(t, o.UnmarshalSnapshot(strings.NewReader(outcomesSnapshot(t, rng))))
	refusedOrWhole(t, rng, o, func() View { return NewViews().Outcomes })
	r := NewViews().Register
	require.NoError(t, r.UnmarshalSnapshot(strings.NewReader(registerSnapshot(t, rng))))
	refusedOrWhole(t, rng, r, func() View { return NewViews().Register })

	rows := func(hs heads[ident, boardHead]) []byte {
		s := &snapshotWriter{}
		hs.writeRows(s, boardRows(&hs))
		return s.buf
	}
	read := func(b []byte) error { return NewViews().Board.UnmarshalSnapshot(strings.NewReader(string(b))) }
	hs := headsOf(t, map[string]boardHeadJSON{"p-1": {GridID: "g", Position: 1}, "p-2": {GridID: "g", Position: 2}})
	require.NoError(t, read(rows(hs)))
	swapped := hs
	swapped.rows = []headRow[ident, boardHead]{hs.rows[1], hs.rows[0]}
	assert.ErrorContains(t, read(rows(swapped)), "out of position order")
	twice := hs
	twice.rows = []headRow[ident, boardHead]{hs.rows[0], hs.rows[0]}
	assert.ErrorContains(t, read(rows(twice)), "given twice")
	past := hs
	past.rows = []headRow[ident, boardHead]{hs.rows[0]}
	past.rows[0].head.grid = 99
	assert.ErrorContains(t, read(rows(past)), "not in its dictionary")
	unknown := hs
	unknown.rows = []headRow[ident, boardHead]{hs.rows[0]}
	unknown.rows[0].id = otherIdent(99)
	assert.ErrorContains(t, read(rows(unknown)), "not in its dictionary")
	named := hs
	named.places.names = append(slices.Clone(hs.places.names), "g")
	assert.ErrorContains(t, read(rows(named)), "named twice")
	assert.ErrorContains(t, read(append(rows(hs), 0)), "after the last row")
	numbered := hs
	numbered.others = newDictionary()
	numbered.rows = []headRow[ident, boardHead]{hs.rows[0]}
	numbered.rows[0].id = otherIdent(numbered.others.of("0a1b2c3d-0000-4000-8000-000000000001"))
	assert.ErrorContains(t, read(rows(numbered)), "numbered, not kept as its bytes")

	decisions := newHeads[identPair, decisionHead](0)
	whole := "0a1b2c3d-0000-4000-8000-000000000001/motion-1"
	decisions.rows = []headRow[identPair, decisionHead]{{id: identPair{{}, otherIdent(decisions.others.of(whole))}}}
	require.NoError(t, decisions.indexSorted())
	withMeetings := func(hs heads[identPair, decisionHead]) string {
		s := &snapshotWriter{buf: []byte(rowsMagic + "\x02{}")}
		hs.writeRows(s, (*decisionHead).appendBinary)
		return string(s.buf)
	}
	assert.ErrorContains(t, NewViews().Register.UnmarshalSnapshot(strings.NewReader(withMeetings(decisions))), "first id splits")
	decisions.rows[0].id = identPair{}.of(whole, &decisions.others)
	assert.NoError(t, NewViews().Register.UnmarshalSnapshot(strings.NewReader(withMeetings(decisions))))
}

// refusedOrWhole checks v's snapshot cut short anywhere is refused by a
// view fresh makes, and that 3,000 bytes changed at random are refused
// or read into a view whose JSON reads back, never a panic.
func refusedOrWhole(t *testing.T, rng *rand.Rand, v View, fresh func() View) {
	t.Helper()
	snap, err := v.MarshalSnapshot()
	require.NoError(t, err)
	for n := range len(snap) {
		require.Error(t, fresh().UnmarshalSnapshot(strings.NewReader(string(snap[:n]))), "%s cut at %d of %d", v.Name(), n, len(snap))
	}
	for range 3000 {
		damaged := []byte(string(snap))
		damaged[len(rowsMagic)+rng.IntN(len(snap)-len(rowsMagic))] ^= byte(1 + rng.IntN(255))
		read := fresh()
		if read.UnmarshalSnapshot(strings.NewReader(string(damaged))) == nil {
			out, err := readableSnapshot(read)
			require.NoError(t, err)
			require.NoError(t, fresh().UnmarshalSnapshot(strings.NewReader(string(out))), "%s", out)
		}
	}
}

// outcomesSnapshot is a JSON snapshot of random outcomes, of 20 heads or
// more.
func outcomesSnapshot(t *testing.T, rng *rand.Rand) string {
	heads := randomOutcomeHeads(rng)
	for len(heads) < 20 {
		heads = randomOutcomeHeads(rng)
	}
	out, err := gojson.Marshal(struct {
		Heads map[string]outcomeHeadJSON `json:"heads"`
	}{heads})
	require.NoError(t, err)
	return string(out)
}

// registerSnapshot is a JSON snapshot of a random register: one meeting
// still deciding, and 20 decisions or more.
func registerSnapshot(t *testing.T, rng *rand.Rand) string {
	name := randomNames(rng)
	id := randomIDs(rng, name)
	st := oldRegisterState{Meetings: map[string]*regMeeting{"m-open": {Info: domain.MeetingScheduled{MeetingID: "m-open", Title: "停车线"},
		Items: map[string]domain.AgendaItemAdded{}, Motions: map[string]*regMotion{}, Mediations: map[string]domain.MediationOffered{},
		Attendance: map[string]string{}}}, Heads: map[string]decisionHeadJSON{}}
	for len(st.Heads) < 20 {
		meeting := id("m-", 40)
		st.Heads[meeting+"/"+id("mo-", 3)] = decisionHeadJSON{CommunityID: name("c", 3), GridID: name("g", 9), MeetingID: meeting,
			ProposalID: id("p-", 50), How: "vote", Position: eventstore.Position(rng.Uint64())}
	}
	out, err := gojson.Marshal(st)
	require.NoError(t, err)
	return string(out)
}

// TestHeadsReadFromRowsGrowApart: the heads read from rows share one slab
// of action marks, and a mark added to one head does not reach the next:
// its marks move to the slab's end.
func TestHeadsReadFromRowsGrowApart(t *testing.T) {
	b := NewViews().Board
	b.heads = headsOf(t, map[string]boardHeadJSON{
		"p-1": {CommunityID: "c", GridID: "g1", Position: 1, Actions: []actionMark{{Due: 1}}},
		"p-2": {CommunityID: "c", GridID: "g2", Position: 2, Actions: []actionMark{{Due: 2, Open: true}}},
	})
	snap, err := b.MarshalSnapshot()
	require.NoError(t, err)
	back := NewViews().Board
	require.NoError(t, back.UnmarshalSnapshot(strings.NewReader(string(snap))))
	first := back.heads.head("p-1")
	was := back.heads.marks.of(first.acts)[0]
	first.acts = back.heads.marks.resize(first.acts, 2)
	copy(back.heads.marks.of(first.acts), []actionMark{was, {Due: 9}})
	assert.Equal(t, []actionMark{{Due: 2, Open: true}}, back.heads.marks.of(back.heads.head("p-2").acts))
	assert.Equal(t, []actionMark{{Due: 1}, {Due: 9}}, back.heads.marks.of(back.heads.head("p-1").acts))

	// The lists of each grid and community share one array too, in the
	// order of the places' numbers: a row added to the grid whose list
	// comes first does not reach the other's.
	hs := &back.heads
	lead, other := "g1", "g2" // rows 0 and 1
	leadRow, otherRow := int32(0), int32(1)
	n1, _ := hs.places.find(lead)
	n2, _ := hs.places.find(other)
	if n2 < n1 { // numbered in the order headsOf met them
		lead, other, leadRow, otherRow, n1 = other, lead, otherRow, leadRow, n2
	}
	c, _ := hs.places.find("c")
	hs.add("p-3", boardHead{community: c, grid: n1, Position: 3})
	got := func(grid string) []int32 { l, _ := hs.list("", grid); return l }
	assert.Equal(t, []int32{leadRow, 2}, got(lead))
	assert.Equal(t, []int32{otherRow}, got(other))
	l, _ := hs.list("c", "")
	assert.Equal(t, []int32{0, 1, 2}, l)
}
