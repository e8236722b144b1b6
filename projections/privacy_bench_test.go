package projections

import (
	"context"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/privacy"
)

// BenchmarkReplaySealing folds the same generated ledger through the
// runner with encryption off (stored plain) and on (every personal field
// sealed; every field opened by the runner's decoder), interleaved: each
// iteration folds all three modes, in rotating order, after a garbage
// collection, so that the load other work puts on the machine falls on
// each alike. "On" comes twice: cold, with the embedded key store opened
// fresh each round (outside the timing), as a start with no snapshots
// meets every key once; and warm, with one sealer that opened the whole
// ledger before (its cache as full as its bound lets it be), as the
// rebuild of the views after an erasure in a running service finds it (an
// erasure forgets only the erased keys). It reports
// the events/s of each and the ratios to "off" of the wall time and of the
// process's CPU time (user and system, every thread: decoding, folding and
// the garbage collector). Run it with
//
//	go test ./projections -run '^$' -bench ReplaySealing -benchtime 5x -count 3 -timeout 30m
//
// and compare the ratios (docs/performance.md).
func BenchmarkReplaySealing(b *testing.B) {
	const events = 200_000
	plain, sealed, keyDir := sealingLogs(b, events)
	// The warm sealer's keys are copied into memory: the key store
	// directory is opened by one process at a time, and a warm sealer
	// reads no key anyway.
	kd, err := privacy.OpenKeyDir(keyDir)
	require.NoError(b, err)
	var entries []privacy.Entry
	for e, err := range kd.All(context.Background()) {
		require.NoError(b, err)
		entries = append(entries, e)
	}
	require.NoError(b, kd.Close())
	warmKeys := privacy.NewMemoryKeys()
	require.NoError(b, warmKeys.Put(context.Background(), entries))
	warm := NewDecoder().Opening(privacy.NewSealer(warmKeys))
	for _, se := range sealed {
		_, err := warm.Decode(se.Type, se.Data)
		require.NoError(b, err)
	}
	const off, cold, hot = 0, 1, 2
	round := func(mode int) (wall, cpu time.Duration) {
		cfg, stored := Config{}, sealed
		var kd *privacy.KeyDir
		switch mode {
		case off:
			stored = plain
		case cold:
			var err error
			kd, err = privacy.OpenKeyDir(keyDir)
			require.NoError(b, err)
			cfg.Decode = NewDecoder().Opening(privacy.NewSealer(kd)).Decode
		case hot:
			cfg.Decode = warm.Decode
		}
		r, err := New(&memStore{evs: stored}, cfg)
		require.NoError(b, err)
		runtime.GC()
		cpu0 := cpuTime()
		wall = runToReady(b, r)
		cpu = cpuTime() - cpu0
		if kd != nil {
			require.NoError(b, kd.Close())
		}
		return wall, cpu
	}
	b.ReportAllocs()
	var wall, cpu [3]time.Duration
	i := 0
	for b.Loop() {
		for j := range 3 {
			mode := (i + j) % 3 // the first of the three rotates
			w, c := round(mode)
			wall[mode] += w
			cpu[mode] += c
		}
		i++
	}
	b.ReportMetric(float64(events*i)/wall[off].Seconds(), "off-events/s")
	b.ReportMetric(float64(events*i)/wall[cold].Seconds(), "on-events/s")
	b.ReportMetric(wall[cold].Seconds()/wall[off].Seconds(), "on/off-wall")
	b.ReportMetric(cpu[cold].Seconds()/cpu[off].Seconds(), "on/off-cpu")
	b.ReportMetric(wall[hot].Seconds()/wall[off].Seconds(), "warm/off-wall")
	b.ReportMetric(cpu[hot].Seconds()/cpu[off].Seconds(), "warm/off-cpu")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is the CPU time the process has used so far (user and system,
// every thread).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var (
	sealOnce            sync.Once
	sealPlain, sealSeal []eventstore.Event
	sealKeyDir          string
)

// sealingLogs generates n events once, and the same events sealed (keys in
// a key store directory that outlives the benchmark's rounds).
func sealingLogs(b *testing.B, n int) (plain, sealed []eventstore.Event, keyDir string) {
	sealOnce.Do(func() {
		evs := newGen(42, n/100).events(n)
		sealPlain = encode(b, evs)
		sealKeyDir = b.TempDir()
		kd, err := privacy.OpenKeyDir(sealKeyDir, privacy.BulkLoad())
		require.NoError(b, err)
		s := privacy.NewSealer(kd)
		out := make([]domain.Event, len(evs))
		for i, e := range evs {
			got, err := s.Seal(context.Background(), streamOf(b, e), []domain.Event{e})
			require.NoError(b, err)
			out[i] = got[0]
		}
		require.NoError(b, kd.Sync())
		require.NoError(b, kd.Close())
		sealSeal = encode(b, out)
		var sealedFields int
		for _, se := range sealSeal {
			if privacy.MaySeal(se.Data) {
				sealedFields++
			}
		}
		b.Logf("%d events, %d of them with sealed fields", len(sealSeal), sealedFields)
	})
	return sealPlain, sealSeal, sealKeyDir
}

// BenchmarkDecodeSealing decodes the sealing benchmark's ledger alone, on
// one goroutine: plain, sealed without opening, sealed and opened with the
// key caches warm, and opened with a fresh sealer (every key's cipher made
// once). It reports the process's CPU time per pass too (cpu-ns/op), the
// figure to compare on a loaded machine. Run it with
//
//	go test ./projections -run '^$' -bench DecodeSealing -benchtime 5x -count 2
func BenchmarkDecodeSealing(b *testing.B) {
	plain, sealed, keyDir := sealingLogs(b, 200_000)
	dec := NewDecoder()
	kd, err := privacy.OpenKeyDir(keyDir)
	require.NoError(b, err)
	defer kd.Close()
	warm := dec.Opening(privacy.NewSealer(kd))
	decodeAll := func(d *Decoder, evs []eventstore.Event) {
		for _, se := range evs {
			if _, err := d.Decode(se.Type, se.Data); err != nil {
				b.Fatal(err)
			}
		}
	}
	decodeAll(warm, sealed)
	for _, c := range []struct {
		name string
		run  func()
	}{
		{"plain", func() { decodeAll(dec, plain) }},
		{"sealed-unopened", func() { decodeAll(dec, sealed) }},
		{"sealed-warm", func() { decodeAll(warm, sealed) }},
		{"sealed-cold", func() { decodeAll(dec.Opening(privacy.NewSealer(kd)), sealed) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				c.run()
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
