package ledger_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
)

func TestEncodeEventsChainsLikeExecute(t *testing.T) {
	ctx := context.Background()
	store := MustOpenStore(t)
	l := ledger.New(store, ledger.WithClock(clock))
	id := uuid.NewString()
	stream := domain.ProposalStream(id)

	// Decide two commands in memory and append them in one go.
	first, err := domain.Decide(nil, submit(id), clock())
	require.NoError(t, err)
	second, err := domain.Decide(first, support(id, 1), clock())
	require.NoError(t, err)
	opts := ledger.Options{CommandID: "bulk-1", CorrelationID: "corr-1"}
	data, err := ledger.EncodeEvents(stream, -1, "", append(first, second...), facilitator, opts, func() uuid.UUID { return uuid.Must(uuid.NewV7()) }, clock())
	require.NoError(t, err)
	require.Len(t, data, 2)
	assert.Empty(t, data[0].Metadata.PrevHash)
	assert.Equal(t, data[0].Metadata.Hash, data[1].Metadata.PrevHash)
	assert.Equal(t, "corr-1", data[1].Metadata.CorrelationID)
	assert.Equal(t, "bulk-1", data[1].Metadata.CausationID)
	for _, d := range data {
		// Marked as json.Marshal's output, which the store does not parse
		// again: it must be valid JSON indeed.
		assert.True(t, d.Marshalled)
		assert.True(t, json.Valid(d.Data), "%s", d.Data)
	}
	_, err = store.Append(ctx, stream, eventstore.NoStream(), data...)
	require.NoError(t, err)

	// The ledger continues the chain from the bulk-written events.
	res, err := l.Execute(ctx, support(id, 2), facilitator, ledger.Options{})
	require.NoError(t, err)
	assert.Equal(t, uint64(2), res.Revision)

	// Continuing a chain from revision 2 with its hash.
	var last eventstore.Event
	for ev, err := range store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.LastRevision, Max: 1}) {
		require.NoError(t, err)
		last = ev
	}
	history, _, err := l.Load(ctx, stream)
	require.NoError(t, err)
	more, err := domain.Decide(history, support(id, 3), clock())
	require.NoError(t, err)
	data, err = ledger.EncodeEvents(stream, int64(last.Revision), last.Metadata.Hash, more, facilitator, ledger.Options{}, uuid.New, clock())
	require.NoError(t, err)
	_, err = store.Append(ctx, stream, eventstore.Exact(last.Revision), data...)
	require.NoError(t, err)

	rep, err := ledger.Verify(ctx, store, nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(4), rep.Events)

	// A chain continued from the wrong hash does not verify.
	other := uuid.NewString()
	evs, err := domain.Decide(nil, submit(other), clock())
	require.NoError(t, err)
	data, err = ledger.EncodeEvents(domain.ProposalStream(other), -1, last.Metadata.Hash, evs, facilitator, ledger.Options{}, uuid.New, clock())
	require.NoError(t, err)
	_, err = store.Append(ctx, domain.ProposalStream(other), eventstore.NoStream(), data...)
	require.NoError(t, err)
	_, err = ledger.Verify(ctx, store, nil)
	var terr *ledger.TamperError
	require.ErrorAs(t, err, &terr)
}

func TestFollowUpOptions(t *testing.T) {
	first := uuid.MustParse("01930000-0000-7000-8000-000000000001")
	o := ledger.FollowUpOptions(first, 2, ledger.Options{CommandID: "cmd", CorrelationID: "corr", IfMatch: new(int64)})
	assert.Equal(t, "01930000-0000-7000-8000-000000000001/2", o.CommandID)
	assert.Equal(t, "corr", o.CorrelationID)
	assert.Nil(t, o.IfMatch, "a follow-up targets another stream: the caller's If-Match does not carry over")
}
