package domain

import "time"

// An action assigned to a volunteer, or to a volunteer team of the
// resource map, is accepted (接单) by the volunteers who take it on: the
// bicycle-shed passage was cleared by the volunteers who accepted it. The
// ledger checks that a team's volunteer is one of its members; the domain
// checks the rest.

// ActionAccepted records that a volunteer took on an action assigned to
// them or to their team.
type ActionAccepted struct {
	ActionID string `json:"action_id"`
	// Volunteer is the volunteer who accepted.
	Volunteer Voter `json:"volunteer"`
	// TeamID is the owning team the volunteer accepted for, empty when
	// the action was assigned to the volunteer.
	TeamID string `json:"team_id,omitempty"`
	// RecordedBy is the staff member who recorded the acceptance on the
	// volunteer's behalf (by phone, on the spot), empty when the volunteer
	// accepted.
	RecordedBy string    `json:"recorded_by,omitempty"`
	At         time.Time `json:"at"`
}

// EventType implements Event.
func (ActionAccepted) EventType() string { return "action.accepted.v1" }

// AcceptAction has a volunteer take on an action assigned to them or to
// their team.
type AcceptAction struct {
	ActionID   string `json:"action_id"`
	Volunteer  Voter  `json:"volunteer"`
	RecordedBy string `json:"recorded_by,omitempty"`
}

// Stream implements Command.
func (c AcceptAction) Stream() string { return ActionStream(c.ActionID) }

// actionOwner checks an action's owner: a person, a participating unit or
// a volunteer team.
func actionOwner(field string, p Party) *Error {
	return firstErr(oneOf(field+".kind", p.Kind, PartyPerson, PartyUnit, PartyTeam), id(field+".id", p.ID), text(field+".name", "the name", "名称", p.Name, maxShort))
}

// decideAccept decides an acceptance: a volunteer takes on an action
// assigned to them or to a team (whose membership the ledger checks),
// once, before it is completed.
func decideAccept(s ActionState, c AcceptAction, now time.Time) ([]Event, error) {
	if err := firstError(voter("volunteer", c.Volunteer), optionalID("recorded_by", c.RecordedBy)); err != nil {
		return nil, err
	}
	if err := s.actionIn("accept", "接单", StatusAssigned, StatusInProgress, StatusBlocked); err != nil {
		return nil, err
	}
	var team string
	switch s.Owner.Kind {
	case PartyTeam:
		team = s.Owner.ID
	case PartyPerson:
		if s.Owner.ID != c.Volunteer.PersonID {
			return nil, &Error{Code: CodeForbidden, Reason: "not_the_owner", Field: "volunteer.person_id",
				Message: "this action is assigned to someone else", MessageZH: "该行动已分派给其他人"}
		}
	default:
		return nil, refuse(CodeConflict, "not_for_volunteers", "this action is assigned to a participating unit, not to volunteers", "该行动由参与单位负责，不由志愿者接单")
	}
	for _, a := range s.Accepted {
		if a == c.Volunteer.PersonID {
			return nil, refuse(CodeConflict, "already_accepted", c.Volunteer.Name+" has already accepted this action", c.Volunteer.Name+" 已经接下这项行动")
		}
	}
	return []Event{ActionAccepted{ActionID: s.ActionID, Volunteer: c.Volunteer, TeamID: team, RecordedBy: c.RecordedBy, At: now}}, nil
}
