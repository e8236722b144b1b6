package pebble

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// TestEveryTableFileHoldsOneTable: the files that flushes and compactions
// write hold keys of one table only (tableSpans), so that the events, keyed
// by position, never overlap the index entries or each other's older files.
func TestEveryTableFileHoldsOneTable(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	ctx := context.Background()
	body := json.RawMessage(fmt.Sprintf(`{"text":%q}`, strings.Repeat("自行车棚通道 ", 30)))
	for round := range 3 {
		for i := range 50 {
			evs := make([]eventstore.EventData, 20)
			for j := range evs {
				evs[j] = eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "proposal.noted.v1", Data: body}
			}
			_, err := s.Append(ctx, fmt.Sprintf("proposal-r%d.%d", round, i), eventstore.NoStream(), evs...)
			require.NoError(t, err)
		}
		require.NoError(t, s.db.Flush())
	}
	require.NoError(t, s.db.Compact(ctx, []byte{0}, []byte{0xff}, false))

	levels, err := s.db.SSTables()
	require.NoError(t, err)
	tables := map[byte]int{}
	for l, files := range levels {
		for _, f := range files {
			first, last := f.Smallest.UserKey[0], f.Largest.UserKey[0]
			require.Equal(t, string(first), string(last), "L%d file %s holds keys from table %q to %q", l, f.FileNum, first, last)
			tables[first]++
		}
	}
	require.Len(t, tables, 3, "files of the events and of both indexes: %v", tables)
}
