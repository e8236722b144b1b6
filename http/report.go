package http

import (
	nethttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/yishi-civic/yishi/projections"
)

// getStreetReport answers a street office's (街道/镇) report over a period:
// items collected, solved through the closed loop and by convening the
// units concerned, average days to close, talks and opinions, volunteer
// hours and points, wishes fulfilled, the organisation's figures. Admins and auditors read
// it (a street office's supervisors are auditors); a token scoped to a
// community reads its own community's part of its street, a token scoped
// to a grid none (a street office's report is not a grid's).
func (s *Server) getStreetReport(c echo.Context) error {
	street := c.QueryParam("street")
	if street == "" {
		return fieldErr(kindBadRequest, "street", text{"必填：街道或镇的名称", "required: the name of the street office or town"})
	}
	scope := principalOf(c).token.Scope
	if scope.Grid != "" {
		return refuse(kindForbidden, text{"街道报告不按网格提供", "a street report is not given per grid"})
	}
	q := projections.ReportQuery{Street: street, CommunityID: scope.Community}
	var err error
	if q.From, err = queryTime(c, "from", time.Time{}); err != nil {
		return err
	}
	if q.To, err = queryTime(c, "to", time.Time{}); err != nil {
		return err
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return fieldErr(kindBadRequest, "to", text{"不能早于 from", "must not be before from"})
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	report, ok := views.StreetReport(q)
	if !ok {
		if scope.Community != "" {
			return refuse(kindForbidden, text{"此令牌的社区不在这个街道", "this token's community is not in that street"})
		}
		return fieldErr(kindNotFound, "street", text{"没有社区属于这个街道", "no community belongs to this street"})
	}
	return c.JSON(nethttp.StatusOK, streetReportAnswer{StreetReport: report, Position: uint64(views.Position())})
}

// streetReportAnswer is the body of GET /v1/reports/street.
type streetReportAnswer struct {
	projections.StreetReport
	Position uint64 `json:"position"`
}
