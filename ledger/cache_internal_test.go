package ledger

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

func supported(person string) domain.Event {
	return domain.ProposalSupported{ProposalID: "p", PersonID: person}
}

// TestExtendInPlace: an entry extended from the longest one appends into
// the room of the same arrays; an older entry extended again gets arrays
// of its own, and neither update changes what the other entries hold.
func TestExtendInPlace(t *testing.T) {
	empty := &cachedStream{revision: -1}
	evs, recs, filled := empty.extend([]domain.Event{supported("a")}, []record{{revision: 0}})
	first := &cachedStream{events: evs, records: recs, revision: 0, filled: filled}
	require.GreaterOrEqual(t, cap(first.events), 2, "room to grow")

	evs, recs, filled = first.extend([]domain.Event{supported("b")}, []record{{revision: 1}})
	second := &cachedStream{events: evs, records: recs, revision: 1, filled: filled}
	require.Same(t, &first.events[0], &second.events[0], "extended in place")
	require.Same(t, first.filled, second.filled)

	evs, recs, filled = first.extend([]domain.Event{supported("c")}, []record{{revision: 1}})
	fork := &cachedStream{events: evs, records: recs, revision: 1, filled: filled}
	require.NotSame(t, &first.events[0], &fork.events[0], "the room past first is second's: a copy")
	require.Equal(t, []domain.Event{supported("a"), supported("b")}, second.events)
	require.Equal(t, []domain.Event{supported("a"), supported("c")}, fork.events)
	require.Equal(t, []domain.Event{supported("a")}, first.events)

	evs, _, same := second.extend(nil, nil)
	require.Equal(t, second.events, evs)
	require.Same(t, second.filled, same, "nothing new: the entry as it is")
}
