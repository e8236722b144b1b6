package projections

import (
	"log/slog"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/internal/blockcache"
)

// TestTableStoreReadsThroughTheSharedBlockCache: the views' table store
// caches its blocks in the process's one block cache.
func TestTableStoreReadsThroughTheSharedBlockCache(t *testing.T) {
	st, err := openTableStore(t.TempDir(), false, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer func() { require.NoError(t, st.close()) }()
	require.NoError(t, st.db.Set([]byte("k"), []byte("v"), pebble.Sync))
	require.NoError(t, st.db.Flush())
	before := blockcache.Reads()
	v, err := st.get([]byte("k"))
	require.NoError(t, err)
	require.Equal(t, "v", string(v))
	require.Greater(t, blockcache.Reads(), before)
}
