package pebble_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/eventstore/storetest"
	"github.com/yishi-civic/yishi/internal/tmpfs"
)

// syncBuffer is a bytes.Buffer safe for the store's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) count(substr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.b.String(), substr)
}

func appendOne(s eventstore.Store, stream string) error {
	_, err := s.Append(context.Background(), stream, eventstore.Any(),
		eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "test.happened.v1", Data: json.RawMessage(`{"n":1}`)})
	return err
}

// TestDiskFull fills a small tmpfs under a running store: appends are
// refused with ErrDiskFull (not a process exit), reads go on, the ballast is
// released, one line is logged per change of state, appends resume without
// a restart once space is freed, Close is prompt on a full disk, a store
// reopened on a full disk serves reads, and one that has no room at all to
// open says so at once.
func TestDiskFull(t *testing.T) {
	const mib = 1 << 20
	dir := tmpfs.Mount(t, 128*mib)
	data := filepath.Join(dir, "data")
	var logs syncBuffer
	open := func() (*pebble.Store, error) {
		return pebble.Open(data, pebble.WithSpace(64*mib, 32*mib),
			pebble.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	}
	s, err := open()
	require.NoError(t, err)
	require.NoError(t, appendOne(s, "before-1"))
	require.FileExists(t, filepath.Join(data, "ballast"))
	require.False(t, s.Space().Full)

	filler := filepath.Join(dir, "filler")
	tmpfs.Fill(t, filler)
	for range 3 {
		err = appendOne(s, "during-1")
		require.ErrorIs(t, err, eventstore.ErrDiskFull)
	}
	require.True(t, s.Space().Full)
	require.NoFileExists(t, filepath.Join(data, "ballast"), "the ballast is released on a full disk")
	got, err := storetest.Collect(s.ReadStream(context.Background(), "before-1", eventstore.ReadStreamOptions{}))
	require.NoError(t, err, "reads go on")
	require.Len(t, got, 1)
	_, err = storetest.Collect(s.ReadStream(context.Background(), "during-1", eventstore.ReadStreamOptions{}))
	require.ErrorIs(t, err, eventstore.ErrStreamNotFound, "nothing of a refused append is written")
	time.Sleep(1500 * time.Millisecond) // the watcher looks again: still one line
	require.Equal(t, 1, logs.count("disk full"), logs.b.String())

	require.NoError(t, os.Remove(filler))
	require.Eventually(t, func() bool { return !s.Space().Full }, 5*time.Second, 50*time.Millisecond,
		"appends resume without a restart")
	require.NoError(t, appendOne(s, "after-1"))
	require.FileExists(t, filepath.Join(data, "ballast"), "the ballast is made again")
	require.Equal(t, 1, logs.count("room again"), logs.b.String())

	// Full again, then closed: Close does not wait for a flush that
	// cannot happen.
	tmpfs.Fill(t, filler)
	require.ErrorIs(t, appendOne(s, "during-2"), eventstore.ErrDiskFull)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close on a full disk did not return within 10 s")
	}

	// Reopened on a disk filled to the last block (the ballast was
	// released and that space taken too): pebble would have no room to
	// open, and Open says so at once.
	tmpfs.Fill(t, filler+"2")
	start := time.Now()
	_, err = open()
	require.ErrorIs(t, err, eventstore.ErrDiskFull)
	require.Contains(t, err.Error(), "free some space")
	require.Less(t, time.Since(start), 5*time.Second)

	// With some room (but less than the floor) it opens, serves reads and
	// refuses appends.
	require.NoError(t, os.Remove(filler+"2"))
	s, err = open()
	require.NoError(t, err)
	defer s.Close()
	require.True(t, s.Space().Full)
	require.ErrorIs(t, appendOne(s, "during-3"), eventstore.ErrDiskFull)
	got, err = storetest.Collect(s.ReadAll(context.Background(), eventstore.ReadAllOptions{}))
	require.NoError(t, err)
	require.Len(t, got, 2, "both acknowledged events, none of the refused ones")
}
