package blockcache

import (
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
)

// TestSharedIsOneCacheOfSize: every caller gets the same cache, of Size,
// and reads of a database opened with it count in Reads; a database with
// a cache of its own does not.
func TestSharedIsOneCacheOfSize(t *testing.T) {
	require.Same(t, Shared(), Shared())
	require.EqualValues(t, Size, Shared().MaxSize())

	read := func(c *pebble.Cache) {
		db, err := pebble.Open(t.TempDir(), &pebble.Options{Cache: c})
		require.NoError(t, err)
		require.NoError(t, db.Set([]byte("k"), []byte("v"), pebble.Sync))
		require.NoError(t, db.Flush())
		_, closer, err := db.Get([]byte("k"))
		require.NoError(t, err)
		require.NoError(t, closer.Close())
		require.NoError(t, db.Close())
	}
	before := Reads()
	own := pebble.NewCache(1 << 20)
	defer own.Unref()
	read(own)
	require.Equal(t, before, Reads(), "a database with its own cache")
	read(Shared())
	require.Greater(t, Reads(), before, "a database with the shared cache")
}
