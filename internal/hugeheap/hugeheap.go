// Package hugeheap asks the kernel to back the part of the Go heap a
// process is about to fill at once with huge pages.
//
// A server started from its views' snapshots builds most of its heap in
// its first second: at ten million events some 170 MiB, faulted in page
// by page. Where the kernel leaves huge pages to the programs that ask
// for them (transparent huge pages in "madvise" mode, the default of
// many distributions), Go's heap never asks, and each 4 KiB page costs a
// fault: on the virtual machines measured, about 10 µs each, a fifth of
// such a start's CPU. Reserve grows the heap by the size about to be
// filled, marks that range for huge pages (MADV_HUGEPAGE) and frees it
// again: the allocations that follow take their pages from it, 2 MiB a
// fault (docs/performance.md, twenty-fifth session).
//
// Nothing is touched and nothing is kept: the range costs no memory
// until it is used, and is the heap's like any other. With transparent
// huge pages off ("never"), the mark has no effect.
package hugeheap

import "runtime"

// hugePage is the size of the huge pages Reserve marks the heap for.
const hugePage = 2 << 20

// Reserve grows the Go heap by about n bytes, marks them for huge pages
// and frees them for the allocations that follow. It does nothing for n
// under a few huge pages, and where the system has no such mark (then
// ok is false, as it is when the kernel refuses it).
func Reserve(n int) (ok bool) {
	if n < 4*hugePage {
		return false
	}
	b := make([]byte, n) // fresh from the system: the runtime writes none of it
	ok = mark(b)
	runtime.KeepAlive(b)
	b = nil
	// Freed now, before the heap it is reserved for is made: a collection
	// of the few megabytes a starting process holds.
	runtime.GC()
	return ok
}
