package http

import (
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// AggregateEvent is one event of an aggregate read.
type AggregateEvent struct {
	Revision uint64 `json:"revision"`
	Type     string `json:"type"`
	// Recorded is when the event reached the ledger. The data's "at" is
	// when it happened: the command's own time for a meeting's command
	// recorded offline (header Yishi-Command-Time), else the same moment.
	Recorded time.Time       `json:"recorded"`
	Data     json.RawMessage `json:"data"`
}

// Aggregate is the answer to a read of one aggregate: its whole history and
// its revision, which is also the ETag a later write may send as If-Match.
type Aggregate struct {
	Stream   string           `json:"stream"`
	Revision int64            `json:"revision"`
	Events   []AggregateEvent `json:"events"`
}

// getAggregate answers a read of the aggregate in stream for a principal
// whose scope covers it, each event as the read policy lets the principal
// see it: residents and unit representatives with personal data masked,
// everyone but an auditor without the choices of secret ballots.
func (s *Server) getAggregate(c echo.Context, stream string) error {
	p := principalOf(c)
	a, err := s.loadAggregate(c.Request().Context(), stream)
	if err != nil {
		return err
	}
	grid := a.grid
	if cat := eventstore.Category(stream); cat == "organisation" || cat == "points" {
		// The organisation of a community, and its volunteers' points
		// accounts, are read by its grids' people too.
		grid = p.token.Scope.Grid
	}
	if err := requireScope(p, a.community, grid); err != nil {
		return err
	}
	r := p.reader()
	out := Aggregate{Stream: stream, Revision: a.revision, Events: make([]AggregateEvent, len(a.events))}
	types, bodies := make([]string, len(a.events)), make([]json.RawMessage, len(a.events))
	for i, ev := range a.events {
		typ, body, err := domain.Encode(ev)
		if err != nil {
			return fmt.Errorf("encode %T: %w", ev, err)
		}
		types[i], bodies[i] = typ, body
	}
	bodies, err = r.StreamData(types, bodies, a.community, grid)
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	for i := range bodies {
		out.Events[i] = AggregateEvent{Revision: uint64(i), Type: types[i], Recorded: a.recorded[i], Data: bodies[i]}
	}
	c.Response().Header().Set(headerETag, etag(a.revision))
	return c.JSON(nethttp.StatusOK, out)
}

func (s *Server) getProposal(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.getAggregate(c, domain.ProposalStream(id.String()))
}

func (s *Server) getMeeting(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.getAggregate(c, domain.MeetingStream(id.String()))
}

func (s *Server) getAction(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.getAggregate(c, domain.ActionStream(id.String()))
}

func (s *Server) getCommunity(c echo.Context) error {
	id, err := pathSlug(c, "community")
	if err != nil {
		return err
	}
	return s.getAggregate(c, domain.OrganisationStream(id))
}
