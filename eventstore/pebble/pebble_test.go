package pebble_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/eventstore/storetest"
)

// dirs remembers each test store's data directory, so that the suite can
// reopen it.
var dirs sync.Map // eventstore.Store → string

// MustOpen opens a store in a fresh temporary directory.
func MustOpen(t testing.TB) eventstore.Store {
	t.Helper()
	return mustOpenIn(t, t.TempDir())
}

func mustOpenIn(t testing.TB, dir string) eventstore.Store {
	t.Helper()
	s, err := pebble.Open(dir)
	require.NoError(t, err)
	dirs.Store(s, dir)
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Features{
		Reopen: func(t testing.TB, closed eventstore.Store) eventstore.Store {
			dir, ok := dirs.Load(closed)
			require.True(t, ok, "not a store of this test")
			return mustOpenIn(t, dir.(string))
		},
		GlobalIDs:           true,
		FilteredCheckpoints: true,
	}, MustOpen)
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	s, err := pebble.Open(dir)
	require.NoError(t, err)
	_, err = pebble.Open(dir)
	require.ErrorIs(t, err, eventstore.ErrLocked)
	require.NoError(t, s.Close())
	s, err = pebble.Open(dir)
	require.NoError(t, err, "the lock is released by Close")
	require.NoError(t, s.Close())
	require.True(t, errors.Is(s.Close(), eventstore.ErrClosed), "a second Close")
}

// TestIDsInAnyOrder appends ids that do not grow (the committer skips the
// index lookup for ids greater than every id written) and checks that a
// smaller new id is still written and a smaller old one still recognised.
func TestIDsInAnyOrder(t *testing.T) {
	s := MustOpen(t)
	defer s.Close()
	ctx := context.Background()
	high := uuid.MustParse("ffffffff-ffff-7fff-bfff-ffffffffffff")
	low := uuid.MustParse("00000000-0000-7000-8000-000000000001")
	data := json.RawMessage(`{}`)
	first, err := s.Append(ctx, "order-a", eventstore.NoStream(), eventstore.EventData{ID: high, Type: "test.happened.v1", Data: data})
	require.NoError(t, err)
	_, err = s.Append(ctx, "order-b", eventstore.NoStream(), eventstore.EventData{ID: low, Type: "test.happened.v1", Data: data})
	require.NoError(t, err, "a new id smaller than the greatest one")
	again, err := s.Append(ctx, "order-a", eventstore.NoStream(), eventstore.EventData{ID: high, Type: "test.happened.v1", Data: data})
	require.NoError(t, err)
	require.Equal(t, first, again, "a retry of the greatest id")
	_, err = s.Append(ctx, "order-c", eventstore.NoStream(), eventstore.EventData{ID: low, Type: "test.happened.v1", Data: data})
	require.ErrorIs(t, err, eventstore.ErrDuplicateID, "a smaller id written before")
}

// TestRecordedTimeFromClock checks that events are stamped with the clock
// given to Open, in UTC.
func TestRecordedTimeFromClock(t *testing.T) {
	at := time.Date(2026, 7, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	s, err := pebble.Open(t.TempDir(), pebble.WithNow(func() time.Time { return at }))
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	_, err = s.Append(ctx, "proposal-1", eventstore.NoStream(), eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "proposal.submitted.v1", Data: json.RawMessage(`{}`)})
	require.NoError(t, err)
	got, err := storetest.Collect(s.ReadStream(ctx, "proposal-1", eventstore.ReadStreamOptions{}))
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.True(t, at.Equal(got[0].Recorded), "recorded %s, want %s", got[0].Recorded, at)
	require.Equal(t, time.UTC, got[0].Recorded.Location())
}
