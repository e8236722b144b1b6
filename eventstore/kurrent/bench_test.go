package kurrent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// The benchmarks run the adapter and, for comparison, the bare v4 client
// against the in-process protocol server, so the server's own cost is in
// both: the difference is the adapter's. cpu-ns/op is the process's user
// plus system CPU time per operation (client, adapter and server together).
//
//	go test -run '^$' -bench . -benchmem ./eventstore/kurrent/

// cpuTime returns the process's user plus system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCPU runs f and reports its CPU time per operation.
func measureCPU(b *testing.B, f func()) {
	b.ReportAllocs()
	start := cpuTime(b)
	b.ResetTimer()
	f()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// benchEvent is a typical small Yishi event with a full envelope.
func benchEvent(i int) eventstore.EventData {
	return eventstore.EventData{
		ID:   uuid.Must(uuid.NewV7()),
		Type: "proposal.supported.v1",
		Data: json.RawMessage(fmt.Sprintf(`{"proposal_id":"0190b7c1-5e2a-7c4d-9f00-3c1a2b4d5e6f","resident":"r-%d","note":"附议：停车棚夹道需要清理"}`, i)),
		Metadata: eventstore.Metadata{
			Actor: "resident-42", Role: "resident",
			CorrelationID: "0190b7c1-0000-7000-8000-000000000001", CausationID: "0190b7c1-0000-7000-8000-000000000002",
			PrevHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Hash:     "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
		},
	}
}

// rawClient returns the bare client on srv, closed when the test ends.
func rawClient(tb testing.TB, srv *kurrenttest.Server) *esdb.Client {
	tb.Helper()
	cfg, err := esdb.ParseConnectionString("esdb://" + srv.Addr() + "?tls=false")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func toClientEvent(e eventstore.EventData) esdb.EventData {
	meta, _ := json.Marshal(e.Metadata)
	return esdb.EventData{EventID: e.ID, EventType: e.Type, ContentType: esdb.ContentTypeJson, Data: e.Data, Metadata: meta}
}

// BenchmarkAppend appends one event per operation to its own stream with an
// exact expected revision, as the application layer does.
func BenchmarkAppend(b *testing.B) {
	b.Run("adapter", func(b *testing.B) {
		s := mustOpen(b, kurrenttest.MustStart(b))
		events := make([]eventstore.EventData, b.N)
		for i := range events {
			events[i] = benchEvent(i)
		}
		ctx := context.Background()
		measureCPU(b, func() {
			for i := range b.N {
				exp := eventstore.NoStream()
				if i > 0 {
					exp = eventstore.Exact(uint64(i - 1))
				}
				if _, err := s.Append(ctx, "proposal-bench", exp, events[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("client", func(b *testing.B) {
		c := rawClient(b, kurrenttest.MustStart(b))
		events := make([]esdb.EventData, b.N)
		for i := range events {
			events[i] = toClientEvent(benchEvent(i))
		}
		ctx := context.Background()
		measureCPU(b, func() {
			for i := range b.N {
				var exp esdb.ExpectedRevision = esdb.NoStream{}
				if i > 0 {
					exp = esdb.Revision(uint64(i - 1))
				}
				if _, err := c.AppendToStream(ctx, "proposal-bench", esdb.AppendToStreamOptions{ExpectedRevision: exp}, events[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// fill writes n events in batches of 100 through the adapter.
func fill(b *testing.B, s eventstore.Store, n int) {
	b.Helper()
	for i := 0; i < n; i += 100 {
		batch := make([]eventstore.EventData, min(100, n-i))
		for j := range batch {
			batch[j] = benchEvent(i + j)
		}
		if _, err := s.Append(context.Background(), fmt.Sprintf("proposal-%d", i/100), eventstore.NoStream(), batch...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliver measures a catch-up subscription to $all delivering b.N
// stored events, per delivered event.
func BenchmarkDeliver(b *testing.B) {
	b.Run("adapter", func(b *testing.B) {
		s := mustOpen(b, kurrenttest.MustStart(b))
		fill(b, s, b.N)
		measureCPU(b, func() {
			n := 0
			for d, err := range s.Subscribe(context.Background(), eventstore.SubscribeOptions{}) {
				if err != nil {
					b.Fatal(err)
				}
				if d.Event != nil {
					n++
				}
				if d.CaughtUp {
					break
				}
			}
			if n != b.N {
				b.Fatalf("delivered %d events, want %d", n, b.N)
			}
		})
	})
	b.Run("client", func(b *testing.B) {
		srv := kurrenttest.MustStart(b)
		fill(b, mustOpen(b, srv), b.N)
		c := rawClient(b, srv)
		measureCPU(b, func() {
			sub, err := c.SubscribeToAll(context.Background(), esdb.SubscribeToAllOptions{From: esdb.Start{}, Filter: esdb.ExcludeSystemEventsFilter()})
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Close()
			n := 0
			for {
				ev := sub.Recv()
				if ev.SubscriptionDropped != nil {
					b.Fatal(ev.SubscriptionDropped.Error)
				}
				if ev.EventAppeared != nil {
					n++
				}
				if ev.CaughtUp != nil {
					break
				}
			}
			if n != b.N {
				b.Fatalf("delivered %d events, want %d", n, b.N)
			}
		})
	})
}
