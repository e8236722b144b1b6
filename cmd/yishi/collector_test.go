package main

import (
	"log/slog"
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// gcPercent is the collector's target now.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestTheServerCollectsAtHalfItsLiveHeapUnlessGOGCSays: serve's collector
// target is collectorPercent; an operator's GOGC stays as the runtime read
// it.
func TestTheServerCollectsAtHalfItsLiveHeapUnlessGOGCSays(t *testing.T) {
	was := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(was) })
	t.Setenv("GOGC", "") // set but empty: the runtime's default, as unset
	discard := slog.New(slog.DiscardHandler)
	percent, fromEnv := setCollector(discard)
	assert.Equal(t, collectorPercent, percent)
	assert.False(t, fromEnv)
	assert.Equal(t, collectorPercent, gcPercent())

	debug.SetGCPercent(80) // as the runtime set it from GOGC=80
	t.Setenv("GOGC", "80")
	percent, fromEnv = setCollector(discard)
	assert.Equal(t, 80, percent)
	assert.True(t, fromEnv)
	assert.Equal(t, 80, gcPercent())
}

// TestALongFoldsSnapshotsAreEncodedWithMoreCollections: after a long fold,
// the collector's target is snapshotPercent from the catch-up until the
// snapshots are written, then the server's again; a short fold leaves it
// alone.
func TestALongFoldsSnapshotsAreEncodedWithMoreCollections(t *testing.T) {
	was := debug.SetGCPercent(70)
	t.Cleanup(func() { debug.SetGCPercent(was) })
	hook := foldMemory(70, true)
	hook(longFold-1, false)
	assert.Equal(t, 70, gcPercent(), "a short fold")
	hook(longFold, false)
	assert.Equal(t, snapshotPercent, gcPercent(), "caught up, the snapshots being encoded")
	hook(longFold, true)
	assert.Equal(t, 70, gcPercent(), "the snapshots written")

	// An operator's GOGC, and a target at or below snapshotPercent, are
	// left alone.
	for _, hook := range []func(uint64, bool){foldMemory(70, false), foldMemory(10, true), foldMemory(-1, true)} {
		debug.SetGCPercent(70)
		hook(longFold, false)
		assert.Equal(t, 70, gcPercent())
	}
}

// TestHugeReserve: the heap marked for a load is twice its snapshot
// files, within a quarter of the memory limit (none when there is no
// limit) and maxHugeReserve.
func TestHugeReserve(t *testing.T) {
	assert.Equal(t, int64(380<<20), hugeReserve(190<<20, math.MaxInt64), "no limit")
	assert.Equal(t, int64(380<<20), hugeReserve(190<<20, 0), "none found")
	assert.Equal(t, int64(230<<20), hugeReserve(190<<20, 920<<20), "a quarter of a 920 MiB limit")
	assert.Equal(t, int64(maxHugeReserve), hugeReserve(3<<30, math.MaxInt64))
	assert.Zero(t, hugeReserve(0, math.MaxInt64), "no snapshots")
}
