package domain

import (
	"fmt"
	"time"
)

// ActionState is an action folded from its stream.
type ActionState struct {
	// Exists is false until the action is assigned.
	Exists      bool      `json:"exists"`
	ActionID    string    `json:"action_id"`
	CommunityID string    `json:"community_id"`
	GridID      string    `json:"grid_id"`
	ProposalID  string    `json:"proposal_id,omitempty"`
	MeetingID   string    `json:"meeting_id,omitempty"`
	MotionID    string    `json:"motion_id,omitempty"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Owner       Party     `json:"owner"`
	Due         time.Time `json:"due"`
	Recurrence  string    `json:"recurrence,omitempty"`
	AssignedAt  time.Time `json:"assigned_at"`
	// Status is StatusAssigned, StatusInProgress, StatusBlocked,
	// StatusCompleted, StatusVerified or StatusCancelled.
	Status string `json:"status"`
	// Percent is the last reported progress.
	Percent int `json:"percent"`
	// Note is the last progress note, block reason, completion note or
	// cancellation reason.
	Note string `json:"note,omitempty"`
	// Evidence is the last completion's photo references.
	Evidence []string `json:"evidence,omitempty"`
	// Occurrences counts the occurrences of a recurring action.
	Occurrences int `json:"occurrences"`
	// Reopens counts unsatisfied verifications.
	Reopens int `json:"reopens"`
	// Accepted are the person ids of the volunteers who accepted the
	// action, in order.
	Accepted []string `json:"accepted,omitempty"`
	// Verification is the last verification, if any.
	Verification *ActionVerified `json:"verification,omitempty"`
}

// FoldAction folds an action stream's events, oldest first.
func FoldAction(events []Event) ActionState {
	return foldEvents[ActionState](events)
}

// evolve applies one event to the state.
func (s *ActionState) evolve(e Event) {
	switch e := e.(type) {
	case ActionAssigned:
		*s = ActionState{Exists: true, ActionID: e.ActionID, CommunityID: e.CommunityID, GridID: e.GridID, ProposalID: e.ProposalID,
			MeetingID: e.MeetingID, MotionID: e.MotionID, Title: e.Title, Description: e.Description, Owner: e.Owner,
			Due: e.Due, Recurrence: e.Recurrence, AssignedAt: e.At, Status: StatusAssigned}
	case ActionAccepted:
		s.Accepted = append(s.Accepted, e.Volunteer.PersonID)
	case ActionStarted:
		s.Status = StatusInProgress
	case ActionProgressReported:
		s.Status, s.Percent, s.Note = StatusInProgress, e.Percent, e.Note
	case ActionOccurrenceHeld:
		s.Occurrences = e.Number
	case ActionBlocked:
		s.Status, s.Note = StatusBlocked, e.Reason
	case ActionCompleted:
		s.Status, s.Percent, s.Note, s.Evidence = StatusCompleted, 100, e.Note, e.Evidence
	case ActionVerified:
		s.Verification = &e
		if e.Satisfied {
			s.Status = StatusVerified
		} else {
			s.Status, s.Note = StatusInProgress, e.Reason
			s.Reopens++
		}
	case ActionCancelled:
		s.Status, s.Note = StatusCancelled, e.Reason
	}
}

// actionIn refuses a command unless the action is in one of the statuses.
func (s ActionState) actionIn(what, whatZH string, statuses ...string) *Error {
	for _, st := range statuses {
		if s.Status == st {
			return nil
		}
	}
	reason := "action_not_" + statuses[0]
	if s.Status == StatusVerified || s.Status == StatusCancelled {
		reason = "action_closed"
	}
	en, zh := StatusLabel(s.Status)
	return refuse(CodeConflict, reason, fmt.Sprintf("cannot %s: the action is %s", what, en), fmt.Sprintf("不能%s：该行动当前状态为“%s”", whatZH, zh))
}

// decideAction decides an action command.
func decideAction(s ActionState, cmd Command, now time.Time) ([]Event, error) {
	if c, ok := cmd.(AssignAction); ok {
		if s.Exists {
			return nil, refuse(CodeConflict, "action_exists", "this action was already assigned", "该行动已经分派过")
		}
		var source, decision *Error
		if (c.MeetingID == "") != (c.MotionID == "") {
			decision = invalid("motion_id", "decision_incomplete", "an action from a decision names both the meeting and the motion", "来自决定的行动须同时写明会议和动议")
		}
		if c.ProposalID == "" && c.MeetingID == "" {
			source = invalid("proposal_id", "source_required", "an action comes from a decision or a proposal: name one", "行动须来自某项决定或议题")
		}
		if err := firstError(id("action_id", c.ActionID), id("community_id", c.CommunityID), id("grid_id", c.GridID), optionalID("proposal_id", c.ProposalID),
			optionalID("meeting_id", c.MeetingID), optionalID("motion_id", c.MotionID), text("title", "the title", "标题", c.Title, maxShort),
			optionalText("description", "the description", "说明", c.Description, maxLong), actionOwner("owner", c.Owner),
			instant("due", "the due date", "完成期限", c.Due), notPast("due", "the due date", "完成期限", c.Due, now),
			optionalText("recurrence", "the recurrence", "周期", c.Recurrence, maxShort), id("by", c.By), decision, source); err != nil {
			return nil, err
		}
		return []Event{ActionAssigned{ActionID: c.ActionID, CommunityID: c.CommunityID, GridID: c.GridID, ProposalID: c.ProposalID,
			MeetingID: c.MeetingID, MotionID: c.MotionID, Title: c.Title, Description: c.Description, Owner: c.Owner,
			Due: c.Due, Recurrence: c.Recurrence, By: c.By, At: now}}, nil
	}
	if !s.Exists {
		return nil, refuse(CodeNotFound, "action_not_found", "there is no such action", "没有这项行动")
	}
	switch c := cmd.(type) {
	case AcceptAction:
		return decideAccept(s, c, now)
	case StartAction:
		if err := s.actionIn("start", "开始", StatusAssigned); err != nil {
			return nil, err
		}
		return []Event{ActionStarted{ActionID: s.ActionID, At: now}}, nil
	case ReportProgress:
		var percent *Error
		if c.Percent < 0 || c.Percent > 100 {
			percent = invalid("percent", "bad_percent", "progress is a percentage from 0 to 100", "进度应为 0 到 100 的百分比")
		}
		if err := firstError(percent, optionalText("note", "the note", "说明", c.Note, maxLong), photos("photos", c.Photos)); err != nil {
			return nil, err
		}
		if err := s.actionIn("report progress", "报告进度", StatusInProgress, StatusBlocked); err != nil {
			return nil, err
		}
		return []Event{ActionProgressReported{ActionID: s.ActionID, Percent: c.Percent, Note: c.Note, Photos: c.Photos, At: now}}, nil
	case RecordOccurrence:
		var participants *Error
		if c.Participants < 0 {
			participants = invalid("participants", "bad_participants", "the number of participants cannot be negative", "参加人数不能为负")
		}
		if err := firstError(instant("held_on", "the date it was held", "举办日期", c.HeldOn), notFuture("held_on", "the date it was held", "举办日期", c.HeldOn, now),
			participants, optionalText("note", "the note", "说明", c.Note, maxLong), photos("photos", c.Photos)); err != nil {
			return nil, err
		}
		if s.Recurrence == "" {
			return nil, refuse(CodeConflict, "not_recurring", "only a recurring action has occurrences", "只有周期性行动才能记录举办次数")
		}
		if err := s.actionIn("record an occurrence", "记录举办", StatusInProgress); err != nil {
			return nil, err
		}
		return []Event{ActionOccurrenceHeld{ActionID: s.ActionID, Number: s.Occurrences + 1, HeldOn: c.HeldOn, Participants: c.Participants, Note: c.Note, Photos: c.Photos, At: now}}, nil
	case BlockAction:
		if err := firstError(text("reason", "the reason", "受阻原因", c.Reason, maxLong)); err != nil {
			return nil, err
		}
		if err := s.actionIn("block", "标记受阻", StatusInProgress, StatusAssigned); err != nil {
			return nil, err
		}
		return []Event{ActionBlocked{ActionID: s.ActionID, Reason: c.Reason, At: now}}, nil
	case CompleteAction:
		evidence := photos("evidence", c.Evidence)
		if len(c.Evidence) == 0 {
			evidence = invalid("evidence", "evidence_required", "completing an action needs at least one photo as evidence", "完成行动至少需要一张照片作为凭证")
		}
		if err := firstError(evidence, optionalText("note", "the note", "说明", c.Note, maxLong)); err != nil {
			return nil, err
		}
		if err := s.actionIn("complete", "完成", StatusInProgress); err != nil {
			return nil, err
		}
		return []Event{ActionCompleted{ActionID: s.ActionID, Evidence: c.Evidence, Note: c.Note, At: now}}, nil
	case VerifyAction:
		if err := firstError(voter("verifier", c.Verifier), photos("photos", c.Photos)); err != nil {
			return nil, err
		}
		if !c.Satisfied {
			if err := firstError(text("reason", "the reason for not being satisfied", "不满意的原因", c.Reason, maxLong)); err != nil {
				return nil, err
			}
		}
		if c.RecordedBy != "" {
			if err := firstError(id("recorded_by", c.RecordedBy),
				oneOf("method", c.Method, VerifiedByPhone, VerifiedOnAVisit, VerifiedAtAMeeting, VerifiedInWriting),
				text("note", "a note of how the verdict was obtained", "如何征得居民意见的说明", c.Note, maxLong)); err != nil {
				return nil, err
			}
		} else if c.Method != "" || c.Note != "" {
			return nil, invalid("method", "method_without_recorder", "a method and note are for staff recording someone else's verdict", "只有工作人员代为记录居民意见时才填写方式和说明")
		}
		if err := s.actionIn("verify", "验收", StatusCompleted); err != nil {
			return nil, err
		}
		if s.Owner.Kind == PartyPerson && (s.Owner.ID == c.Verifier.PersonID || s.Owner.ID == c.RecordedBy) {
			return nil, refuse(CodeForbidden, "owner_cannot_verify", "the action's owner cannot verify their own work, nor record its verification", "行动负责人不能验收自己的工作，也不能代为记录验收")
		}
		return []Event{ActionVerified{ActionID: s.ActionID, ProposalID: s.ProposalID, Verifier: c.Verifier, Satisfied: c.Satisfied, Reason: c.Reason, Photos: c.Photos,
			RecordedBy: c.RecordedBy, Method: c.Method, Note: c.Note, At: now}}, nil
	case CancelAction:
		if err := firstError(text("reason", "the reason", "取消原因", c.Reason, maxLong), id("by", c.By)); err != nil {
			return nil, err
		}
		if err := s.actionIn("cancel", "取消", StatusAssigned, StatusInProgress, StatusBlocked, StatusCompleted); err != nil {
			return nil, err
		}
		return []Event{ActionCancelled{ActionID: s.ActionID, ProposalID: s.ProposalID, Reason: c.Reason, By: c.By, At: now}}, nil
	}
	return nil, unknownCommand(cmd)
}
