//go:build unix

package seal

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first size bytes of f read-only, for random reads: a
// proof reads a few hashes, and read-ahead would only fill memory. It
// returns the mapping and the function that unmaps it; a Log keeps the
// mapping of the tree it loaded for the life of the process.
func mapFile(f *os.File, size int64) ([]byte, func(), error) {
	m, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("map %s: %w", f.Name(), err)
	}
	unmap := func() { _ = unix.Munmap(m) }
	if err := unix.Madvise(m, unix.MADV_RANDOM); err != nil {
		unmap()
		return nil, nil, fmt.Errorf("map %s: %w", f.Name(), err)
	}
	return m, unmap, nil
}
