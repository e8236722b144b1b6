package kurrent_test

import (
	"context"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// waitUntil polls cond until it holds, failing the test after patience.
func waitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRetryWhileOriginalInFlight sends an append again while the first send
// is written but not yet replicated. KurrentDB drops such a repeat
// ("idempotent, not ready") and answers it Aborted after its prepare
// timeout; the adapter must send it again and get the first write's result,
// not report the store unavailable.
func TestRetryWhileOriginalInFlight(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	srv.SetPrepareTimeout(500 * time.Millisecond)
	s := mustOpen(t, srv)
	ctx := context.Background()
	batch := []eventstore.EventData{event("vote.cast.v1", 1), event("vote.cast.v1", 2)}
	type result struct {
		res eventstore.AppendResult
		err error
	}
	send := func() <-chan result {
		out := make(chan result, 1)
		go func() {
			res, err := s.Append(ctx, "vote-r", eventstore.NoStream(), batch...)
			out <- result{res, err}
		}()
		return out
	}

	release := srv.HoldReplication()
	defer release()
	first := send()
	waitUntil(t, "the first send waits for replication", func() bool { return srv.Pending() == 1 })
	retry := send()
	waitUntil(t, "the server drops the retry as not ready", func() bool { return srv.NotReady() >= 1 })
	release()

	a, b := <-first, <-retry
	if a.err != nil || b.err != nil {
		t.Fatalf("first send: %v; retry while it was in flight: %v; want both to succeed", a.err, b.err)
	}
	if a.res != b.res {
		t.Errorf("retry answered %+v, want the first write's result %+v", b.res, a.res)
	}
	got := collect(t, s.ReadStream(ctx, "vote-r", eventstore.ReadStreamOptions{}))
	if len(got) != len(batch) {
		t.Errorf("stream holds %d events after the retry, want %d", len(got), len(batch))
	}
}
