package projections

import (
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/yishi-civic/yishi/eventstore"
)

// place implements located.
func (h boardHead) place() (community, grid int32) { return h.community, h.grid }

// position implements located: the proposal's submission.
func (h boardHead) position() eventstore.Position { return h.Position }

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

// appendBoardHead appends h as goccy/go-json wrote the board's heads
// when they were kept in a map by id: members c, g, cp (left out when
// empty), k, ch, s, t, p and a (left out when empty); places and words
// are named in hs's dictionaries.
func appendBoardHead(hs *heads[boardHead], out []byte, h *boardHead) ([]byte, error) {
	var err error
	member := func(name string, d *dictionary, n int32) {
		if err == nil {
			out, err = appendMember(out, name == "c", name, d, n)
		}
	}
	out = append(out, '{')
	member("c", &hs.places, h.community)
	member("g", &hs.places, h.grid)
	if h.compound != 0 {
		member("cp", &hs.places, h.compound)
	}
	member("k", &hs.words, h.category)
	member("ch", &hs.words, h.channel)
	member("s", &hs.words, h.status)
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
