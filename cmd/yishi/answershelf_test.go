package main

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/internal/answershelf"
)

// TestAServerRunsWithoutAShelfThatDoesNotOpen: a shelf another process
// holds open is neither used nor removed; a free one is opened.
func TestAServerRunsWithoutAShelfThatDoesNotOpen(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	held, err := answershelf.Open(dir, 0, log)
	require.NoError(t, err)
	require.NoError(t, held.Put(0, "p1", "v", []byte("{}")))
	require.Nil(t, openAnswerShelf(dir, 0, log))
	_, ok, err := held.Get("p1", "v")
	require.NoError(t, err)
	require.True(t, ok, "the shelf in use was left as it was")
	require.NoError(t, held.Close())

	s := openAnswerShelf(dir, 0, log)
	require.NotNil(t, s)
	_, ok, err = s.Get("p1", "v")
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.Close())
}
