package hugeheap

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mark marks the whole huge pages within b for huge pages.
func mark(b []byte) bool {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p + hugePage - 1) &^ (hugePage - 1)
	end := (p + uintptr(len(b))) &^ (hugePage - 1)
	if end <= start {
		return false
	}
	return unix.Madvise(b[start-p:end-p], unix.MADV_HUGEPAGE) == nil
}
