package projections

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

func cachedEntries(positions []eventstore.Position) []Entry {
	out := make([]Entry, len(positions))
	for i, p := range positions {
		out[i] = Entry{Position: p, Summary: fmt.Sprint("step ", p), Photos: []string{"aa"}, Tally: &domain.Tally{Options: []domain.OptionTally{{OptionID: "yes"}}}}
	}
	return out
}

func TestStoryCacheHoldsStoriesAsTheyAre(t *testing.T) {
	var c storyCache
	told := []eventstore.Position{3, 7, 9}
	c.put("p", told, cachedEntries(told))

	page, ok := c.get("p", told, 1, 3)
	require.True(t, ok)
	assert.Equal(t, cachedEntries(told)[1:3], page)
	page[0].Photos[0], page[0].Tally.Options[0].OptionID = "changed", "changed"
	again, _ := c.get("p", told, 1, 3)
	assert.Equal(t, "aa", again[0].Photos[0], "a copy")
	assert.Equal(t, "yes", again[0].Tally.Options[0].OptionID, "a copy")

	_, ok = c.get("p", []eventstore.Position{3, 5, 7, 9}, 0, 1)
	assert.False(t, ok, "a step inserted: not as it is")
	_, ok = c.get("p", told, 0, 1)
	assert.False(t, ok, "and dropped")
	c.put("p", told, cachedEntries(told))
	_, ok = c.get("p", []eventstore.Position{3, 7, 10}, 0, 1)
	assert.False(t, ok, "another last step: not as it is")

	long := make([]eventstore.Position, storyCacheLongest+1)
	for i := range long {
		long[i] = eventstore.Position(i + 1)
	}
	c.put("long", long, cachedEntries(long))
	_, ok = c.get("long", long, 0, 1)
	assert.False(t, ok, "too long to keep")

	big := []Entry{{Position: 1, Summary: strings.Repeat("长", storyCacheBytes/8)}}
	c.put("big", []eventstore.Position{1}, big)
	_, ok = c.get("big", []eventstore.Position{1}, 0, 1)
	assert.False(t, ok, "too large to keep")
}

func TestStoryCacheDropsTheLeastRecentlyUsed(t *testing.T) {
	var c storyCache
	story := make([]eventstore.Position, storyCacheLongest)
	for i := range story {
		story[i] = eventstore.Position(i + 1)
	}
	size := 0
	for _, en := range cachedEntries(story) {
		size += en.size()
	}
	fits := storyCacheBytes / size
	for i := range fits {
		c.put(fmt.Sprint(i), story, cachedEntries(story))
	}
	_, ok := c.get("0", story, 0, 1) // used: the least recent is now "1"
	require.True(t, ok)
	c.put("new", story, cachedEntries(story))
	assert.LessOrEqual(t, c.bytes, storyCacheBytes)
	_, ok = c.get("1", story, 0, 1)
	assert.False(t, ok, "the least recently used went")
	for _, id := range []string{"0", "2", "new"} {
		_, ok = c.get(id, story, 0, 1)
		assert.True(t, ok, id)
	}
	c.clear()
	_, ok = c.get("0", story, 0, 1)
	assert.False(t, ok)
	assert.Zero(t, c.bytes)
}
