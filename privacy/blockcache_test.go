package privacy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/internal/blockcache"
)

// TestKeyDirReadsThroughTheSharedBlockCache: the key directory caches its
// blocks in the process's one block cache.
func TestKeyDirReadsThroughTheSharedBlockCache(t *testing.T) {
	d, err := OpenKeyDir(t.TempDir())
	require.NoError(t, err)
	defer func() { require.NoError(t, d.Close()) }()
	ctx := context.Background()
	_, err = d.Ensure(ctx, []string{"person-1"})
	require.NoError(t, err)
	require.NoError(t, d.db.Flush())
	before := blockcache.Reads()
	_, err = d.Key(ctx, "person-1")
	require.NoError(t, err)
	require.Greater(t, blockcache.Reads(), before)
}
