package http

import (
	"os"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
)

// partyRequest names a person or a participating unit.
type partyRequest struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (r partyRequest) party() domain.Party { return domain.Party{Kind: r.Kind, ID: r.ID, Name: r.Name} }

// self is the principal as a party: a unit for unit representatives, a
// person otherwise.
func (p principal) self() domain.Party {
	kind := domain.PartyPerson
	if p.token.Role == auth.RoleUnitRep {
		kind = domain.PartyUnit
	}
	return domain.Party{Kind: kind, ID: p.token.Actor(), Name: p.token.Name}
}

// staff reports whether the principal records things for others
// (facilitators, grid workers, admins).
func (p principal) staff() bool {
	switch p.token.Role {
	case auth.RoleAdmin, auth.RoleFacilitator, auth.RoleGridWorker:
		return true
	}
	return false
}

// checkPhotos refuses references to attachments that were never uploaded.
func (s *Server) checkPhotos(field string, photos []string) error {
	for _, sum := range photos {
		if !sha256Pattern.MatchString(sum) {
			return fieldErr(kindValidation, field, text{"照片应为上传后得到的 SHA-256", "photos are the SHA-256 an upload returned"})
		}
		if _, err := os.Stat(s.attachmentPath(sum)); err != nil {
			return fieldErr(kindValidation, field, text{"照片 " + sum + " 尚未上传", "photo " + sum + " was never uploaded"})
		}
	}
	return nil
}

// submitProposalRequest is the body of POST /v1/proposals.
type submitProposalRequest struct {
	ProposalID  string        `json:"proposal_id"`
	CommunityID string        `json:"community_id"`
	GridID      string        `json:"grid_id"`
	CompoundID  string        `json:"compound_id"`
	Title       string        `json:"title"`
	Text        string        `json:"text"`
	Category    string        `json:"category"`
	Place       string        `json:"place"`
	Photos      []string      `json:"photos"`
	Channel     string        `json:"channel"`
	Author      *partyRequest `json:"author"`
}

// postProposal submits a proposal. Residents and unit representatives are
// its author; staff may record one for someone else (a visit, a window).
func (s *Server) postProposal(c echo.Context) error {
	var r submitProposalRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	if err := requireScope(p, r.CommunityID, r.GridID); err != nil {
		return err
	}
	if err := s.checkPhotos("photos", r.Photos); err != nil {
		return err
	}
	id, err := newID(c, p, "proposal_id", r.ProposalID)
	if err != nil {
		return err
	}
	cmd := domain.SubmitProposal{
		ProposalID: id, CommunityID: r.CommunityID, GridID: r.GridID, CompoundID: r.CompoundID,
		Title: r.Title, Text: r.Text, Category: r.Category, Place: r.Place, Photos: r.Photos, Channel: r.Channel,
		Author: p.self(),
	}
	if r.Author != nil {
		if !p.staff() {
			return fieldErr(kindForbidden, "author", text{"只有工作人员可以代他人登记议题", "only staff may record a proposal for someone else"})
		}
		cmd.Author, cmd.RecordedBy = r.Author.party(), p.token.Actor()
	}
	return s.execute(c, cmd, id)
}

// proposalTarget reads the path's proposal id and checks the scope.
func (s *Server) proposalTarget(c echo.Context, p principal) (string, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return "", err
	}
	_, err = s.authorize(c, p, domain.ProposalStream(id.String()))
	return id.String(), err
}

// postProposalSupport records the principal's support (附议).
func (s *Server) postProposalSupport(c echo.Context) error {
	var r struct{}
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.proposalTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.SupportProposal{ProposalID: id, PersonID: p.token.Actor(), Name: p.token.Name}, "")
}

// acceptProposalRequest is the body of POST /v1/proposals/{id}/accept.
type acceptProposalRequest struct {
	Owner *partyRequest `json:"owner"`
	Note  string        `json:"note"`
}

// postProposalAccept triages a proposal in, with an owner (the facilitator
// when none is given).
func (s *Server) postProposalAccept(c echo.Context) error {
	var r acceptProposalRequest
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.proposalTarget(c, p)
	if err != nil {
		return err
	}
	owner := p.self()
	if r.Owner != nil {
		owner = r.Owner.party()
	}
	return s.execute(c, domain.AcceptProposal{ProposalID: id, Owner: owner, Note: r.Note, By: p.token.Actor()}, "")
}

// reasonRequest is the body of commands that only carry a reason.
type reasonRequest struct {
	Reason string `json:"reason"`
}

// postProposalReject triages a proposal out.
func (s *Server) postProposalReject(c echo.Context) error {
	var r reasonRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.proposalTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.RejectProposal{ProposalID: id, Reason: r.Reason, By: p.token.Actor()}, "")
}

// mergeProposalRequest is the body of POST /v1/proposals/{id}/merge.
type mergeProposalRequest struct {
	SurvivorID string `json:"survivor_id"`
	Reason     string `json:"reason"`
}

// postProposalMerge marks a proposal as a duplicate of another one in the
// principal's scope.
func (s *Server) postProposalMerge(c echo.Context) error {
	var r mergeProposalRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.proposalTarget(c, p)
	if err != nil {
		return err
	}
	survivor, err := parseID("survivor_id", r.SurvivorID)
	if err != nil {
		return err
	}
	if _, err := s.authorize(c, p, domain.ProposalStream(survivor.String())); err != nil {
		return err
	}
	return s.execute(c, domain.MergeProposal{ProposalID: id, SurvivorID: survivor.String(), Reason: r.Reason, By: p.token.Actor()}, "")
}

// postProposalWithdraw withdraws a proposal; the domain checks that the
// principal is its author.
func (s *Server) postProposalWithdraw(c echo.Context) error {
	var r reasonRequest
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.proposalTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.WithdrawProposal{ProposalID: id, PersonID: p.token.Actor(), Reason: r.Reason}, "")
}

// handleDirectlyRequest is the body of POST /v1/proposals/{id}/handle-directly.
type handleDirectlyRequest struct {
	Handler *partyRequest `json:"handler"`
	Note    string        `json:"note"`
}

// postProposalHandleDirectly settles a proposal without a meeting (即时办结).
func (s *Server) postProposalHandleDirectly(c echo.Context) error {
	var r handleDirectlyRequest
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.proposalTarget(c, p)
	if err != nil {
		return err
	}
	handler := p.self()
	if r.Handler != nil {
		handler = r.Handler.party()
	}
	return s.execute(c, domain.HandleDirectly{ProposalID: id, Handler: handler, Note: r.Note, By: p.token.Actor()}, "")
}

// noteRequest is the body of commands that only carry a note.
type noteRequest struct {
	Note string `json:"note"`
}

// postProposalClose closes a proposal whose outcome was verified.
func (s *Server) postProposalClose(c echo.Context) error {
	var r noteRequest
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.proposalTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.CloseProposal{ProposalID: id, Note: r.Note, By: p.token.Actor()}, "")
}

// postProposalReopen reopens a proposal.
func (s *Server) postProposalReopen(c echo.Context) error {
	var r reasonRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.proposalTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.ReopenProposal{ProposalID: id, Reason: r.Reason, By: p.token.Actor()}, "")
}
