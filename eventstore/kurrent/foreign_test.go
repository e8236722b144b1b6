package kurrent_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// TestForeignEventsSkipped shares the server with another application that
// writes to streams of its own, not starting with $, with metadata that is
// not JSON and data that is not JSON. Subscriptions and reads of $all must
// leave those events out, log them and count them, and go on delivering
// Yishi's events after them.
func TestForeignEventsSkipped(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	// The store logs from the subscription's goroutine before it delivers
	// the event after the foreign ones, and from ReadAll in this one: the
	// buffer is read after both.
	var logs bytes.Buffer
	s.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()

	before := event("proposal.submitted.v1", 1)
	mustAppend(t, s, "proposal-n", eventstore.NoStream(), before)
	sub := subscribe(t, s, eventstore.SubscribeOptions{})
	sameIDs(t, "before the neighbour writes", sub.untilCaughtUp(), []eventstore.EventData{before})

	neighbour := rawClient(t, srv)
	foreign := []esdb.EventData{
		{EventID: uuid.New(), EventType: "OrderPlaced", ContentType: esdb.ContentTypeJson, Data: []byte(`{"sku":1}`), Metadata: []byte("trace=abc;v=2")},
		{EventID: uuid.New(), EventType: "proposal.submitted.v1", ContentType: esdb.ContentTypeBinary, Data: []byte{0xff, 0x00}},
	}
	if _, err := neighbour.AppendToStream(ctx, "orders-1", esdb.AppendToStreamOptions{}, foreign...); err != nil {
		t.Fatalf("the neighbour's append: %v", err)
	}
	after := event("proposal.triaged.v1", 2)
	mustAppend(t, s, "proposal-n", eventstore.Exact(0), after)

	got, _ := sub.events(1)
	sameIDs(t, "subscription after the neighbour's events", got, []eventstore.EventData{after})
	all := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{}))
	sameIDs(t, "read of $all", all, []eventstore.EventData{before, after})

	// Each foreign event was skipped twice: by the subscription and by the read.
	if n := s.ForeignEvents(); n != 4 {
		t.Errorf("ForeignEvents = %d, want 4", n)
	}
	if out := logs.String(); !strings.Contains(out, "stream=orders-1") || !strings.Contains(out, foreign[0].EventID.String()) {
		t.Errorf("log does not name the skipped event:\n%s", out)
	}
}
