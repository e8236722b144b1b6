package durable

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriteFile: a write replaces the file whole; a write that fails
// leaves the old file as it was; no temporary file is left either way.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tree.snap")
	put := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	require.NoError(t, WriteFile(path, put("first")))
	require.NoError(t, WriteFile(path, put("second")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "second", string(b))

	boom := errors.New("disk on fire")
	err = WriteFile(path, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half")
		return boom
	})
	require.ErrorIs(t, err, boom)
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "second", string(b), "a failed write leaves the old file")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left")
	require.Error(t, WriteFile(filepath.Join(dir, "missing", "x"), put("x")))
}

// TestStage: a staged file leaves the old one in place until it is
// committed; a discarded one leaves nothing; a write that fails stages
// nothing.
func TestStage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "board.snap")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	put := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	read := func() string {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		return string(b)
	}
	files := func() int {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		return len(entries)
	}

	p, err := Stage(path, put("?ew"))
	require.NoError(t, err)
	require.NoError(t, p.WriteAt([]byte("n"), 0), "what was staged is written over")
	require.Equal(t, "old", read(), "staged, not in place")
	require.Equal(t, 2, files(), "the staged bytes are in a file beside it")
	require.NoError(t, p.Commit())
	require.Equal(t, "new", read())
	require.Equal(t, 1, files())

	p, err = Stage(path, put("dropped"))
	require.NoError(t, err)
	p.Discard()
	require.Equal(t, "new", read())
	require.Equal(t, 1, files(), "a discarded file is gone")

	boom := errors.New("disk on fire")
	_, err = Stage(path, func(w io.Writer) error { return boom })
	require.ErrorIs(t, err, boom)
	require.Equal(t, 1, files(), "a failed write stages nothing")
	_, err = Stage(filepath.Join(dir, "missing", "x"), put("x"))
	require.Error(t, err)
	require.Panics(t, func() { _, _ = Stage(path, func(io.Writer) error { panic("encoder bug") }) })
	require.Equal(t, 1, files(), "a write that panics stages nothing")
}
