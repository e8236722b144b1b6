package hugeheap

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePageSize is the size of the kernel's huge pages, when it gives
// them only to ranges marked for them (Mode "madvise").
func hugePageSize() (int, error) {
	sys := os.DirFS("/sys")
	switch mode := Mode(sys); mode {
	case "madvise":
	case "":
		return 0, fmt.Errorf("%w: no transparent huge pages", ErrNotUsed)
	default:
		return 0, fmt.Errorf("%w: transparent huge pages are %q", ErrNotUsed, mode)
	}
	if n := pageSize(sys); n > 0 {
		return n, nil
	}
	return 2 << 20, nil
}

// mark marks the whole huge pages within b for huge pages, and returns
// the function that takes the mark off them again. It keeps only their
// addresses, not b: b is freed while the range stays mapped in the heap.
func mark(b []byte, page int) (func(), error) {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p + uintptr(page) - 1) &^ (uintptr(page) - 1)
	end := (p + uintptr(len(b))) &^ (uintptr(page) - 1)
	if end <= start {
		return nil, fmt.Errorf("%w: no whole huge page in %d bytes", ErrNotUsed, len(b))
	}
	if err := unix.Madvise(b[start-p:end-p], unix.MADV_HUGEPAGE); err != nil {
		return nil, fmt.Errorf("hugeheap: mark %d bytes for huge pages: %w", end-start, err)
	}
	return func() { madvise(start, end-start, unix.MADV_NOHUGEPAGE) }, nil
}

// madvise gives advice on the range of n bytes at addr, which the heap
// keeps mapped; it can fail only for a range that is not.
func madvise(addr, n uintptr, advice int) {
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, addr, n, uintptr(advice))
}
