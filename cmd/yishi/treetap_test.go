package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/seal"
)

// TestTreeTapKeepsTheTreeOffTheHeap: the tree fed by the views' reading of
// the log is spilled each time the heap holds as many of its events as its
// file, but spillTreeAt at least and spillTreeHeld at most, or a quarter
// of the file when that is more, on a goroutine of its own, and, hashed
// from the start, once more when it has caught up, before that checkpoint
// is passed on; it is the tree of the same events never spilled.
func TestTreeTapKeepsTheTreeOffTheHeap(t *testing.T) {
	was, wasHeld := spillTreeAt, spillTreeHeld
	spillTreeAt, spillTreeHeld = 100, 200
	t.Cleanup(func() { spillTreeAt, spillTreeHeld = was, wasHeld })
	event := treeEvent
	tree, kept := seal.NewLog(nil), seal.NewLog(nil)
	tap := &treeTap{Log: tree, path: filepath.Join(t.TempDir(), "tree.snap"), hashed: true, log: slog.New(slog.DiscardHandler)}
	settled := func() { settle(tap) }
	take := func(from, to int) {
		for i := from; i < to; i++ {
			require.NoError(t, tap.Take(eventstore.Delivery{Event: event(i), Position: event(i).Position}))
			settled()
			require.NoError(t, kept.Add(*event(i)))
		}
	}
	held := func() [2]int64 { heap, file := tree.Held(); return [2]int64{heap, file} }

	// Events taken up to each step, and the tree's events on the heap and
	// in its file then.
	taken := 0
	for _, step := range []struct {
		to         int
		heap, file int64
		why        string
	}{
		{99, 99, 0, "fewer than spillTreeAt"},
		{100, 0, 100, "spillTreeAt"},
		{199, 99, 100, ""},
		{200, 0, 200, "as many on the heap as in the file"},
		{399, 199, 200, ""},
		{400, 0, 400, "as many on the heap as in the file"},
		{599, 199, 400, ""},
		{600, 0, 600, "spillTreeHeld at most"},
		{1000, 0, 1000, "spillTreeHeld at most"},
		{1249, 249, 1000, ""},
		{1250, 0, 1250, "a quarter as many on the heap as in the file"},
		{1270, 20, 1250, ""},
	} {
		take(taken, step.to)
		taken = step.to
		assert.Equal(t, [2]int64{step.heap, step.file}, held(), "after %d events: %s", step.to, step.why)
	}
	for i := 1240; i < 1270; i++ { // held already: not added again
		require.NoError(t, tap.Take(eventstore.Delivery{Event: event(i), Position: event(i).Position}))
	}
	assert.Equal(t, [2]int64{20, 1250}, held())

	require.NoError(t, tap.Take(eventstore.Delivery{Position: event(1269).Position, CaughtUp: true}))
	assert.True(t, tree.CaughtUp())
	assert.Equal(t, [2]int64{0, 1270}, held(), "hashed from the start, spilled once caught up")
	take(1270, 1280)
	require.NoError(t, tap.Take(eventstore.Delivery{Position: event(1279).Position, CaughtUp: true}))
	assert.Equal(t, [2]int64{10, 1270}, held(), "not again")

	want, err := kept.Head()
	require.NoError(t, err)
	got, err := tree.Head()
	require.NoError(t, err)
	assert.Equal(t, want, got)
	for _, i := range []int64{0, 99, 100, 250, 1249, 1269, 1279} {
		a, err := tree.InclusionProof(i, 1280)
		require.NoError(t, err)
		b, err := kept.InclusionProof(i, 1280)
		require.NoError(t, err)
		assert.Equal(t, b, a, "leaf %d", i)
	}
}

// TestTreeTapSpillsWhileEventsAreAdded: spills on their own goroutine run
// while the tap goes on taking events (run with -race); the caught-up
// spill waits for the one running, and the tree is the same tree.
func TestTreeTapSpillsWhileEventsAreAdded(t *testing.T) {
	was := spillTreeAt
	spillTreeAt = 64
	t.Cleanup(func() { spillTreeAt = was })
	tree, kept := seal.NewLog(nil), seal.NewLog(nil)
	tap := &treeTap{Log: tree, path: filepath.Join(t.TempDir(), "tree.snap"), hashed: true, log: slog.New(slog.DiscardHandler)}
	const n = 5000
	for i := range n {
		ev := treeEvent(i)
		require.NoError(t, tap.Take(eventstore.Delivery{Event: ev, Position: ev.Position}))
		require.NoError(t, kept.Add(*ev))
	}
	require.NoError(t, tap.Take(eventstore.Delivery{Position: treeEvent(n - 1).Position, CaughtUp: true}))
	heap, file := tree.Held()
	assert.Equal(t, [2]int64{0, n}, [2]int64{heap, file}, "all in the file once caught up")
	want, err := kept.Head()
	require.NoError(t, err)
	got, err := tree.Head()
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// TestTreeTapKeepsTheTreeWhenASpillFails: a spill that fails (here, no
// directory to write to) leaves the tree on the heap, whole, and no spill
// is tried again.
func TestTreeTapKeepsTheTreeWhenASpillFails(t *testing.T) {
	was := spillTreeAt
	spillTreeAt = 10
	t.Cleanup(func() { spillTreeAt = was })
	tree, kept := seal.NewLog(nil), seal.NewLog(nil)
	tap := &treeTap{Log: tree, path: filepath.Join(t.TempDir(), "missing", "tree.snap"), hashed: true, log: slog.New(slog.DiscardHandler)}
	for i := range 100 {
		ev := treeEvent(i)
		require.NoError(t, tap.Take(eventstore.Delivery{Event: ev, Position: ev.Position}))
		settle(tap)
		require.NoError(t, kept.Add(*ev))
	}
	require.NoError(t, tap.Take(eventstore.Delivery{Position: treeEvent(99).Position, CaughtUp: true}))
	assert.True(t, tap.failed.Load())
	heap, file := tree.Held()
	assert.Equal(t, [2]int64{100, 0}, [2]int64{heap, file})
	want, err := kept.Head()
	require.NoError(t, err)
	got, err := tree.Head()
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// settle waits for tap's spill running, if any.
func settle(tap *treeTap) {
	tap.spilling.Lock()
	defer tap.spilling.Unlock()
	_ = tap.failed.Load()
}

// treeEvent is event i of a synthetic log.
func treeEvent(i int) *eventstore.Event {
	h := sha256.Sum256(fmt.Appendf(nil, "event %d", i))
	return &eventstore.Event{Stream: "s", Revision: uint64(i), Position: eventstore.Position(10 * (i + 1)),
		Metadata: eventstore.Metadata{Hash: hex.EncodeToString(h[:])}}
}
