package domain

import (
	"fmt"
	"slices"
	"time"
)

// ServiceState is a service order folded from its stream.
type ServiceState struct {
	// Exists is false until the service is ordered.
	Exists      bool      `json:"exists"`
	ServiceID   string    `json:"service_id"`
	CommunityID string    `json:"community_id"`
	GridID      string    `json:"grid_id"`
	Title       string    `json:"title"`
	Category    string    `json:"category"`
	Skill       string    `json:"skill,omitempty"`
	Resident    Voter     `json:"resident"`
	OrderedAt   time.Time `json:"ordered_at"`
	// Status is one of the ServiceStatus* constants.
	Status string `json:"status"`
	// Attempt counts dispatches; Assignee and AnswerBy are the last one's.
	Attempt  int       `json:"attempt"`
	Assignee Party     `json:"assignee"`
	AnswerBy time.Time `json:"answer_by"`
	// Declined are the ids of the assignees who declined: the order is
	// never dispatched to them again.
	Declined []string `json:"declined,omitempty"`
	// Volunteer is who accepted, Minutes what the volunteer reported.
	Volunteer Voter `json:"volunteer"`
	Minutes   int   `json:"minutes"`
	// Points were awarded on confirmation.
	Points int `json:"points"`
}

// FoldService folds a service stream's events, oldest first.
func FoldService(events []Event) ServiceState {
	return foldEvents[ServiceState](events)
}

// evolve applies one event to the state.
func (s *ServiceState) evolve(e Event) {
	switch e := e.(type) {
	case ServiceOrdered:
		*s = ServiceState{Exists: true, ServiceID: e.ServiceID, CommunityID: e.CommunityID, GridID: e.GridID, Title: e.Title,
			Category: e.Category, Skill: e.Skill, Resident: e.Resident, OrderedAt: e.At, Status: ServiceStatusOrdered}
	case ServiceDispatched:
		s.Status, s.Attempt, s.Assignee, s.AnswerBy = ServiceStatusDispatched, e.Attempt, e.Assignee, e.AnswerBy
	case ServiceAccepted:
		s.Status, s.Volunteer = ServiceStatusAccepted, e.Volunteer
	case ServiceDeclined:
		s.Status = ServiceStatusOrdered
		s.Declined = append(s.Declined, e.Assignee.ID)
	case ServiceDispatchExpired:
		s.Status = ServiceStatusOrdered
	case ServiceDone:
		s.Status, s.Minutes = ServiceStatusDone, e.Minutes
	case ServiceConfirmed:
		if e.Satisfied {
			s.Status, s.Points = ServiceStatusConfirmed, e.Points
		} else {
			s.Status = ServiceStatusAccepted
		}
	case ServiceCancelled:
		s.Status = ServiceStatusCancelled
	}
}

// serviceIn refuses a command unless the order is in one of the statuses.
func (s ServiceState) serviceIn(what, whatZH string, statuses ...string) *Error {
	if slices.Contains(statuses, s.Status) {
		return nil
	}
	return refuse(CodeConflict, "service_not_"+statuses[0], fmt.Sprintf("cannot %s: the service order is %s", what, s.Status),
		fmt.Sprintf("不能%s：该服务单当前状态为 %s", whatZH, s.Status))
}

// currentAttempt refuses an answer to a dispatch that is no longer the
// current one (the order was dispatched again since).
func (s ServiceState) currentAttempt(attempt int) *Error {
	if attempt == s.Attempt {
		return nil
	}
	return &Error{Code: CodeConflict, Reason: "stale_dispatch", Field: "attempt",
		Message:   fmt.Sprintf("dispatch %d is no longer current: the order was dispatched again (dispatch %d)", attempt, s.Attempt),
		MessageZH: fmt.Sprintf("第 %d 次派单已失效：该服务单已重新派出（第 %d 次）", attempt, s.Attempt)}
}

// answeredBy refuses a volunteer answering a dispatch made to another
// person; a team's membership is the ledger's to check.
func (s ServiceState) answeredBy(v Voter) *Error {
	if s.Assignee.Kind == PartyPerson && s.Assignee.ID != v.PersonID {
		return &Error{Code: CodeForbidden, Reason: "not_the_assignee", Field: "volunteer.person_id",
			Message: "this order was dispatched to someone else", MessageZH: "该服务单已派给其他人"}
	}
	return nil
}

