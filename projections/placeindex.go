package projections

import (
	"cmp"
	"slices"

	"github.com/yishi-civic/yishi/eventstore"
)

// placeIndex keeps a view's keys in position order, overall, per grid and
// per community, so that a filtered page is a binary search away. It is
// rebuilt from the view's state after a snapshot and extended as events are
// folded (keys arrive in position order).
type placeIndex struct {
	order       []string
	byGrid      map[string][]string
	byCommunity map[string][]string
}

// add appends key, which lives in community and grid.
func (x *placeIndex) add(key, community, grid string) {
	x.order = append(x.order, key)
	x.byGrid[grid] = append(x.byGrid[grid], key)
	x.byCommunity[community] = append(x.byCommunity[community], key)
}

// rebuild indexes every item of items in position order; place says where
// an item lives and at which position. One pass places each item
// (placeKeys); the places (32 bytes each) are sorted by position; then
// each list is filled in one array per kind, made at its size
// (listsByPlace): no list grown item by item, no map look-up per item
// after the first pass. At ten million events, 600,000 proposals in
// 100,000 grids, sorting and indexing took a quarter of the board's load
// (docs/performance.md).
func rebuild[T any](x *placeIndex, items map[string]T, place func(T) (community, grid string, pos eventstore.Position)) {
	all, grids, communities := placeKeys(items, place)
	slices.SortFunc(all, func(a, b placed) int { return cmp.Compare(a.pos, b.pos) })
	x.order = make([]string, 0, len(all))
	for _, p := range all {
		x.order = append(x.order, p.key)
	}
	x.byGrid, x.byCommunity = listsByPlace(all, &grids, &communities)
}

// placed is a key with its position and the ordinals of its grid and
// community.
type placed struct {
	key             string
	pos             eventstore.Position
	grid, community int32
}

// placeKeys places every item of items, with one map look-up for its grid
// and one for its community (each named by an ordinal), in no order.
func placeKeys[T any](items map[string]T, place func(T) (community, grid string, pos eventstore.Position)) (all []placed, grids, communities ordinals) {
	all = make([]placed, 0, len(items))
	for k, it := range items {
		community, grid, pos := place(it)
		all = append(all, placed{key: k, pos: pos, grid: grids.of(grid), community: communities.of(community)})
	}
	return all, grids, communities
}

// listsByPlace returns the keys of all by grid and by community, each list
// in the order of all, made at its size, all of a kind in one array.
func listsByPlace(all []placed, grids, communities *ordinals) (byGrid, byCommunity map[string][]string) {
	g, c := grids.lists(), communities.lists()
	for _, p := range all {
		g[p.grid] = append(g[p.grid], p.key)
		c[p.community] = append(c[p.community], p.key)
	}
	return grids.named(g), communities.named(c)
}

// ordinals numbers the names it is given in order of first sight, and
// counts how often each was given.
type ordinals struct {
	index map[string]int32
	sizes []int
	total int
}

// of returns name's ordinal, and counts it once more.
func (o *ordinals) of(name string) int32 {
	if o.index == nil {
		o.index = map[string]int32{}
	}
	i, ok := o.index[name]
	if !ok {
		i = int32(len(o.sizes))
		o.index[name] = i
		o.sizes = append(o.sizes, 0)
	}
	o.sizes[i]++
	o.total++
	return i
}

// lists makes an empty list for each ordinal with room for its count, all
// in one array.
func (o *ordinals) lists() [][]string {
	out := make([][]string, len(o.sizes))
	backing := make([]string, o.total)
	for i, size := range o.sizes {
		out[i], backing = backing[:0:size], backing[size:]
	}
	return out
}

// named returns lists by name.
func (o *ordinals) named(lists [][]string) map[string][]string {
	out := make(map[string][]string, len(o.index))
	for name, i := range o.index {
		out[name] = lists[i]
	}
	return out
}

// keys returns the keys of grid if set, else of community if set, else all.
func (x *placeIndex) keys(community, grid string) []string {
	switch {
	case grid != "":
		return x.byGrid[grid]
	case community != "":
		return x.byCommunity[community]
	}
	return x.order
}
