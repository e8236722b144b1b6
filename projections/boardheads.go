package projections

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gojson "github.com/goccy/go-json"

	"github.com/yishi-civic/yishi/eventstore"
)

// dictionary numbers the strings it is given in order of first sight; 0
// is "". A head that keeps six numbers of 4 bytes, where it kept six
// strings of 16, takes 72 bytes, not 144 (docs/performance.md, eighteenth
// session).
type dictionary struct {
	number map[string]int32
	names  []string
}

func newDictionary() dictionary {
	return dictionary{number: map[string]int32{"": 0}, names: []string{""}}
}

// of returns s's number, numbering s if it is new.
func (d *dictionary) of(s string) int32 {
	if n, ok := d.number[s]; ok {
		return n
	}
	n := int32(len(d.names))
	d.number[s] = n
	d.names = append(d.names, s)
	return n
}

// ofBytes is of for the bytes b (a decoder's, which move on): it copies
// them only if they are new.
func (d *dictionary) ofBytes(b []byte) int32 {
	if n, ok := d.number[string(b)]; ok {
		return n
	}
	return d.of(string(b))
}

// find returns s's number, false if s was never given.
func (d *dictionary) find(s string) (int32, bool) {
	n, ok := d.number[s]
	return n, ok
}

// name returns the string numbered n.
func (d *dictionary) name(n int32) string { return d.names[n] }

// boardRow is a proposal's head with its id.
type boardRow struct {
	id string
	boardHead
}

// boardHeads holds the board's heads in position order, numbered by row:
// the row of each id, and the rows of each grid and community (by number)
// in position order, so that a page of either is a binary search away.
// Rows are added in position order as the fold meets proposals, and
// sorted into it when a snapshot is read. Places (communities, grids,
// compounds) and words (categories, channels, statuses) are numbered in
// dictionaries of their own: a look-up in the dozen words stays in the
// CPU's cache, where one among a city's places misses it.
type boardHeads struct {
	rows                []boardRow
	row                 map[string]int32
	byGrid, byCommunity map[int32][]int32
	places, words       dictionary
}

// newBoardHeads returns empty heads with room for n rows.
func newBoardHeads(n int) boardHeads {
	return boardHeads{
		rows: make([]boardRow, 0, n), row: make(map[string]int32, n),
		byGrid: map[int32][]int32{}, byCommunity: map[int32][]int32{},
		places: newDictionary(), words: newDictionary(),
	}
}

// head returns the head of proposal id, nil if there is none.
func (hs *boardHeads) head(id string) *boardHead {
	r, ok := hs.row[id]
	if !ok {
		return nil
	}
	return &hs.rows[r].boardHead
}

// add appends the head of a new proposal id, which comes after every
// other in position order.
func (hs *boardHeads) add(id string, h boardHead) {
	r := int32(len(hs.rows))
	hs.rows = append(hs.rows, boardRow{id: id, boardHead: h})
	hs.row[id] = r
	hs.byGrid[h.grid] = append(hs.byGrid[h.grid], r)
	hs.byCommunity[h.community] = append(hs.byCommunity[h.community], r)
}

// list returns the rows of grid if set, else of community if set, in
// position order; all is true for every row (list is nil then), and
// neither for a place the board never saw.
func (hs *boardHeads) list(community, grid string) (list []int32, all bool) {
	switch {
	case grid != "":
		if n, ok := hs.places.find(grid); ok {
			return hs.byGrid[n], false
		}
		return nil, false
	case community != "":
		if n, ok := hs.places.find(community); ok {
			return hs.byCommunity[n], false
		}
		return nil, false
	}
	return nil, true
}

// after returns the index in list (every row when all) of the first row
// past position p.
func (hs *boardHeads) after(list []int32, all bool, p eventstore.Position) int {
	if all {
		return sort.Search(len(hs.rows), func(i int) bool { return hs.rows[i].Position > p })
	}
	return sort.Search(len(list), func(i int) bool { return hs.rows[list[i]].Position > p })
}

// index sorts rows read from a snapshot into position order, and makes
// the row of each id and the rows of each place, each list at its size
// and all of a kind in one array. An id given twice is an error (no
// snapshot written from the board holds one).
func (hs *boardHeads) index() error {
	slices.SortFunc(hs.rows, func(a, b boardRow) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), strings.Compare(a.id, b.id))
	})
	hs.row = make(map[string]int32, len(hs.rows))
	grids, communities := make([]int32, len(hs.places.names)), make([]int32, len(hs.places.names))
	for i := range hs.rows {
		r := &hs.rows[i]
		if _, ok := hs.row[r.id]; ok {
			return fmt.Errorf("proposal %q given twice", r.id)
		}
		hs.row[r.id] = int32(i)
		grids[r.grid]++
		communities[r.community]++
	}
	hs.byGrid, hs.byCommunity = listsOf(grids), listsOf(communities)
	for i := range hs.rows {
		r := &hs.rows[i]
		hs.byGrid[r.grid] = append(hs.byGrid[r.grid], int32(i))
		hs.byCommunity[r.community] = append(hs.byCommunity[r.community], int32(i))
	}
	return nil
}

