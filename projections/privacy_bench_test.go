package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"slices"
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
// sealed), interleaved: each iteration folds both, in alternating order,
// after a garbage collection, so that the load other work puts on the
// machine falls on each alike. With sealing on the runner decodes as serve
// configures it: the views keep the sealed values and open nothing (they
// are opened when read: BenchmarkOpenWhenRead), so what sealing costs the
// fold is decoding and keeping longer strings. It reports the events/s of
// each and the ratios to "off" of the wall time and of the process's CPU
// time (user and system, every thread: decoding, folding and the garbage
// collector). Run it with
//
//	go test ./projections -run '^$' -bench ReplaySealing -benchtime 5x -count 3 -timeout 30m
//
// and compare the ratios (docs/performance.md).
func BenchmarkReplaySealing(b *testing.B) {
	const events = 200_000
	plain, sealed, _ := sealingLogs(b, events)
	round := func(stored []eventstore.Event) (wall, cpu time.Duration) {
		r, err := New(&memStore{evs: stored}, Config{})
		require.NoError(b, err)
		runtime.GC()
		cpu0 := cpuTime()
		wall = runToReady(b, r)
		return wall, cpuTime() - cpu0
	}
	b.ReportAllocs()
	var wall, cpu [2]time.Duration
	i := 0
	for b.Loop() {
		for j := range 2 {
			mode := (i + j) % 2 // the first of the two alternates
			w, c := round([][]eventstore.Event{plain, sealed}[mode])
			wall[mode] += w
			cpu[mode] += c
		}
		i++
	}
	const off, on = 0, 1
	b.ReportMetric(float64(events*i)/wall[off].Seconds(), "off-events/s")
	b.ReportMetric(float64(events*i)/wall[on].Seconds(), "on-events/s")
	b.ReportMetric(wall[on].Seconds()/wall[off].Seconds(), "on/off-wall")
	b.ReportMetric(cpu[on].Seconds()/cpu[off].Seconds(), "on/off-cpu")
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

// BenchmarkOpenWhenRead measures what sealing moved from the fold to the
// reads: the timeline answers of 1,000 proposals of the sealing
// benchmark's ledger, encoded as the API encodes them, from views folded
// from the plain log ("plain"), and from the sealed log and opened
// (privacy.Sealer.OpenJSON) by a sealer whose cache already holds their
// keys ("warm") or by a fresh one on the key store, each answer meeting
// its keys for the first time ("cold", a reader after a start). It reports
// the time per answer and the sealed values opened per answer. Run it with
//
//	go test ./projections -run '^$' -bench OpenWhenRead -benchtime 5x -count 2 -timeout 30m
func BenchmarkOpenWhenRead(b *testing.B) {
	plain, sealed, keyDir := sealingLogs(b, 200_000)
	plainViews, sealedViews := foldAll(b, plain), foldAll(b, sealed)
	var ids []string
	for id := range sealedViews.Timeline.stories.mem {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ids = ids[:min(1000, len(ids))]
	answers := func(v *Views) [][]byte {
		out := make([][]byte, len(ids))
		for i, id := range ids { // no require here: its Helper call costs as much as an answer
			story, ok, err := v.Timeline.Of(context.Background(), id, "", 50)
			if err != nil || !ok {
				b.Fatalf("no story %s: %v", id, err)
			}
			if out[i], err = json.Marshal(story); err != nil {
				b.Fatal(err)
			}
		}
		return out
	}
	values := 0
	for _, a := range answers(sealedViews) {
		values += bytes.Count(a, []byte(`"\u0000sealed:v`))
	}
	kd, err := privacy.OpenKeyDir(keyDir)
	require.NoError(b, err)
	defer kd.Close()
	warm := privacy.NewSealer(kd)
	open := func(s *privacy.Sealer, as [][]byte) {
		for _, a := range as {
			out, err := s.OpenJSON(context.Background(), a)
			if err != nil || bytes.Contains(out, []byte(`"\u0000sealed:v`)) {
				b.Fatalf("not opened (%v): %s", err, out)
			}
		}
	}
	open(warm, answers(sealedViews))
	for _, c := range []struct {
		name string
		run  func()
	}{
		{"plain", func() { answers(plainViews) }},
		{"warm", func() { open(warm, answers(sealedViews)) }},
		{"cold", func() { open(privacy.NewSealer(kd), answers(sealedViews)) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.run()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/answer")
			b.ReportMetric(float64(values)/float64(len(ids)), "opened/answer")
			b.ReportMetric(0, "ns/op")
		})
	}
}
