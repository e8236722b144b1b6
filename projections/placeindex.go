package projections

import (
	"maps"
	"slices"
	"sort"

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
// an item lives and at which position.
func rebuild[T any](x *placeIndex, items map[string]T, place func(T) (community, grid string, pos eventstore.Position)) {
	x.order, x.byGrid, x.byCommunity = nil, map[string][]string{}, map[string][]string{}
	keys := slices.Collect(maps.Keys(items))
	sort.Slice(keys, func(i, j int) bool {
		_, _, pi := place(items[keys[i]])
		_, _, pj := place(items[keys[j]])
		return pi < pj
	})
	for _, k := range keys {
		community, grid, _ := place(items[k])
		x.add(k, community, grid)
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
