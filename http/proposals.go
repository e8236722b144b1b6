package http

import (
	"context"
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/privacy"
)

// partyRequest names a person or a participating unit.
type partyRequest struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (r partyRequest) party() domain.Party { return domain.Party{Kind: r.Kind, ID: r.ID, Name: r.Name} }

// partyOr returns r's party, or def when r is absent.
func partyOr(r *partyRequest, def domain.Party) domain.Party {
	if r == nil {
		return def
	}
	return r.party()
}

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

// checkPhotos refuses references to attachments that were never uploaded
// (or were erased).
func (s *Server) checkPhotos(ctx context.Context, field string, photos []string) error {
	for _, sum := range photos {
		if !sha256Pattern.MatchString(sum) {
			return fieldErr(kindValidation, field, text{"照片应为上传后得到的 SHA-256", "photos are the SHA-256 an upload returned"})
		}
		if _, err := s.photos.Get(ctx, sum); errors.Is(err, blob.ErrNotFound) || errors.Is(err, privacy.ErrErased) {
			return fieldErr(kindValidation, field, text{"照片 " + sum + " 尚未上传", "photo " + sum + " was never uploaded"})
		} else if err != nil {
			return fmt.Errorf("check %s: %w", field, err)
		}
	}
	return nil
}

// Request types of the proposal routes.
type (
	submitProposalRequest struct {
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
		MeetingID   string        `json:"meeting_id"`
	}
	emptyRequest  struct{}
	reasonRequest struct {
		Reason string `json:"reason"`
	}
	noteRequest struct {
		Note string `json:"note"`
	}
	acceptProposalRequest struct {
		Owner *partyRequest `json:"owner"`
		Note  string        `json:"note"`
	}
	mergeProposalRequest struct {
		SurvivorID string `json:"survivor_id"`
		Reason     string `json:"reason"`
	}
	handleDirectlyRequest struct {
		Handler *partyRequest `json:"handler"`
		Note    string        `json:"note"`
	}
)

// submitProposal: residents and unit representatives are the author; staff
// may record a proposal for someone else (a visit, a window).
func submitProposal(s *Server, c echo.Context, p principal, _ ref, r *submitProposalRequest) (domain.Command, string, error) {
	if err := requirePlace(p, r.CommunityID, r.GridID); err != nil {
		return nil, "", err
	}
	if err := s.checkPhotos(c.Request().Context(), "photos", r.Photos); err != nil {
		return nil, "", err
	}
	if r.MeetingID != "" {
		mid, err := parseID("meeting_id", r.MeetingID)
		if err != nil {
			return nil, "", err
		}
		if err := s.authorize(c, p, domain.MeetingStream(mid.String())); err != nil {
			return nil, "", err
		}
		r.MeetingID = mid.String()
	}
	id, err := newID(c, p, "proposal_id", r.ProposalID)
	if err != nil {
		return nil, "", err
	}
	cmd := domain.SubmitProposal{
		ProposalID: id, CommunityID: r.CommunityID, GridID: r.GridID, CompoundID: r.CompoundID,
		Title: r.Title, Text: r.Text, Category: r.Category, Place: r.Place, Photos: r.Photos, Channel: r.Channel,
		Author: p.self(), MeetingID: r.MeetingID,
	}
	if r.Author != nil {
		if !p.staff() {
			return nil, "", fieldErr(kindForbidden, "author", text{"只有工作人员可以代他人登记议题", "only staff may record a proposal for someone else"})
		}
		cmd.Author, cmd.RecordedBy = r.Author.party(), p.token.Actor()
	}
	return cmd, id, nil
}

func supportProposal(_ *Server, _ echo.Context, p principal, t ref, _ *emptyRequest) (domain.Command, string, error) {
	return domain.SupportProposal{ProposalID: t.id, PersonID: p.token.Actor(), Name: p.token.Name}, "", nil
}

// acceptProposal: the facilitator owns the proposal unless another owner
// is named.
func acceptProposal(_ *Server, _ echo.Context, p principal, t ref, r *acceptProposalRequest) (domain.Command, string, error) {
	return domain.AcceptProposal{ProposalID: t.id, Owner: partyOr(r.Owner, p.self()), Note: r.Note, By: p.token.Actor()}, "", nil
}

func rejectProposal(_ *Server, _ echo.Context, p principal, t ref, r *reasonRequest) (domain.Command, string, error) {
	return domain.RejectProposal{ProposalID: t.id, Reason: r.Reason, By: p.token.Actor()}, "", nil
}

// mergeProposal: the survivor must lie in the principal's scope too.
func mergeProposal(s *Server, c echo.Context, p principal, t ref, r *mergeProposalRequest) (domain.Command, string, error) {
	survivor, err := parseID("survivor_id", r.SurvivorID)
	if err != nil {
		return nil, "", err
	}
	if err := s.authorize(c, p, domain.ProposalStream(survivor.String())); err != nil {
		return nil, "", err
	}
	return domain.MergeProposal{ProposalID: t.id, SurvivorID: survivor.String(), Reason: r.Reason, By: p.token.Actor()}, "", nil
}

// withdrawProposal: the domain checks that the principal is the author.
func withdrawProposal(_ *Server, _ echo.Context, p principal, t ref, r *reasonRequest) (domain.Command, string, error) {
	return domain.WithdrawProposal{ProposalID: t.id, PersonID: p.token.Actor(), Reason: r.Reason}, "", nil
}

func handleDirectly(_ *Server, _ echo.Context, p principal, t ref, r *handleDirectlyRequest) (domain.Command, string, error) {
	return domain.HandleDirectly{ProposalID: t.id, Handler: partyOr(r.Handler, p.self()), Note: r.Note, By: p.token.Actor()}, "", nil
}

func closeProposal(_ *Server, _ echo.Context, p principal, t ref, r *noteRequest) (domain.Command, string, error) {
	return domain.CloseProposal{ProposalID: t.id, Note: r.Note, By: p.token.Actor()}, "", nil
}

func reopenProposal(_ *Server, _ echo.Context, p principal, t ref, r *reasonRequest) (domain.Command, string, error) {
	return domain.ReopenProposal{ProposalID: t.id, Reason: r.Reason, By: p.token.Actor()}, "", nil
}
