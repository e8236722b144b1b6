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
		{"all at the table's end", 300, func(string) uint64 { return 0xffffffff }}, // probes wrap to the start
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

// TestNumberIndexInBulk numbers keys at once (bulk) and checks each is
// found with its number, keys never given are not, and a key given
// twice is named; with the real hash and with hashes that collide on
// purpose, at sizes around the radix sort's passes of eleven bits.
func TestNumberIndexInBulk(t *testing.T) {
	for _, c := range []struct {
		name string
		keys int
		hash func(string) uint64
	}{
		{"maphash", 70_000, hashString},
		{"maphash, a few", 5, hashString},
		{"maphash, one pass", 900, hashString},
		{"one hash for all", 500, func(string) uint64 { return 0x9e3779b97f4a7c15 }},
		{"all at the table's end", 300, func(string) uint64 { return 0xffffffff }}, // probes wrap to the start
		{"three hashes", 2_000, func(s string) uint64 { return uint64(len(s)%3) << 40 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			keys := []string{"never numbered"} // key 0: bulk numbers from 1
			for i := range c.keys {
				keys = append(keys, fmt.Sprintf("k%d", i))
			}
			var x numberIndex
			x.put(hashString("left before"), 7, func(int32) bool { return false }) // emptied by bulk
			hashOf := func(k int32) uint64 { return c.hash(keys[k]) }
			same := func(a, b int32) bool { return keys[a] == keys[b] }
			_, ok := x.bulk(1, c.keys, hashOf, same)
			require.True(t, ok)
			assert.Equal(t, c.keys, x.used)
			assert.LessOrEqual(t, 3*x.used, 2*len(x.slots), "at most two thirds full")
			for k := int32(1); k < int32(len(keys)); k++ {
				n, ok := x.find(hashOf(k), func(n int32) bool { return keys[n] == keys[k] })
				require.True(t, ok, keys[k])
				require.Equal(t, k, n, keys[k])
			}
			for _, k := range []string{"never numbered", "left before", "k-1"} {
				_, ok := x.find(c.hash(k), func(n int32) bool { return keys[n] == k })
				assert.False(t, ok, k)
			}
			// A key given twice: the second k3 is named (or the first,
			// whichever the sort puts second).
			twice := append(keys[1:len(keys):len(keys)], "k3")
			dup, ok := x.bulk(0, len(twice), func(k int32) uint64 { return c.hash(twice[k]) }, func(a, b int32) bool { return twice[a] == twice[b] })
			require.False(t, ok)
			assert.Equal(t, "k3", twice[dup])
		})
	}
}

// TestNumberIndexInBulkOfMillions numbers three million keys at once: a
// table of 2^23 slots, sorted in three passes.
func TestNumberIndexInBulkOfMillions(t *testing.T) {
	const n = 3_000_000
	var x numberIndex
	_, ok := x.bulk(0, n, func(k int32) uint64 { return hashKey(k) }, func(a, b int32) bool { return a == b })
	require.True(t, ok)
	require.Equal(t, 1<<23, len(x.slots))
	for k := int32(0); k < n; k++ {
		if got, ok := x.find(hashKey(k), func(m int32) bool { return m == k }); !ok || got != k {
			t.Fatalf("key %d: found %d, %v", k, got, ok)
		}
	}
	_, ok = x.find(hashKey(int32(n)), func(m int32) bool { return m == n })
	assert.False(t, ok)
}
