package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// writerFunc is an io.Writer made of a function.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestOpenStoreWaitsForKurrentDB starts serve's store before its KurrentDB
// node answers, as compose does when /health/live answers before the node
// (or its cluster's leader) serves: with --store-wait it tries again until
// the node is there; without, it fails at once.
func TestOpenStoreWaitsForKurrentDB(t *testing.T) {
	srv := kurrenttest.New()
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	srv.Stop() // the address is known; nothing answers on it yet
	t.Cleanup(srv.Stop)
	spec := "kurrentdb://" + srv.Addr() + "?tls=false&maxDiscoverAttempts=1"
	ctx := context.Background()

	if _, _, err := openStoreWaiting(ctx, spec, 0, slog.New(slog.DiscardHandler)); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("open without a wait: %v, want ErrUnavailable at once", err)
	}

	// The node starts when the first retry is logged, so at least one
	// attempt has failed before one succeeds.
	var once sync.Once
	retries := 0
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		retries++
		once.Do(func() {
			if err := srv.Restart(); err != nil {
				t.Errorf("start the node: %v", err)
			}
		})
		return len(p), nil
	}), nil))
	s, _, err := openStoreWaiting(ctx, spec, time.Minute, log)
	if err != nil {
		t.Fatalf("open with a wait: %v", err)
	}
	defer s.Close()
	if retries == 0 {
		t.Error("the store opened without a retry: the test did not wait for anything")
	}
	if _, err := s.Append(ctx, "proposal-w", eventstore.NoStream(), eventstore.EventData{ID: [16]byte{1}, Type: "proposal.submitted.v1", Data: []byte(`{}`)}); err != nil {
		t.Errorf("append after the wait: %v", err)
	}
}
