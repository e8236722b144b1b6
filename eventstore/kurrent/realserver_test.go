package kurrent_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/eventstore/storetest"
)

// These tests run only against a real KurrentDB node or cluster, named by
// YISHI_KURRENTDB_URL (the hosted CI workflow .github/workflows/kurrentdb.yml
// sets it): they check what the in-process test server cannot settle
// (docs/kurrentdb.md, "What only a real server can settle").

// realServer returns YISHI_KURRENTDB_URL or skips the test.
func realServer(t *testing.T) string {
	t.Helper()
	url := os.Getenv("YISHI_KURRENTDB_URL")
	if url == "" {
		t.Skip("YISHI_KURRENTDB_URL is not set: no real KurrentDB server to test against (the hosted CI workflow kurrentdb.yml runs these)")
	}
	return url
}

// openReal opens the adapter on url and closes it when the test ends.
func openReal(t *testing.T, url string) *kurrent.Store {
	t.Helper()
	s, err := kurrent.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open %s: %v", kurrent.Redact(url), err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// realCategory returns a stream category no other run uses, so that the
// tests run on a server that holds other data.
func realCategory() string { return "rt" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12] }

// realPatience bounds the waits of a test that restarts real nodes: a
// node's start or a cluster's election takes seconds.
const realPatience = 2 * time.Minute

// TestRealServerRestarts runs, one after another, the shell commands in
// YISHI_KURRENTDB_RESTART (separated by ";"), each of which restarts a node
// and returns once it has (docker restart does; for a cluster, one command
// per node, so that the leader is restarted too and another is elected). After each, an append with the exact expected
// revision must succeed once the node or the new leader serves, exactly
// once, and the subscription that was running must deliver it.
func TestRealServerRestarts(t *testing.T) {
	url := realServer(t)
	restarts := os.Getenv("YISHI_KURRENTDB_RESTART")
	if restarts == "" {
		t.Skip("YISHI_KURRENTDB_RESTART is not set: no command to restart the real nodes with")
	}
	s := openReal(t, url)
	stream := realCategory() + "-1"
	sub := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{stream}}})
	want := []eventstore.EventData{event("proposal.submitted.v1", 0)}
	mustAppend(t, s, stream, eventstore.NoStream(), want[0])
	got, _ := sub.events(1)
	sameIDs(t, "before the restarts", got, want)

	for i, cmd := range strings.Split(restarts, ";") {
		if out, err := exec.Command("sh", "-c", cmd).CombinedOutput(); err != nil {
			t.Fatalf("restart command %q: %v\n%s", cmd, err, out)
		}
		e := event("proposal.supported.v1", i+1)
		appendWithin(t, realPatience, s, stream, eventstore.Exact(uint64(i)), e)
		want = append(want, e)
		got, _ := sub.events(1)
		sameIDs(t, "after restart "+cmd, got, want[len(want)-1:])
	}
	deadline := time.Now().Add(realPatience)
	for {
		read, err := storetest.Collect(s.ReadStream(context.Background(), stream, eventstore.ReadStreamOptions{}))
		if err == nil {
			sameIDs(t, "the stream after every restart", read, want)
			return
		}
		if !errors.Is(err, eventstore.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("read back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRealServerIdleSubscription keeps a subscription idle for longer than
// a real server lets a connection without calls live by default (gRPC's
// keepalive enforcement: GOAWAY after about 30 s of pings it thinks too
// frequent), then checks that it still delivers.
func TestRealServerIdleSubscription(t *testing.T) {
	url := realServer(t)
	if testing.Short() {
		t.Skip("idles 40 s; skipped with -short")
	}
	s := openReal(t, url)
	stream := realCategory() + "-1"
	sub := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{stream}}})
	sub.untilCaughtUp()
	time.Sleep(40 * time.Second)
	e := event("proposal.submitted.v1", 1)
	mustAppend(t, s, stream, eventstore.NoStream(), e)
	got, _ := sub.events(1)
	sameIDs(t, "after 40 s idle", got, []eventstore.EventData{e})
}

// TestRealServerTLSRefusesWrongPassword runs against a secure node whose
// connection string carries credentials: the same string with another
// password must be refused as access denied.
func TestRealServerTLSRefusesWrongPassword(t *testing.T) {
	url := realServer(t)
	cfg, err := kurrent.ParseConnectionString(url)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DisableTLS || cfg.Password == "" {
		t.Skip("YISHI_KURRENTDB_URL names no secure node with credentials")
	}
	wrong := strings.Replace(url, ":"+cfg.Password+"@", ":not-"+cfg.Password+"@", 1)
	if _, err := kurrent.Open(context.Background(), wrong); !errors.Is(err, eventstore.ErrAccessDenied) {
		t.Errorf("open with a wrong password: %v, want ErrAccessDenied", err)
	}
}
