package pebble_test

import (
	"errors"
	"sync"
	"testing"

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
