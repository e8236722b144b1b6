//go:build unix

package seal

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first size bytes of f read-only, for random reads: a
// proof reads a few hashes, and read-ahead would only fill memory. The
// mapping lives as long as the process (a Log keeps its saved tree).
func mapFile(f *os.File, size int64) ([]byte, error) {
	m, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", f.Name(), err)
	}
	if err := unix.Madvise(m, unix.MADV_RANDOM); err != nil {
		_ = unix.Munmap(m)
		return nil, fmt.Errorf("map %s: %w", f.Name(), err)
	}
	return m, nil
}
