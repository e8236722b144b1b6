package projections

import (
	"errors"
	"fmt"
	"slices"

	gojson "github.com/goccy/go-json"
)

// placesMagic begins the directory's snapshot written as it is kept: its
// text, every string of every place one after the other, then the places
// in the order of their ids, each the lengths of its strings and its
// grids' and compounds'. Reading it makes one string of the whole text and
// cuts each name from it, and one array of places, of grids and of
// compounds, where reading the JSON the directory wrote before (which
// starts with "{", and is still read) made each string, place and list on
// its own: 670,000 allocations at ten million events, a fifth of a
// second (docs/performance.md, twentieth session).
const placesMagic = "\x00yishi places 1\n"

// MarshalSnapshot implements View: the places (placesMagic).
func (d *Directory) MarshalSnapshot() ([]byte, error) { return marshalEncoded(d, 64) }

// encodeSnapshot implements encoded.
func (d *Directory) encodeSnapshot(s *snapshotWriter) error {
	ids := make([]string, 0, len(d.st.Places))
	grids, compounds, size := 0, 0, 0
	for id, p := range d.st.Places {
		ids = append(ids, id)
		grids, compounds = grids+len(p.Grids), compounds+len(p.Compounds)
		size += len(id) + len(p.Name) + len(p.Kind) + len(p.Street) + 8*len(p.Grids) + 8*len(p.Compounds)
	}
	slices.Sort(ids)
	w := textWriter{text: make([]byte, 0, size), shape: make([]byte, 0, 8*len(ids)+4*(grids+compounds))}
	w.num(uint64(len(ids)), uint64(grids), uint64(compounds))
	for _, id := range ids {
		p := d.st.Places[id]
		if p.CommunityID != id {
			return fmt.Errorf("directory snapshot: place %q under %q", p.CommunityID, id)
		}
		w.str(id, p.Name, p.Kind, p.Street)
		w.num(uint64(len(p.Grids)))
		for _, g := range p.Grids {
			w.str(g.GridID, g.Name, g.Kind)
		}
		w.num(uint64(len(p.Compounds)))
		for _, c := range p.Compounds {
			w.str(c.CompoundID, c.GridID, c.Name)
		}
	}
	s.buf = append(s.buf, placesMagic...)
	w.writeTo(s)
	return nil
}

// snapshotJSON implements readable: the places as the directory's
// snapshots held them before placesMagic.
func (d *Directory) snapshotJSON() ([]byte, error) { return gojson.Marshal(&d.st) }

// readPlaces reads a directory MarshalSnapshot wrote, past placesMagic. A
// community out of the order of their ids (or given twice), counts of
// grids or compounds other than their places', text left over or bytes
// after the last place are refused.
func readPlaces(payload []byte) (directoryState, error) {
	r := &rowsReader{b: payload}
	t := newTextReader(r)
	places, grids, compounds := r.count(6), r.count(3), r.count(3)
	st := directoryState{Places: make(map[string]*Place, places)}
	placeSlab, gridSlab, compoundSlab := make([]Place, places), make([]GridPlace, grids), make([]CompoundPlace, compounds)
	for i := range placeSlab {
		p := &placeSlab[i]
		p.CommunityID, p.Name, p.Kind, p.Street = t.next(), t.next(), t.next(), t.next()
		n := r.count(3)
		if n > len(gridSlab) {
			r.fail("more grids than counted")
			break
		}
		p.Grids, gridSlab = gridSlab[:n:n], gridSlab[n:] // never nil, as Apply makes them
		for j := range p.Grids {
			p.Grids[j] = GridPlace{GridID: t.next(), Name: t.next(), Kind: t.next()}
		}
		if n = r.count(3); n > len(compoundSlab) {
			r.fail("more compounds than counted")
			break
		}
		if n > 0 { // nil when none, as Apply leaves them
			p.Compounds, compoundSlab = compoundSlab[:n:n], compoundSlab[n:]
		}
		for j := range p.Compounds {
			p.Compounds[j] = CompoundPlace{CompoundID: t.next(), GridID: t.next(), Name: t.next()}
		}
		if r.err != nil {
			break
		}
		if i > 0 && p.CommunityID <= placeSlab[i-1].CommunityID {
			return directoryState{}, fmt.Errorf("places: %q out of order, or given twice", p.CommunityID)
		}
		st.Places[p.CommunityID] = p
	}
	switch {
	case r.err != nil:
		return directoryState{}, r.err
	case len(gridSlab) > 0 || len(compoundSlab) > 0:
		return directoryState{}, errors.New("places: fewer grids or compounds than counted")
	case len(t.text) > 0:
		return directoryState{}, fmt.Errorf("places: %d bytes of text left over", len(t.text))
	case len(r.b) > 0:
		return directoryState{}, fmt.Errorf("places: %d bytes after the last place", len(r.b))
	}
	return st, nil
}
