package projections

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// randomDirectory folds communities, grids and compounds of random names
// (empty ones, Chinese ones) into a directory, as the ledger's events
// would.
func randomDirectory(t *testing.T, rng *rand.Rand) *Directory {
	t.Helper()
	words := []string{"", "东风社区", "grid", "网格 3", "\"quoted\"", "村", "a/b", "楼院"}
	word := func() string { return words[rng.IntN(len(words))] + fmt.Sprint(rng.IntN(3)) }
	d := newDirectory(&sync.RWMutex{})
	for c := range 12 {
		community := fmt.Sprintf("community-%d", c)
		apply := func(data domain.Event) { require.NoError(t, d.Apply(Event{Data: data})) }
		apply(domain.CommunityRegistered{CommunityID: community, Name: word(), Kind: word(), Street: word()})
		for g := range rng.IntN(4) {
			apply(domain.GridCreated{CommunityID: community, GridID: fmt.Sprintf("%s-g%d", community, g), Name: word(), Kind: word()})
		}
		for k := range rng.IntN(3) {
			apply(domain.CompoundRegistered{CommunityID: community, CompoundID: fmt.Sprintf("%s-k%d", community, k), GridID: word(), Name: word()})
		}
	}
	return d
}

// TestPlacesReadBackAsWritten checks the directory's snapshot: read back,
// it is the same JSON and the same bytes; the JSON the directory wrote
// before is still read; and a grid added after a load does not reach
// the next community's, which shares its array.
func TestPlacesReadBackAsWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 1))
	d := randomDirectory(t, rng)
	want, err := d.snapshotJSON()
	require.NoError(t, err)
	snap, err := d.MarshalSnapshot()
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(snap, []byte(placesMagic)))

	read := newDirectory(&sync.RWMutex{})
	require.NoError(t, read.UnmarshalSnapshot(bytes.NewReader(snap)))
	got, err := read.snapshotJSON()
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
	assert.Equal(t, string(want), string(got), "byte for byte")
	again, err := read.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, snap, again)

	old := newDirectory(&sync.RWMutex{})
	require.NoError(t, old.UnmarshalSnapshot(bytes.NewReader(want)), "the JSON of older builds")
	got, err = old.snapshotJSON()
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	before, err := read.snapshotJSON()
	require.NoError(t, err)
	for _, p := range read.Places() {
		require.NoError(t, read.Apply(Event{Data: domain.GridCreated{CommunityID: p.CommunityID, GridID: p.CommunityID + "-new", Name: "new"}}))
		require.NoError(t, read.Apply(Event{Data: domain.CompoundRegistered{CommunityID: p.CommunityID, CompoundID: p.CommunityID + "-new"}}))
	}
	for _, p := range read.Places() {
		require.Equal(t, p.CommunityID+"-new", p.Grids[len(p.Grids)-1].GridID)
		require.Equal(t, p.CommunityID+"-new", p.Compounds[len(p.Compounds)-1].CompoundID)
		for _, g := range p.Grids[:len(p.Grids)-1] {
			assert.Contains(t, string(before), `"grid_id":"`+g.GridID+`"`, "a grid overwritten")
		}
		for _, c := range p.Compounds[:len(p.Compounds)-1] {
			assert.Contains(t, string(before), `"compound_id":"`+c.CompoundID+`"`, "a compound overwritten")
		}
	}
}

// TestDamagedPlacesAreRefused: every cut of a directory's snapshot is
// refused, a changed byte is refused or read into a directory whose JSON
// reads back, and a community given twice or out of order, counts of grids or compounds
// that are not their places', a name past the text, text left over and
// bytes after the last place are refused by name.
func TestDamagedPlacesAreRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 2))
	refusedOrWhole(t, rng, randomDirectory(t, rng), func() View { return newDirectory(&sync.RWMutex{}) })

	places := func(text string, shape ...uint64) []byte {
		out := binary.AppendUvarint([]byte(placesMagic), uint64(len(text)))
		out = append(out, text...)
		for _, n := range shape {
			out = binary.AppendUvarint(out, n)
		}
		return out
	}
	read := func(b []byte) error { return newDirectory(&sync.RWMutex{}).UnmarshalSnapshot(bytes.NewReader(b)) }
	// One community "c", of no name, kind or street, no grid, no compound.
	one := []uint64{1, 0, 0, 1, 0, 0, 0, 0, 0}
	require.NoError(t, read(places("c", one...)))
	assert.ErrorContains(t, read(places("cc", 2, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0)), `"c" out of order, or given twice`)
	require.NoError(t, read(places("cd", 2, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0)))
	assert.ErrorContains(t, read(places("dc", 2, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0)), `"c" out of order`)
	assert.ErrorContains(t, read(places("cx", one...)), "text left over")
	assert.ErrorContains(t, read(places("c", 1, 0, 0, 5, 0, 0, 0, 0, 0)), "a name past the text")
	assert.ErrorContains(t, read(places("c", 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)), "fewer grids or compounds")
	assert.ErrorContains(t, read(places("c", 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0)), "more grids than counted")
	assert.ErrorContains(t, read(places("c", 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0)), "more compounds than counted")
	assert.ErrorContains(t, read(append(places("c", one...), 0)), "after the last place")
}

// TestPlacesTheFoldNeverMakesAreRefused: a directory's JSON with a null
// community, one under another id, or one whose grids are null, is
// refused: the snapshot written of it would not read back as it is.
func TestPlacesTheFoldNeverMakesAreRefused(t *testing.T) {
	read := func(s string) error {
		return newDirectory(&sync.RWMutex{}).UnmarshalSnapshot(bytes.NewReader([]byte(s)))
	}
	require.NoError(t, read(`{"places":{"x":{"community_id":"x","grids":[]}}}`))
	for _, s := range []string{
		`{"places":{"x":null}}`,
		`{"places":{"x":{"community_id":"y","grids":[]}}}`,
		`{"places":{"x":{"community_id":"x","grids":null}}}`,
	} {
		assert.ErrorContains(t, read(s), `community "x"`, s)
	}
}
