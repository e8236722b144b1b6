package projections

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// boardHeadJSON is a board head as snapshots hold it: the head the board
// kept in a map by id, and wrote with goccy, before its heads were kept in
// rows of numbers.
type boardHeadJSON struct {
	CommunityID string              `json:"c"`
	GridID      string              `json:"g"`
	CompoundID  string              `json:"cp,omitempty"`
	Category    string              `json:"k"`
	Channel     string              `json:"ch"`
	Status      string              `json:"s"`
	Submitted   int64               `json:"t"`
	Position    eventstore.Position `json:"p"`
	Actions     []actionMark        `json:"a,omitempty"`
}

// headsOf makes the heads of heads by id, numbered as the fold numbers
// them, and indexed as a snapshot's are.
func headsOf(t *testing.T, heads map[string]boardHeadJSON) heads[ident, boardHead] {
	hs := newHeads[ident, boardHead](0)
	for id, j := range heads {
		hs.rows = append(hs.rows, headRow[ident, boardHead]{id: identOf(id, &hs.others), head: boardHead{
			community: hs.places.of(j.CommunityID), grid: hs.places.of(j.GridID), compound: hs.places.of(j.CompoundID),
			category: hs.words.of(j.Category), channel: hs.words.of(j.Channel), status: hs.words.of(j.Status),
			Submitted: j.Submitted, Position: j.Position, acts: hs.marks.add(j.Actions),
		}})
	}
	require.NoError(t, hs.index())
	return hs
}

// jsonOf is the heads by id as snapshots hold them.
func jsonOf(hs *heads[ident, boardHead]) map[string]boardHeadJSON {
	out := map[string]boardHeadJSON{}
	for _, row := range hs.rows {
		r := row.head
		out[hs.idText(&row)] = boardHeadJSON{
			CommunityID: hs.places.name(r.community), GridID: hs.places.name(r.grid), CompoundID: hs.places.name(r.compound),
			Category: hs.words.name(r.category), Channel: hs.words.name(r.channel), Status: hs.words.name(r.status),
			Submitted: r.Submitted, Position: r.Position, Actions: hs.marks.of(r.acts),
		}
	}
	return out
}

// boardRows is how the builds before fixed rows wrote a board head to
// rows of numbers (still read, boardHead.readBinary): its numbers, its
// time and position, and its actions' due dates and flags after their
// count.
func boardRows(hs *heads[ident, boardHead]) func(h *boardHead, out []byte) []byte {
	return func(h *boardHead, out []byte) []byte {
		for _, n := range [...]int32{h.community, h.grid, h.compound, h.category, h.channel, h.status} {
			out = binary.AppendUvarint(out, uint64(n))
		}
		out = binary.AppendVarint(out, h.Submitted)
		out = binary.AppendUvarint(out, uint64(h.Position))
		marks := hs.marks.of(h.acts)
		out = binary.AppendUvarint(out, uint64(len(marks)))
		for _, m := range marks {
			out = binary.AppendVarint(out, m.Due)
			out = appendFlag(out, m.Open)
		}
		return out
	}
}

// appendFlag appends a boolean as one byte.
func appendFlag(out []byte, b bool) []byte {
	if b {
		return append(out, 1)
	}
	return append(out, 0)
}

// readHeads reads heads as a board snapshot's member "heads" is read.
func readHeads(in []byte) (heads[ident, boardHead], error) {
	hs := newHeads[ident, boardHead](0)
	dec := jsontext.NewDecoder(bytes.NewReader(in), jsontext.AllowDuplicateNames(true))
	if err := hs.read(dec, (*boardHead).read); err != nil {
		return hs, err
	}
	if _, err := dec.ReadToken(); err == nil {
		return hs, fmt.Errorf("more after the heads")
	}
	return hs, hs.index()
}

// appendHeads writes hs as the board's snapshot does.
func appendHeads(hs *heads[ident, boardHead]) ([]byte, error) {
	return hs.appendJSON(nil, func(out []byte, h *boardHead) ([]byte, error) { return appendBoardHead(hs, out, h) })
}

