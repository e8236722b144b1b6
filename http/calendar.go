package http

import (
	nethttp "net/http"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/projections"
)

// getPlaces lists every community with its grids and compounds (names
// only, no people): public, for pickers.
func (s *Server) getPlaces(c echo.Context) error {
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, placesAnswer{Places: views.Directory.Places(), Position: uint64(views.Position())})
}

// placesAnswer is the body of GET /v1/places.
type placesAnswer struct {
	Places   []projections.Place `json:"places"`
	Position uint64              `json:"position"`
}

// getCalendar lists the meetings coming up (scheduled, not yet opened,
// starting at or after now), soonest first: public, each masked by the
// place of its meeting.
func (s *Server) getCalendar(c echo.Context) error {
	community, grid := publicScoped(c)
	now, err := queryTime(c, "now", s.now())
	if err != nil {
		return err
	}
	lp, err := parseList(c)
	if err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	items := views.Live.Upcoming(community, grid, now, lp.limit)
	return renderPage(c, views, items, "", func(m projections.MeetingState) (string, string) { return m.CommunityID, m.GridID })
}
