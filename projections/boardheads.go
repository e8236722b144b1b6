package projections

import (
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
			var marks []actionMark
			if err = jsonv2.UnmarshalDecode(dec, &marks); err == nil {
				h.acts = d.marks.add(marks)
			}
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
	if marks := hs.marks.of(h.acts); len(marks) > 0 && o.err == nil {
		o.name("a")
		o.out = append(o.out, '[')
		for i, m := range marks {
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

// readBinary reads h as the builds before fixed rows wrote it (rows of
// numbers: its numbers, its time and position, and its actions' due dates
// and flags after their count), its actions' marks put in d's slab.
func (h *boardHead) readBinary(r *rowsReader, d *headNames) {
	h.community, h.grid, h.compound = r.number(d.places), r.number(d.places), r.number(d.places)
	h.category, h.channel, h.status = r.number(d.words), r.number(d.words), r.number(d.words)
	h.Submitted, h.Position = r.varint(), r.position()
	if n := r.count(2); n > 0 {
		h.acts = d.marks.resize(span{}, n)
		marks := d.marks.of(h.acts)
		for i := range marks {
			marks[i] = actionMark{Due: r.varint(), Open: r.flag()}
		}
	}
}

// check implements fixedHead: its numbers; its actions' span, which
// follows the last head's within the slab of marks (none is at 0), as
// writeFixedRows writes them; and no change position, which a snapshot
// never keeps.
func (h boardHead) check(r *rowsReader, d *headNames) {
	r.checkNumbers(d.places, h.community, h.grid, h.compound)
	r.checkNumbers(d.words, h.category, h.channel, h.status)
	switch {
	case !h.acts.follows(d.marksAt, len(d.marks.vals)):
		r.fail("actions not where the marks before them end")
	case h.Changed != 0:
		r.fail("a change position kept in a snapshot")
	}
	d.marksAt += h.acts.n
}
