package pebble

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// growByFlushes appends rounds of 50 new streams of 20 events each, and,
// when older, one event to each of ten streams of the first round; it
// flushes the memtable after each round.
func growByFlushes(t *testing.T, s *Store, rounds int, older bool) {
	t.Helper()
	ctx := context.Background()
	body := json.RawMessage(fmt.Sprintf(`{"text":%q}`, strings.Repeat("自行车棚通道 ", 30)))
	event := func() eventstore.EventData {
		return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "proposal.noted.v1", Data: body}
	}
	for round := range rounds {
		for i := range 50 {
			evs := make([]eventstore.EventData, 20)
			for j := range evs {
				evs[j] = event()
			}
			_, err := s.Append(ctx, fmt.Sprintf("proposal-r%d.%d", round, i), eventstore.NoStream(), evs...)
			require.NoError(t, err)
		}
		if older {
			for i := range 10 {
				_, err := s.Append(ctx, fmt.Sprintf("proposal-r0.%d", i), eventstore.Any(), event())
				require.NoError(t, err)
			}
		}
		require.NoError(t, s.db.Flush())
	}
}

// TestEveryTableFileHoldsOneTable: the files that flushes and compactions
// write hold keys of one table only (spanpolicy.FirstByte), so that the events, keyed
// by position, never overlap the index entries or each other's older files.
func TestEveryTableFileHoldsOneTable(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	growByFlushes(t, s, 3, false)
	require.NoError(t, s.db.Compact(context.Background(), []byte{0}, []byte{0xff}, false))

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

// TestFlushedEventsAreNotRewritten: a log that grows by flushes, some of its
// appends going to older streams, leaves compactions less to rewrite than
// it flushed: the files of events overlap no other and stay as written.
// Without the span policy every flushed file spans the events and both indexes,
// and compactions rewrote about four times what was flushed.
func TestFlushedEventsAreNotRewritten(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	growByFlushes(t, s, 16, true)
	settle(s.db, 10*time.Second)
	var flushed, compacted uint64
	for _, l := range s.db.Metrics().Levels {
		flushed += l.TableBytesFlushed
		compacted += l.TableBytesCompacted
	}
	require.Positive(t, flushed)
	require.Less(t, compacted, flushed, "bytes rewritten by compactions against bytes flushed")
}
