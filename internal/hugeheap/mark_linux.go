package hugeheap

import (
	"cmp"
	"fmt"
	"os"
	"slices"
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

// mark marks the whole huge pages within the memory of chunks for huge
// pages, each run of chunks that lie next to each other as one range, and
// returns the function that takes the mark off them again. It keeps only
// the ranges' addresses, not the chunks: they are freed while the ranges
// stay mapped in the heap.
func mark(chunks [][]byte, page int) (func(), error) {
	type span struct{ start, end uintptr }
	var runs []span
	for _, c := range chunks {
		if len(c) == 0 {
			continue
		}
		p := uintptr(unsafe.Pointer(unsafe.SliceData(c)))
		runs = append(runs, span{p, p + uintptr(len(c))})
	}
	slices.SortFunc(runs, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var marked []span
	for i := 0; i < len(runs); {
		r := runs[i]
		for i++; i < len(runs) && runs[i].start == r.end; i++ {
			r.end = runs[i].end
		}
		start := (r.start + uintptr(page) - 1) &^ (uintptr(page) - 1)
		end := r.end &^ (uintptr(page) - 1)
		if end <= start {
			continue
		}
		if err := madvise(start, end-start, unix.MADV_HUGEPAGE); err != nil {
			// A range over several mappings may be marked in part.
			_ = madvise(start, end-start, unix.MADV_NOHUGEPAGE)
			for _, m := range marked {
				_ = madvise(m.start, m.end-m.start, unix.MADV_NOHUGEPAGE)
			}
			return nil, fmt.Errorf("hugeheap: mark %d bytes for huge pages: %w", end-start, err)
		}
		marked = append(marked, span{start, end})
	}
	if len(marked) == 0 {
		return nil, fmt.Errorf("%w: no whole huge page in %d chunks", ErrNotUsed, len(chunks))
	}
	return func() {
		for _, m := range marked {
			_ = madvise(m.start, m.end-m.start, unix.MADV_NOHUGEPAGE)
		}
	}, nil
}

// madvise gives advice on the range of n bytes at addr, which the heap
// keeps mapped.
func madvise(addr, n uintptr, advice int) error {
	if _, _, e := unix.Syscall(unix.SYS_MADVISE, addr, n, uintptr(advice)); e != 0 {
		return e
	}
	return nil
}
