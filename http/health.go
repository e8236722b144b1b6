package http

import (
	nethttp "net/http"

	"github.com/labstack/echo/v4"
)

// health is the body of /healthz and /readyz.
type health struct {
	Status string `json:"status"`
	// Position is the projections' position (readyz only).
	Position uint64 `json:"position,omitempty"`
	// Head is the newest event's position (readyz only).
	Head uint64 `json:"head,omitempty"`
}

// getHealthz says the process serves requests; it checks nothing else.
func (s *Server) getHealthz(c echo.Context) error {
	return c.JSON(nethttp.StatusOK, health{Status: "ok"})
}

// getReadyz says whether reads are current: the store answers and the
// projections have caught up with the log as it was when they started.
func (s *Server) getReadyz(c echo.Context) error {
	head, err := s.headPosition(c.Request().Context())
	if err != nil {
		return err
	}
	if s.cfg.Runner == nil || !s.cfg.Runner.Ready() {
		return notReady(text{"视图仍在追赶事件日志", "the views are still catching up with the log"})
	}
	return c.JSON(nethttp.StatusOK, health{Status: "ready", Position: uint64(s.cfg.Runner.Position()), Head: uint64(head)})
}
