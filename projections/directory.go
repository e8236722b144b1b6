package projections

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/yishi-civic/yishi/domain"
)

// Place is a community with its grids and compounds, as a picker lists
// them: names and kinds, no people (grid heads and workers are not here).
type Place struct {
	CommunityID string `json:"community_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Street      string `json:"street"`
	// Grids are in the order they were created.
	Grids     []GridPlace     `json:"grids"`
	Compounds []CompoundPlace `json:"compounds,omitempty"`
}

// GridPlace is one grid of a community.
type GridPlace struct {
	GridID string `json:"grid_id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
}

// CompoundPlace is one compound (楼院/小区) of a community.
type CompoundPlace struct {
	CompoundID string `json:"compound_id"`
	GridID     string `json:"grid_id"`
	Name       string `json:"name"`
}

// Directory holds every community's name, grids and compounds: the
// places the pages name and let a reader pick.
type Directory struct {
	mu *sync.RWMutex
	st directoryState
}

type directoryState struct {
	Places map[string]*Place `json:"places"`
}

func newDirectory(mu *sync.RWMutex) *Directory {
	return &Directory{mu: mu, st: directoryState{Places: map[string]*Place{}}}
}

// Name implements View.
func (d *Directory) Name() string { return "directory" }

// Version implements View.
func (d *Directory) Version() int { return 1 }

// mapSizes implements sized.
func (d *Directory) mapSizes() map[string]int { return mapSizesOf(&d.st) }

// UnmarshalSnapshot implements View.
func (d *Directory) UnmarshalSnapshot(r io.Reader) error {
	r, kept, err := rowsOrJSON(r, placesMagic, func(payload []byte) error {
		st, err := readPlaces(payload)
		if err == nil {
			d.st = st
		}
		return err
	})
	switch {
	case err != nil:
		return fmt.Errorf("directory snapshot: %w", err)
	case kept:
		return nil
	}
	var st directoryState
	if err := decodeSnapshot(r, &st); err != nil {
		return fmt.Errorf("directory snapshot: %w", err)
	}
	if st.Places == nil {
		return fmt.Errorf("directory snapshot: missing places")
	}
	for id, p := range st.Places {
		// The fold makes none of these, and the snapshot written of them
		// would not read back as they are.
		if p == nil || p.CommunityID != id || p.Grids == nil {
			return fmt.Errorf("directory snapshot: community %q: null, under another id, or its grids null", id)
		}
	}
	d.st = st
	return nil
}

// Apply implements View.
func (d *Directory) Apply(e Event) error {
	switch ev := e.Data.(type) {
	case domain.CommunityRegistered:
		d.st.Places[ev.CommunityID] = &Place{CommunityID: ev.CommunityID, Name: ev.Name, Kind: ev.Kind, Street: ev.Street, Grids: []GridPlace{}}
	case domain.GridCreated:
		if p := d.st.Places[ev.CommunityID]; p != nil {
			p.Grids = append(p.Grids, GridPlace{GridID: ev.GridID, Name: ev.Name, Kind: ev.Kind})
		}
	case domain.CompoundRegistered:
		if p := d.st.Places[ev.CommunityID]; p != nil {
			p.Compounds = append(p.Compounds, CompoundPlace{CompoundID: ev.CompoundID, GridID: ev.GridID, Name: ev.Name})
		}
	}
	return nil
}

func (p *Place) clone() Place {
	c := *p
	c.Grids = slices.Clone(p.Grids)
	c.Compounds = slices.Clone(p.Compounds)
	return c
}

// Places returns every community, sorted by id.
func (d *Directory) Places() []Place {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Place, 0, len(d.st.Places))
	for _, p := range d.st.Places {
		out = append(out, p.clone())
	}
	slices.SortFunc(out, func(a, b Place) int { return cmp.Compare(a.CommunityID, b.CommunityID) })
	return out
}

// Place returns one community.
func (d *Directory) Place(communityID string) (Place, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	p, ok := d.st.Places[communityID]
	if !ok {
		return Place{}, false
	}
	return p.clone(), true
}

// GridName returns the name of a grid of a community, or its id when the
// directory does not know it.
func (d *Directory) GridName(communityID, gridID string) string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if p := d.st.Places[communityID]; p != nil {
		for _, g := range p.Grids {
			if g.GridID == gridID {
				return g.Name
			}
		}
	}
	return gridID
}