// decideService decides a service command.
func decideService(s ServiceState, cmd Command, now time.Time) ([]Event, error) {
	if c, ok := cmd.(OrderService); ok {
		if s.Exists {
			return nil, refuse(CodeConflict, "service_exists", "this service was already ordered", "该服务单已经存在")
		}
		if err := firstError(id("service_id", c.ServiceID), id("community_id", c.CommunityID), id("grid_id", c.GridID),
			text("title", "the title", "标题", c.Title, maxShort), text("need", "what is needed", "需求说明", c.Need, maxLong),
			text("category", "the category", "类别", c.Category, maxShort), optionalText("skill", "the skill", "所需技能", c.Skill, 50),
			voter("resident", c.Resident), id("ordered_by", c.OrderedBy)); err != nil {
			return nil, err
		}
		return []Event{ServiceOrdered{ServiceID: c.ServiceID, CommunityID: c.CommunityID, GridID: c.GridID, Title: c.Title, Need: c.Need,
			Category: c.Category, Skill: c.Skill, Resident: c.Resident, OrderedBy: c.OrderedBy, At: now}}, nil
	}
	if !s.Exists {
		return nil, refuse(CodeNotFound, "service_not_found", "there is no such service order", "没有这个服务单")
	}
	switch c := cmd.(type) {
	case DispatchService:
		var late *Error
		if !c.AnswerBy.IsZero() && !c.AnswerBy.After(now) {
			late = invalid("answer_by", "in_the_past", "the time to answer by has passed already", "接单时限已经过去")
		}
		if err := firstError(firstErr(oneOf("assignee.kind", c.Assignee.Kind, PartyPerson, PartyTeam), id("assignee.id", c.Assignee.ID),
			text("assignee.name", "the name", "名称", c.Assignee.Name, maxShort)),
			instant("answer_by", "the time to answer by", "接单时限", c.AnswerBy), late, id("by", c.By)); err != nil {
			return nil, err
		}
		if err := s.serviceIn("dispatch", "派单", ServiceStatusOrdered); err != nil {
			return nil, err
		}
		if slices.Contains(s.Declined, c.Assignee.ID) {
			return nil, &Error{Code: CodeConflict, Reason: "declined_before", Field: "assignee.id",
				Message: c.Assignee.Name + " declined this order already: dispatch it to someone else", MessageZH: c.Assignee.Name + " 已经拒绝过该服务单，请派给其他人"}
		}
		return []Event{ServiceDispatched{ServiceID: s.ServiceID, Attempt: s.Attempt + 1, Assignee: c.Assignee, AnswerBy: c.AnswerBy, By: c.By, At: now}}, nil
	case AcceptService:
		if err := firstError(voter("volunteer", c.Volunteer), optionalID("recorded_by", c.RecordedBy)); err != nil {
			return nil, err
		}
		if err := s.serviceIn("accept", "接单", ServiceStatusDispatched); err != nil {
			return nil, err
		}
		if err := firstError(s.currentAttempt(c.Attempt), s.answeredBy(c.Volunteer)); err != nil {
			return nil, err
		}
		return []Event{ServiceAccepted{ServiceID: s.ServiceID, Attempt: s.Attempt, Volunteer: c.Volunteer, RecordedBy: c.RecordedBy, At: now}}, nil
	case DeclineService:
		if err := firstError(voter("volunteer", c.Volunteer), optionalText("reason", "the reason", "原因", c.Reason, maxShort), optionalID("recorded_by", c.RecordedBy)); err != nil {
			return nil, err
		}
		if err := s.serviceIn("decline", "拒单", ServiceStatusDispatched); err != nil {
			return nil, err
		}
		if err := firstError(s.currentAttempt(c.Attempt), s.answeredBy(c.Volunteer)); err != nil {
			return nil, err
		}
		return []Event{ServiceDeclined{ServiceID: s.ServiceID, Attempt: s.Attempt, Assignee: s.Assignee, Volunteer: c.Volunteer, Reason: c.Reason, RecordedBy: c.RecordedBy, At: now}}, nil
	case ExpireDispatch:
		if err := s.serviceIn("expire the dispatch", "作废派单", ServiceStatusDispatched); err != nil {
			return nil, err
		}
		if err := s.currentAttempt(c.Attempt); err != nil {
			return nil, err
		}
		if now.Before(s.AnswerBy) {
			return nil, refuse(CodeConflict, "not_expired", "the volunteer still has time to answer", "接单时限未到")
		}
		return []Event{ServiceDispatchExpired{ServiceID: s.ServiceID, Attempt: s.Attempt, Assignee: s.Assignee, At: now}}, nil
	case ReportServiceDone:
		var minutes *Error
		if c.Minutes < 1 || c.Minutes > 24*60 {
			minutes = invalid("minutes", "bad_minutes", "the time spent is 1 to 1440 minutes", "服务时长应为 1 到 1440 分钟")
		}
		if err := firstError(voter("volunteer", c.Volunteer), minutes, optionalText("note", "the note", "说明", c.Note, maxLong)); err != nil {
			return nil, err
		}
		if err := s.serviceIn("report it done", "报告完成", ServiceStatusAccepted); err != nil {
			return nil, err
		}
		if c.Volunteer.PersonID != s.Volunteer.PersonID {
			return nil, &Error{Code: CodeForbidden, Reason: "not_the_volunteer", Field: "volunteer.person_id",
				Message: "only the volunteer who accepted the order reports it done", MessageZH: "只有接单的志愿者才能报告完成"}
		}
		return []Event{ServiceDone{ServiceID: s.ServiceID, CommunityID: s.CommunityID, Volunteer: c.Volunteer, Minutes: c.Minutes, Note: c.Note, At: now}}, nil
	case ConfirmService:
		if err := firstError(voter("confirmer", c.Confirmer), optionalID("recorded_by", c.RecordedBy)); err != nil {
			return nil, err
		}
		if !c.Satisfied {
			if err := firstError(text("reason", "the reason for not being satisfied", "不满意的原因", c.Reason, maxShort)); err != nil {
				return nil, err
			}
		}
		if err := s.serviceIn("confirm", "确认", ServiceStatusDone); err != nil {
			return nil, err
		}
		if c.Confirmer.PersonID != s.Resident.PersonID {
			return nil, &Error{Code: CodeForbidden, Reason: "not_the_resident", Field: "confirmer.person_id",
				Message: "only the resident served confirms the service (staff may record their verdict)", MessageZH: "只有被服务的居民才能确认（工作人员可代为记录）"}
		}
		e := ServiceConfirmed{ServiceID: s.ServiceID, CommunityID: s.CommunityID, VolunteerID: s.Volunteer.PersonID, Confirmer: c.Confirmer,
			Satisfied: c.Satisfied, Reason: c.Reason, Minutes: s.Minutes, RecordedBy: c.RecordedBy, At: now}
		if c.Satisfied {
			e.Rule, e.Points = ServicePointsRule, ServicePointsRule.Points(s.Minutes)
		}
		return []Event{e}, nil
	case CancelService:
		if err := firstError(text("reason", "the reason", "取消原因", c.Reason, maxShort), id("by", c.By)); err != nil {
			return nil, err
		}
		if err := s.serviceIn("cancel", "取消", ServiceStatusOrdered, ServiceStatusDispatched, ServiceStatusAccepted); err != nil {
			return nil, err
		}
		return []Event{ServiceCancelled{ServiceID: s.ServiceID, Reason: c.Reason, By: c.By, At: now}}, nil
	}
	return nil, unknownCommand(cmd)
}

