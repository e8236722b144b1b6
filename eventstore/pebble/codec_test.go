package pebble

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// TestCodecReadsVersionOne decodes a value in the layout stores wrote
// before the hash scheme was added (version 1, no scheme), and round-trips
// the current one (scheme and salt).
func TestCodecReadsVersionOne(t *testing.T) {
	e := eventstore.Event{
		ID: uuid.Must(uuid.NewV7()), Stream: "proposal-1", Revision: 3, Position: 9, Type: "proposal.supported.v1",
		Recorded: time.Date(2026, 5, 1, 8, 0, 0, 123, time.UTC), Data: []byte(`{"n":1}`),
		Metadata: eventstore.Metadata{Actor: "a", Role: "r", CorrelationID: "c", CausationID: "k", PrevHash: "p", Hash: "h"},
	}
	v1 := []byte{1}
	v1 = binary.AppendUvarint(v1, e.Revision)
	v1 = binary.AppendVarint(v1, e.Recorded.UnixNano())
	v1 = append(v1, e.ID[:]...)
	for _, s := range []string{e.Stream, e.Type, "a", "r", "c", "k", "p", "h"} {
		v1 = binary.AppendUvarint(v1, uint64(len(s)))
		v1 = append(v1, s...)
	}
	v1 = append(v1, e.Data...)
	var d decoder
	got, err := d.event(9, v1)
	require.NoError(t, err)
	assert.Equal(t, e, got)

	e.Metadata.HashScheme, e.Metadata.Salt = 3, "5a1t"
	got, err = d.event(9, encodeEvent(nil, &e))
	require.NoError(t, err)
	assert.Equal(t, e, got)
}
