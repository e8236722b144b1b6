package privacy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// TestSealerCacheBounded: opening the names of more persons than the cache
// holds keeps it within its bound, and every value still opens right,
// the evicted ones included; an erased person's evicted marker reads as
// erased again from the key store.
func TestSealerCacheBounded(t *testing.T) {
	ctx := context.Background()
	const bound = 1 << 12
	s := newSealer(NewMemoryKeys(), sealerShards, bound)
	n := bound + bound/4
	sealed := make([]domain.Event, n)
	for i := range n {
		e := domain.ProposalSupported{ProposalID: "p", PersonID: fmt.Sprintf("r%d", i), Name: fmt.Sprintf("居民%d", i)}
		out, err := s.Seal(ctx, "proposal-p", []domain.Event{e})
		require.NoError(t, err)
		sealed[i] = out[0]
	}
	require.NoError(t, s.Erase(ctx, time.Now(), PersonKey("r0")))
	open := func(i int) string {
		e := sealed[i].(domain.ProposalSupported)
		require.NoError(t, s.OpenInPlace(ctx, &e))
		return e.Name
	}
	for i := 1; i < n; i++ {
		require.Equal(t, fmt.Sprintf("居民%d", i), open(i))
		size := 0
		for j := range s.shards {
			s.shards[j].mu.RLock()
			size += s.shards[j].cache.len()
			s.shards[j].mu.RUnlock()
		}
		require.LessOrEqual(t, size, bound)
	}
	require.Equal(t, ErasedName, open(0))
	for i := 1; i < n; i += 997 {
		require.Equal(t, fmt.Sprintf("居民%d", i), open(i), "opened again after its eviction")
	}
}

// TestOpenedCacheIsBounded: the cache of opened values holds at most two
// generations of its bounds, in values and in bytes, keeps the latest
// values, skips a value too large to keep, and forgets all on clear.
func TestOpenedCacheIsBounded(t *testing.T) {
	c := newOpenedCache(maxOpened, maxOpenedBytes)
	for i := range 3 * maxOpened {
		c.put(fmt.Sprintf("v%d", i), "p")
		require.LessOrEqual(t, c.len(), 2*maxOpened)
	}
	p, ok := c.get([]byte(fmt.Sprintf("v%d", 3*maxOpened-1)))
	require.True(t, ok)
	require.Equal(t, "p", p)
	_, ok = c.get([]byte("v0"))
	require.False(t, ok, "the oldest generation is dropped")

	c.clear()
	big := strings.Repeat("字", maxOpenedValue/3/2) // about half the largest value kept, in bytes
	for i := range 4 * maxOpenedBytes / len(big) {
		c.put(fmt.Sprintf("k%d", i), big)
		require.LessOrEqual(t, c.bytes, maxOpenedBytes)
		require.LessOrEqual(t, c.len()*len(big), 2*maxOpenedBytes+2*len(big))
	}
	c.put("long", strings.Repeat("x", maxOpenedValue))
	_, ok = c.get([]byte("long"))
	require.False(t, ok, "a value larger than maxOpenedValue is not kept")
	c.clear()
	_, ok = c.get([]byte("k0"))
	require.False(t, ok)
}

// TestSealerShardsShareTheBounds: the sealer's shards together hold what
// one cache would, no more: the ciphers' and the opened values' bounds are
// split among them.
func TestSealerShardsShareTheBounds(t *testing.T) {
	s := NewSealer(NewMemoryKeys())
	require.Len(t, s.shards, sealerShards)
	ciphers, values, bytes := 0, 0, 0
	for i := range s.shards {
		ciphers += s.shards[i].cache.max
		values += s.shards[i].opened.maxValues
		bytes += s.shards[i].opened.maxBytes
	}
	require.Equal(t, maxCiphers, ciphers)
	require.Equal(t, maxOpened, values)
	require.Equal(t, maxOpenedBytes, bytes)
}
