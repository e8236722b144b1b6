package projections

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// TestRebuildIndexesAsTheFoldDid: an index rebuilt from a view's state
// (after a snapshot) holds the same keys in the same order, overall, per
// grid and per community, as the index the fold built adding the items
// in position order; and it grows the same way after.
func TestRebuildIndexesAsTheFoldDid(t *testing.T) {
	type item struct {
		community, grid string
		pos             eventstore.Position
	}
	rng := rand.New(rand.NewPCG(3, 4))
	folded := placeIndex{byGrid: map[string][]string{}, byCommunity: map[string][]string{}}
	items := map[string]item{}
	pos := eventstore.Position(0)
	for i := range 2000 {
		pos += eventstore.Position(1 + rng.IntN(5))
		c := rng.IntN(5)
		it := item{community: fmt.Sprintf("c%d", c), grid: fmt.Sprintf("c%d-g%d", c, rng.IntN(8)), pos: pos}
		key := fmt.Sprintf("p%05d", rng.IntN(1_000_000)*10+i%10) // not in position order
		if _, ok := items[key]; ok {
			continue
		}
		items[key] = it
		folded.add(key, it.community, it.grid)
	}
	var rebuilt placeIndex
	rebuild(&rebuilt, items, func(it item) (string, string, eventstore.Position) { return it.community, it.grid, it.pos })
	require.Equal(t, folded, rebuilt)
	assert.Len(t, rebuilt.order, len(items))
	assert.Len(t, rebuilt.byCommunity, 5)

	// Appending after a rebuild leaves every other list as it was.
	before := map[string][]string{}
	for g, keys := range rebuilt.byGrid {
		before[g] = append([]string(nil), keys...)
	}
	rebuilt.add("new", "c0", "c0-g0")
	for g, keys := range rebuilt.byGrid {
		if g == "c0-g0" {
			assert.Equal(t, append(before[g], "new"), keys)
			continue
		}
		assert.Equal(t, before[g], keys, g)
	}

	var empty placeIndex
	rebuild(&empty, map[string]item{}, func(it item) (string, string, eventstore.Position) { return it.community, it.grid, it.pos })
	assert.Empty(t, empty.order)
	empty.add("k", "c", "g") // the maps are made, even for no items
	assert.Equal(t, []string{"k"}, empty.byGrid["g"])
}
