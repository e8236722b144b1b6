package privacy

import (
	"context"
	"fmt"
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
	s := NewSealer(NewMemoryKeys())
	s.cache = newCipherCache(bound, 0)
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
		s.mu.RLock()
		size := s.cache.len()
		s.mu.RUnlock()
		require.LessOrEqual(t, size, bound)
	}
	require.Equal(t, ErasedName, open(0))
	for i := 1; i < n; i += 997 {
		require.Equal(t, fmt.Sprintf("居民%d", i), open(i), "opened again after its eviction")
	}
}

// TestOpenedCacheIsBounded: the cache of opened values holds at most two
// generations of its bound, keeps the latest values, and forgets all on
// clear.
func TestOpenedCacheIsBounded(t *testing.T) {
	c := openedCache{max: 4}
	for i := range 11 {
		c.put(fmt.Sprintf("v%d", i), fmt.Sprintf("p%d", i))
		require.LessOrEqual(t, c.len(), 8)
	}
	p, ok := c.get([]byte("v10"))
	require.True(t, ok)
	require.Equal(t, "p10", p)
	_, ok = c.get([]byte("v0"))
	require.False(t, ok, "the oldest generation is dropped")
	c.clear()
	_, ok = c.get([]byte("v10"))
	require.False(t, ok)
}
