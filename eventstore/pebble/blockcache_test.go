package pebble

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/internal/blockcache"
)

// TestStoreReadsThroughTheSharedBlockCache: the store's blocks are cached
// in the process's one block cache (internal/blockcache).
func TestStoreReadsThroughTheSharedBlockCache(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	ctx := context.Background()
	_, err = s.Append(ctx, "proposal-1", eventstore.NoStream(),
		eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "proposal.noted.v1", Data: json.RawMessage(`{"n":1}`)})
	require.NoError(t, err)
	require.NoError(t, s.db.Flush())
	before := blockcache.Reads()
	for _, err := range s.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
	}
	require.Greater(t, blockcache.Reads(), before)
}
