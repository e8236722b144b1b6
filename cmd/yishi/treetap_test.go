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
// file (and spillTreeAt at least), on a goroutine of its own, and, hashed
// from the start, once more when it has caught up, before that checkpoint
// is passed on; it is the tree of the same events never spilled.
func TestTreeTapKeepsTheTreeOffTheHeap(t *testing.T) {
	was := spillTreeAt
	spillTreeAt = 100
	t.Cleanup(func() { spillTreeAt = was })
	event := func(i int) *eventstore.Event {
		h := sha256.Sum256(fmt.Appendf(nil, "event %d", i))
		return &eventstore.Event{Stream: "s", Revision: uint64(i), Position: eventstore.Position(10 * (i + 1)),
			Metadata: eventstore.Metadata{Hash: hex.EncodeToString(h[:])}}
	}
	tree, kept := seal.NewLog(nil), seal.NewLog(nil)
	tap := &treeTap{Log: tree, path: filepath.Join(t.TempDir(), "tree.snap"), hashed: true, log: slog.New(slog.DiscardHandler)}
	// settled waits for the spill running, if any.
	settled := func() {
		tap.spilling.Lock()
		defer tap.spilling.Unlock()
		_, _ = tree.Held()
	}
	take := func(from, to int) {
		for i := from; i < to; i++ {
			require.NoError(t, tap.Take(eventstore.Delivery{Event: event(i), Position: event(i).Position}))
			settled()
			require.NoError(t, kept.Add(*event(i)))
		}
	}
	held := func() [2]int64 { heap, file := tree.Held(); return [2]int64{heap, file} }

	take(0, 99)
	assert.Equal(t, [2]int64{99, 0}, held(), "fewer than spillTreeAt")
	take(99, 100)
	assert.Equal(t, [2]int64{0, 100}, held())
	take(100, 199)
	assert.Equal(t, [2]int64{99, 100}, held())
	take(199, 200)
	assert.Equal(t, [2]int64{0, 200}, held(), "as many on the heap as in the file")
	take(200, 399)
	assert.Equal(t, [2]int64{199, 200}, held())
	take(399, 420)
	assert.Equal(t, [2]int64{20, 400}, held())
	for i := 390; i < 420; i++ { // held already: not added again
		require.NoError(t, tap.Take(eventstore.Delivery{Event: event(i), Position: event(i).Position}))
	}
	assert.Equal(t, [2]int64{20, 400}, held())

	require.NoError(t, tap.Take(eventstore.Delivery{Position: event(419).Position, CaughtUp: true}))
	assert.True(t, tree.CaughtUp())
	assert.Equal(t, [2]int64{0, 420}, held(), "hashed from the start, spilled once caught up")
	take(420, 430)
	require.NoError(t, tap.Take(eventstore.Delivery{Position: event(429).Position, CaughtUp: true}))
	assert.Equal(t, [2]int64{10, 420}, held(), "not again")

	want, err := kept.Head()
	require.NoError(t, err)
	got, err := tree.Head()
	require.NoError(t, err)
	assert.Equal(t, want, got)
	for _, i := range []int64{0, 99, 100, 250, 419, 429} {
		a, err := tree.InclusionProof(i, 430)
		require.NoError(t, err)
		b, err := kept.InclusionProof(i, 430)
		require.NoError(t, err)
		assert.Equal(t, b, a, "leaf %d", i)
	}
}
