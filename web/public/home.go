package public

import (
	"cmp"
	"slices"
	"time"

	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// GridSummary is one grid with its open and overdue proposals.
type GridSummary struct {
	projections.GridPlace
	Open, Overdue int
}

// Home is what the home page shows of a community (or of one of its
// grids): its grids to pick from, what is open, the meetings coming up,
// the latest decisions and the outcomes done.
type Home struct {
	// Places are every community, for the picker.
	Places []projections.Place
	// Place is the community picked; nil when none is.
	Place *projections.Place
	// GridID and GridName are the grid picked, empty for the whole
	// community.
	GridID, GridName string
	Grids            []GridSummary
	Open, Overdue    int
	Upcoming         []projections.MeetingState
	Recent           []Decision
	Done             []Action
	Figures          projections.Figures
}

// HomeSize is how many meetings, decisions and outcomes the home page
// lists of each.
const HomeSize = 5

// ReadHome reads the home page of a community and grid (both may be empty)
// as r may see it. A community the directory does not know reads as none
// picked.
func ReadHome(v *projections.Views, r policy.Reader, community, grid string, now time.Time) (Home, error) {
	h := Home{Places: v.Directory.Places()}
	if p, ok := v.Directory.Place(community); ok {
		h.Place = &p
	} else {
		community, grid = "", ""
	}
	if grid != "" {
		h.GridID, h.GridName = grid, v.Directory.GridName(community, grid)
	}
	counts := map[string]projections.GridCount{}
	for _, gc := range v.Board.GridCounts(community, now) {
		counts[gc.GridID] = gc
		if grid == "" || gc.GridID == grid {
			h.Open += gc.Open
			h.Overdue += gc.Overdue
		}
	}
	if h.Place != nil {
		for _, g := range h.Place.Grids {
			h.Grids = append(h.Grids, GridSummary{GridPlace: g, Open: counts[g.GridID].Open, Overdue: counts[g.GridID].Overdue})
		}
	}
	var err error
	up := v.Live.Upcoming(community, grid, now, HomeSize)
	if h.Upcoming, err = readAll[projections.MeetingState](r, up, func(m projections.MeetingState) (string, string) { return m.CommunityID, m.GridID }); err != nil {
		return Home{}, err
	}
	reg, err := Register(v, r, RegisterFilter{CommunityID: community, GridID: grid, Limit: HomeSize})
	if err != nil {
		return Home{}, err
	}
	h.Recent = reg.Decisions
	done, err := Outcomes(v, r, OutcomesFilter{CommunityID: community, GridID: grid, Status: projections.ActionVerified, Now: now, Limit: projections.MaxLimit})
	if err != nil {
		return Home{}, err
	}
	slices.SortStableFunc(done.Actions, func(a, b Action) int { return cmp.Compare(b.Updated.UnixNano(), a.Updated.UnixNano()) })
	h.Done = done.Actions[:min(len(done.Actions), HomeSize)]
	h.Figures = v.Stats.Figures(projections.StatsQuery{CommunityID: community, GridID: grid})
	return h, nil
}
