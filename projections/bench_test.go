package projections

import (
	"context"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// The replay benchmarks fold 1,000,000 generated events (10,000 grids) into
// every view. Run them with
//
//	go test ./projections -run '^$' -bench . -benchtime 3x -timeout 30m
//
// and with GOEXPERIMENT=jsonv2 in front to compare decoders.

const benchEvents = 1_000_000

var (
	benchOnce   sync.Once
	benchStored []eventstore.Event
)

func benchLog(b *testing.B) []eventstore.Event {
	benchOnce.Do(func() { benchStored = encode(b, newGen(42, 10_000).events(benchEvents)) })
	return benchStored
}

// runToReady runs a runner until it has caught up and returns how long that
// took, stopping it after.
func runToReady(b *testing.B, r *Runner) time.Duration {
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	for !r.Ready() {
		select {
		case err := <-done:
			b.Fatalf("runner stopped: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	took := time.Since(start)
	cancel()
	require.NoError(b, <-done)
	return took
}

func maxRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// BenchmarkReplay folds the whole log into fresh views through the runner
// (decode once, every view), from memory: the fold's own cost.
func BenchmarkReplay(b *testing.B) {
	stored := benchLog(b)
	store := &memStore{evs: stored}
	var views *Views
	b.ReportAllocs()
	b.ResetTimer()
	var folded time.Duration
	for b.Loop() {
		r, err := New(store, Config{})
		require.NoError(b, err)
		folded += runToReady(b, r)
		views = r.Views()
	}
	b.ReportMetric(float64(len(stored))*float64(b.N)/folded.Seconds(), "events/s")
	b.StopTimer()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportMetric(float64(before.HeapAlloc)/(1<<20), "heap-MiB")
	b.ReportMetric(maxRSSMiB(), "maxrss-MiB")
	runtime.KeepAlive(views)
}

// BenchmarkDecode measures domain.Decode alone over the log.
func BenchmarkDecode(b *testing.B) {
	stored := benchLog(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range stored {
			if _, err := domain.Decode(stored[i].Type, stored[i].Data); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(stored))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkStartToServe measures the time from building a runner to Ready
// with snapshots of the whole log present (they are loaded, nothing is
// replayed) and absent (everything is replayed).
func BenchmarkStartToServe(b *testing.B) {
	stored := benchLog(b)
	store := &memStore{evs: stored}
	dir := b.TempDir()
	r, err := New(store, Config{Dir: dir})
	require.NoError(b, err)
	runToReady(b, r) // writes the snapshots
	var size int64
	entries, err := os.ReadDir(dir)
	require.NoError(b, err)
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(b, err)
		size += info.Size()
	}
	b.Run("snapshots", func(b *testing.B) {
		for b.Loop() {
			start := time.Now()
			r, err := New(store, Config{Dir: dir})
			require.NoError(b, err)
			runToReady(b, r)
			b.ReportMetric(time.Since(start).Seconds(), "s-to-ready")
		}
		b.ReportMetric(float64(size)/(1<<20), "snapshot-MiB")
	})
	b.Run("no-snapshots", func(b *testing.B) {
		for b.Loop() {
			start := time.Now()
			r, err := New(store, Config{})
			require.NoError(b, err)
			runToReady(b, r)
			b.ReportMetric(time.Since(start).Seconds(), "s-to-ready")
		}
	})
}
