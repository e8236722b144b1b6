package seal

import (
	"errors"
	"testing"
)

// TestChunksKeepValuesInPlace checks values across block boundaries, the
// order of all, and that growing never moves what a block holds.
func TestChunksKeepValuesInPlace(t *testing.T) {
	var c chunks[int64]
	c.add(0)
	first := &c.blocks[0][0]
	const n = 2*chunkLen + 5
	for i := int64(1); i < n; i++ {
		c.add(i)
	}
	if c.len() != n || len(c.blocks) != 3 {
		t.Fatalf("len %d in %d blocks, want %d in 3", c.len(), len(c.blocks), n)
	}
	if &c.blocks[0][0] != first {
		t.Fatal("the first block moved as the list grew")
	}
	for _, i := range []int64{0, chunkLen - 1, chunkLen, 2 * chunkLen, n - 1} {
		if got := c.at(i); got != i {
			t.Errorf("at(%d) = %d", i, got)
		}
	}
	var next int64
	if err := c.all(func(v int64) error {
		if v != next {
			return errors.New("out of order")
		}
		next++
		return nil
	}); err != nil || next != n {
		t.Fatalf("all: %v after %d values", err, next)
	}
	stop := errors.New("stop")
	seen := 0
	if err := c.all(func(int64) error { seen++; return stop }); err != stop || seen != 1 {
		t.Fatalf("all did not stop at the first error: %v after %d", err, seen)
	}
}
