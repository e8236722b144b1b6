package projections

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// liveInTableStore returns a table store in a temporary directory, closed
// when t ends, and a live view whose tables are bound to it.
func liveInTableStore(t *testing.T) (*tableStore, *Live) {
	t.Helper()
	st, err := openTableStore(t.TempDir(), false, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.close()) })
	live := newLive(&sync.RWMutex{})
	bindTables(live, st)
	return st, live
}

// TestLists: a list of positions reads the same whether its positions are
// in the store, in changes flushed and not committed, or in changes not
// yet written: in order, each position once, and none of them after the
// list is emptied.
func TestLists(t *testing.T) {
	st, live := liveInTableStore(t)
	l := live.steps
	all := func(id string) []eventstore.Position {
		t.Helper()
		list, err := l.all(id)
		require.NoError(t, err)
		return list
	}
	commit := func() {
		t.Helper()
		var ops []tableOp
		require.NoError(t, l.flush(&ops))
		require.NoError(t, st.commit(live, ops, identity{pos: 1}))
		l.committed()
	}
	stored := func() map[string]string {
		t.Helper()
		got, err := l.stored()
		require.NoError(t, err)
		out := map[string]string{}
		for id, b := range got {
			out[id] = string(b)
		}
		return out
	}
	p := func(ps ...eventstore.Position) []eventstore.Position { return ps }

	l.add("m1", 5)
	l.add("m1", 3)
	l.add("m2", 4)
	assert.Equal(t, p(3, 5), all("m1"), "in order before any write")
	commit()
	n, pending := l.changed()
	assert.Zero(t, n)
	assert.False(t, pending)
	assert.Equal(t, map[string]string{"m1": "[3,5]", "m2": "[4]"}, stored())

	l.add("m1", 9)
	l.add("m1", 5)
	assert.Equal(t, p(3, 5, 9), all("m1"), "the store's and the new, each once")
	first, ok, err := l.first("m1")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, eventstore.Position(3), first)
	last, err := l.last("m1", 2)
	require.NoError(t, err)
	assert.Equal(t, p(5, 9), last)

	// A flush whose write failed: its changes are read from pending, and
	// written again with the next flush's.
	l.add("m2", 6)
	var lost []tableOp
	require.NoError(t, l.flush(&lost))
	l.add("m1", 12)
	l.clear("m2")
	l.add("m2", 11)
	assert.Equal(t, p(3, 5, 9, 12), all("m1"), "from pending and the new")
	assert.Equal(t, p(11), all("m2"), "emptied after the flush, then added to")
	commit()
	assert.Equal(t, map[string]string{"m1": "[3,5,9,12]", "m2": "[11]"}, stored())

	// A spill writes the changes since the last flush alone.
	l.add("m3", 2)
	var ops []tableOp
	written, err := l.spill(&ops)
	require.NoError(t, err)
	require.Len(t, ops, 1)
	require.NoError(t, st.spill(live, ops))
	written()
	n, _ = l.changed()
	assert.Zero(t, n)
	assert.Equal(t, p(2), all("m3"), "from the store")

	l.clear("m1")
	assert.Empty(t, all("m1"), "emptied before it is written")
	commit()
	assert.NotContains(t, stored(), "m1")
	_, ok, err = l.first("m1")
	require.NoError(t, err)
	assert.False(t, ok)
	last, err = l.last("m1", 5)
	require.NoError(t, err)
	assert.Empty(t, last)

	// The same changes in a table without a store read the same.
	mem := newLists("steps")
	for _, c := range []struct {
		id string
		p  eventstore.Position
	}{{"m1", 5}, {"m1", 3}, {"m2", 4}, {"m1", 9}, {"m1", 5}, {"m2", 6}, {"m1", 12}, {"m3", 2}} {
		mem.add(c.id, c.p)
	}
	mem.clear("m2")
	mem.add("m2", 11)
	mem.clear("m1")
	want, err := l.dump()
	require.NoError(t, err)
	got, err := mem.dump()
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, map[string]json.RawMessage{"m2": json.RawMessage("[11]"), "m3": json.RawMessage("[2]")}, got)
}

// TestListsAgainstAModel: many lists changed at random, each started and
// grown in its turn (their first positions are cut from shared chunks),
// with flushes, failed writes, commits and spills between, read as a map of
// sets says, with a store and without.
func TestListsAgainstAModel(t *testing.T) {
	st, live := liveInTableStore(t)
	stored, mem := live.steps, newLists("steps")
	model := map[string]map[eventstore.Position]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	var failed bool
	for i := range 40_000 {
		id := fmt.Sprintf("m%d", r.IntN(3*slabLen))
		switch k := r.IntN(1000); {
		case k < 5:
			stored.clear(id)
			mem.clear(id)
			delete(model, id)
		case k < 8:
			var ops []tableOp
			require.NoError(t, stored.flush(&ops))
			if failed = r.IntN(3) == 0; !failed {
				require.NoError(t, st.commit(live, ops, identity{pos: eventstore.Position(i + 1)}))
				stored.committed()
			}
		case k < 10 && !failed:
			var ops []tableOp
			written, err := stored.spill(&ops)
			require.NoError(t, err)
			require.NoError(t, st.spill(live, ops))
			written()
		default:
			p := eventstore.Position(r.IntN(1 << 20))
			stored.add(id, p)
			mem.add(id, p)
			if model[id] == nil {
				model[id] = map[eventstore.Position]bool{}
			}
			model[id][p] = true
		}
	}
	for n := range 3 * slabLen {
		id := fmt.Sprintf("m%d", n)
		want := slices.Sorted(maps.Keys(model[id]))
		for _, l := range []*lists{stored, mem} {
			got, err := l.all(id)
			require.NoError(t, err)
			if len(want) == 0 {
				assert.Empty(t, got, id)
			} else {
				assert.Equal(t, want, got, id)
			}
		}
	}
}

// A list grows in the chunk up to slabListLen positions, two lists growing
// in turn leave each other as they were, and a longer list moves to memory
// of its own.
func TestShortListsGrowInTheChunk(t *testing.T) {
	l := newLists("steps")
	var a, b []eventstore.Position
	allocs := testing.AllocsPerRun(1, func() {
		l.firsts = make([]eventstore.Position, 0, firstLen*slabLen)
		a, b = nil, nil
		for i := range slabListLen {
			a = l.appendTo(a, eventstore.Position(i+1))
			b = l.appendTo(b, eventstore.Position(1000+i))
		}
	})
	assert.Equal(t, 1.0, allocs, "the chunk alone")
	for i := range slabListLen {
		require.Equal(t, eventstore.Position(i+1), a[i])
		require.Equal(t, eventstore.Position(1000+i), b[i])
	}
	chunk := l.firsts[:cap(l.firsts)]
	start, end := uintptr(unsafe.Pointer(&chunk[0])), uintptr(unsafe.Pointer(&chunk[len(chunk)-1]))
	within := func(list []eventstore.Position) bool {
		p := uintptr(unsafe.Pointer(&list[0]))
		return start <= p && p <= end
	}
	assert.True(t, within(a))
	assert.True(t, within(b))
	a = l.appendTo(a, slabListLen+1)
	assert.False(t, within(a), "a longer list has memory of its own")
	assert.Len(t, a, slabListLen+1)
	assert.Equal(t, eventstore.Position(slabListLen+1), a[slabListLen])
}
