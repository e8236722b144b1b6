//go:build !unix

package seal

import (
	"fmt"
	"io"
	"os"
)

// mapFile reads the first size bytes of f into memory, where the system
// has no mmap; there is nothing to unmap.
func mapFile(f *os.File, size int64) ([]byte, func(), error) {
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return b, func() {}, nil
}

// release does nothing where the system has no mmap: the tree was read
// into memory, which the collector frees once the tree no longer holds it.
func release([]byte) {}
