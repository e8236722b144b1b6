package projections

import (
	"encoding/binary"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/yishi-civic/yishi/eventstore"
)

// place implements located.
func (h boardHead) place() (community, grid int32) { return h.community, h.grid }

// position implements located: the proposal's submission.
func (h boardHead) position() eventstore.Position { return h.Position }

// read reads h as appendBoardHead wrote it, its places and words numbered
// in d's dictionaries.
func (h *boardHead) read(dec *jsontext.Decoder, d *headNames) error {
	places, words := d.places, d.words
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
func appendBoardHead(hs *heads[ident, boardHead], out []byte, h *boardHead) ([]byte, error) {
	o := newObject(out)
	o.str("c", hs.places.name(h.community), false)
	o.str("g", hs.places.name(h.grid), false)
	o.str("cp", hs.places.name(h.compound), true)
	o.str("k", hs.words.name(h.category), false)
	o.str("ch", hs.words.name(h.channel), false)
	o.str("s", hs.words.name(h.status), false)
	o.int("t", h.Submitted, false)
	o.position("p", h.Position)
	if len(h.Actions) > 0 && o.err == nil {
		o.name("a")
		o.out = append(o.out, '[')
		for i, m := range h.Actions {
			if i > 0 {
				o.out = append(o.out, ',')
			}
			mark := newObject(o.out)
			mark.int("d", m.Due, true)
			if m.Open {
				mark.name("o")
				mark.out = append(mark.out, "true"...)
			}
			o.out, o.err = mark.close()
		}
		o.out = append(o.out, ']')
	}
	return o.close()
}

// appendBinary appends h to a snapshot of rows: its numbers, its time and
// position, and its actions' due dates and flags.
func (h *boardHead) appendBinary(out []byte) []byte {
	for _, n := range [...]int32{h.community, h.grid, h.compound, h.category, h.channel, h.status} {
		out = binary.AppendUvarint(out, uint64(n))
	}
	out = binary.AppendVarint(out, h.Submitted)
	out = binary.AppendUvarint(out, uint64(h.Position))
	out = binary.AppendUvarint(out, uint64(len(h.Actions)))
	for _, m := range h.Actions {
		out = binary.AppendVarint(out, m.Due)
		out = appendFlag(out, m.Open)
	}
	return out
}

// readBinary reads h as appendBinary wrote it, its actions cut from the
// reader's slab of them (one allocation for thousands of heads, not one
// each; a head's are capped at their length, so that an action added
// later moves them out).
func (h *boardHead) readBinary(r *rowsReader, d *headNames) {
	h.community, h.grid, h.compound = r.number(d.places), r.number(d.places), r.number(d.places)
	h.category, h.channel, h.status = r.number(d.words), r.number(d.words), r.number(d.words)
	h.Submitted, h.Position = r.varint(), r.position()
	if n := r.count(2); n > 0 {
		if cap(r.marks)-len(r.marks) < n {
			r.marks = make([]actionMark, 0, max(n, 4096))
		}
		at := len(r.marks)
		for range n {
			r.marks = append(r.marks, actionMark{Due: r.varint(), Open: r.flag()})
		}
		h.Actions = r.marks[at:len(r.marks):len(r.marks)]
	}
}

// appendFlag appends a boolean as one byte.
func appendFlag(out []byte, b bool) []byte {
	if b {
		return append(out, 1)
	}
	return append(out, 0)
}
