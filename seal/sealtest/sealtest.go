// Package sealtest helps tests of the Merkle tree's saved file: a store of
// synthetic events, each with a chain hash of its own, as the tree takes
// them, without the ledger's cost per event.
package sealtest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
)

// Store returns an embedded store in a temporary directory holding n
// events of a type no view folds, appended a hundred at a time.
func Store(t testing.TB, n int) eventstore.Store {
	t.Helper()
	store, err := pebble.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })
	for i := 0; i < n; i += 100 {
		var batch []eventstore.EventData
		for j := i; j < min(n, i+100); j++ {
			batch = append(batch, eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "test.happened.v1", Data: []byte(`{}`),
				Metadata: eventstore.Metadata{Hash: EventHash(j)}})
		}
		_, err := store.Append(context.Background(), fmt.Sprintf("s-%d", i), eventstore.NoStream(), batch...)
		require.NoError(t, err)
	}
	return store
}

// EventHash is the chain hash (hex) synthetic event i carries.
func EventHash(i int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "event %d", i))
	return hex.EncodeToString(h[:])
}

// magic begins a saved tree's file of the third format.
const magic = "yishi-tree v3\n"

// HashesAt is where the stored hashes of a saved tree of n events start in
// its file (the third format: its magic, four counts, n positions).
func HashesAt(n int) int { return len(magic) + 4*8 + 8*n }

// Events returns how many events the saved tree in file (of the third
// format) holds: its first count, little-endian.
func Events(file []byte) int { return int(binary.LittleEndian.Uint64(file[len(magic):])) }
