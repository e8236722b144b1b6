package kurrent_test

import (
	"context"
	"errors"
	"testing"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// TestDiskFullIsErrDiskFull: a node that refuses an append because its
// disk is full (as the test server does when told to) reads as
// eventstore.ErrDiskFull, which the HTTP layer answers 507 as it does for
// the embedded store; reads go on, and appends resume once there is room.
func TestDiskFullIsErrDiskFull(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	ctx := context.Background()
	if _, err := s.Append(ctx, "proposal-a", eventstore.NoStream(), event("proposal.submitted.v1", 1)); err != nil {
		t.Fatal(err)
	}
	srv.SetDiskFull(true)
	_, err := s.Append(ctx, "proposal-b", eventstore.NoStream(), event("proposal.submitted.v1", 2))
	if !errors.Is(err, eventstore.ErrDiskFull) {
		t.Fatalf("append on a full disk: %v, want ErrDiskFull", err)
	}
	n := 0
	for _, err := range s.ReadStream(ctx, "proposal-a", eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatalf("read on a full disk: %v", err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("read %d events on a full disk, want 1", n)
	}
	srv.SetDiskFull(false)
	if _, err := s.Append(ctx, "proposal-b", eventstore.NoStream(), event("proposal.submitted.v1", 2)); err != nil {
		t.Fatalf("append once there is room: %v", err)
	}
}
