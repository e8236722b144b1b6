package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/internal/tmpfs"
)

// TestServeOnFullDisk starts the service on a full disk (a clear error, at
// once, instead of a process that spins and never listens) and stops one
// whose disk filled up while it ran (promptly, as on SIGTERM).
func TestServeOnFullDisk(t *testing.T) {
	dir := tmpfs.Mount(t, 128<<20)
	data := filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(data, 0o750))
	getenv := func(string) string { return "" }
	args := []string{"serve", "--data", data, "--addr", "127.0.0.1:0"}

	filler := filepath.Join(dir, "filler")
	tmpfs.Fill(t, filler)
	var out, errOut lockedBuffer
	start := time.Now()
	err := run(context.Background(), args, getenv, &out, &errOut)
	require.ErrorContains(t, err, "free some space")
	require.Less(t, time.Since(start), 10*time.Second)
	require.NoError(t, os.Remove(filler))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, getenv, &out, &errOut) }()
	var base string
	require.Eventually(t, func() bool {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		return base != ""
	}, 60*time.Second, 20*time.Millisecond, "server did not start:\n%s\n%s", out.String(), errOut.String())
	tmpfs.Fill(t, filler)
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusServiceUnavailable
	}, 10*time.Second, 50*time.Millisecond, "/readyz does not say the disk is full")
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20 s of its context ending on a full disk")
	}
	require.Contains(t, errOut.String(), "disk full")
}
