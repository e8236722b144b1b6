package projections

import (
	"fmt"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// A map left unmade is written as the empty map a view wrote when it made
// every one at once, so the snapshots are as before; set makes it at its
// first entry.
func TestObjectMapIsWrittenAsAnObject(t *testing.T) {
	var m struct {
		A objectMap[string, string] `json:"a"`
	}
	out, err := gojson.Marshal(&m)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{}}`, string(out))
	m.A.set("p1", domain.Present, 8)
	out, err = gojson.Marshal(&m)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{"p1":"present"}}`, string(out))
	m.A.set("p2", domain.Absent, 8)
	assert.Equal(t, objectMap[string, string]{"p1": domain.Present, "p2": domain.Absent}, m.A)

	ids := make([]string, 40)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%d", i)
	}
	attend := func(room int) float64 {
		return testing.AllocsPerRun(10, func() {
			var a objectMap[string, string]
			for _, id := range ids {
				a.set(id, domain.Present, room)
			}
		})
	}
	if !raceDetector {
		assert.Less(t, attend(len(ids)), attend(0), "made with room for all, it does not grow")
	}

	// A map with entries is written as the map was.
	entries := map[string]string{"z": "<b>&</b>", "a": "停车", "m": `"q"`}
	plain, err := gojson.Marshal(struct {
		A map[string]string `json:"a"`
	}{entries})
	require.NoError(t, err)
	out, err = gojson.Marshal(struct {
		A objectMap[string, string] `json:"a"`
	}{entries})
	require.NoError(t, err)
	assert.Equal(t, string(plain), string(out))
	assert.Equal(t, 256, attendanceRoom(20_000), "room bounded")
	assert.Equal(t, 12, attendanceRoom(12))

	// A register's meeting just scheduled, as the register wrote it.
	out, err = gojson.Marshal(&regMeeting{})
	require.NoError(t, err)
	var fields map[string]any
	require.NoError(t, gojson.Unmarshal(out, &fields))
	for _, f := range []string{"items", "motions", "mediations", "attendance"} {
		assert.Equal(t, map[string]any{}, fields[f], f)
	}
}

// The first followers of an item, and the first proposals of an agenda,
// are kept in the allocation that holds them; a tally made again reuses
// the one it replaces.
func TestRoomsMadeWithWhatHoldsThem(t *testing.T) {
	var it *notifyItem
	allocs := testing.AllocsPerRun(10, func() { it = followed(notifyItem{Title: "停车"}, "r1") })
	assertAllocs(t, 1, allocs, "the item and its room")
	assert.Equal(t, []string{"r1"}, it.Persons)
	assert.Equal(t, 4, cap(it.Persons))
	it.Persons = addOnce(addOnce(addOnce(it.Persons, "r2"), "r3"), "r1")
	assert.Equal(t, []string{"r1", "r2", "r3"}, it.Persons)
	it = followed(notifyItem{Title: "停车"}, "")
	assert.Empty(t, it.Persons)
	assert.Equal(t, "停车", it.Title)

	var list *[]string
	allocs = testing.AllocsPerRun(10, func() { list = listOf("p1") })
	assertAllocs(t, 1, allocs, "the list and its room")
	assert.Equal(t, []string{"p1"}, *list)
	assert.Equal(t, 4, cap(*list))

	options := []domain.Option{{ID: "yes", Label: "赞成"}, {ID: "no", Label: "反对"}}
	tally := tallyOf(nil, options)
	assert.Equal(t, []OptionCount{{OptionID: "yes", Label: "赞成"}, {OptionID: "no", Label: "反对"}}, tally)
	tally[0].Votes = 3
	again := tallyOf(tally, options[:1])
	assert.Equal(t, []OptionCount{{OptionID: "yes", Label: "赞成"}}, again, "counted again from nothing")
	assert.Same(t, &tally[0], &again[0], "in the memory it replaces")
	none, err := gojson.Marshal(tallyOf(nil, nil))
	require.NoError(t, err)
	assert.Equal(t, "[]", string(none), "no options: an empty tally, not null")
	grown := tallyOf(again, append(options, domain.Option{ID: "abstain", Label: "弃权"}))
	assert.Len(t, grown, 3)
	assert.Equal(t, "abstain", grown[2].OptionID)
}

// assertAllocs asserts that allocs is want, but under the race detector,
// which allocates for its own ends.
func assertAllocs(t *testing.T, want, allocs float64, what string) {
	t.Helper()
	if !raceDetector {
		assert.Equal(t, want, allocs, what)
	}
}
