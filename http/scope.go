package http

import (
	"context"
	"crypto/sha1"
	"regexp"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
)

// aggregate is what the HTTP layer needs to know of an existing aggregate
// before it lets a command through: where it lives, for scope checks.
type aggregate struct {
	community, grid string
	revision        int64
	events          []domain.Event
}

// loadAggregate reads stream through the ledger. A stream with no events is
// a 404: commands on existing aggregates need one.
func (s *Server) loadAggregate(ctx context.Context, stream string) (aggregate, error) {
	events, rev, err := s.cfg.Ledger.Load(ctx, stream)
	if err != nil {
		return aggregate{}, err
	}
	if rev < 0 || len(events) == 0 {
		return aggregate{}, refuse(kindNotFound, text{"没有这条记录", "no such record"})
	}
	a := aggregate{revision: rev, events: events}
	switch first := events[0].(type) {
	case domain.ProposalSubmitted:
		a.community, a.grid = first.CommunityID, first.GridID
	case domain.MeetingScheduled:
		a.community, a.grid = first.CommunityID, first.GridID
	case domain.ActionAssigned:
		a.community, a.grid = first.CommunityID, first.GridID
	case domain.CommunityRegistered:
		a.community = first.CommunityID
	}
	return a, nil
}

// authorize loads the command's target aggregate and checks that the
// principal's scope covers it.
func (s *Server) authorize(c echo.Context, p principal, stream string) (aggregate, error) {
	a, err := s.loadAggregate(c.Request().Context(), stream)
	if err != nil {
		return a, err
	}
	return a, requireScope(p, a.community, a.grid)
}

// slugPattern is the shape of the organisation's own ids (communities,
// grids, compounds, units, partners), which people choose: "hengyuan", "g3".
var slugPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$`)

// pathSlug reads an organisation id from the path.
func pathSlug(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if !slugPattern.MatchString(v) {
		return "", fieldErr(kindBadRequest, name, text{"应为 1 到 100 个字母、数字、-、_、: 或 .", "want 1 to 100 letters, digits, -, _, : or ."})
	}
	return v, nil
}

// idNamespace seeds ids derived from idempotency keys.
var idNamespace = uuid.MustParse("6f1d7a2e-8f0b-4c55-9a59-2f1c3d4e5a60")

// newID returns the id of something a request creates: the client's own
// (given), or one derived from the request's Idempotency-Key so that a
// retry targets the same aggregate and is answered from the ledger, or a
// fresh UUID v7.
func newID(c echo.Context, p principal, field, given string) (string, error) {
	if given != "" {
		id, err := parseID(field, given)
		if err != nil {
			return "", err
		}
		return id.String(), nil
	}
	if key := c.Request().Header.Get(headerIdempotencyKey); key != "" {
		h := sha1.Sum([]byte(p.token.ID.String() + "\x00" + c.Path() + "\x00" + field + "\x00" + key))
		return uuid.NewSHA1(idNamespace, h[:]).String(), nil
	}
	return uuid.Must(uuid.NewV7()).String(), nil
}
