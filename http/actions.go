package http

import (
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
)

// Request types of the action routes.
type (
	assignActionRequest struct {
		ActionID    string        `json:"action_id"`
		CommunityID string        `json:"community_id"`
		GridID      string        `json:"grid_id"`
		ProposalID  string        `json:"proposal_id"`
		MeetingID   string        `json:"meeting_id"`
		MotionID    string        `json:"motion_id"`
		Title       string        `json:"title"`
		Description string        `json:"description"`
		Owner       *partyRequest `json:"owner"`
		Due         time.Time     `json:"due"`
		Recurrence  string        `json:"recurrence"`
	}
	progressRequest struct {
		Percent int      `json:"percent"`
		Note    string   `json:"note"`
		Photos  []string `json:"photos"`
	}
	occurrenceRequest struct {
		HeldOn       time.Time `json:"held_on"`
		Participants int       `json:"participants"`
		Note         string    `json:"note"`
		Photos       []string  `json:"photos"`
	}
	completeRequest struct {
		Evidence []string `json:"evidence"`
		Note     string   `json:"note"`
	}
	verifyRequest struct {
		Satisfied *bool  `json:"satisfied"`
		Reason    string `json:"reason"`
		// Photos are SHA-256 references of uploaded photos of the outcome.
		Photos []string `json:"photos"`
		// Verifier, Method and Note: staff recording a resident's verdict
		// on their behalf name the resident and say how they obtained it.
		Verifier *voterRequest `json:"verifier"`
		Method   string        `json:"method"`
		Note     string        `json:"note"`
	}
)

// assignAction: the proposal and the meeting it names must lie in the
// principal's scope too.
func assignAction(s *Server, c echo.Context, p principal, _ ref, r *assignActionRequest) (domain.Command, string, error) {
	if err := requirePlace(p, r.CommunityID, r.GridID); err != nil {
		return nil, "", err
	}
	refs := []struct {
		field, id string
		stream    func(string) string
	}{{"proposal_id", r.ProposalID, domain.ProposalStream}, {"meeting_id", r.MeetingID, domain.MeetingStream}}
	for _, rf := range refs {
		if rf.id == "" {
			continue
		}
		id, err := parseID(rf.field, rf.id)
		if err != nil {
			return nil, "", err
		}
		if err := s.authorize(c, p, rf.stream(id.String())); err != nil {
			return nil, "", err
		}
	}
	if r.Owner == nil {
		return nil, "", fieldErr(kindValidation, "owner", text{"必须指定负责人（个人或单位）", "an owner (a person or a unit) is required"})
	}
	id, err := newID(c, p, "action_id", r.ActionID)
	if err != nil {
		return nil, "", err
	}
	return domain.AssignAction{
		ActionID: id, CommunityID: r.CommunityID, GridID: r.GridID, ProposalID: r.ProposalID, MeetingID: r.MeetingID, MotionID: r.MotionID,
		Title: r.Title, Description: r.Description, Owner: r.Owner.party(), Due: r.Due, Recurrence: r.Recurrence, By: p.token.Actor(),
	}, id, nil
}

// ownUnitAction refuses a unit representative's report on an action its
// unit does not own; staff report on any action in their scope.
func (s *Server) ownUnitAction(c echo.Context, p principal, t ref) error {
	if p.token.Role != auth.RoleUnitRep {
		return nil
	}
	a, err := s.loadAggregate(c.Request().Context(), domain.ActionStream(t.id))
	if err != nil {
		return err
	}
	for _, ev := range a.events {
		if a, ok := ev.(domain.ActionAssigned); ok && a.Owner.Kind == domain.PartyUnit && a.Owner.ID == p.token.Actor() {
			return nil
		}
	}
	return refuse(kindForbidden, text{"单位代表只能报告本单位负责的行动", "a unit representative reports only on actions its unit owns"})
}

func startAction(s *Server, c echo.Context, p principal, t ref, _ *emptyRequest) (domain.Command, string, error) {
	if err := s.ownUnitAction(c, p, t); err != nil {
		return nil, "", err
	}
	return domain.StartAction{ActionID: t.id}, "", nil
}

func reportProgress(s *Server, c echo.Context, p principal, t ref, r *progressRequest) (domain.Command, string, error) {
	if err := s.ownUnitAction(c, p, t); err != nil {
		return nil, "", err
	}
	if err := s.checkPhotos(c.Request().Context(), "photos", r.Photos); err != nil {
		return nil, "", err
	}
	return domain.ReportProgress{ActionID: t.id, Percent: r.Percent, Note: r.Note, Photos: r.Photos}, "", nil
}

// recordOccurrence records one occurrence of a recurring action (one
// 邻里小饭桌 dinner).
func recordOccurrence(s *Server, c echo.Context, p principal, t ref, r *occurrenceRequest) (domain.Command, string, error) {
	if err := s.ownUnitAction(c, p, t); err != nil {
		return nil, "", err
	}
	if err := s.checkPhotos(c.Request().Context(), "photos", r.Photos); err != nil {
		return nil, "", err
	}
	return domain.RecordOccurrence{ActionID: t.id, HeldOn: r.HeldOn, Participants: r.Participants, Note: r.Note, Photos: r.Photos}, "", nil
}

func blockAction(s *Server, c echo.Context, p principal, t ref, r *reasonRequest) (domain.Command, string, error) {
	if err := s.ownUnitAction(c, p, t); err != nil {
		return nil, "", err
	}
	return domain.BlockAction{ActionID: t.id, Reason: r.Reason}, "", nil
}

func completeAction(s *Server, c echo.Context, p principal, t ref, r *completeRequest) (domain.Command, string, error) {
	if err := s.ownUnitAction(c, p, t); err != nil {
		return nil, "", err
	}
	if err := s.checkPhotos(c.Request().Context(), "evidence", r.Evidence); err != nil {
		return nil, "", err
	}
	return domain.CompleteAction{ActionID: t.id, Evidence: r.Evidence, Note: r.Note}, "", nil
}

// verifyAction: the principal verifies, or staff record the verdict of
// the verifier the body names, with how they obtained it (the ledger
// decides who may verify); not satisfied reopens the action and its
// proposal.
func verifyAction(s *Server, c echo.Context, p principal, t ref, r *verifyRequest) (domain.Command, string, error) {
	if r.Satisfied == nil {
		return nil, "", fieldErr(kindValidation, "satisfied", text{"必须说明是否满意", "say whether you are satisfied"})
	}
	if err := s.checkPhotos(c.Request().Context(), "photos", r.Photos); err != nil {
		return nil, "", err
	}
	cmd := domain.VerifyAction{
		ActionID: t.id, Verifier: domain.Voter{PersonID: p.token.Actor(), Name: p.token.Name}, Satisfied: *r.Satisfied, Reason: r.Reason, Photos: r.Photos,
		Method: r.Method, Note: r.Note,
	}
	if r.Verifier != nil {
		if !p.staff() {
			return nil, "", fieldErr(kindForbidden, "verifier", text{"只有工作人员可以代居民记录验收意见", "only staff may record someone else's verification"})
		}
		cmd.Verifier, cmd.RecordedBy = r.Verifier.voter(), p.token.Actor()
	}
	return cmd, "", nil
}

func cancelAction(_ *Server, _ echo.Context, p principal, t ref, r *reasonRequest) (domain.Command, string, error) {
	return domain.CancelAction{ActionID: t.id, Reason: r.Reason, By: p.token.Actor()}, "", nil
}
