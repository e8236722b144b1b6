package http

import (
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
)

// target says which aggregate a write route acts on: the one named by the
// path, or a new one.
type target int

const (
	// toNew creates an aggregate; build checks the scope from the body.
	toNew target = iota
	toProposal
	toMeeting
	toAction
	toCommunity
	toService
	toWish
)

// body says whether a write route needs a JSON body.
type body bool

const (
	required body = true
	optional body = false
)

// ref is the target of a write: the id of the aggregate the path names.
type ref struct {
	id string
}

// builder maps a decoded request to the domain command; it returns the id
// of what the command creates, if anything.
type builder[R any] func(s *Server, c echo.Context, p principal, t ref, r *R) (domain.Command, string, error)

// command is the one shape of every write handler: bind the body into the
// HTTP layer's request type R, read and authorise the target (scope), map
// to the domain command, execute it through the ledger, render the result.
func command[R any](t target, b body, build builder[R]) func(*Server) echo.HandlerFunc {
	return func(s *Server) echo.HandlerFunc {
		return func(c echo.Context) error {
			var r R
			decode := decodeOptionalJSON
			if b == required {
				decode = decodeJSON
			}
			if err := decode(c, &r); err != nil {
				return err
			}
			scanWrite(c, &r)
			p := principalOf(c)
			tr, err := s.target(c, p, t)
			if err != nil {
				return err
			}
			cmd, created, err := build(s, c, p, tr, &r)
			if err != nil {
				return err
			}
			return s.execute(c, cmd, created)
		}
	}
}

// target reads the path's id for t and checks that the principal's scope
// covers the aggregate.
func (s *Server) target(c echo.Context, p principal, t target) (ref, error) {
	var stream string
	var id string
	switch t {
	case toNew:
		return ref{}, nil
	case toCommunity:
		slug, err := pathSlug(c, "community")
		if err != nil {
			return ref{}, err
		}
		id, stream = slug, domain.OrganisationStream(slug)
	default:
		u, err := pathID(c, "id")
		if err != nil {
			return ref{}, err
		}
		id = u.String()
		switch t {
		case toProposal:
			stream = domain.ProposalStream(id)
		case toMeeting:
			stream = domain.MeetingStream(id)
		case toService:
			stream = domain.ServiceStream(id)
		case toWish:
			stream = domain.WishStream(id)
		default:
			stream = domain.ActionStream(id)
		}
	}
	return ref{id: id}, s.authorize(c, p, stream)
}
