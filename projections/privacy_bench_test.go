package projections

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/privacy"
)

// BenchmarkReplaySealing folds the same generated ledger through the
// runner twice per round, side by side: stored plain (encryption off) and
// with every personal field sealed (encryption on, keys in an embedded
// key store opened fresh each round, so loading the keys counts). Run it
// with
//
//	go test ./projections -run '^$' -bench ReplaySealing -benchtime 3x -count 3 -timeout 30m
//
// and compare the events/s of the two sub-benchmarks (docs/performance.md).
func BenchmarkReplaySealing(b *testing.B) {
	const events = 200_000
	plain, sealed, keyDir := sealingLogs(b, events)
	for _, c := range []struct {
		name   string
		stored []eventstore.Event
		sealed bool
	}{{"off", plain, false}, {"on", sealed, true}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			store := &memStore{evs: c.stored}
			var folded float64
			for b.Loop() {
				cfg := Config{}
				var kd *privacy.KeyDir
				if c.sealed {
					var err error
					kd, err = privacy.OpenKeyDir(keyDir)
					require.NoError(b, err)
					cfg.Decode = privacy.NewSealer(kd).Decoder(NewDecoder().Decode)
				}
				r, err := New(store, cfg)
				require.NoError(b, err)
				took := runToReady(b, r)
				folded += float64(len(c.stored)) / took.Seconds()
				if kd != nil {
					require.NoError(b, kd.Close())
				}
			}
			b.ReportMetric(folded/float64(b.N), "events/s")
		})
	}
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
