package kurrent_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
	"github.com/yishi-civic/yishi/eventstore/storetest"
)

// TestReadAtAsksForOneRecordEach: the adapter's ReadAt asks the server for
// one record per position, where a read of $all from each position (the
// generic eventstore.ReadAt) asks for the rest of the log and makes the
// server send records until the stream is closed.
func TestReadAtAsksForOneRecordEach(t *testing.T) {
	srv := kurrenttest.MustStart(t)
	s := mustOpen(t, srv)
	ctx := context.Background()
	for range 500 {
		_, err := s.Append(ctx, "test-"+uuid.NewString(), eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: "test.added.v1", Data: []byte(`{"n":1}`)})
		require.NoError(t, err)
	}
	all, err := storetest.Collect(s.ReadAll(ctx, eventstore.ReadAllOptions{}))
	require.NoError(t, err)
	var positions []eventstore.Position
	for i := 0; i < len(all); i += 25 {
		positions = append(positions, all[i].Position)
	}

	before := srv.AllRecordsSent()
	got, err := s.ReadAt(ctx, positions)
	require.NoError(t, err)
	require.Len(t, got, len(positions))
	for i := range positions {
		assert.Equal(t, all[i*25], got[i])
	}
	assert.Equal(t, int64(len(positions)), srv.AllRecordsSent()-before, "one record a position")

	before = srv.AllRecordsSent()
	_, err = eventstore.ReadAt(ctx, struct{ eventstore.Store }{s}, positions)
	require.NoError(t, err)
	assert.Greater(t, srv.AllRecordsSent()-before, int64(2*len(positions)), "the generic read asks for more")
}
