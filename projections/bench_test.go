package projections

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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
	benchOnce.Do(func() {
		g := newGen(42, 10_000)
		g.uuids = true // as the ledger makes them: the list views keep them in 16 bytes
		benchStored = encode(b, g.events(benchEvents))
	})
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
	var base runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)
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
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(base.HeapAlloc)/(1<<20), "input-heap-MiB")
	b.ReportMetric(float64(after.HeapAlloc-base.HeapAlloc)/(1<<20), "views-heap-MiB")
	b.ReportMetric(maxRSSMiB(), "maxrss-MiB")
	runtime.KeepAlive(views)
}

// BenchmarkDecode measures decoding alone over the log: domain.Decode
// (encoding/json, or json/v2 under GOEXPERIMENT=jsonv2) and the runner's
// Decoder (goccy/go-json).
func BenchmarkDecode(b *testing.B) {
	stored := benchLog(b)
	for _, c := range []struct {
		name   string
		decode func(string, []byte) (domain.Event, error)
	}{{"domain", domain.Decode}, {"goccy", NewDecoder().Decode}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i := range stored {
					if _, err := c.decode(stored[i].Type, stored[i].Data); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(stored))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
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
	b.Run("empty-dir", func(b *testing.B) {
		// A first start on a long log: everything is replayed and
		// snapshots are due every tenth of it (as every 200,000 events
		// of 2 million), each encoding views that grew meanwhile.
		for b.Loop() {
			start, cpu, reads := time.Now(), cpuTime(), storeReads.Load()
			r, err := New(store, Config{Dir: b.TempDir(), SnapshotEvery: len(stored) / 10})
			require.NoError(b, err)
			runToReady(b, r)
			b.ReportMetric(time.Since(start).Seconds(), "s-to-ready")
			b.ReportMetric((cpuTime() - cpu).Seconds(), "cpu-s")
			b.ReportMetric(float64(storeReads.Load()-reads), "table-reads")
			b.StopTimer()
			require.NoError(b, r.Close()) // its table store, before the directory goes
			b.StartTimer()
		}
	})
	b.Run("no-snapshots", func(b *testing.B) {
		for b.Loop() {
			start, cpu := time.Now(), cpuTime()
			r, err := New(store, Config{})
			require.NoError(b, err)
			runToReady(b, r)
			b.ReportMetric(time.Since(start).Seconds(), "s-to-ready")
			b.ReportMetric((cpuTime() - cpu).Seconds(), "cpu-s")
		}
	})
}

// BenchmarkFold folds already decoded events into every view, without the
// runner: the views' own cost.
func BenchmarkFold(b *testing.B) {
	stored := benchLog(b)
	evs := make([]Event, len(stored))
	for i, se := range stored {
		d, err := domain.Decode(se.Type, se.Data)
		require.NoError(b, err)
		evs[i] = Event{Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Recorded: se.Recorded, Actor: se.Metadata.Actor, Data: d, ref: refOf(se)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v := NewViews()
		for _, e := range evs {
			for _, view := range v.all {
				if err := view.Apply(e); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkFoldNotifications folds the generated log into the outbox view
// alone: what telling everyone costs the runner, beside BenchmarkFold.
func BenchmarkFoldNotifications(b *testing.B) {
	stored := benchLog(b)
	evs := make([]Event, len(stored))
	for i, se := range stored {
		d, err := domain.Decode(se.Type, se.Data)
		require.NoError(b, err)
		evs[i] = Event{Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Recorded: se.Recorded, Actor: se.Metadata.Actor, Data: d, ref: refOf(se)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var n *Notifications
	for b.Loop() {
		n = NewViews().Notifications
		for _, e := range evs {
			if err := n.Apply(e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(len(n.notes.mem)), "persons")
}

// BenchmarkServeFromSnapshots measures a process that serves from
// snapshots alone, without the generated log in its memory: its peak RSS is
// the views' own. It needs YISHI_BENCH_SNAPSHOTS, a directory; the first
// run fills it (replaying the generated log) and says so, the second run,
// in a fresh process, measures:
//
//	YISHI_BENCH_SNAPSHOTS=/tmp/snaps go test ./projections -run '^$' -bench ServeFromSnapshots -benchtime 1x
//	YISHI_BENCH_SNAPSHOTS=/tmp/snaps go test ./projections -run '^$' -bench ServeFromSnapshots -benchtime 1x
func BenchmarkServeFromSnapshots(b *testing.B) {
	dir := os.Getenv("YISHI_BENCH_SNAPSHOTS")
	if dir == "" {
		b.Skip("set YISHI_BENCH_SNAPSHOTS to a directory")
	}
	path := snapshotPath(dir, "board")
	if _, err := os.Stat(path); err != nil {
		stored := benchLog(b)
		r, err := New(&memStore{evs: stored}, Config{Dir: dir})
		require.NoError(b, err)
		runToReady(b, r)
		b.Skip("snapshots written to ", dir, "; run again to measure")
	}
	f, err := os.Open(path)
	require.NoError(b, err)
	var h snapshotHeader
	require.NoError(b, json.NewDecoder(f).Decode(&h))
	f.Close()
	// The log's first and last events as the snapshots name them, so that
	// they are taken as this log's (not discarded and rebuilt, which wrote
	// empty snapshots over the input) and the subscription delivers
	// nothing new.
	event := func(pos eventstore.Position, ref eventRef) eventstore.Event {
		return eventstore.Event{ID: ref.ID, Stream: "meeting-x", Position: pos, Type: "meeting.opened.v1", Data: []byte(`{}`),
			Metadata: eventstore.Metadata{Hash: ref.Hash}}
	}
	store := &memStore{evs: []eventstore.Event{event(1, h.First), event(h.Position, h.At)}}
	for b.Loop() {
		start := time.Now()
		r, err := New(store, Config{Dir: dir})
		require.NoError(b, err)
		runToReady(b, r)
		b.ReportMetric(time.Since(start).Seconds(), "s-to-ready")
		require.Equal(b, h.Position, r.Position())
		require.Zero(b, r.Status().Events, "restored from the snapshots, nothing folded")
	}
	b.ReportMetric(maxRSSMiB(), "maxrss-MiB")
}

// BenchmarkLoadEachView loads each view's snapshot file, one view at a
// time, over and over: the views' decoding alone, its tables not read.
// heap-MiB is the heap one loaded view holds.
// YISHI_BENCH_SNAPSHOTS names a directory of snapshots (BenchmarkServe-
// FromSnapshots fills one; a server's are in <data>/projections):
//
//	YISHI_BENCH_SNAPSHOTS=DATA/projections go test ./projections -run '^$' -bench LoadEachView -benchmem
func BenchmarkLoadEachView(b *testing.B) {
	dir := os.Getenv("YISHI_BENCH_SNAPSHOTS")
	if dir == "" {
		b.Skip("set YISHI_BENCH_SNAPSHOTS to a directory of snapshots")
	}
	for _, v := range NewViews().all {
		if _, err := os.Stat(snapshotPath(dir, v.Name())); err != nil {
			continue
		}
		b.Run(v.Name(), func(b *testing.B) {
			load := func() View {
				fresh := NewViews().all
				i := slices.IndexFunc(fresh, func(f View) bool { return f.Name() == v.Name() })
				_, err := loadSnapshot(dir, fresh[i], nil)
				require.NoError(b, err)
				return fresh[i]
			}
			for b.Loop() {
				load()
			}
			b.StopTimer()
			before := liveHeap()
			kept := load()
			b.ReportMetric(float64(int64(liveHeap())-int64(before))/(1<<20), "heap-MiB")
			runtime.KeepAlive(kept)
		})
	}
}

// BenchmarkViewsHeap measures the heap each view takes as a server
// restored from snapshots holds it: the 1,000,000 generated events are
// folded, each view's snapshot written to a file, and each loaded into a
// fresh view on its own, its heap read after a collection before and
// after. Run it with
//
//	go test ./projections -run '^$' -bench '^BenchmarkViewsHeap$' -benchtime 1x -timeout 30m
func BenchmarkViewsHeap(b *testing.B) {
	dir := b.TempDir()
	r, err := New(&memStore{evs: benchLog(b)}, Config{})
	require.NoError(b, err)
	runToReady(b, r)
	for _, v := range r.Views().List() {
		snap, err := v.MarshalSnapshot()
		require.NoError(b, err)
		require.NoError(b, os.WriteFile(filepath.Join(dir, v.Name()), snap, 0o600))
	}
	r = nil
	for b.Loop() {
		var total int64
		loaded := NewViews()
		for _, v := range loaded.List() {
			f, err := os.Open(filepath.Join(dir, v.Name()))
			require.NoError(b, err)
			before := liveHeap()
			require.NoError(b, v.UnmarshalSnapshot(f))
			require.NoError(b, f.Close())
			took := int64(liveHeap()) - int64(before)
			total += took
			b.ReportMetric(float64(took)/(1<<20), v.Name()+"-MiB")
		}
		b.ReportMetric(float64(total)/(1<<20), "all-MiB")
		runtime.KeepAlive(loaded)
	}
}

// liveHeap is the heap's live bytes after two collections (sync.Pool's
// victims go with the second).
func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkEncodeEachView encodes each view's snapshot as the runner
// writes it (snapshotOf), to io.Discard, one view at a time, after the
// generated log is folded: what a snapshot holds the fold for (the runner
// encodes under the views' read lock), and allocates, view by view.
func BenchmarkEncodeEachView(b *testing.B) {
	stored := benchLog(b)
	r, err := New(&memStore{evs: stored}, Config{})
	require.NoError(b, err)
	runToReady(b, r)
	for _, v := range r.Views().all {
		b.Run(v.Name(), func(b *testing.B) {
			b.ReportAllocs()
			var size checksummed
			for b.Loop() {
				size = checksummed{w: io.Discard}
				write, err := snapshotOf(v)
				require.NoError(b, err)
				require.NoError(b, write(&size))
			}
			b.ReportMetric(float64(size.n)/(1<<20), "MiB")
		})
	}
}
