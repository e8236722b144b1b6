package projections

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The heads a read keeps are forgotten as the fold adds to their stories:
// Length read between any two events, for every story, says the story as
// its list holds it then.
func TestTimelineLengthFollowsTheFold(t *testing.T) {
	stored := encode(t, newGen(3, 4).events(800))
	v := NewViews()
	decode := NewDecoder().Decode
	v.readWith(logReader(&memStore{evs: stored}, decode))
	var ids []string
	seen := map[string]bool{}
	kept := 0
	for _, se := range stored {
		d, err := decode(se.Type, se.Data)
		require.NoError(t, err)
		e := Event{Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Recorded: se.Recorded, Actor: se.Metadata.Actor, Data: d, ref: refOf(se)}
		v.mu.Lock()
		for _, view := range v.all {
			require.NoError(t, view.Apply(e))
		}
		v.pos = se.Position
		v.mu.Unlock()
		if id, ok := strings.CutPrefix(se.Stream, "proposal-"); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
		for _, id := range ids {
			if _, ok := v.Timeline.heads.Peek(id); ok {
				kept++
			}
			steps, last, ok, err := v.Timeline.Length(id)
			require.NoError(t, err)
			told, err := v.Timeline.stories.all(id)
			require.NoError(t, err)
			require.True(t, ok, id)
			require.Equal(t, len(told), steps, "%s after %d", id, se.Position)
			require.Equal(t, told[len(told)-1], last, "%s after %d", id, se.Position)
			story, ok, err := v.Timeline.Of(context.Background(), id, "", 1000)
			require.NoError(t, err)
			require.True(t, ok, id)
			require.Len(t, story.Entries, len(told), "%s after %d", id, se.Position)
			require.Equal(t, told[len(told)-1], story.Entries[len(told)-1].Position, "%s after %d", id, se.Position)
		}
	}
	assert.Greater(t, len(ids), 10)
	assert.Greater(t, kept, len(stored), "most reads answered from the kept heads")
	_, _, ok, err := v.Timeline.Length("no such proposal")
	require.NoError(t, err)
	assert.False(t, ok)
}
