//go:build !linux

package hugeheap

import "fmt"

// hugePageSize says there is no mark for huge pages here.
func hugePageSize() (int, error) {
	return 0, fmt.Errorf("%w: no mark for huge pages on this system", ErrNotUsed)
}

// mark is never called where hugePageSize fails.
func mark([][]byte, int) (func(), error) { return nil, ErrNotUsed }
