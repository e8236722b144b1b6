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
	x.order, x.byGrid, x.byCommunity = make([]string, 0, len(all)), map[string][]string{}, map[string][]string{}
	for _, p := range all {
		x.add(p.key, p.community, p.grid)
	}
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
