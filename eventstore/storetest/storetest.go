// Package storetest is the conformance suite every eventstore.Store backend
// passes. A backend's test calls Run with a constructor for a fresh store and
// the Features it declares; the suite works through the port only, so it runs
// unchanged against the embedded store and against KurrentDB.
//
// Every test uses stream names with a category of its own, so the suite also
// runs against a store that already holds other events (a shared server).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// Features declares what a backend guarantees beyond the common contract.
// Tests that need a feature the backend lacks are skipped with the reason.
type Features struct {
	// Reopen returns a new store on the data of closed, a store the suite
	// has just closed. Nil when the backend cannot reopen the same data.
	Reopen func(t testing.TB, closed eventstore.Store) eventstore.Store
	// GlobalIDs is set when an event id already written anywhere (another
	// stream, or another append of the same stream) is refused with
	// eventstore.ErrDuplicateID rather than written again.
	GlobalIDs bool
	// FilteredCheckpoints is set when a live subscription sends a
	// checkpoint delivery as soon as events its filter drops move the log
	// on.
	FilteredCheckpoints bool
}

// Open makes a fresh store for one test. It registers any cleanup of its own
// resources on t; the suite closes the store.
type Open func(t testing.TB) eventstore.Store

// waitLimit bounds how long a test waits for a delivery before it fails; it
// is a guard against hangs, not a timing assertion.
const waitLimit = 30 * time.Second

// Run runs the whole suite against the stores open makes.
func Run(t *testing.T, features Features, open Open) {
	cases := []struct {
		name string
		test func(t *testing.T, f Features, open Open)
	}{
		{"ExpectedRevision", testExpectedRevision},
		{"AtomicAppend", testAtomicAppend},
		{"IdempotentRetry", testIdempotentRetry},
		{"DuplicateID", testDuplicateID},
		{"ReadStream", testReadStream},
		{"StreamNotFound", testStreamNotFound},
		{"ReadAll", testReadAll},
		{"ReadAt", testReadAt},
		{"SubscribeCatchUpThenLive", testSubscribeCatchUpThenLive},
		{"SubscribeFromCheckpoint", testSubscribeFromCheckpoint},
		{"SubscribeFilters", testSubscribeFilters},
		{"SubscribeFilteredCheckpoints", testSubscribeFilteredCheckpoints},
		{"SubscribeWhileAppending", testSubscribeWhileAppending},
		{"ConcurrentAppendersOneWins", testConcurrentAppenders},
		{"ManyStreams", testManyStreams},
		{"Limits", testLimits},
		{"Invalid", testInvalid},
		{"MetadataRoundTrip", testMetadataRoundTrip},
		{"Reopen", testReopen},
		{"Closed", testClosed},
		{"CloseEndsSubscription", testCloseEndsSubscription},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t, features, open)
		})
	}
}

// fresh opens a store and closes it when the test ends.
func fresh(t *testing.T, open Open) eventstore.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() { _ = s.Close() }) // a test may have closed it already
	return s
}

// category returns a stream category no other test uses.
func category(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return "st" + hex.EncodeToString(b)
}

// streamIn returns a new stream name of category cat.
func streamIn(cat string) string { return cat + "-" + uuid.NewString() }

// ev makes an event of type typ with a fresh UUID v7 and a small JSON body.
func ev(t testing.TB, typ string, n int) eventstore.EventData {
	t.Helper()
	id, err := uuid.NewV7()
	require.NoError(t, err)
	return eventstore.EventData{ID: id, Type: typ, Data: json.RawMessage(fmt.Sprintf(`{"n":%d,"text":"议事 %d"}`, n, n))}
}

// evs makes n events of type typ numbered from first.
func evs(t testing.TB, typ string, first, n int) []eventstore.EventData {
	t.Helper()
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = ev(t, typ, first+i)
	}
	return out
}

// mustAppend appends and fails the test on error.
func mustAppend(t testing.TB, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, events ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), stream, exp, events...)
	require.NoError(t, err, "append to %s expecting %s", stream, exp)
	return res
}

// Collect drains a read into a slice, stopping at the first error, which it
// returns with the events read before it. Backends' own tests use it too.
func Collect(seq iter.Seq2[eventstore.Event, error]) ([]eventstore.Event, error) {
	var out []eventstore.Event
	for e, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// readStream reads a whole stream forwards and fails the test on error.
func readStream(t testing.TB, s eventstore.Store, stream string) []eventstore.Event {
	t.Helper()
	got, err := Collect(s.ReadStream(context.Background(), stream, eventstore.ReadStreamOptions{}))
	require.NoError(t, err, "read %s", stream)
	return got
}

// requireSame checks that got holds exactly the appended events, in order,
// at revisions from first on.
func requireSame(t testing.TB, want []eventstore.EventData, got []eventstore.Event, stream string, first uint64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i, e := range got {
		require.Equal(t, want[i].ID, e.ID, "event %d", i)
		require.Equal(t, want[i].Type, e.Type, "event %d", i)
		require.JSONEq(t, string(want[i].Data), string(e.Data), "event %d", i)
		require.Equal(t, stream, e.Stream, "event %d", i)
		require.Equal(t, first+uint64(i), e.Revision, "event %d", i)
		if i > 0 {
			require.Greater(t, e.Position, got[i-1].Position, "event %d", i)
		}
	}
}

func ids(events []eventstore.Event) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func dataIDs(events []eventstore.EventData) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}
