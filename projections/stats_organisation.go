package projections

import (
	"maps"
	"slices"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/yishi-civic/yishi/domain"
)

// OrgFigures are the organisation's own figures as it stands (not per
// period): 紫陵镇's 92 grids, 75 village grids and 17 dedicated ones, 43
// grid heads, 75 full-time and 75 part-time grid workers, and the
// volunteers and teams of the resource map.
type OrgFigures struct {
	// Communities counts communities by kind (community 社区, village 村).
	Communities map[string]int `json:"communities"`
	// Grids counts grids, GridsByKind by kind (residential — a village's
	// grid in a village —, dedicated 专属网格).
	Grids       int            `json:"grids"`
	GridsByKind map[string]int `json:"grids_by_kind"`
	// VillageGrids counts the residential grids of villages (村级网格).
	VillageGrids int `json:"village_grids"`
	// GridHeads counts the people heading at least one grid (网格长), each
	// once however many grids they head.
	GridHeads int `json:"grid_heads"`
	// GridWorkers counts grid workers by employment (full_time 专职,
	// part_time 兼职), each person once per employment.
	GridWorkers map[string]int `json:"grid_workers"`
	// Volunteers and VolunteerTeams count the resource map's volunteers
	// and teams.
	Volunteers     int `json:"volunteers"`
	VolunteerTeams int `json:"volunteer_teams"`
}

// statOrg is one community's organisation.
type statOrg struct {
	Kind   string               `json:"k"`
	Street string               `json:"s"`
	Grids  map[string]*statGrid `json:"g"`
	// Volunteers and Teams count those of no grid.
	Volunteers int `json:"v,omitempty"`
	Teams      int `json:"t,omitempty"`
}

// statGrid is one grid: its kind, head, workers (person → employment) and
// the volunteers and teams registered in it.
type statGrid struct {
	Kind       string      `json:"k"`
	Head       string      `json:"h,omitempty"`
	Workers    statWorkers `json:"w,omitempty"`
	Volunteers int         `json:"v,omitempty"`
	Teams      int         `json:"t,omitempty"`
}

// grid returns a grid of a known community, nil otherwise.
func (s *Stats) grid(community, grid string) *statGrid {
	if o := s.st.Orgs[community]; o != nil {
		return o.Grids[grid]
	}
	return nil
}

// applyOrganisation folds the organisation's events.
func (s *Stats) applyOrganisation(ev domain.Event) {
	switch d := ev.(type) {
	case domain.CommunityRegistered:
		s.st.Orgs[d.CommunityID] = &statOrg{Kind: d.Kind, Street: d.Street, Grids: map[string]*statGrid{}}
	case domain.GridCreated:
		if o := s.st.Orgs[d.CommunityID]; o != nil {
			o.Grids[d.GridID] = &statGrid{Kind: d.Kind}
		}
	case domain.GridHeadAppointed:
		if g := s.grid(d.CommunityID, d.GridID); g != nil {
			g.Head = d.PersonID
		}
	case domain.GridWorkerAssigned:
		if g := s.grid(d.CommunityID, d.GridID); g != nil {
			g.Workers.set(d.PersonID, d.Employment)
		}
	case domain.GridWorkerRemoved:
		if g := s.grid(d.CommunityID, d.GridID); g != nil {
			g.Workers.remove(d.PersonID)
		}
	case domain.VolunteerRegistered:
		if g := s.grid(d.CommunityID, d.GridID); g != nil {
			g.Volunteers++
		} else if o := s.st.Orgs[d.CommunityID]; o != nil {
			o.Volunteers++
		}
	case domain.VolunteerTeamFormed:
		if g := s.grid(d.CommunityID, d.GridID); g != nil {
			g.Teams++
		} else if o := s.st.Orgs[d.CommunityID]; o != nil {
			o.Teams++
		}
	}
}

