// Package tmpfs mounts small tmpfs file systems for tests that need a disk
// that fills up. It is test support only: nothing of the service uses it.
package tmpfs

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// RequireEnv names the environment variable that turns a skip into a
// failure: .ci/run sets it, so that CI, which runs as root, always runs the
// disk-full tests.
const RequireEnv = "YISHI_REQUIRE_TMPFS"

// Mount mounts a tmpfs of size bytes on a fresh temporary directory and
// unmounts it when the test ends. It skips the test, saying why, when the
// process may not mount (not root, or in a container without the
// capability), unless RequireEnv is set, in which case it fails it.
func Mount(tb testing.TB, size int64) string {
	tb.Helper()
	dir := tb.TempDir()
	err := unix.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size))
	if err != nil {
		msg := fmt.Sprintf("this test needs a tmpfs it can fill (run as root, as .ci/run does): mount on %s: %v (uid %d)", dir, err, os.Getuid())
		if os.Getenv(RequireEnv) != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	tb.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			tb.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes a file at path until the disk is full (ENOSPC) and returns
// how many bytes it wrote.
func Fill(tb testing.TB, path string) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatalf("fill: %v", err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		m, err := f.Write(buf)
		n += int64(m)
		if err != nil {
			if !isNoSpace(err) {
				tb.Fatalf("fill: %v", err)
			}
			break
		}
	}
	// Single blocks may remain after a short write: take them too.
	for {
		m, err := f.Write(buf[:512])
		n += int64(m)
		if err != nil {
			break
		}
	}
	return n
}

func isNoSpace(err error) bool {
	pe, ok := err.(*os.PathError)
	return ok && pe.Err == unix.ENOSPC
}
