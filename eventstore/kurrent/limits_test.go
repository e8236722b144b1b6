package kurrent_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// TestEventSizeRefusalIsTooLarge covers a node from 25.0 on whose
// MaxAppendEventSize an event exceeds: it refuses the append with its own
// exception and message, which must read as the same ErrTooLarge as the
// refusal of a whole append.
func TestEventSizeRefusalIsTooLarge(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	srv.SetLimits(kurrenttest.Limits{MaxAppendSize: kurrenttest.LimitsFrom25_1.MaxAppendSize, MaxAppendEventSize: 4 << 10})
	s := mustOpen(t, srv)
	e := event("proposal.submitted.v1", 1)
	e.Data = json.RawMessage(`"` + strings.Repeat("x", 5<<10) + `"`)
	_, err := s.Append(context.Background(), "proposal-big", eventstore.NoStream(), e)
	if !errors.Is(err, eventstore.ErrTooLarge) {
		t.Fatalf("append of an event over the node's event limit: %v, want ErrTooLarge", err)
	}
	for _, err := range s.ReadStream(context.Background(), "proposal-big", eventstore.ReadStreamOptions{}) {
		if !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Errorf("read after the refusal: %v, want ErrStreamNotFound", err)
		}
	}
}

// TestAppendCountedAsTheServerCounts sends an append that the port's own
// limits let through (data and metadata under 900 KiB) but that a node up to
// 25.0 counts over its 1 MiB (the metadata's JSON and twice each type
// count too). The adapter refuses it as the node would, without sending it.
func TestAppendCountedAsTheServerCounts(t *testing.T) {
	srv := kurrenttest.MustStart(t) // the limits of a node up to 25.0
	s := mustOpen(t, srv)
	typ := strings.Repeat("a", eventstore.MaxTypeLen-3) + ".v1"
	events := make([]eventstore.EventData, eventstore.MaxAppendEvents)
	for i := range events {
		events[i] = event(typ, i)
		events[i].Data = json.RawMessage(`"` + strings.Repeat("x", 800) + `"`)
	}
	if err := eventstore.ValidateAppend("bulk-1", events); err != nil {
		t.Fatalf("the port's own limits refuse the append: %v", err)
	}
	before := srv.Appends()
	_, err := s.Append(context.Background(), "bulk-1", eventstore.NoStream(), events...)
	if !errors.Is(err, eventstore.ErrTooLarge) {
		t.Fatalf("append over 1 MiB as KurrentDB counts: %v, want ErrTooLarge", err)
	}
	if n := srv.Appends() - before; n != 0 {
		t.Errorf("the adapter sent %d oversized appends to the node, want none", n)
	}

	// Half of it is well within the limit on every version.
	mustAppend(t, s, "bulk-1", eventstore.NoStream(), events[:eventstore.MaxAppendEvents/2]...)
}
