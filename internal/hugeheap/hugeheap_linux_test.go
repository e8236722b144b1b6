package hugeheap

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vmaFlags returns the VmFlags of the mapping of this process that holds
// address p, from /proc/self/smaps.
func vmaFlags(t *testing.T, p uintptr) []string {
	f, err := os.Open("/proc/self/smaps")
	require.NoError(t, err)
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && strings.Contains(line, " ") {
			in = lo <= p && p < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.Fields(strings.TrimPrefix(line, "VmFlags:"))
		}
	}
	require.NoError(t, sc.Err())
	t.Fatalf("no mapping holds %#x", p)
	return nil
}

// vmRSS returns this process's resident memory, in bytes.
func vmRSS(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// TestReserveMarksTheHeapThatFollows: where the kernel gives huge pages
// to marked ranges only, the allocations made after Reserve lie in
// memory marked for them ("hg"), where the heap before it was not, and
// the reserve is not kept; unmark takes the mark off ("nh"). Elsewhere,
// or for too small a size, Reserve says it marked nothing. It must be the
// package's only test to call Reserve: the heap stays marked after it.
func TestReserveMarksTheHeapThatFollows(t *testing.T) {
	mode := Mode(os.DirFS("/sys"))
	if mode == "" {
		_, err := Reserve(64 << 20)
		require.ErrorIs(t, err, ErrNotUsed)
		t.Skip("this kernel has no transparent huge pages: Reserve says so, and there is nothing to mark")
	}
	_, err := Reserve(2 << 20)
	require.ErrorIs(t, err, ErrNotUsed, "too small to mark")
	if mode != "madvise" {
		_, err := Reserve(64 << 20)
		require.ErrorIs(t, err, ErrNotUsed, "transparent huge pages are %q: nothing to mark", mode)
		return
	}
	before := make([]byte, 8<<20)
	assert.NotContains(t, vmaFlags(t, uintptr(unsafe.Pointer(&before[0]))), "hg", "the heap is not marked before Reserve")
	// Memory the heap used and freed, at its end: the runtime zeroes an
	// allocation that begins there.
	used := make([]byte, 8<<20)
	for i := range used {
		used[i] = 1
	}
	used = nil
	runtime.GC()

	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	heldBefore, rssBefore := stats.HeapAlloc, vmRSS(t)
	unmark, err := Reserve(64 << 20)
	require.NoError(t, err)
	runtime.ReadMemStats(&stats)
	assert.Less(t, stats.HeapAlloc, heldBefore+16<<20, "the reserve is freed")
	// The chunks that take the freed memory are written (8 MiB, and 4
	// MiB of one that runs past it), the others not: one allocation of
	// the whole was written whole.
	assert.Less(t, vmRSS(t), rssBefore+24<<20, "the reserve is not written")
	runtime.KeepAlive(before) // its memory unwritten, not among what the reserve takes

	// Larger than any other free part of the heap: it takes the reserve.
	after := make([]byte, 48<<20)
	after[len(after)/2] = 1
	at := uintptr(unsafe.Pointer(&after[len(after)/2]))
	assert.Contains(t, vmaFlags(t, at), "hg")
	unmark()
	assert.NotContains(t, vmaFlags(t, at), "hg")
	assert.Contains(t, vmaFlags(t, at), "nh")
}
