package kurrent_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
	"github.com/yishi-civic/yishi/eventstore/storetest"
)

// features is what the adapter declares to the conformance suite, on the
// test server and on a real node alike. KurrentDB keeps event ids per stream
// (GlobalIDs false) and sends checkpoints every search window of filtered
// records, not for each one (FilteredCheckpoints false).
func features(urls *sync.Map) storetest.Features {
	return storetest.Features{
		Reopen: func(t testing.TB, closed eventstore.Store) eventstore.Store {
			url, ok := urls.Load(closed)
			if !ok {
				t.Fatal("reopen: store not opened by this test")
			}
			return openURL(t, urls, url.(string))
		},
	}
}

// openURL opens the adapter on url and remembers url for Reopen.
func openURL(t testing.TB, urls *sync.Map, url string) eventstore.Store {
	t.Helper()
	s, err := kurrent.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open %s: %v", kurrent.Redact(url), err)
	}
	urls.Store(s, url)
	return s
}

// replicationDelay is how long the test server keeps each append waiting
// for its replication in the conformance suite, so that the suite's
// concurrent retries meet KurrentDB's not-ready window as on a real node.
const replicationDelay = 5 * time.Millisecond

// TestConformance runs the store's conformance suite against the adapter on
// the in-process protocol server, one server per test.
func TestConformance(t *testing.T) {
	var urls sync.Map
	storetest.Run(t, features(&urls), func(t testing.TB) eventstore.Store {
		srv := kurrenttest.MustStart(t)
		srv.SetReplicationDelay(replicationDelay)
		return openURL(t, &urls, srv.ConnectionString())
	})
}

// TestConformanceRealServer runs the suite against a real KurrentDB node or
// cluster named by YISHI_KURRENTDB_URL (for example
// kurrentdb://localhost:2113?tls=false with `docker compose up kurrentdb`).
// The suite's streams have categories of their own, so the server may hold
// other data.
func TestConformanceRealServer(t *testing.T) {
	url := os.Getenv("YISHI_KURRENTDB_URL")
	if url == "" {
		t.Skip("YISHI_KURRENTDB_URL is not set: no real KurrentDB server to run the conformance suite against (try kurrentdb://localhost:2113?tls=false after `docker compose up -d kurrentdb`)")
	}
	var urls sync.Map
	storetest.Run(t, features(&urls), func(t testing.TB) eventstore.Store {
		return openURL(t, &urls, url)
	})
}
