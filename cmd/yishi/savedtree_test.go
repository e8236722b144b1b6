package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/seal"
	"github.com/yishi-civic/yishi/seal/sealtest"
)

// TestASavedTreeFoundDamagedIsRemoved: once the views have caught up, the
// server checks the parts of the saved tree's file the start did not
// read; a damaged file is removed as soon as a read finds it (that check,
// or a proof), for the next start to hash the log again, and an
// undamaged one stays.
func TestASavedTreeFoundDamagedIsRemoved(t *testing.T) {
	ctx := context.Background()
	const n = 5000
	store := sealtest.Store(t, n)
	saved := seal.NewLog(nil)
	follow, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = saved.Follow(follow, store) }()
	require.Eventually(t, saved.CaughtUp, 10*time.Second, time.Millisecond)
	cancel()
	<-done
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.snap"), filepath.Join(dir, "bad.snap")
	require.NoError(t, saved.Save(good))
	raw, err := os.ReadFile(good)
	require.NoError(t, err)
	raw[sealtest.HashesAt(n)+100] ^= 1 // the first part, which no peak is in
	require.NoError(t, os.WriteFile(bad, raw, 0o600))

	caughtUp := func(context.Context) error { return nil }
	for path, damaged := range map[string]bool{good: false, bad: true} {
		tree := seal.NewLog(nil)
		var out bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&out, nil))
		watchDamage(tree, path, logger)
		require.NoError(t, tree.Load(ctx, path, store), path)
		checkSavedTree(ctx, caughtUp, tree, path, logger)
		_, err := os.Stat(path)
		if damaged {
			require.ErrorIs(t, err, os.ErrNotExist, "the damaged file is removed")
			require.Contains(t, out.String(), "damaged: removed; restart the server")
		} else {
			require.NoError(t, err)
			require.Contains(t, out.String(), "its saved file checked")
		}
	}
	// A server stopped before its views caught up checks nothing.
	require.NoError(t, os.WriteFile(bad, raw, 0o600))
	waiting, stop := context.WithCancel(ctx)
	stop()
	tree := seal.NewLog(nil)
	watchDamage(tree, bad, slog.New(slog.DiscardHandler))
	require.NoError(t, tree.Load(ctx, bad, store))
	checkSavedTree(waiting, func(ctx context.Context) error { return ctx.Err() }, tree, bad, slog.New(slog.DiscardHandler))
	require.FileExists(t, bad, "checked before the views caught up")
	// A proof reading the damaged part removes it as well.
	_, err = tree.Leaf(0)
	require.ErrorIs(t, err, seal.ErrDamaged)
	require.NoFileExists(t, bad)
}

// A damaged file that a spill has replaced meanwhile (a save under way
// read it) leaves the new file at its path in place; the damaged file
// still at its path, or one unknown, is removed.
func TestOnlyTheDamagedTreeIsRemoved(t *testing.T) {
	dir := t.TempDir()
	path, spilled := filepath.Join(dir, "tree.snap"), filepath.Join(dir, "tree.snap.new")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	old, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(spilled, []byte("new"), 0o600))
	require.NoError(t, os.Rename(spilled, path))
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))

	removeDamagedTree(path, old, seal.ErrDamaged, logger)
	kept, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "new", string(kept), "the file the spill wrote stays")
	require.Contains(t, out.String(), "the file now saved is another, left in place")

	now, err := os.Stat(path)
	require.NoError(t, err)
	removeDamagedTree(path, now, seal.ErrDamaged, logger)
	require.NoFileExists(t, path, "the damaged file at its path")
	require.NoError(t, os.WriteFile(path, []byte("unknown"), 0o600))
	removeDamagedTree(path, nil, seal.ErrDamaged, logger)
	require.NoFileExists(t, path, "a file not known is taken for the damaged one")
}

// TestAStopDoesNotSaveADamagedTree: a server whose saved tree's file is
// found damaged once its views caught up removes it, and its stop saves
// no tree (a save would read the damaged part); the next start hashes the
// whole log again and saves the tree whole.
func TestAStopDoesNotSaveADamagedTree(t *testing.T) {
	dir := buildLedger(t, "2500") // a part of hashes (the first) that holds no peak
	path := filepath.Join(dir, "seal", "tree.snap")
	serveUntilReady(t, dir)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	n := sealtest.Events(raw)
	require.Greater(t, n, 2048)
	raw[sealtest.HashesAt(n)+100] ^= 1 // the first part, which no peak is in
	require.NoError(t, os.WriteFile(path, raw, 0o600))

	out, errOut, stop := serving(t, dir)
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(errOut.String(), "damaged: removed"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the damage was not found:\n%s\n%s", out.String(), errOut.String())
		}
	}
	stop()
	assert.Contains(t, errOut.String(), "the Merkle tree was not saved: its file is damaged")
	assert.NoFileExists(t, path, "the stop saved no tree")

	_, logged := serveUntilReady(t, dir)
	assert.NotContains(t, logged, "Merkle tree loaded")
	assert.FileExists(t, path, "hashed again from the log, and saved")
}