// listsOf makes an empty list with room for sizes[n] rows for each number
// n of a place that has rows, all in one array.
func listsOf(sizes []int32) map[int32][]int32 {
	places, total := 0, 0
	for _, s := range sizes {
		if s > 0 {
			places, total = places+1, total+int(s)
		}
	}
	out := make(map[int32][]int32, places)
	backing := make([]int32, total)
	for n, s := range sizes {
		if s > 0 {
			out[int32(n)], backing = backing[:0:s], backing[s:]
		}
	}
	return out
}

// read reads the object of heads by id dec is at, as appendJSON writes
// it, into hs (then index sorts them). null is no heads, and a null head
// a zero one.
func (hs *boardHeads) read(dec *jsontext.Decoder) error {
	if dec.PeekKind() != '{' {
		return fmt.Errorf("heads: want an object, not %v", dec.PeekKind())
	}
	return members(dec, func(name []byte) error {
		id := string(name) // before the head is read over name's bytes
		var h boardHead
		if err := h.read(dec, &hs.places, &hs.words); err != nil {
			return err
		}
		hs.rows = append(hs.rows, boardRow{id: id, boardHead: h})
		return nil
	})
}

// read reads h as appendJSON wrote it, its places and words numbered in
// places and words.
func (h *boardHead) read(dec *jsontext.Decoder, places, words *dictionary) error {
	return members(dec, func(name []byte) (err error) {
		switch string(name) {
		case "c":
			h.community, err = readNamed(dec, places)
		case "g":
			h.grid, err = readNamed(dec, places)
		case "cp":
			h.compound, err = readNamed(dec, places)
		case "k":
			h.category, err = readNamed(dec, words)
		case "ch":
			h.channel, err = readNamed(dec, words)
		case "s":
			h.status, err = readNamed(dec, words)
		case "t":
			h.Submitted, err = readInt(dec)
		case "p":
			h.Position, err = readPosition(dec)
		case "a":
			err = jsonv2.UnmarshalDecode(dec, &h.Actions)
		default:
			err = dec.SkipValue()
		}
		return err
	})
}

// readNamed reads a string, or null as "", and returns its number in d.
func readNamed(dec *jsontext.Decoder, d *dictionary) (int32, error) {
	b, err := readText(dec)
	if err != nil {
		return 0, err
	}
	return d.ofBytes(b), nil
}

// appendJSON appends the heads as the board wrote its map of heads by id
// with goccy/go-json before they were kept in rows, byte for byte: an
// object of heads sorted by id, each with its members c, g, cp (left out
// when empty), k, ch, s, t, p and a (left out when empty). Either build
// reads the other's snapshots.
func (hs *boardHeads) appendJSON(out []byte) ([]byte, error) {
	order := make([]int32, len(hs.rows))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(hs.rows[a].id, hs.rows[b].id) })
	out = append(out, '{')
	var err error
	for i, r := range order {
		if i > 0 {
			out = append(out, ',')
		}
		row := &hs.rows[r]
		if out, err = appendJSONString(out, row.id); err != nil {
			return nil, fmt.Errorf("head of %q: %w", row.id, err)
		}
		if out, err = hs.appendHead(append(out, ':'), &row.boardHead); err != nil {
			return nil, fmt.Errorf("head of %q: %w", row.id, err)
		}
	}
	return append(out, '}'), nil
}

// appendHead appends h as an object (appendJSON).
func (hs *boardHeads) appendHead(out []byte, h *boardHead) ([]byte, error) {
	var err error
	member := func(name string, d *dictionary, n int32) {
		if err == nil {
			out, err = appendJSONString(append(out, name...), d.name(n))
		}
	}
	member(`{"c":`, &hs.places, h.community)
	member(`,"g":`, &hs.places, h.grid)
	if h.compound != 0 {
		member(`,"cp":`, &hs.places, h.compound)
	}
	member(`,"k":`, &hs.words, h.category)
	member(`,"ch":`, &hs.words, h.channel)
	member(`,"s":`, &hs.words, h.status)
	if err != nil {
		return nil, err
	}
	out = strconv.AppendInt(append(out, `,"t":`...), h.Submitted, 10)
	out = strconv.AppendUint(append(out, `,"p":`...), uint64(h.Position), 10)
	if len(h.Actions) > 0 {
		out = append(out, `,"a":[`...)
		for i, m := range h.Actions {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, '{')
			if m.Due != 0 {
				out = strconv.AppendInt(append(out, `"d":`...), m.Due, 10)
			}
			if m.Open {
				if m.Due != 0 {
					out = append(out, ',')
				}
				out = append(out, `"o":true`...)
			}
			out = append(out, '}')
		}
		out = append(out, ']')
	}
	return append(out, '}'), nil
}

// appendJSONString appends s as goccy/go-json writes a string: quoted as
// it is when it holds only printable ASCII but the quote, the backslash
// and the characters HTML escapes (nearly every id and word), else as
// goccy writes it.
func appendJSONString(out []byte, s string) ([]byte, error) {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := gojson.Marshal(s)
			if err != nil {
				return nil, err
			}
			return append(out, q...), nil
		}
	}
	return append(append(append(out, '"'), s...), '"'), nil
}
