package hugeheap

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// thp is where the kernel says how it gives transparent huge pages.
const thp = "/sys/kernel/mm/transparent_hugepage/"

// hugePageSize is the size of the kernel's huge pages, when it gives
// them only to ranges marked for them.
func hugePageSize() (int, error) {
	mode, err := os.ReadFile(thp + "enabled")
	if err != nil {
		return 0, fmt.Errorf("%w: no transparent huge pages: %v", ErrNotUsed, err)
	}
	if !strings.Contains(string(mode), "[madvise]") {
		return 0, fmt.Errorf("%w: transparent huge pages are %q", ErrNotUsed, strings.TrimSpace(string(mode)))
	}
	size, err := os.ReadFile(thp + "hpage_pmd_size")
	if err != nil {
		return 2 << 20, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(size)))
	if err != nil || n <= 0 {
		return 2 << 20, nil
	}
	return n, nil
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
