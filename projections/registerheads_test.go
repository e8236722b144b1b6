package projections

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	jsonv2 "github.com/go-json-experiment/json"
	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// decisionHeadJSON is a register head as snapshots hold it: the head the
// register kept in a map by id, and wrote with goccy, before its heads
// were kept in rows of numbers.
type decisionHeadJSON struct {
	CommunityID string              `json:"c"`
	GridID      string              `json:"g"`
	MeetingID   string              `json:"m"`
	ProposalID  string              `json:"pr,omitempty"`
	How         string              `json:"h"`
	Position    eventstore.Position `json:"p"`
}

// oldRegisterState is the register's state as snapshots hold it.
type oldRegisterState struct {
	Meetings map[string]*regMeeting      `json:"meetings"`
	Heads    map[string]decisionHeadJSON `json:"heads"`
}

// registerJSONOf is the register's heads by id as snapshots hold them.
func registerJSONOf(hs *heads[identPair, decisionHead]) map[string]decisionHeadJSON {
	out := map[string]decisionHeadJSON{}
	for _, row := range hs.rows {
		h := row.head
		out[hs.idText(&row)] = decisionHeadJSON{
			CommunityID: hs.places.name(h.community), GridID: hs.places.name(h.grid), MeetingID: h.MeetingID.text(&hs.others),
			ProposalID: h.ProposalID.text(&hs.others), How: hs.words.name(h.how), Position: h.Position,
		}
	}
	return out
}

// TestDecisionHeadsAreWrittenAndReadAsTheirMapWas: the register's heads,
// kept in rows of numbers, are written byte for byte as goccy wrote the
// register's state with its map of heads by id, with the meetings still
// deciding before them, and read back as they were, and as JSON v2's
// reflection reads the same bytes; read a byte at a time too. A snapshot
// without its maps, or with a head given twice, is refused.
func TestDecisionHeadsAreWrittenAndReadAsTheirMapWas(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 6))
	name := randomNames(rng)
	id := randomIDs(rng, name)
	for round := range 300 {
		want := oldRegisterState{Meetings: map[string]*regMeeting{}, Heads: map[string]decisionHeadJSON{}}
		if rng.IntN(3) == 0 {
			want.Meetings["m-open"] = &regMeeting{Info: domain.MeetingScheduled{MeetingID: "m-open", Title: "停车线"},
				Items: map[string]domain.AgendaItemAdded{}, Motions: map[string]*regMotion{}, Mediations: map[string]domain.MediationOffered{},
				Invited: 3, Attendance: map[string]string{"p1": "present"}}
		}
		for range rng.IntN(61) {
			meeting := id("m-", 40)
			want.Heads[meeting+"/"+id("mo-", 3)] = decisionHeadJSON{
				CommunityID: name("c", 3), GridID: name("g", 9), MeetingID: meeting, ProposalID: id("p-", 50),
				How: []string{"vote", "consensus", "mediation", ""}[rng.IntN(4)], Position: eventstore.Position(rng.Uint64()),
			}
		}
		old, err := gojson.Marshal(want)
		require.NoError(t, err)

		r := NewViews().Register
		var in = bytes.NewReader(old)
		if round%10 == 0 {
			require.NoError(t, r.UnmarshalSnapshot(iotest.OneByteReader(in)), "%s", old)
		} else {
			require.NoError(t, r.UnmarshalSnapshot(in), "%s", old)
		}
		require.Equal(t, want.Heads, registerJSONOf(&r.heads))
		require.Equal(t, len(want.Meetings), len(r.st.Meetings))
		out, err := r.snapshotJSON()
		require.NoError(t, err)
		require.Equal(t, string(old), string(out))
		require.Equal(t, string(old), string(rowsRoundTrip(t, r, NewViews().Register)))
		assert.Equal(t, map[string]int{"meetings": len(want.Meetings), "heads": len(want.Heads)}, r.mapSizes())

		var reflected oldRegisterState
		require.NoError(t, jsonv2.Unmarshal(out, &reflected))
		require.Equal(t, reflected.Heads, registerJSONOf(&r.heads))
	}

	for _, bad := range []string{`{"heads":{}}`, `{"meetings":{}}`, `{"meetings":{},"heads":null}`, `{"meetings":{},"heads":{"k":{"h":1}}}`,
		`{"meetings":{},"heads":{"k":{"p":1},"k":{"p":2}}}`} {
		r := NewViews().Register
		assert.Error(t, r.UnmarshalSnapshot(strings.NewReader(bad)), bad)
	}
}
