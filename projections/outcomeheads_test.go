package projections

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// outcomeHeadJSON is an outcomes head as snapshots hold it: the head the
// outcomes list kept in a map by id, and wrote with goccy, before its
// heads were kept in rows of numbers.
type outcomeHeadJSON struct {
	CommunityID string              `json:"c"`
	GridID      string              `json:"g"`
	ProposalID  string              `json:"pr,omitempty"`
	MeetingID   string              `json:"m,omitempty"`
	OwnerID     string              `json:"o,omitempty"`
	Status      string              `json:"s"`
	Due         int64               `json:"d,omitempty"`
	DueUnix     int64               `json:"du"`
	Position    eventstore.Position `json:"p"`
}

// outcomesJSONOf is the outcomes' heads by id as snapshots hold them.
func outcomesJSONOf(hs *heads[ident, outcomeHead]) map[string]outcomeHeadJSON {
	out := map[string]outcomeHeadJSON{}
	for _, row := range hs.rows {
		h := row.head
		out[hs.idText(&row)] = outcomeHeadJSON{
			CommunityID: hs.places.name(h.community), GridID: hs.places.name(h.grid), ProposalID: h.ProposalID.text(&hs.others),
			MeetingID: h.MeetingID.text(&hs.others), OwnerID: hs.places.name(h.owner), Status: hs.words.name(h.status),
			Due: h.Due, DueUnix: h.DueUnix, Position: h.Position,
		}
	}
	return out
}

// randomNames returns a maker of random names: prefix and a number below
// n, or with escapes, HTML or non-ASCII, or empty.
func randomNames(rng *rand.Rand) func(prefix string, n int) string {
	odd := []string{"a\"b", "</script>", "会议", "\u2028", "tab\there"}
	return func(prefix string, n int) string {
		switch rng.IntN(8) {
		case 0:
			return prefix + odd[rng.IntN(len(odd))]
		case 1:
			return ""
		}
		return fmt.Sprintf("%s%d", prefix, rng.IntN(n))
	}
}

// randomOutcomeHeads is up to 60 heads with random ids (as randomIDs
// makes them), places, owners, statuses and dates, some left empty (and
// out of the JSON).
func randomOutcomeHeads(rng *rand.Rand) map[string]outcomeHeadJSON {
	name := randomNames(rng)
	id := randomIDs(rng, name)
	heads := map[string]outcomeHeadJSON{}
	for range rng.IntN(61) {
		h := outcomeHeadJSON{
			CommunityID: name("c", 3), GridID: name("g", 9), ProposalID: id("p-", 50), MeetingID: id("m-", 50),
			OwnerID: name("unit-", 5), Status: []string{ActionAssigned, ActionCompleted, ActionReopened, ""}[rng.IntN(4)],
			DueUnix: rng.Int64() - 1<<62, Position: eventstore.Position(rng.Uint64()),
		}
		if rng.IntN(3) > 0 {
			h.Due = rng.Int64() - 1<<62
		}
		heads[id("a-", 1000)] = h
	}
	return heads
}

// TestOutcomeHeadsAreWrittenAndReadAsTheirMapWas: the outcomes' heads,
// kept in rows of numbers, are written byte for byte as goccy wrote the
// map of heads by id they replace, and read back as they were, and as
// JSON v2's reflection reads the same bytes into that map; the snapshot
// is that map under "heads", and one without heads, or with a head given
// twice, is refused.
func TestOutcomeHeadsAreWrittenAndReadAsTheirMapWas(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 5))
	for range 300 {
		want := randomOutcomeHeads(rng)
		old, err := gojson.Marshal(struct {
			Heads map[string]outcomeHeadJSON `json:"heads"`
		}{want})
		require.NoError(t, err)

		o := NewViews().Outcomes
		require.NoError(t, o.UnmarshalSnapshot(bytes.NewReader(old)), "%s", old)
		require.Equal(t, want, outcomesJSONOf(&o.heads))
		out, err := o.snapshotJSON()
		require.NoError(t, err)
		require.Equal(t, string(old), string(out))
		require.Equal(t, string(old), string(rowsRoundTrip(t, o, NewViews().Outcomes)))
		assert.Equal(t, map[string]int{"heads": len(want)}, o.mapSizes())

		var reflected struct {
			Heads map[string]outcomeHeadJSON `json:"heads"`
		}
		require.NoError(t, jsonv2.Unmarshal(out, &reflected))
		require.Equal(t, reflected.Heads, outcomesJSONOf(&o.heads))
	}

	o := NewViews().Outcomes
	require.NoError(t, o.UnmarshalSnapshot(strings.NewReader(`{"heads":{"a\u002d1":{"c":"c1","o":"u\u002d1","zz":[null],"d":null,"p":2},"a-2":null,"a-3":{"c":"c1","o":"u-1","p":1}}}`)))
	assert.Equal(t, map[string]outcomeHeadJSON{
		"a-1": {CommunityID: "c1", OwnerID: "u-1", Position: 2},
		"a-2": {},
		"a-3": {CommunityID: "c1", OwnerID: "u-1", Position: 1},
	}, outcomesJSONOf(&o.heads))
	assert.Equal(t, []string{"a-2", "a-3", "a-1"}, []string{o.heads.idText(&o.heads.rows[0]), o.heads.idText(&o.heads.rows[1]), o.heads.idText(&o.heads.rows[2])}, "in position order")
	assert.Equal(t, o.heads.head("a-1").owner, o.heads.head("a-3").owner)

	for _, bad := range []string{`{}`, `{"heads":null}`, `{"heads":[]}`, `{"heads":{"a":1}}`, `{"heads":{"a":{"o":1}}}`,
		`{"heads":{"a":{"d":"1"}}}`, `{"heads":{"a":{"p":-1}}}`, `{"heads":{"a":{"p":1},"a":{"p":2}}}`} {
		o := NewViews().Outcomes
		assert.Error(t, o.UnmarshalSnapshot(strings.NewReader(bad)), bad)
	}
}
