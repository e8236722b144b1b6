package http

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// aggregate is an existing aggregate as the HTTP layer reads it: where it
// lives (for scope checks) and, when loaded whole, its history.
type aggregate struct {
	community, grid string
	revision        int64
	events          []domain.Event
	// recorded is when each of events reached the ledger.
	recorded []time.Time
}

// noSuchRecord is the refusal of a command or read on a stream with no
// events.
func noSuchRecord() error { return refuse(kindNotFound, text{"没有这条记录", "no such record"}) }

// loadAggregate reads stream whole through the ledger.
func (s *Server) loadAggregate(ctx context.Context, stream string) (aggregate, error) {
	events, recorded, rev, err := s.cfg.Ledger.LoadRecorded(ctx, stream)
	if err != nil {
		return aggregate{}, err
	}
	if rev < 0 || len(events) == 0 {
		return aggregate{}, noSuchRecord()
	}
	a := aggregate{revision: rev, events: events, recorded: recorded}
	a.community, a.grid = domain.PlaceOf(events[0])
	return a, nil
}

// maxPlaces bounds the cache of where aggregates live.
const maxPlaces = 200_000

// place returns where the aggregate of stream lives, from its first event
// (which never changes, so it is cached) rather than its whole history.
func (s *Server) place(ctx context.Context, stream string) (aggregate, error) {
	s.placesMu.Lock()
	a, ok := s.places[stream]
	s.placesMu.Unlock()
	if ok {
		return a, nil
	}
	for ev, err := range s.cfg.Store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Max: 1}) {
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return aggregate{}, noSuchRecord()
		}
		if err != nil {
			return aggregate{}, fmt.Errorf("read %s: %w", stream, err)
		}
		first, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			return aggregate{}, fmt.Errorf("decode %s@0: %w", stream, err)
		}
		a.community, a.grid = domain.PlaceOf(first)
		s.placesMu.Lock()
		if len(s.places) >= maxPlaces {
			clear(s.places)
		}
		s.places[stream] = a
		s.placesMu.Unlock()
		return a, nil
	}
	return aggregate{}, noSuchRecord()
}

// authorize checks that the existing aggregate of stream lies in the
// principal's scope.
func (s *Server) authorize(c echo.Context, p principal, stream string) error {
	a, err := s.place(c.Request().Context(), stream)
	if err != nil {
		return err
	}
	return requireScope(p, a.community, a.grid)
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

// requirePlace checks the community_id and grid_id of a body that creates
// an aggregate: both given (a 422 naming each one missing, before the
// scope is judged on an empty place), then within the principal's scope.
func requirePlace(p principal, community, grid string) error {
	var missing []fieldText
	for _, f := range []struct{ name, value string }{{"community_id", community}, {"grid_id", grid}} {
		if f.value == "" {
			missing = append(missing, fieldText{f.name, text{"必填", "required"}})
		}
	}
	if len(missing) > 0 {
		return fieldsErr(kindValidation, missing)
	}
	return requireScope(p, community, grid)
}