// PointsState is a volunteer's points account folded from its stream.
type PointsState struct {
	Exists      bool   `json:"exists"`
	CommunityID string `json:"community_id"`
	PersonID    string `json:"person_id"`
	// Earned, Redeemed and Balance are points; Balance = Earned − Redeemed.
	Earned   int `json:"earned"`
	Redeemed int `json:"redeemed"`
	Balance  int `json:"balance"`
	// Minutes counts the service time credited.
	Minutes int `json:"minutes"`
	// Services are the services credited, each once.
	Services map[string]bool `json:"services"`
}

// FoldPoints folds a points stream's events, oldest first.
func FoldPoints(events []Event) PointsState {
	return foldEvents[PointsState](events)
}

// evolve applies one event to the state.
func (s *PointsState) evolve(e Event) {
	switch e := e.(type) {
	case PointsAwarded:
		if !s.Exists {
			*s = PointsState{Exists: true, CommunityID: e.CommunityID, PersonID: e.PersonID, Services: map[string]bool{}}
		}
		s.Services[e.ServiceID] = true
		s.Earned += e.Points
		s.Balance += e.Points
		s.Minutes += e.Minutes
	case PointsRedeemed:
		s.Redeemed += e.Points
		s.Balance -= e.Points
	}
}

// decidePoints decides a points command: an award once per service, a
// redemption only within the balance.
func decidePoints(s PointsState, cmd Command, now time.Time) ([]Event, error) {
	switch c := cmd.(type) {
	case AwardPoints:
		if err := firstError(id("community_id", c.CommunityID), id("person_id", c.PersonID), id("service_id", c.ServiceID)); err != nil {
			return nil, err
		}
		if c.Points <= 0 {
			return nil, invalid("points", "bad_points", "an award is a positive number of points", "积分应为正数")
		}
		if s.Services[c.ServiceID] {
			return nil, nil
		}
		return []Event{PointsAwarded{CommunityID: c.CommunityID, PersonID: c.PersonID, ServiceID: c.ServiceID, Minutes: c.Minutes,
			Points: c.Points, Rule: c.Rule, Balance: s.Balance + c.Points, At: now}}, nil
	case RedeemPoints:
		var points *Error
		if c.Points <= 0 {
			points = invalid("points", "bad_points", "redeem a positive number of points", "兑换积分应为正数")
		}
		if err := firstError(id("station_id", c.StationID), points, text("item", "what is exchanged", "兑换物品", c.Item, maxShort), id("by", c.By)); err != nil {
			return nil, err
		}
		if c.Points > s.Balance {
			return nil, &Error{Code: CodeConflict, Reason: "not_enough_points", Field: "points",
				Message:   fmt.Sprintf("the balance is %d points, fewer than %d", s.Balance, c.Points),
				MessageZH: fmt.Sprintf("积分余额为 %d，不足 %d", s.Balance, c.Points)}
		}
		return []Event{PointsRedeemed{CommunityID: c.CommunityID, PersonID: c.PersonID, StationID: c.StationID, Points: c.Points, Item: c.Item,
			Balance: s.Balance - c.Points, By: c.By, At: now}}, nil
	}
	return nil, unknownCommand(cmd)
}
