package hugeheap

import (
	"bufio"
	"fmt"
	"os"
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

// TestReserveMarksTheHeapThatFollows: the allocations made after
// Reserve lie in memory marked for huge pages ("hg"), where the heap
// before it was not; too small a size marks nothing.
func TestReserveMarksTheHeapThatFollows(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages: nothing to mark")
	}
	before := make([]byte, 8<<20)
	assert.NotContains(t, vmaFlags(t, uintptr(unsafe.Pointer(&before[0]))), "hg", "the heap is not marked before Reserve")
	assert.False(t, Reserve(hugePage), "too small to mark")

	require.True(t, Reserve(64<<20))
	after := make([]byte, 16<<20)
	after[len(after)/2] = 1
	assert.Contains(t, vmaFlags(t, uintptr(unsafe.Pointer(&after[len(after)/2]))), "hg")
}
