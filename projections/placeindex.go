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
// an item lives and at which position. Each item is placed once, and the
// places are sorted, not the keys by looking each up again.
func rebuild[T any](x *placeIndex, items map[string]T, place func(T) (community, grid string, pos eventstore.Position)) {
	type placed struct {
		key, community, grid string
		pos                  eventstore.Position
	}
	all := make([]placed, 0, len(items))
	for k, it := range items {
		community, grid, pos := place(it)
		all = append(all, placed{k, community, grid, pos})
	}
	slices.SortFunc(all, func(a, b placed) int { return cmp.Compare(a.pos, b.pos) })
	// Each grid's and community's list is made at its size, all of them
	// slices of two arrays, not grown item by item.
	grids, communities := map[string]int{}, map[string]int{}
	for _, p := range all {
		grids[p.grid]++
		communities[p.community]++
	}
	x.order, x.byGrid, x.byCommunity = make([]string, 0, len(all)), listsOf(grids, len(all)), listsOf(communities, len(all))
	for _, p := range all {
		x.add(p.key, p.community, p.grid)
	}
}

// listsOf makes an empty list of each key of sizes with room for its size,
// all in one array of n.
func listsOf(sizes map[string]int, n int) map[string][]string {
	out := make(map[string][]string, len(sizes))
	backing := make([]string, n)
	for k, size := range sizes {
		out[k], backing = backing[:0:size], backing[size:]
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
