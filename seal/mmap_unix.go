//go:build unix

package seal

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapFile maps the first size bytes of f read-only, for random reads: a
// proof reads a few hashes, and read-ahead would only fill memory. It
// returns the mapping and the function that unmaps it; a Log keeps the
// mapping of the tree it loaded or spilled until a later Spill replaces
// it (then unmapped, unless a save under way may be reading it: then it
// stays for the life of the process).
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

// release drops the whole pages of b, part of a mapping no longer read
// (a tree spilled again, Log.Spill) or read through once (a save), from
// the process's memory: a read of
// them afterwards, if any, reads them again from the file. It leaves the
// mapping in place, so that a reader holding it reads on.
func release(b []byte) {
	if len(b) == 0 {
		return
	}
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	from := (start + page - 1) &^ (page - 1)
	to := (start + uintptr(len(b))) &^ (page - 1)
	if to <= from {
		return
	}
	_ = unix.Madvise(b[from-start:to-start], unix.MADV_DONTNEED)
}
