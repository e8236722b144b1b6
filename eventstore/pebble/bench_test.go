package pebble_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
)

// The benchmarks measure the store's own cost per append and per replayed
// event on the real disk under b.TempDir. The workload of the shared peers
// harness, with the raw floor of the disk measured in the same run, is
// ./peersbench; see docs/performance.md.

// benchPayload is a JSON body of about 450 bytes, the peers workload's mean.
var benchPayload = json.RawMessage(fmt.Sprintf(`{"type":"proposal_raised","grid":"grid-7","body":%q}`, strings.Repeat("停车棚夹道乱堆乱放 parking lines ", 14)))

func benchEvents(b *testing.B, n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "proposal.raised.v1", Data: benchPayload}
	}
	return out
}

func benchStore(b *testing.B) *pebble.Store {
	s, err := pebble.Open(b.TempDir())
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	return s
}

// BenchmarkAppend measures durable appends of one event by 1 and 16
// concurrent writers, each on streams of its own, and of 100 events at once.
func BenchmarkAppend(b *testing.B) {
	for _, c := range []struct{ writers, events int }{{1, 1}, {16, 1}, {1, 100}} {
		b.Run(fmt.Sprintf("writers=%d/events=%d", c.writers, c.events), func(b *testing.B) {
			s := benchStore(b)
			ctx := context.Background()
			per := b.N/c.writers + 1
			var wg sync.WaitGroup
			errs := make([]error, c.writers)
			b.SetBytes(int64(len(benchPayload) * c.events))
			b.ResetTimer()
			for w := range c.writers {
				wg.Go(func() {
					for i := range per {
						stream := fmt.Sprintf("proposal-w%d.%d", w, i)
						if _, err := s.Append(ctx, stream, eventstore.NoStream(), benchEvents(b, c.events)...); err != nil {
							errs[w] = err
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			for _, err := range errs {
				require.NoError(b, err)
			}
			b.ReportMetric(float64(per*c.writers*c.events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkReplay reads 20,000 events in global order from a reopened, warm
// store and decodes every body, as a projection rebuild does.
func BenchmarkReplay(b *testing.B) {
	dir := b.TempDir()
	s, err := pebble.Open(dir)
	require.NoError(b, err)
	ctx := context.Background()
	const streams, per = 200, 100
	for i := range streams {
		_, err := s.Append(ctx, fmt.Sprintf("proposal-%d", i), eventstore.NoStream(), benchEvents(b, per)...)
		require.NoError(b, err)
	}
	require.NoError(b, s.Close())
	s, err = pebble.Open(dir)
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	var body map[string]any
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for e, err := range s.ReadAll(ctx, eventstore.ReadAllOptions{}) {
			if err != nil {
				b.Fatal(err)
			}
			if err := json.Unmarshal(e.Data, &body); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != streams*per {
			b.Fatalf("replayed %d events, want %d", n, streams*per)
		}
	}
	b.ReportMetric(float64(b.N*streams*per)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkStreamEnds reads the first event of a long stream (how the
// server finds where an aggregate lives) and asks for its head (a read
// from past the last revision, which must tell "empty" from "no such
// stream"): both should cost the same however long the stream is.
func BenchmarkStreamEnds(b *testing.B) {
	for _, n := range []int{10, 5_000} {
		s := benchStore(b)
		ctx := context.Background()
		for i := 0; i < n; i += 500 {
			_, err := s.Append(ctx, "meeting-long", eventstore.Any(), benchEvents(b, min(500, n-i))...)
			require.NoError(b, err)
		}
		b.Run(fmt.Sprintf("first/events=%d", n), func(b *testing.B) {
			for b.Loop() {
				got := 0
				for _, err := range s.ReadStream(ctx, "meeting-long", eventstore.ReadStreamOptions{Max: 1}) {
					require.NoError(b, err)
					got++
				}
				require.Equal(b, 1, got)
			}
		})
		b.Run(fmt.Sprintf("past-head/events=%d", n), func(b *testing.B) {
			for b.Loop() {
				for _, err := range s.ReadStream(ctx, "meeting-long", eventstore.ReadStreamOptions{From: uint64(n)}) {
					require.NoError(b, err)
				}
			}
		})
	}
}

// BenchmarkFewStreamsOfALongLog reads the events of a few streams out of
// 200,000 by stream prefix, as the token registry does at start: from the
// stream index, the cost follows the matching events, not the log.
func BenchmarkFewStreamsOfALongLog(b *testing.B) {
	dir := b.TempDir()
	s, err := pebble.Open(dir)
	require.NoError(b, err)
	ctx := context.Background()
	for i := range 400 {
		_, err := s.Append(ctx, fmt.Sprintf("proposal-%d", i), eventstore.NoStream(), benchEvents(b, 500)...)
		require.NoError(b, err)
		_, err = s.Append(ctx, fmt.Sprintf("token-%d", i), eventstore.NoStream(), benchEvents(b, 1)...)
		require.NoError(b, err)
	}
	require.NoError(b, s.Close())
	s, err = pebble.Open(dir)
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	f := eventstore.Filter{StreamPrefixes: []string{"token-", "erasure-"}}
	for b.Loop() {
		n := 0
		for _, err := range s.ReadAll(ctx, eventstore.ReadAllOptions{Filter: f}) {
			require.NoError(b, err)
			n++
		}
		require.Equal(b, 400, n)
	}
}