// randomHeads is up to 60 heads with random ids, places, words, times and
// actions: names with escapes, HTML and non-ASCII (a decoded event holds
// valid UTF-8 only; appendJSONString's test has the rest), ids as
// randomIDs makes them, some whose bytes sort otherwise than their
// escaped forms, empty compounds (left out) and empty actions.
func randomHeads(rng *rand.Rand) map[string]boardHeadJSON {
	odd := []string{"a\"b", "tab\there", "\x00nul", "</script>", "a&b", "会议", "\u2028", "~", "é", "\x7f"}
	name := func(prefix string, n int) string {
		if rng.IntN(8) == 0 {
			return prefix + odd[rng.IntN(len(odd))]
		}
		return fmt.Sprintf("%s%d", prefix, rng.IntN(n))
	}
	id := randomIDs(rng, name)
	heads := map[string]boardHeadJSON{}
	for range rng.IntN(61) {
		h := boardHeadJSON{
			CommunityID: name("c", 3), GridID: name("g", 9), Category: name("k", 4), Channel: name("ch", 3),
			Status:    []string{StatusSubmitted, StatusClosed, StatusOnAgenda, ""}[rng.IntN(4)],
			Submitted: rng.Int64() - 1<<62, Position: eventstore.Position(rng.Uint64()),
		}
		if rng.IntN(2) == 0 {
			h.CompoundID = name("cp", 5)
		}
		for range rng.IntN(4) {
			m := actionMark{Open: rng.IntN(2) == 0}
			if rng.IntN(3) > 0 {
				m.Due = rng.Int64() - 1<<62
			}
			h.Actions = append(h.Actions, m)
		}
		heads[id("p-", 1000)] = h
	}
	return heads
}

// TestBoardHeadsAreWrittenAndReadAsTheirMapWas: the board's heads, kept in
// rows of numbers, are written byte for byte as goccy wrote the map of
// heads by id they replace, and read back as they were, and as JSON v2's
// reflection reads the same bytes into that map.
func TestBoardHeadsAreWrittenAndReadAsTheirMapWas(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 1))
	for range 300 {
		want := randomHeads(rng)
		hs := headsOf(t, want)
		out, err := appendHeads(&hs)
		require.NoError(t, err)
		old, err := gojson.Marshal(want)
		require.NoError(t, err)
		require.Equal(t, string(old), string(out))

		got, err := readHeads(out)
		require.NoError(t, err, "%s", out)
		require.Equal(t, want, jsonOf(&got))
		reflected := map[string]boardHeadJSON{}
		require.NoError(t, jsonv2.Unmarshal(out, &reflected))
		require.Equal(t, reflected, jsonOf(&got))
	}
}

// TestBoardHeadsAreIndexedByPlace: read heads are in position order, each
// id finds its own row, and each grid's and community's rows are its
// heads, in position order.
func TestBoardHeadsAreIndexedByPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 2))
	for range 200 {
		heads := randomHeads(rng)
		out, err := gojson.Marshal(heads)
		require.NoError(t, err)
		hs, err := readHeads(out)
		require.NoError(t, err)
		require.Len(t, hs.rows, len(heads))
		for i := 1; i < len(hs.rows); i++ {
			require.LessOrEqual(t, hs.rows[i-1].head.Position, hs.rows[i].head.Position)
		}
		for id := range heads {
			h := hs.head(id)
			require.NotNil(t, h, id)
			assert.Equal(t, heads[id].Position, h.Position)
		}
		assert.Nil(t, hs.head("nobody"))
		for _, byGrid := range []bool{true, false} {
			want := map[string][]eventstore.Position{}
			for _, r := range hs.rows {
				place := heads[hs.idText(&r)].CommunityID
				if byGrid {
					place = heads[hs.idText(&r)].GridID
				}
				want[place] = append(want[place], r.head.Position)
			}
			for place, positions := range want {
				community, grid := place, ""
				if byGrid {
					community, grid = "", place
				}
				list, all := hs.list(community, grid)
				require.False(t, all)
				var got []eventstore.Position
				for _, r := range list {
					got = append(got, hs.rows[r].head.Position)
				}
				assert.Equal(t, positions, got, place)
			}
		}
		list, all := hs.list("", "")
		assert.True(t, all)
		assert.Nil(t, list)
		list, all = hs.list("", "no such grid")
		assert.False(t, all)
		assert.Empty(t, list)
	}
}

// TestPlaceListsReadThenChanged: the lists of a load are cut from one
// array, each capped, so that a row added to one or moved into it takes
// it out of the array without writing over its neighbour's; a row moves
// in order; places never read, or past those read, have none until
// given one.
func TestPlaceListsReadThenChanged(t *testing.T) {
	placeOf := []int32{0, 2, 0, 1, 2}
	l := listsOf([]int32{2, 1, 2, 0}, len(placeOf), func(i int) int32 { return placeOf[i] })
	lists := func() [][]int32 {
		out := make([][]int32, 6)
		for p := range out {
			out[p] = l.of(int32(p))
		}
		return out
	}
	assert.Equal(t, [][]int32{{0, 2}, {3}, {1, 4}, {}, nil, nil}, lists())

	l.add(0, 5)
	assert.Equal(t, [][]int32{{0, 2, 5}, {3}, {1, 4}, {}, nil, nil}, lists())
	l.move(4, 2, 1)
	assert.Equal(t, [][]int32{{0, 2, 5}, {3, 4}, {1}, {}, nil, nil}, lists())
	l.move(1, 2, 0)
	assert.Equal(t, [][]int32{{0, 1, 2, 5}, {3, 4}, {}, {}, nil, nil}, lists())
	l.move(3, 1, 5)
	assert.Equal(t, [][]int32{{0, 1, 2, 5}, {4}, {}, {}, nil, {3}}, lists())

	var none placeLists
	assert.Nil(t, none.of(0))
	none.add(7, 3)
	none.add(7, 9)
	assert.Equal(t, []int32{3, 9}, none.of(7))
}

