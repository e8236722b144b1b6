package projections

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNumberIndexAgainstAMap numbers keys in a numberIndex and in a Go map
// side by side, with the real hash and with hashes that collide on
// purpose (every key one hash, or one of three), so that long probes and
// equal tags of different keys are walked: every key must get the map's
// number, be found again, and a key never given must not be found.
func TestNumberIndexAgainstAMap(t *testing.T) {
	for _, c := range []struct {
		name string
		keys int
		hash func(string) uint64
	}{
		{"maphash", 60_000, hashString},
		{"one hash for all", 600, func(string) uint64 { return 0x9e3779b97f4a7c15 }},
		{"three hashes", 3_000, func(s string) uint64 { return uint64(len(s)%3) << 40 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(c.keys)))
			var x numberIndex
			var keys []string
			model := map[string]int32{}
			for range 3 * c.keys {
				k := fmt.Sprintf("k%d", rng.IntN(c.keys))
				n, added := x.put(c.hash(k), int32(len(keys)), func(n int32) bool { return keys[n] == k })
				want, known := model[k]
				require.Equal(t, !known, added, k)
				if !known {
					want = int32(len(keys))
					model[k] = want
					keys = append(keys, k)
				}
				require.Equal(t, want, n, k)
			}
			assert.Equal(t, len(model), x.used)
			assert.LessOrEqual(t, 3*x.used, 2*len(x.slots), "at most two thirds full")
			assert.Zero(t, len(x.slots)&(len(x.slots)-1), "a power of two")
			for k, want := range model {
				n, ok := x.find(c.hash(k), func(n int32) bool { return keys[n] == k })
				require.True(t, ok, k)
				require.Equal(t, want, n, k)
			}
			for i := range 1_000 {
				k := fmt.Sprintf("absent%d", i)
				_, ok := x.find(c.hash(k), func(n int32) bool { return keys[n] == k })
				require.False(t, ok, k)
			}
			x.reset()
			_, ok := x.find(c.hash(keys[0]), func(n int32) bool { return keys[n] == keys[0] })
			assert.False(t, ok, "found after reset")
		})
	}
}

// TestDictionaryNumbersInOrderOfSight checks a dictionary's numbers: ""
// is 0, each new string the next number, of and ofBytes agree, and find
// numbers nothing.
func TestDictionaryNumbersInOrderOfSight(t *testing.T) {
	d := newDictionary()
	assert.Equal(t, int32(0), d.of(""))
	assert.Equal(t, int32(0), d.ofBytes(nil))
	n, ok := d.find("")
	assert.True(t, ok)
	assert.Zero(t, n)
	_, ok = d.find("grid-1")
	assert.False(t, ok)
	assert.Len(t, d.names, 1, "find numbers nothing")
	assert.Equal(t, int32(1), d.of("grid-1"))
	assert.Equal(t, int32(2), d.ofBytes([]byte("grid-2")))
	assert.Equal(t, int32(1), d.ofBytes([]byte("grid-1")))
	assert.Equal(t, int32(2), d.of("grid-2"))
	n, ok = d.find("grid-2")
	assert.True(t, ok)
	assert.Equal(t, int32(2), n)
	assert.Equal(t, []string{"", "grid-1", "grid-2"}, d.names)
}
