package web

import (
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
)

// readProposal reads a proposal's state through the API (aggregate).
func (w *Web) readProposal(c echo.Context, id string) (domain.ProposalState, error) {
	events, err := w.aggregate(c, "/v1/proposals/"+id)
	return domain.FoldProposal(events), err
}

// readMeeting reads a meeting's state.
func (w *Web) readMeeting(c echo.Context, id string) (domain.MeetingState, error) {
	events, err := w.aggregate(c, "/v1/meetings/"+id)
	return domain.FoldMeeting(events), err
}

// readAction reads an action's state.
func (w *Web) readAction(c echo.Context, id string) (domain.ActionState, error) {
	events, err := w.aggregate(c, "/v1/actions/"+id)
	return domain.FoldAction(events), err
}

// waitFor passes the page's ?wait_for= (the position of a write the page
// redirects from) on to a view read, so that the page shows that write.
func waitFor(c echo.Context) url.Values {
	if v := c.QueryParam("wait_for"); v != "" {
		return url.Values{"wait_for": {v}}
	}
	return nil
}