// TestBoardHeadsReadSnapshotsAsTheyWere: names escaped, a stream read a
// byte at a time, members unknown (skipped) or null, and null heads; the
// same place in two heads is one number; heads of equal positions are in
// the order of their ids. What no board wrote is refused:
// anything but an object of objects, an id given twice.
func TestBoardHeadsReadSnapshotsAsTheyWere(t *testing.T) {
	hs, err := readHeads([]byte(`{"p\u002d1":{"g":"grid-9","c":"c\u002d1","zz":{"a":[1,{"b":null}]},"t":null,"s":null,"p":7},"p-2":{"g":"grid-9","c":"c-1","p":3},"p-3":null}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]boardHeadJSON{
		"p-1": {CommunityID: "c-1", GridID: "grid-9", Position: 7},
		"p-2": {CommunityID: "c-1", GridID: "grid-9", Position: 3},
		"p-3": {},
	}, jsonOf(&hs))
	assert.Equal(t, hs.head("p-1").grid, hs.head("p-2").grid)
	assert.Equal(t, hs.head("p-1").community, hs.head("p-2").community)
	assert.Equal(t, []string{"p-3", "p-2", "p-1"}, []string{hs.idText(&hs.rows[0]), hs.idText(&hs.rows[1]), hs.idText(&hs.rows[2])})

	tied, err := readHeads([]byte(`{"p-b":{"p":5},"p-a":{"p":5},"p-c":{"p":4},"0a":{"p":5}}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"p-c", "0a", "p-a", "p-b"}, []string{tied.idText(&tied.rows[0]), tied.idText(&tied.rows[1]), tied.idText(&tied.rows[2]), tied.idText(&tied.rows[3])}, "equal positions in the order of their ids")

	want := map[string]boardHeadJSON{}
	for i := range 300 {
		want[fmt.Sprintf("proposal-%03d", i)] = boardHeadJSON{GridID: fmt.Sprintf("g%d", i%7), Status: StatusSubmitted, Position: eventstore.Position(300 - i)}
	}
	out, err := gojson.Marshal(want)
	require.NoError(t, err)
	streamed := newHeads[ident, boardHead](0)
	require.NoError(t, streamed.read(jsontext.NewDecoder(iotest.OneByteReader(bytes.NewReader(out))), (*boardHead).read))
	require.NoError(t, streamed.index())
	assert.Equal(t, want, jsonOf(&streamed))

	for _, bad := range []string{`null`, `[]`, `{"p":[]}`, `{"p":{"p":"x"}}`, `{"p":{"c":1}}`, `{"p":{"t":"1"}}`, `{"p":{"t":1.5}}`,
		`{"p":{"p":-1}}`, `{"p":{"p":1e3}}`, `{"p":{"a":{}}}`, `{"p":{}`, `{"p":{"p":1},"p":{"p":2}}`} {
		_, err := readHeads([]byte(bad))
		assert.Error(t, err, bad)
	}
}

