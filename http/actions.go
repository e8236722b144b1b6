package http

import (
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
)

// assignActionRequest is the body of POST /v1/actions.
type assignActionRequest struct {
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

// postAction assigns an action, from a decision or directly from a
// proposal; the proposal and meeting it names must lie in the principal's
// scope too.
func (s *Server) postAction(c echo.Context) error {
	var r assignActionRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	if err := requireScope(p, r.CommunityID, r.GridID); err != nil {
		return err
	}
	for _, ref := range []struct{ field, id string }{{"proposal_id", r.ProposalID}, {"meeting_id", r.MeetingID}} {
		if ref.id == "" {
			continue
		}
		id, err := parseID(ref.field, ref.id)
		if err != nil {
			return err
		}
		stream := domain.ProposalStream(id.String())
		if ref.field == "meeting_id" {
			stream = domain.MeetingStream(id.String())
		}
		if _, err := s.authorize(c, p, stream); err != nil {
			return err
		}
	}
	id, err := newID(c, p, "action_id", r.ActionID)
	if err != nil {
		return err
	}
	if r.Owner == nil {
		return fieldErr(kindValidation, "owner", text{"必须指定负责人（个人或单位）", "an owner (a person or a unit) is required"})
	}
	return s.execute(c, domain.AssignAction{
		ActionID: id, CommunityID: r.CommunityID, GridID: r.GridID, ProposalID: r.ProposalID, MeetingID: r.MeetingID, MotionID: r.MotionID,
		Title: r.Title, Description: r.Description, Owner: r.Owner.party(), Due: r.Due, Recurrence: r.Recurrence, By: p.token.Actor(),
	}, id)
}

// actionTarget reads the path's action id and checks the scope.
func (s *Server) actionTarget(c echo.Context, p principal) (string, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return "", err
	}
	_, err = s.authorize(c, p, domain.ActionStream(id.String()))
	return id.String(), err
}

// postActionStart records that work began.
func (s *Server) postActionStart(c echo.Context) error {
	var r struct{}
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.actionTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.StartAction{ActionID: id}, "")
}

// progressRequest is the body of POST /v1/actions/{id}/progress.
type progressRequest struct {
	Percent int      `json:"percent"`
	Note    string   `json:"note"`
	Photos  []string `json:"photos"`
}

// postActionProgress reports progress with optional photos.
func (s *Server) postActionProgress(c echo.Context) error {
	var r progressRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.actionTarget(c, p)
	if err != nil {
		return err
	}
	if err := s.checkPhotos("photos", r.Photos); err != nil {
		return err
	}
	return s.execute(c, domain.ReportProgress{ActionID: id, Percent: r.Percent, Note: r.Note, Photos: r.Photos}, "")
}

// occurrenceRequest is the body of POST /v1/actions/{id}/occurrences.
type occurrenceRequest struct {
	HeldOn       time.Time `json:"held_on"`
	Participants int       `json:"participants"`
	Note         string    `json:"note"`
	Photos       []string  `json:"photos"`
}

// postActionOccurrence records one occurrence of a recurring action (one
// 邻里小饭桌 dinner).
func (s *Server) postActionOccurrence(c echo.Context) error {
	var r occurrenceRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.actionTarget(c, p)
	if err != nil {
		return err
	}
	if err := s.checkPhotos("photos", r.Photos); err != nil {
		return err
	}
	return s.execute(c, domain.RecordOccurrence{ActionID: id, HeldOn: r.HeldOn, Participants: r.Participants, Note: r.Note, Photos: r.Photos}, "")
}

// postActionBlock records that the action is blocked, and why.
func (s *Server) postActionBlock(c echo.Context) error {
	var r reasonRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.actionTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.BlockAction{ActionID: id, Reason: r.Reason}, "")
}

// completeRequest is the body of POST /v1/actions/{id}/complete.
type completeRequest struct {
	Evidence []string `json:"evidence"`
	Note     string   `json:"note"`
}

// postActionComplete records completion with evidence (uploaded photos).
func (s *Server) postActionComplete(c echo.Context) error {
	var r completeRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.actionTarget(c, p)
	if err != nil {
		return err
	}
	if err := s.checkPhotos("evidence", r.Evidence); err != nil {
		return err
	}
	return s.execute(c, domain.CompleteAction{ActionID: id, Evidence: r.Evidence, Note: r.Note}, "")
}

// verifyRequest is the body of POST /v1/actions/{id}/verify.
type verifyRequest struct {
	Satisfied *bool  `json:"satisfied"`
	Reason    string `json:"reason"`
}

// postActionVerify records the principal's verification of the outcome;
// not satisfied reopens the action and its proposal.
func (s *Server) postActionVerify(c echo.Context) error {
	var r verifyRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	if r.Satisfied == nil {
		return fieldErr(kindValidation, "satisfied", text{"必须说明是否满意", "say whether you are satisfied"})
	}
	p := principalOf(c)
	id, err := s.actionTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.VerifyAction{
		ActionID: id, Verifier: domain.Voter{PersonID: p.token.Actor(), Name: p.token.Name}, Satisfied: *r.Satisfied, Reason: r.Reason,
	}, "")
}

// postActionCancel cancels an action, with a reason.
func (s *Server) postActionCancel(c echo.Context) error {
	var r reasonRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	id, err := s.actionTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.CancelAction{ActionID: id, Reason: r.Reason, By: p.token.Actor()}, "")
}
