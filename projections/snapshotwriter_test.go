package projections

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// parts records what is written to it, write by write, and fails the
// write after failAfter writes when failAfter is set.
type parts struct {
	bytes.Buffer
	writes    []int
	failAfter int
}

func (p *parts) Write(b []byte) (int, error) {
	if p.failAfter > 0 && len(p.writes) == p.failAfter {
		p.writes = append(p.writes, -1)
		return 0, errors.New("disk full")
	}
	p.writes = append(p.writes, len(b))
	return p.Buffer.Write(b)
}

// TestSnapshotsAreWrittenInParts: a view that is encoded writes its
// snapshot in parts of about snapshotChunk, never whole, and the parts
// are its MarshalSnapshot's bytes; the writer's first error stops the
// writing and is returned.
func TestSnapshotsAreWrittenInParts(t *testing.T) {
	heads := map[string]boardHeadJSON{}
	for i := range 40_000 {
		heads[fmt.Sprintf("0a1b2c3d-0000-4000-8000-%012d", i)] = boardHeadJSON{
			CommunityID: fmt.Sprintf("c-%d", i%50), GridID: fmt.Sprintf("g-%d", i%700), Category: "parking",
			Channel: "app", Status: "open", Submitted: int64(i), Position: eventstore.Position(i + 1)}
	}
	b := NewViews().Board
	b.heads = headsOf(t, heads)
	whole, err := b.MarshalSnapshot()
	require.NoError(t, err)
	require.Greater(t, len(whole), 3*snapshotChunk)

	var p parts
	write, err := snapshotOf(b) // as the runner writes it
	require.NoError(t, err)
	require.NoError(t, write(&p))
	assert.Equal(t, whole, p.Bytes(), "the parts are the snapshot")
	require.Greater(t, len(p.writes), 3)
	for _, n := range p.writes {
		assert.LessOrEqual(t, n, snapshotChunk+256, "a part is about snapshotChunk")
	}

	failing := parts{failAfter: 1}
	require.EqualError(t, write(&failing), "disk full")
	require.Len(t, failing.writes, 2, "nothing is written after the error")
	assert.Equal(t, len(failing.Bytes()), failing.writes[0])
	assert.Equal(t, -1, failing.writes[1], "the failed write")
}
