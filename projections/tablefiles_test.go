package projections

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
)

// TestEveryStateFileHoldsOneTable: the files that the table store's
// flushes and compactions write hold the entries of one table only
// (tableFiles), two tables of one view too, so that a compaction merges
// one table's files.
func TestEveryStateFileHoldsOneTable(t *testing.T) {
	st, err := openTableStore(t.TempDir(), false, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer func() { require.NoError(t, st.close()) }()
	tables := [][]byte{tablePrefix("timeline", "stories"), tablePrefix("live", "steps"), tablePrefix("live", "meetings"), tablePrefix("board", "items")}
	for round := range 3 {
		b := st.db.NewBatch()
		for i := range 300 {
			for _, p := range tables {
				require.NoError(t, b.Set(fmt.Appendf(bytes.Clone(p), "%d.%04d", round, i), bytes.Repeat([]byte("x"), 200), nil))
			}
		}
		require.NoError(t, b.Set(metaKey("timeline"), []byte("1"), nil))
		require.NoError(t, b.Commit(pebble.Sync))
		require.NoError(t, st.db.Flush())
	}
	require.NoError(t, st.db.Compact(context.Background(), []byte{0}, []byte{0xff}, false))

	levels, err := st.db.SSTables()
	require.NoError(t, err)
	seen := map[string]int{}
	for l, files := range levels {
		for _, f := range files {
			first, last := f.Smallest.UserKey, f.Largest.UserKey
			table := func(k []byte) string {
				for _, p := range tables {
					if bytes.HasPrefix(k, p) {
						return string(p)
					}
				}
				return string(k[:1])
			}
			require.Equal(t, table(first), table(last), "L%d file %s holds keys from %q to %q", l, f.FileNum, first, last)
			seen[table(first)]++
		}
	}
	require.Len(t, seen, 5, "files of the four tables and of the other keys: %v", seen)
}

// TestTableFilesEndsAtTheTable: the end tableFiles gives is the first key
// past the start key's table.
func TestTableFilesEndsAtTheTable(t *testing.T) {
	for start, end := range map[string]string{
		"t/timeline/stories/0190": "t/timeline/stories0",
		"t/live/steps/":           "t/live/steps0",
		"t/board/":                "t/board0",
		"":                        "\x00",
		"m/timeline":              "n",
		"t/odd":                   "u",
	} {
		_, got, err := tableFiles([]byte(start))
		require.NoError(t, err)
		require.Equal(t, end, string(got), start)
	}
	_, got, err := tableFiles([]byte{0xff, 1})
	require.NoError(t, err)
	require.Nil(t, got)
}
