package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// The public pages (home, board, register, a proposal's story, outcomes,
// statistics) read the API's public views (docs/pages.md) and decode them
// into these types: the API's own, with the tally as the read policy
// writes it for the public (shares in place of an owners' vote's counts).

// list is the body of the API's list views.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// tally is a vote's tally as the API answers it: for the public, an owners'
// vote (PRC Civil Code art. 278) carries its shares against the
// thresholds instead of votes, area and heads.
type tally struct {
	domain.Tally
	Shares *policy.OwnersShares `json:"shares,omitempty"`
}

// decision is one entry of the register.
type decision struct {
	projections.Decision
	Tally *tally `json:"tally,omitempty"`
}

// step is one step of a proposal's story.
type step struct {
	projections.Entry
	Tally *tally `json:"tally,omitempty"`
}

// storyAnswer is a page of a proposal's timeline.
type storyAnswer struct {
	Entries []step `json:"entries"`
	Next    string `json:"next,omitempty"`
}

// statsAnswer is the body of GET /v1/stats.
type statsAnswer struct {
	Figures   projections.Figures    `json:"figures"`
	Breakdown []projections.StatsRow `json:"breakdown"`
}

// where is the community and grid a public page is about: picked with
// ?community= and ?grid= (remembered in a cookie, so that every page of the
// navigation stays in the place picked), else the cookie's.
type where struct {
	Community, Grid string
	// Place is the community's entry of the directory, nil when none is
	// picked; places are every community.
	Place  *projections.Place
	places []projections.Place
	// auditor is set for an auditor or admin, whose pages link each entry
	// to the events behind it (the explorer).
	auditor bool
}

// placeCookie remembers the community and grid a visitor picked.
const placeCookie = "yishi_place"

// where reads the place the page is about and the directory of places.
// A community the directory does not know reads as none.
func (w *Web) where(c echo.Context) (where, error) {
	var pl struct {
		Places []projections.Place `json:"places"`
	}
	if err := w.get(c, "/v1/places", nil, &pl); err != nil {
		return where{}, err
	}
	wh := where{places: pl.Places, auditor: sessionOf(c).Auditor()}
	q := c.QueryParams()
	_, picked := q["community"]
	if picked {
		wh.Community, wh.Grid = q.Get("community"), q.Get("grid")
	} else if ck, err := c.Cookie(placeCookie); err == nil {
		wh.Community, wh.Grid, _ = strings.Cut(ck.Value, "/")
	}
	for i := range pl.Places {
		if pl.Places[i].CommunityID == wh.Community {
			wh.Place = &pl.Places[i]
		}
	}
	if wh.Place == nil || !wh.hasGrid(wh.Grid) {
		wh.Grid = ""
	}
	if wh.Place == nil {
		wh.Community = ""
	}
	if picked {
		c.SetCookie(&http.Cookie{Name: placeCookie, Value: wh.Community + "/" + wh.Grid, Path: "/", MaxAge: 365 * 24 * 3600,
			SameSite: http.SameSiteLaxMode, HttpOnly: true, Secure: secure(c)})
	}
	return wh, nil
}

func (wh where) hasGrid(grid string) bool {
	if grid == "" {
		return true
	}
	for _, g := range wh.Place.Grids {
		if g.GridID == grid {
			return true
		}
	}
	return false
}

// query returns the API query of the place, with more parameters.
func (wh where) query(kv ...string) url.Values {
	q := url.Values{}
	if wh.Community != "" {
		q.Set("community", wh.Community)
	}
	if wh.Grid != "" {
		q.Set("grid", wh.Grid)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}

// name is the place's name for the header: the community's, with the
// grid's.
func (wh where) name() string {
	if wh.Place == nil {
		return ""
	}
	if wh.Grid != "" {
		return wh.Place.Name + " · " + wh.gridName(wh.Community, wh.Grid)
	}
	return wh.Place.Name
}

// gridName names a grid of any community, or returns its id.
func (wh where) gridName(community, grid string) string {
	for _, p := range wh.places {
		if p.CommunityID != community {
			continue
		}
		for _, g := range p.Grids {
			if g.GridID == grid {
				return g.Name
			}
		}
	}
	return grid
}

// communityName names a community, or returns its id.
func (wh where) communityName(community string) string {
	for _, p := range wh.places {
		if p.CommunityID == community {
			return p.Name
		}
	}
	return community
}

// china is the time zone of every date the pages write.
var china = time.FixedZone("CST", 8*3600)

// wholeDays is the whole days from from to to, never negative.
func wholeDays(from, to time.Time) int {
	if to.Before(from) {
		return 0
	}
	return int(to.Sub(from).Hours() / 24)
}