// Organisation counts the organisation of the communities and grids q
// selects (q's period does not apply: these are the figures as they
// stand, or as of the views' position).
func (s *Stats) Organisation(q StatsQuery) OrgFigures {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := OrgFigures{Communities: map[string]int{}, GridsByKind: map[string]int{}, GridWorkers: map[string]int{}}
	heads := map[string]bool{}
	workers := map[string]map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(s.st.Orgs)) {
		o := s.st.Orgs[id]
		if !q.covers(id, q.GridID) {
			continue
		}
		f.Communities[o.Kind]++
		if q.GridID == "" {
			f.Volunteers += o.Volunteers
			f.VolunteerTeams += o.Teams
		}
		for gid, g := range o.Grids {
			if !q.covers(id, gid) {
				continue
			}
			f.Grids++
			f.GridsByKind[g.Kind]++
			if g.Kind == domain.GridResidential && o.Kind == domain.CommunityVillage {
				f.VillageGrids++
			}
			if g.Head != "" {
				heads[g.Head] = true
			}
			for _, w := range g.Workers {
				if workers[w.Employment] == nil {
					workers[w.Employment] = map[string]bool{}
				}
				workers[w.Employment][w.Person] = true
			}
			f.Volunteers += g.Volunteers
			f.VolunteerTeams += g.Teams
		}
	}
	f.GridHeads = len(heads)
	for employment, people := range workers {
		f.GridWorkers[employment] = len(people)
	}
	return f
}

// Streets lists the streets (街道/镇) the organisation names, each with its
// communities sorted by id.
func (s *Stats) Streets() map[string][]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string][]string{}
	for _, id := range slices.Sorted(maps.Keys(s.st.Orgs)) {
		street := s.st.Orgs[id].Street
		out[street] = append(out[street], id)
	}
	return out
}

// statWorkers are a grid's workers, each with their employment, in the
// order of the people's ids: a list, where a map of them per grid took
// some 550 bytes a grid, and a third of the statistics' load, at ten
// million events (docs/performance.md, twentieth session). Its JSON is
// the map's: an object by person, in their order.
type statWorkers []statWorker

// statWorker is one grid worker.
type statWorker struct{ Person, Employment string }

// find returns where person is in ws, or would be.
func (ws statWorkers) find(person string) (int, bool) {
	return slices.BinarySearchFunc(ws, person, func(w statWorker, p string) int { return strings.Compare(w.Person, p) })
}

// set makes person a worker of employment.
func (ws *statWorkers) set(person, employment string) {
	i, found := ws.find(person)
	if found {
		(*ws)[i].Employment = employment
		return
	}
	*ws = slices.Insert(*ws, i, statWorker{Person: person, Employment: employment})
}

// remove removes person, if a worker.
func (ws *statWorkers) remove(person string) {
	if i, found := ws.find(person); found {
		*ws = slices.Delete(*ws, i, i+1)
	}
}

// MarshalJSON writes the workers as goccy/go-json wrote their map.
func (ws statWorkers) MarshalJSON() ([]byte, error) {
	out := []byte{'{'}
	var err error
	for i, w := range ws {
		if i > 0 {
			out = append(out, ',')
		}
		if out, err = appendJSONString(out, w.Person); err != nil {
			return nil, err
		}
		if out, err = appendJSONString(append(out, ':'), w.Employment); err != nil {
			return nil, err
		}
	}
	return append(out, '}'), nil
}

// UnmarshalJSON reads the workers from their map's JSON (null is none); a
// person given twice keeps their last employment, as the map did.
func (ws *statWorkers) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := jsonv2.Unmarshal(b, &m, jsontext.AllowDuplicateNames(true)); err != nil {
		return err
	}
	*ws = nil
	if len(m) > 0 {
		*ws = make(statWorkers, 0, len(m))
		for _, person := range slices.Sorted(maps.Keys(m)) {
			*ws = append(*ws, statWorker{Person: person, Employment: m[person]})
		}
	}
	return nil
}