// TestBoardSnapshotIsTheMapOfHeads: a board's snapshot as JSON is
// {"heads": …} as before, read by UnmarshalSnapshot into the same board,
// and so are its rows; a snapshot without heads is refused.
func TestBoardSnapshotIsTheMapOfHeads(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 3))
	heads := randomHeads(rng)
	for len(heads) == 0 {
		heads = randomHeads(rng)
	}
	old, err := gojson.Marshal(struct {
		Heads map[string]boardHeadJSON `json:"heads"`
	}{heads})
	require.NoError(t, err)
	b := NewViews().Board
	require.NoError(t, b.UnmarshalSnapshot(bytes.NewReader(old)))
	assert.Equal(t, heads, jsonOf(&b.heads))
	again, err := b.snapshotJSON()
	require.NoError(t, err)
	assert.Equal(t, string(old), string(again))
	assert.Equal(t, map[string]int{"heads": len(heads)}, b.mapSizes())
	assert.Equal(t, string(old), string(rowsRoundTrip(t, b, NewViews().Board)))

	for _, bad := range []string{`{}`, `{"heads":null}`, `{"heads":{"p":1}}`} {
		b := NewViews().Board
		assert.Error(t, b.UnmarshalSnapshot(strings.NewReader(bad)), bad)
	}
	empty := NewViews().Board
	out, err := empty.snapshotJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"heads":{}}`, string(out))
	assert.Equal(t, `{"heads":{}}`, string(rowsRoundTrip(t, empty, NewViews().Board)))
}

// TestStringsAreWrittenAsGoccyWritesThem: any string, valid UTF-8 or not,
// with every byte a JSON or HTML escape is made for.
func TestStringsAreWrittenAsGoccyWritesThem(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 4))
	alphabet := []byte("aZ09-_ \"\\<>&\x00\x1f\x7f\x80\xff\xe4\xbc\x9a\xe2\x80\xa8~/")
	for range 5000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		want, err := gojson.Marshal(string(b))
		require.NoError(t, err)
		got, err := appendJSONString([]byte("x"), string(b))
		require.NoError(t, err)
		require.Equal(t, "x"+string(want), string(got), "%q", b)
	}
}

// TestARepeatedItemKeepsItsRowAndMovesItsPlace: a proposal submitted again
// or an action assigned again (which the ledger never writes) keeps its
// first position, and moves from its first grid's and community's lists
// to those it now names; the lists and pages stay in order.
func TestARepeatedItemKeepsItsRowAndMovesItsPlace(t *testing.T) {
	wuye := domain.Party{Kind: domain.PartyUnit, ID: "u1", Name: "物业"}
	submit := func(id, community, grid string, day int) domain.Event {
		return domain.ProposalSubmitted{ProposalID: id, CommunityID: community, GridID: grid, Title: id, Category: "环境", Channel: "walk_in",
			Author: domain.Party{Kind: domain.PartyPerson, ID: "r1", Name: "张三"}, At: at(day)}
	}
	assign := func(id, community, grid string, day int) domain.Event {
		return domain.ActionAssigned{ActionID: id, CommunityID: community, GridID: grid, Title: id, Owner: wuye, Due: at(30), By: "f1", At: at(day)}
	}
	v := foldAll(t, encode(t, []domain.Event{
		submit("a", "c1", "g1", 1), submit("b", "c1", "g1", 2), submit("c", "c1", "g1", 3),
		assign("x", "c1", "g1", 3), assign("y", "c1", "g1", 4),
		submit("b", "c2", "g9", 5), assign("x", "c2", "g9", 5),
		domain.ProposalSupported{ProposalID: "b", PersonID: "r2", At: at(6)},
		submit("d", "c2", "g9", 7),
	}))
	page := func(q BoardQuery) []string {
		q.Now = at(8)
		p, err := v.Board.Open(q)
		require.NoError(t, err)
		return ids(p.Items)
	}
	assert.Equal(t, []string{"a", "b", "c", "d"}, page(BoardQuery{}), "b keeps its first place in the order")
	assert.Equal(t, []string{"a", "c"}, page(BoardQuery{GridID: "g1"}))
	assert.Equal(t, []string{"b", "d"}, page(BoardQuery{GridID: "g9"}))
	assert.Equal(t, []string{"b", "d"}, page(BoardQuery{CommunityID: "c2"}))
	first := page(BoardQuery{Limit: 1})
	require.Equal(t, []string{"a"}, first)
	p, err := v.Board.Open(BoardQuery{Now: at(8), Limit: 1})
	require.NoError(t, err)
	p, err = v.Board.Open(BoardQuery{Now: at(8), Limit: 2, After: p.Next})
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c"}, ids(p.Items), "paging past the repeated item")
	var one []string
	for q := (BoardQuery{Now: at(8), Limit: 1}); ; {
		p, err := v.Board.Open(q)
		require.NoError(t, err)
		one = append(one, ids(p.Items)...)
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	assert.Equal(t, []string{"a", "b", "c", "d"}, one, "a page at a time")
	b, _, err := v.Board.Proposal("b", at(8))
	require.NoError(t, err)
	assert.Equal(t, 1, b.Supporters)
	assert.Equal(t, "g9", b.GridID)
	counts := v.Board.GridCounts("", at(8))
	require.Len(t, counts, 2)
	assert.Equal(t, [2]int{2, 2}, [2]int{counts[0].Open, counts[1].Open})

	actions := func(q OutcomesQuery) []string {
		p, err := v.Outcomes.List(q)
		require.NoError(t, err)
		var out []string
		for _, a := range p.Items {
			out = append(out, a.ActionID)
		}
		return out
	}
	assert.Equal(t, []string{"y"}, actions(OutcomesQuery{GridID: "g1"}))
	assert.Equal(t, []string{"x"}, actions(OutcomesQuery{CommunityID: "c2"}))
	assert.ElementsMatch(t, []string{"x", "y"}, actions(OutcomesQuery{}))
}
