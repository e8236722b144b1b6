package kurrent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// mustOpen opens the adapter on srv and closes it when the test ends.
func mustOpen(tb testing.TB, srv *kurrenttest.Server) *kurrent.Store {
	tb.Helper()
	s, err := kurrent.Open(context.Background(), srv.ConnectionString())
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s
}

// event returns an event of type t with data {"n": n}.
func event(typ string, n int) eventstore.EventData {
	return eventstore.EventData{
		ID:       uuid.Must(uuid.NewV7()),
		Type:     typ,
		Data:     json.RawMessage(fmt.Sprintf(`{"n":%d}`, n)),
		Metadata: eventstore.Metadata{Actor: "grid-worker-7", Role: "facilitator", CorrelationID: "c1", PrevHash: "ab", Hash: fmt.Sprintf("h%d", n)},
	}
}

func mustAppend(tb testing.TB, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, events ...eventstore.EventData) eventstore.AppendResult {
	tb.Helper()
	res, err := s.Append(context.Background(), stream, exp, events...)
	if err != nil {
		tb.Fatalf("append to %s: %v", stream, err)
	}
	return res
}

func collect[T any](tb testing.TB, seq func(func(T, error) bool)) []T {
	tb.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			tb.Fatalf("iterate: %v", err)
		}
		out = append(out, v)
	}
	return out
}

func TestAppendAndReadBack(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	ctx := context.Background()
	e1, e2 := event("proposal.submitted.v1", 1), event("proposal.supported.v1", 2)
	res := mustAppend(t, s, "proposal-1", eventstore.NoStream(), e1, e2)
	if res.NextRevision != 1 || res.Position == eventstore.Start {
		t.Fatalf("append result = %+v, want revision 1 and a position", res)
	}
	got := collect(t, s.ReadStream(ctx, "proposal-1", eventstore.ReadStreamOptions{}))
	if len(got) != 2 || got[0].ID != e1.ID || got[1].ID != e2.ID {
		t.Fatalf("read stream = %+v, want both events in order", got)
	}
	if got[1].Position != res.Position || got[0].Position >= got[1].Position {
		t.Errorf("positions %d, %d; append said %d", got[0].Position, got[1].Position, res.Position)
	}
	if got[0].Metadata != e1.Metadata || string(got[0].Data) != string(e1.Data) || got[0].Type != e1.Type {
		t.Errorf("event 0 = %+v, want what was appended %+v", got[0], e1)
	}
	if time.Since(got[0].Recorded) > time.Hour || got[0].Recorded.Location() != time.UTC {
		t.Errorf("recorded = %v, want a recent UTC time", got[0].Recorded)
	}
	back := collect(t, s.ReadStream(ctx, "proposal-1", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.LastRevision, Max: 1}))
	if len(back) != 1 || back[0].ID != e2.ID {
		t.Errorf("backwards read = %+v, want the newest event", back)
	}

	// $all leaves out the node's system events and reads both ways.
	all := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{}))
	if len(all) != 2 || all[0].ID != e1.ID {
		t.Fatalf("read $all = %+v, want the two events only", all)
	}
	rev := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End}))
	if len(rev) != 2 || rev[0].ID != e2.ID {
		t.Errorf("read $all backwards = %+v, want newest first", rev)
	}
	from := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: all[0].Position}))
	if len(from) != 1 || from[0].ID != e1.ID {
		t.Errorf("read $all backwards from the first event = %+v, want that event (inclusive)", from)
	}
	fwd := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{From: all[1].Position}))
	if len(fwd) != 1 || fwd[0].ID != e2.ID {
		t.Errorf("read $all from the second event = %+v, want that event (inclusive)", fwd)
	}
}

func TestWrongRevisionCarriesActual(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	mustAppend(t, s, "meeting-1", eventstore.NoStream(), event("meeting.scheduled.v1", 1), event("meeting.opened.v1", 2))
	_, err := s.Append(context.Background(), "meeting-1", eventstore.Exact(0), event("meeting.adjourned.v1", 3))
	var wr *eventstore.WrongRevisionError
	if !errors.As(err, &wr) || wr.Actual != 1 || !errors.Is(err, eventstore.ErrWrongRevision) {
		t.Fatalf("append at stale revision: %v, want WrongRevisionError with actual 1", err)
	}
	_, err = s.Append(context.Background(), "meeting-2", eventstore.StreamExists(), event("meeting.opened.v1", 1))
	if !errors.As(err, &wr) || wr.Actual != -1 {
		t.Fatalf("append expecting a missing stream: %v, want actual -1", err)
	}
}

func TestRetriedAppendIsIdempotent(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	evs := []eventstore.EventData{event("vote.cast.v1", 1), event("vote.cast.v1", 2)}
	first := mustAppend(t, s, "vote-1", eventstore.NoStream(), evs...)
	again := mustAppend(t, s, "vote-1", eventstore.NoStream(), evs...)
	if again != first {
		t.Errorf("retried append = %+v, want the original result %+v", again, first)
	}
	if n := len(collect(t, s.ReadStream(context.Background(), "vote-1", eventstore.ReadStreamOptions{}))); n != 2 {
		t.Errorf("stream has %d events after a retry, want 2", n)
	}
}

