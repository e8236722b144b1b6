package projections

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// TestDecodedEventsShareNothing: the decoder decodes each type into a
// struct it keeps for the next event of that type; an event decoded holds
// only what its own bytes say (no field of the one before), and stays as
// it was when later events are decoded, on both cores at once.
func TestDecodedEventsShareNothing(t *testing.T) {
	d := NewDecoder()
	full, err := d.Decode("proposal.submitted.v1", []byte(`{"proposal_id":"p1","title":"停车线","compound_id":"c1","photos":["a","b"]}`))
	require.NoError(t, err)
	bare, err := d.Decode("proposal.submitted.v1", []byte(`{"proposal_id":"p2","title":"车棚"}`))
	require.NoError(t, err)
	assert.Equal(t, domain.ProposalSubmitted{ProposalID: "p2", Title: "车棚"}, bare, "nothing of the event before")
	assert.Equal(t, domain.ProposalSubmitted{ProposalID: "p1", Title: "停车线", CompoundID: "c1", Photos: []string{"a", "b"}}, full, "unchanged by the next")

	_, err = d.Decode("proposal.submitted.v1", []byte(`{"title": 3}`))
	require.Error(t, err)
	after, err := d.Decode("proposal.submitted.v1", []byte(`{"proposal_id":"p3"}`))
	require.NoError(t, err)
	assert.Equal(t, domain.ProposalSubmitted{ProposalID: "p3"}, after, "nothing of an event that failed")

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				id := fmt.Sprintf("p%d-%d", g, i)
				e, err := d.Decode("proposal.submitted.v1", fmt.Appendf(nil, `{"proposal_id":%q,"photos":[%q]}`, id, id))
				if assert.NoError(t, err) {
					assert.Equal(t, domain.ProposalSubmitted{ProposalID: id, Photos: []string{id}}, e)
				}
			}
		})
	}
	wg.Wait()
}
