package pebble

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// TestFilteredReadFromIndex reads the log filtered by stream prefixes (and
// types) through the stream index and through the log itself (more
// matches than maxIndexed), and checks both give what a plain read of the
// whole log, filtered here, gives: the same events in log order, from any
// position, up to any maximum.
func TestFilteredReadFromIndex(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	ctx := context.Background()
	kinds := []string{"token-", "proposal-", "erasure-", "tokens-x"}
	for i := range 300 {
		stream := fmt.Sprintf("%s%d", kinds[i%len(kinds)], i%7)
		typ := []string{"token.issued.v1", "proposal.submitted.v1", "erasure.data_erased.v1"}[i%3]
		_, err := s.Append(ctx, stream, eventstore.Any(), eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, Data: json.RawMessage(`{}`)})
		require.NoError(t, err)
	}
	var all []eventstore.Event
	for e, err := range s.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		all = append(all, e)
	}
	filters := []eventstore.Filter{
		{StreamPrefixes: []string{"token-", "erasure-"}},
		{StreamPrefixes: []string{"token-", "erasure-"}, TypePrefixes: []string{"token."}},
		{StreamPrefixes: []string{"tokens", "token-1"}},
		{StreamPrefixes: []string{"nobody-"}},
	}
	saved := maxIndexed
	t.Cleanup(func() { maxIndexed = saved })
	for _, limit := range []int{saved, 10} {
		maxIndexed = limit
		for _, f := range filters {
			for _, from := range []eventstore.Position{0, all[1].Position, all[150].Position, all[299].Position + 1} {
				for _, max := range []uint64{0, 1, 25} {
					var want []uuid.UUID
					for _, e := range all {
						if e.Position >= from && f.Match(e.Stream, e.Type) && (max == 0 || uint64(len(want)) < max) {
							want = append(want, e.ID)
						}
					}
					var got []uuid.UUID
					for e, err := range s.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Max: max, Filter: f}) {
						require.NoError(t, err)
						got = append(got, e.ID)
					}
					require.Equal(t, want, got, "maxIndexed %d, filter %+v, from %d, max %d", limit, f, from, max)
				}
			}
		}
	}
}