func TestErrorsTranslated(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	ctx := context.Background()
	for _, err := range s.ReadStream(ctx, "proposal-none", eventstore.ReadStreamOptions{}) {
		if !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Errorf("read of a missing stream: %v, want ErrStreamNotFound", err)
		}
	}
	mustAppend(t, s, "action-1", eventstore.NoStream(), event("action.assigned.v1", 1))

	// A tombstone written by another client makes the stream deleted.
	raw := rawClient(t, srv)
	if _, err := raw.TombstoneStream(ctx, "action-1", esdb.TombstoneStreamOptions{ExpectedRevision: esdb.Any{}}); err != nil {
		t.Fatalf("tombstone: %v", err)
	}
	if _, err := s.Append(ctx, "action-1", eventstore.Any(), event("action.completed.v1", 2)); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Errorf("append to a tombstoned stream: %v, want ErrStreamDeleted", err)
	}
	for _, err := range s.ReadStream(ctx, "action-1", eventstore.ReadStreamOptions{}) {
		if !errors.Is(err, eventstore.ErrStreamDeleted) {
			t.Errorf("read of a tombstoned stream: %v, want ErrStreamDeleted", err)
		}
	}
	if _, err := s.Append(ctx, "Bad Name", eventstore.Any(), event("action.completed.v1", 2)); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("append to a malformed stream name: %v, want ErrInvalid", err)
	}

	srv.Stop()
	if _, err := s.Append(ctx, "action-2", eventstore.Any(), event("action.assigned.v1", 1)); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Errorf("append with the server gone: %v, want ErrUnavailable", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "action-2", eventstore.Any(), event("action.assigned.v1", 1)); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("append after close: %v, want ErrClosed", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = kurrent.Open(context.Background(), "kurrentdb://"+addr+"?tls=false&maxDiscoverAttempts=2&discoveryInterval=10")
	if !errors.Is(err, eventstore.ErrUnavailable) {
		t.Errorf("open of a closed port: %v, want ErrUnavailable", err)
	}
}

func TestParseConnectionString(t *testing.T) {
	cfg, err := kurrent.ParseConnectionString("kurrentdb://admin:changeit@host1:2113,host2:2113,host3:2113?tls=true&tlsVerifyCert=false&nodePreference=leader")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.GossipSeeds) != 3 || cfg.GossipSeeds[2].Host != "host3" || cfg.GossipSeeds[2].Port != 2113 {
		t.Errorf("gossip seeds = %v, want host1..3:2113", cfg.GossipSeeds)
	}
	if cfg.Username != "admin" || cfg.Password != "changeit" || cfg.DisableTLS || !cfg.SkipCertificateVerification {
		t.Errorf("config = %+v, want credentials, TLS on, no verification", cfg)
	}
	single, err := kurrent.ParseConnectionString("kdb://localhost:2113?tls=false")
	if err != nil || single.Address != "localhost:2113" || !single.DisableTLS {
		t.Errorf("single node: %+v, %v", single, err)
	}
	_, err = kurrent.ParseConnectionString("kurrentdb://admin:s3cret@host1:abc?tls=false")
	if !errors.Is(err, eventstore.ErrInvalid) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("malformed string: %v, want ErrInvalid without the password", err)
	}
	// The client makes a defaultDeadline it cannot read into 0, and then
	// every call fails at once: such strings are refused.
	for _, d := range []string{"0", "-5", "abc", "1.5", ""} {
		_, err := kurrent.ParseConnectionString("kurrentdb://host1:2113?tls=false&defaultDeadline=" + d)
		if !errors.Is(err, eventstore.ErrInvalid) || !strings.Contains(err.Error(), "defaultDeadline") {
			t.Errorf("defaultDeadline=%q: %v, want ErrInvalid naming defaultDeadline", d, err)
		}
	}
	if cfg, err := kurrent.ParseConnectionString("kurrentdb://host1:2113?tls=false&defaultDeadline=2500"); err != nil || *cfg.DefaultDeadline != 2500*time.Millisecond {
		t.Errorf("defaultDeadline=2500: %+v, %v, want 2.5 s", cfg, err)
	}
	// Credentials travel only over TLS: with tls=false the client would
	// leave them out without a word.
	_, err = kurrent.ParseConnectionString("kurrentdb://admin:s3cret@host1:2113?tls=false")
	if !errors.Is(err, eventstore.ErrInvalid) || !strings.Contains(err.Error(), "only sent over TLS") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("credentials with tls=false: %v, want ErrInvalid saying credentials need TLS, without the password", err)
	}
	if _, err := kurrent.ParseConnectionString("postgres://x"); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("foreign scheme: %v, want ErrInvalid", err)
	}
	if got := kurrent.Redact("kurrentdb://admin:s3cret@h:2113?tls=true"); strings.Contains(got, "s3cret") {
		t.Errorf("Redact = %q, still has the password", got)
	}
	if !kurrent.IsConnectionString("esdb+discover://cluster.example") || kurrent.IsConnectionString("./data") {
		t.Error("IsConnectionString mistakes a scheme or a directory")
	}
}

func TestTLSAndCredentials(t *testing.T) {
	srv := kurrenttest.New()
	if err := srv.Secure(t.TempDir(), "admin", "changeit"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)

	s := mustOpen(t, srv) // TLS verified against the CA file, with credentials
	e := event("proposal.submitted.v1", 1)
	mustAppend(t, s, "proposal-tls", eventstore.NoStream(), e)
	got := collect(t, s.ReadStream(context.Background(), "proposal-tls", eventstore.ReadStreamOptions{}))
	if len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("read over TLS = %+v", got)
	}

	wrong := strings.Replace(srv.ConnectionString(), "changeit", "wrong", 1)
	if _, err := kurrent.Open(context.Background(), wrong); !errors.Is(err, eventstore.ErrAccessDenied) {
		t.Errorf("open with a wrong password: %v, want ErrAccessDenied", err)
	}
	if _, err := kurrent.Open(context.Background(), "kurrentdb://"+srv.Addr()+"?tls=false&maxDiscoverAttempts=1"); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Errorf("open without TLS: %v, want ErrUnavailable", err)
	}
}
