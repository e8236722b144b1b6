package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/blob/blobtest"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
	"github.com/yishi-civic/yishi/eventstore/pebble"
)

// seedLedger writes a small ledger into a fresh embedded store in dir:
// three streams, interleaved, with metadata and a hash chain.
func seedLedger(t *testing.T, dir string) map[string][]eventstore.EventData {
	t.Helper()
	s, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	streams := map[string][]eventstore.EventData{}
	names := []string{"proposal-a", "meeting-b", "action-c"}
	for i := range 30 {
		name := names[i%len(names)]
		prev := ""
		if evs := streams[name]; len(evs) > 0 {
			prev = evs[len(evs)-1].Metadata.Hash
		}
		e := eventstore.EventData{
			ID:   uuid.Must(uuid.NewV7()),
			Type: "item.recorded.v1",
			Data: json.RawMessage(fmt.Sprintf(`{"n": %d, "text": "邻里小饭桌 %d"}`, i, i)),
			Metadata: eventstore.Metadata{Actor: "grid-worker-3", Role: "facilitator", CorrelationID: fmt.Sprint("corr-", i),
				PrevHash: prev, Hash: fmt.Sprintf("%064x", i+1)},
			Recorded: time.Date(2026, 5, 1, 8, 0, i, 123456789, time.UTC),
		}
		exp := eventstore.NoStream()
		if n := len(streams[name]); n > 0 {
			exp = eventstore.Exact(uint64(n - 1))
		}
		if _, err := s.Append(context.Background(), name, exp, e); err != nil {
			t.Fatal(err)
		}
		streams[name] = append(streams[name], e)
	}
	return streams
}

func runCopy(t *testing.T, from, to string, flags ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"copy", "--from", from, "--to", to}, flags...), blobtest.Getenv, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

func TestCopyEmbeddedToKurrentAndBack(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	want := seedLedger(t, src)
	srv := kurrenttest.MustStart(t)
	// A photo, stored as the service stores it (an opaque object here).
	photos, err := blob.OpenDir(filepath.Join(src, "attachments"))
	if err != nil {
		t.Fatal(err)
	}
	const photo = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if err := photos.Put(context.Background(), photo, []byte("yishi-blob:v1 sealed bytes")); err != nil {
		t.Fatal(err)
	}
	bucket := blobtest.StartFakeS3(t).Bucket(t, "photos")

	out, err := runCopy(t, src, srv.ConnectionString())
	if err != nil || !strings.Contains(out, "attachments not copied") || !strings.Contains(out, "--to-blobs") ||
		!strings.Contains(out, "copied 30 events, skipped 0") || !strings.Contains(out, "check: both stores hold the same 30 events in 3 streams") {
		t.Errorf("a copy to KurrentDB without --to-blobs: %v\n%s", err, out)
	}
	out, err = runCopy(t, src, srv.ConnectionString(), "--to-blobs", bucket)
	if err != nil || !strings.Contains(out, "copied 1 attachments, skipped 0") {
		t.Errorf("copy with the attachments: %v\n%s", err, out)
	}
	// A second run finds everything there.
	out, err = runCopy(t, src, srv.ConnectionString(), "--to-blobs", bucket)
	if err != nil || !strings.Contains(out, "copied 0 events, skipped 30") || !strings.Contains(out, "copied 0 attachments, skipped 1") {
		t.Errorf("second copy: %v\n%s", err, out)
	}

	// Back to a new embedded store that already holds the start of one
	// stream, as an interrupted copy leaves it.
	back := filepath.Join(t.TempDir(), "back")
	partial, err := pebble.Open(back)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := partial.Append(context.Background(), "meeting-b", eventstore.NoStream(), want["meeting-b"][:2]...); err != nil {
		t.Fatal(err)
	}
	partial.Close()
	out, err = runCopy(t, srv.ConnectionString(), back, "--from-blobs", bucket)
	if err != nil || !strings.Contains(out, "copied 28 events, skipped 2") {
		t.Fatalf("copy back: %v\n%s", err, out)
	}
	backPhotos, err := blob.OpenDir(filepath.Join(back, "attachments"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := backPhotos.Get(context.Background(), photo); err != nil || string(got) != "yishi-blob:v1 sealed bytes" {
		t.Errorf("the photo after the round trip: %q, %v", got, err)
	}

	s, err := pebble.Open(back)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var all []eventstore.Event
	for e, err := range s.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	}
	if len(all) != 30 {
		t.Fatalf("round trip holds %d events, want 30", len(all))
	}
	for name, evs := range want {
		var got []eventstore.Event
		for e, err := range s.ReadStream(context.Background(), name, eventstore.ReadStreamOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
		}
		if len(got) != len(evs) {
			t.Fatalf("%s: %d events after the round trip, want %d", name, len(got), len(evs))
		}
		for i, e := range evs {
			g := got[i]
			if g.ID != e.ID || g.Type != e.Type || !bytes.Equal(g.Data, e.Data) || g.Metadata != e.Metadata || g.Revision != uint64(i) || !g.Recorded.Equal(e.Recorded) {
				t.Errorf("%s revision %d after the round trip = %+v, want %+v", name, i, g, e)
			}
		}
	}
}

func TestCopyRefusesDivergedTarget(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	seedLedger(t, src)
	dst := filepath.Join(t.TempDir(), "dst")
	other, err := pebble.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	foreign := eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "item.recorded.v1", Data: json.RawMessage(`{}`)}
	if _, err := other.Append(context.Background(), "proposal-a", eventstore.NoStream(), foreign); err != nil {
		t.Fatal(err)
	}
	other.Close()
	out, err := runCopy(t, src, dst)
	if err == nil || !strings.Contains(err.Error(), "diverged") || !strings.Contains(err.Error(), "proposal-a") {
		t.Errorf("copy onto a diverged target: %v, want an error naming proposal-a\n%s", err, out)
	}
	after, err := pebble.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	n := 0
	for _, err := range after.ReadStream(context.Background(), "proposal-a", eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("the diverged stream has %d events after the refused copy, want the 1 it had", n)
	}
}

func TestCopyNeedsBothStores(t *testing.T) {
	if _, err := runCopy(t, "", "x"); err == nil {
		t.Error("copy without --from succeeded")
	}
}
