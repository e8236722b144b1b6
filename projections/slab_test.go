package projections

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A span grows in place when it ends the slab, moves to the end (its room
// left dead) when it does not, and shrinks in place; each keeps its
// values, and the slab counts as used what the spans name.
func TestSlabResize(t *testing.T) {
	var sl slab[int]
	a := sl.add([]int{1, 2})
	b := sl.add([]int{3})
	assert.Equal(t, span{2, 1}, b)

	b = sl.resize(b, 3)
	assert.Equal(t, span{2, 3}, b, "ends the slab: grown in place")
	copy(sl.of(b)[1:], []int{4, 5})
	assert.Equal(t, []int{1, 2, 3, 4, 5}, sl.vals)
	assert.Equal(t, 5, sl.used)

	a = sl.resize(a, 3)
	assert.Equal(t, span{5, 3}, a, "moved to the end")
	assert.Equal(t, []int{1, 2}, sl.of(a)[:2], "its values with it")
	assert.Equal(t, 6, sl.used, "its old room dead")
	assert.Len(t, sl.vals, 8)

	b = sl.resize(b, 1)
	assert.Equal(t, span{2, 1}, b, "shrunk in place")
	assert.Equal(t, []int{3}, sl.of(b))
	assert.Equal(t, span{}, sl.resize(b, 0))
	assert.Nil(t, sl.of(span{}))
	assert.Equal(t, span{}, sl.add(nil))
}
