// Package hugeheap asks the kernel to back the part of the Go heap a
// process is about to fill at once with huge pages.
//
// A server started from its views' snapshots builds most of its heap in
// its first second: at ten million events some 170 MiB, faulted in page
// by page. Where the kernel leaves huge pages to the programs that ask
// for them (transparent huge pages in "madvise" mode, the default of
// many distributions), Go's runtime never asks for its heap, and each
// 4 KiB page costs a fault: on the virtual machines measured, about
// 10 µs each, a fifth of such a start's CPU. Reserve grows the heap by
// the size about to be filled, marks that range for huge pages
// (MADV_HUGEPAGE) and frees it again: the allocations that follow take
// their pages from it, a huge page a fault (docs/performance.md,
// twenty-fifth session). Once they are made, the mark is taken off
// again (MADV_NOHUGEPAGE): the huge pages made are kept, and no more are
// made there, by a later fault or by the kernel's khugepaged gathering
// pages the runtime has given back (the reason Go's runtime stopped
// marking its heap, golang/go#64332).
//
// Nothing is kept: the range is the heap's like any other. It is grown by
// allocations of chunkSize each, not by one: the runtime zeroes a whole
// allocation that begins in memory its heap used before (a part freed
// by an early collection), which for one of the reserve's size wrote
// every page of it, 4 KiB at a time, before it was marked: at ten million
// events 1.3–1.8 s of a start, in 7 of 96 cold starts
// (docs/performance.md, thirtieth session). Only the chunks that begin in
// such memory are written now (a few milliseconds each); the others are
// fresh. Reserve does nothing unless the kernel's transparent huge
// pages are in "madvise" mode (with "always" the heap has them already,
// with "never" none are made), or with GODEBUG=disablethp=1.
package hugeheap

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Mode is the transparent huge pages mode ("always", "madvise", "never")
// of the system whose /sys is at sys, for the huge pages a heap can have
// (those of a page table's middle level, hpage_pmd_size: their own
// setting, unless it inherits the system's), "" when it has none.
func Mode(sys fs.FS) string {
	mode := func(name string) string {
		b, err := fs.ReadFile(sys, thp+name)
		if err != nil {
			return ""
		}
		s := string(b)
		if i := strings.IndexByte(s, '['); i >= 0 {
			if j := strings.IndexByte(s[i:], ']'); j > 0 {
				return s[i+1 : i+j]
			}
		}
		return ""
	}
	if size := pageSize(sys); size > 0 {
		if m := mode(fmt.Sprintf("hugepages-%dkB/enabled", size>>10)); m != "" && m != "inherit" {
			return m
		}
	}
	return mode("enabled")
}

// thp is where /sys says how the kernel gives transparent huge pages.
const thp = "kernel/mm/transparent_hugepage/"

// pageSize is the size of the huge pages a heap can have, from the /sys
// at sys; 0 when it does not say.
func pageSize(sys fs.FS) int {
	b, err := fs.ReadFile(sys, thp+"hpage_pmd_size")
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// chunkSize is the size of each allocation by which Reserve grows the
// heap: two huge pages of 2 MiB, so that a chunk the runtime zeroes costs
// a few milliseconds. The runtime places such chunks next to each other,
// and mark marks each run of them as one range.
const chunkSize = 4 << 20

// ErrNotUsed is returned by Reserve when it marks nothing, and why.
var ErrNotUsed = errors.New("hugeheap: not used")

// Reserve grows the Go heap by about n bytes, marks them for huge pages
// and frees them for the allocations that follow; unmark takes the mark
// off once those are made. Call it once, at the start of a process,
// before the heap it reserves for is made: later, the freed memory it
// takes would be zeroed, page by page. It returns an error wrapping
// ErrNotUsed, and marks nothing, for n under a few huge pages, on a
// system without the mark or where the kernel gives huge pages to all or
// none.
func Reserve(n int) (unmark func(), err error) {
	page, err := hugePageSize()
	if err != nil {
		return nil, err
	}
	if n < 4*page {
		return nil, fmt.Errorf("%w: %d bytes is under four huge pages", ErrNotUsed, n)
	}
	if strings.Contains(os.Getenv("GODEBUG"), "disablethp=1") {
		return nil, fmt.Errorf("%w: GODEBUG=disablethp=1", ErrNotUsed)
	}
	// Fresh from the system, but for the chunks that begin in memory the
	// heap used before: the runtime writes none of the others.
	chunks := make([][]byte, 0, n/chunkSize+1)
	for left := n; left > 0; left -= chunkSize {
		chunks = append(chunks, make([]byte, min(left, chunkSize)))
	}
	unmark, err = mark(chunks, page)
	if err != nil {
		return nil, err
	}
	clear(chunks)
	// Freed now, before the heap it is reserved for is made: a collection
	// of the few megabytes a starting process holds.
	runtime.GC()
	return unmark, nil
}
