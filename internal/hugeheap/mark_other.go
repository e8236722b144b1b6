//go:build !linux

package hugeheap

// mark marks nothing where there is no MADV_HUGEPAGE.
func mark([]byte) bool { return false }
