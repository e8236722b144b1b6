package domain

import (
	"fmt"
	"slices"
	"time"
)

// ProposalState is a proposal folded from its stream.
type ProposalState struct {
	// Exists is false until the proposal is submitted.
	Exists      bool     `json:"exists"`
	ProposalID  string   `json:"proposal_id"`
	CommunityID string   `json:"community_id"`
	GridID      string   `json:"grid_id"`
	CompoundID  string   `json:"compound_id,omitempty"`
	Title       string   `json:"title"`
	Text        string   `json:"text"`
	Category    string   `json:"category"`
	Place       string   `json:"place"`
	Photos      []string `json:"photos,omitempty"`
	Channel     string   `json:"channel"`
	// MeetingID is the meeting or talk where it was collected, if any.
	MeetingID   string    `json:"meeting_id,omitempty"`
	Author      Party     `json:"author"`
	SubmittedAt time.Time `json:"submitted_at"`
	// Status is StatusSubmitted, StatusAccepted, StatusHandling, StatusOnAgenda,
	// StatusDecided, StatusReopened, or one of the terminal StatusRejected,
	// StatusMerged, StatusWithdrawn, StatusClosed.
	Status string `json:"status"`
	// Supporters are the ids of those who supported it, in order.
	Supporters []string `json:"supporters"`
	// Owner is who is responsible after acceptance or direct handling.
	Owner Party `json:"owner,omitzero"`
	// Reason is the last rejection, withdrawal or reopening reason.
	Reason string `json:"reason,omitempty"`
	// SurvivorID is the proposal this one was merged into.
	SurvivorID string `json:"survivor_id,omitempty"`
	// Duplicates are the proposals merged into this one.
	Duplicates []string `json:"duplicates,omitempty"`
	// Agenda lists the meetings' agenda items that discussed it.
	Agenda []ProposalPutOnAgenda `json:"agenda,omitempty"`
	// Decisions lists the meetings' decisions on it.
	Decisions []ProposalDecided `json:"decisions,omitempty"`
	// Actions are the linked actions by id, with their status.
	Actions map[string]LinkedAction `json:"actions,omitempty"`
	// ClosedAt is set while the proposal is closed.
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// Verified is set when residents verified a linked action's outcome as
	// satisfactory since the proposal was submitted or last reopened: a
	// reopened proposal closes only after a new satisfied verification.
	Verified bool `json:"verified"`
}

// LinkedAction is an action as its proposal knows it.
type LinkedAction struct {
	ActionID string `json:"action_id"`
	Title    string `json:"title"`
	// Status is StatusOpen, StatusVerified or StatusCancelled.
	Status string `json:"status"`
}

// terminal reports whether the proposal is settled (rejected, merged,
// withdrawn or closed).
func (s ProposalState) terminal() bool {
	switch s.Status {
	case StatusRejected, StatusMerged, StatusWithdrawn, StatusClosed:
		return true
	}
	return false
}

// OpenActions returns the ids of linked actions neither verified nor
// cancelled, sorted.
func (s ProposalState) OpenActions() []string {
	var out []string
	for id, a := range s.Actions {
		if a.Status == StatusOpen {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// FoldProposal folds a proposal stream's events, oldest first.
func FoldProposal(events []Event) ProposalState {
	return foldEvents[ProposalState](events)
}

// evolve applies one event to the state.
func (s *ProposalState) evolve(e Event) {
	switch e := e.(type) {
	case ProposalSubmitted:
		*s = ProposalState{Exists: true, ProposalID: e.ProposalID, CommunityID: e.CommunityID, GridID: e.GridID, CompoundID: e.CompoundID,
			Title: e.Title, Text: e.Text, Category: e.Category, Place: e.Place, Photos: e.Photos, Channel: e.Channel, MeetingID: e.MeetingID,
			Author: e.Author, SubmittedAt: e.At, Status: StatusSubmitted, Supporters: []string{}, Actions: map[string]LinkedAction{}}
	case ProposalSupported:
		s.Supporters = append(s.Supporters, e.PersonID)
	case ProposalAccepted:
		s.Status, s.Owner = StatusAccepted, e.Owner
	case ProposalRejected:
		s.Status, s.Reason = StatusRejected, e.Reason
	case ProposalMerged:
		s.Status, s.Reason, s.SurvivorID = StatusMerged, e.Reason, e.SurvivorID
	case ProposalDuplicateAbsorbed:
		s.Duplicates = append(s.Duplicates, e.DuplicateID)
		s.Supporters = append(s.Supporters, e.NewSupporters...)
	case ProposalWithdrawn:
		s.Status, s.Reason = StatusWithdrawn, e.Reason
	case ProposalHandledDirectly:
		s.Status, s.Owner = StatusHandling, e.Handler
	case ProposalPutOnAgenda:
		s.Agenda = append(s.Agenda, e)
		if s.active() {
			s.Status = StatusOnAgenda
		}
	case ProposalDecided:
		s.Decisions = append(s.Decisions, e)
		if !s.terminal() {
			s.Status = StatusDecided
		}
	case ProposalActionLinked:
		s.Actions[e.ActionID] = LinkedAction{ActionID: e.ActionID, Title: e.Title, Status: StatusOpen}
	case ProposalActionSettled:
		a := s.Actions[e.ActionID]
		a.Status = e.Outcome
		s.Actions[e.ActionID] = a
		if e.Outcome == StatusVerified {
			s.Verified = true
		}
	case ProposalClosed:
		s.Status, s.ClosedAt = StatusClosed, e.At
	case ProposalReopened:
		s.Status, s.Reason, s.ClosedAt, s.Verified = StatusReopened, e.Reason, time.Time{}, false
		if a, ok := s.Actions[e.ActionID]; ok {
			a.Status = StatusOpen
			s.Actions[e.ActionID] = a
		}
	}
}

// active reports whether the proposal still waits for a meeting: submitted,
// accepted or reopened.
func (s ProposalState) active() bool {
	switch s.Status {
	case StatusSubmitted, StatusAccepted, StatusReopened:
		return true
	}
	return false
}

// notOpen refuses a command on a settled proposal, naming its status.
func (s ProposalState) notOpen() *Error {
	return s.refuseIn(CodeConflict, "proposal_not_open", "this proposal can no longer change this way", "该议题不能再这样处理")
}

// refuseIn refuses with a message that ends with the proposal's status.
func (s ProposalState) refuseIn(code Code, reason, en, zh string) *Error {
	stEN, stZH := StatusLabel(s.Status)
	return refuse(code, reason, en+"; this one is "+stEN, zh+"；该议题当前状态为“"+stZH+"”")
}

// actionsOpen refuses settling a proposal while actions are open.
func (s ProposalState) actionsOpen() *Error {
	open := s.OpenActions()
	if len(open) == 0 {
		return nil
	}
	return refuse(CodeConflict, "actions_open", fmt.Sprintf("%d action(s) of this proposal are still open: verify or cancel them first", len(open)),
		fmt.Sprintf("该议题还有 %d 项行动未完成验收或取消", len(open)))
}

// decideProposal decides a proposal command.
func decideProposal(s ProposalState, cmd Command, now time.Time) ([]Event, error) {
	if c, ok := cmd.(SubmitProposal); ok {
		return submitProposal(s, c, now)
	}
	if !s.Exists {
		return nil, refuse(CodeNotFound, "proposal_not_found", "there is no such proposal", "没有这个议题")
	}
	switch c := cmd.(type) {
	case SupportProposal:
		if err := firstError(voter("supporter", Voter{PersonID: c.PersonID, Name: c.Name})); err != nil {
			return nil, err
		}
		if s.terminal() {
			return nil, s.notOpen()
		}
		if c.PersonID == s.Author.ID {
			return nil, refuse(CodeForbidden, "author_cannot_support", "the author cannot support their own proposal", "提出人不能附议自己的议题")
		}
		if slices.Contains(s.Supporters, c.PersonID) {
			return nil, refuse(CodeConflict, "already_supported", c.Name+" already supported this proposal: one support per person", c.Name+" 已经附议过：每人只能附议一次")
		}
		return []Event{ProposalSupported{ProposalID: s.ProposalID, PersonID: c.PersonID, Name: c.Name, At: now}}, nil
	case AcceptProposal:
		if err := firstError(party("owner", c.Owner), id("by", c.By), optionalText("note", "the note", "备注", c.Note, maxLong)); err != nil {
			return nil, err
		}
		if s.Status != StatusSubmitted && s.Status != StatusReopened {
			return nil, s.refuseIn(CodeConflict, "not_awaiting_triage", "only a newly submitted or reopened proposal can be accepted", "只有新提交或重新打开的议题可以受理")
		}
		return []Event{ProposalAccepted{ProposalID: s.ProposalID, Owner: c.Owner, Note: c.Note, By: c.By, At: now}}, nil
	case RejectProposal:
		if err := firstError(text("reason", "the reason", "不予受理的原因", c.Reason, maxLong), id("by", c.By)); err != nil {
			return nil, err
		}
		if s.terminal() {
			return nil, s.notOpen()
		}
		if err := s.actionsOpen(); err != nil {
			return nil, err
		}
		return []Event{ProposalRejected{ProposalID: s.ProposalID, Reason: c.Reason, By: c.By, At: now}}, nil
	case MergeProposal:
		if err := firstError(id("survivor_id", c.SurvivorID), text("reason", "the reason", "合并原因", c.Reason, maxLong), id("by", c.By)); err != nil {
			return nil, err
		}
		if c.SurvivorID == s.ProposalID {
			return nil, invalid("survivor_id", "merge_into_itself", "a proposal cannot be merged into itself", "议题不能合并到它自己")
		}
		if s.terminal() {
			return nil, s.notOpen()
		}
		if err := s.actionsOpen(); err != nil {
			return nil, err
		}
		return []Event{ProposalMerged{ProposalID: s.ProposalID, SurvivorID: c.SurvivorID, Reason: c.Reason, Supporters: s.Supporters, AuthorID: s.Author.ID, By: c.By, At: now}}, nil
	case AbsorbDuplicate:
		if slices.Contains(s.Duplicates, c.DuplicateID) {
			return nil, nil
		}
		var fresh []string
		for _, p := range c.Supporters {
			if p != s.Author.ID && !slices.Contains(s.Supporters, p) && !slices.Contains(fresh, p) {
				fresh = append(fresh, p)
			}
		}
		return []Event{ProposalDuplicateAbsorbed{ProposalID: s.ProposalID, DuplicateID: c.DuplicateID, NewSupporters: fresh, SupportersWere: len(s.Supporters), At: now}}, nil
	case WithdrawProposal:
		if err := firstError(optionalText("reason", "the reason", "撤回原因", c.Reason, maxLong)); err != nil {
			return nil, err
		}
		if c.PersonID != s.Author.ID {
			return nil, refuse(CodeForbidden, "not_the_author", "only the proposal's author can withdraw it", "只有提出人可以撤回议题")
		}
		if s.terminal() {
			return nil, s.notOpen()
		}
		if len(s.Decisions) > 0 {
			return nil, refuse(CodeConflict, "already_decided", "a meeting has decided on this proposal: it can no longer be withdrawn", "会议已就该议题作出决定，不能再撤回")
		}
		if len(s.Duplicates) > 0 {
			return nil, refuse(CodeConflict, "carries_duplicates", "other residents' proposals were merged into this one: it can no longer be withdrawn", "其他居民的议题已合并到此议题，不能再撤回")
		}
		if err := s.actionsOpen(); err != nil {
			return nil, err
		}
		return []Event{ProposalWithdrawn{ProposalID: s.ProposalID, AuthorID: c.PersonID, Reason: c.Reason, At: now}}, nil
	case HandleDirectly:
		if err := firstError(party("handler", c.Handler), id("by", c.By), optionalText("note", "the note", "备注", c.Note, maxLong)); err != nil {
			return nil, err
		}
		if !s.active() {
			return nil, s.refuseIn(CodeConflict, "cannot_handle_directly", "only a proposal not yet on an agenda or decided can be handled directly", "只有尚未列入议程或形成决定的议题可以即时办理")
		}
		return []Event{ProposalHandledDirectly{ProposalID: s.ProposalID, Handler: c.Handler, Note: c.Note, By: c.By, At: now}}, nil
	case PutOnAgenda:
		for _, a := range s.Agenda {
			if a.MeetingID == c.MeetingID && a.ItemID == c.ItemID {
				return nil, nil
			}
		}
		return []Event{ProposalPutOnAgenda{ProposalID: s.ProposalID, MeetingID: c.MeetingID, ItemID: c.ItemID, MeetingTitle: c.MeetingTitle, StartsAt: c.StartsAt, At: now}}, nil
	case RecordDecision:
		for _, d := range s.Decisions {
			if d.MeetingID == c.MeetingID && d.MotionID == c.MotionID {
				return nil, nil
			}
		}
		return []Event{ProposalDecided{ProposalID: s.ProposalID, MeetingID: c.MeetingID, MotionID: c.MotionID, How: c.How, Adopted: c.Adopted, OptionID: c.OptionID, Outcome: c.Outcome, At: now}}, nil
	case LinkAction:
		if _, ok := s.Actions[c.ActionID]; ok {
			return nil, nil
		}
		return []Event{ProposalActionLinked{ProposalID: s.ProposalID, ActionID: c.ActionID, Title: c.Title, At: now}}, nil
	case SettleAction:
		a, ok := s.Actions[c.ActionID]
		if !ok {
			return nil, &Error{Code: CodeNotFound, Reason: "action_not_linked", Field: "action_id", Message: "this action is not linked to the proposal", MessageZH: "该行动不属于此议题"}
		}
		if a.Status == c.Outcome {
			return nil, nil
		}
		return []Event{ProposalActionSettled{ProposalID: s.ProposalID, ActionID: c.ActionID, Outcome: c.Outcome, At: now}}, nil
	case CloseProposal:
		if err := firstError(id("by", c.By), optionalText("note", "the note", "备注", c.Note, maxLong)); err != nil {
			return nil, err
		}
		if s.terminal() {
			return nil, s.notOpen()
		}
		if err := s.actionsOpen(); err != nil {
			return nil, err
		}
		if !s.Verified {
			return nil, refuse(CodeConflict, "not_verified", "a proposal closes only after residents verified an action's outcome (since it was last reopened)", "议题须在居民验收行动结果后才能办结（重新打开后须重新验收）")
		}
		return []Event{ProposalClosed{ProposalID: s.ProposalID, Note: c.Note, By: c.By, At: now}}, nil
	case ReopenProposal:
		if err := firstError(text("reason", "the reason", "重新打开的原因", c.Reason, maxLong), id("by", c.By)); err != nil {
			return nil, err
		}
		if c.ActionID == "" && s.Status != StatusClosed && s.Status != StatusRejected {
			return nil, s.refuseIn(CodeConflict, "not_closed", "only a closed or rejected proposal can be reopened", "只有已办结或不予受理的议题可以重新打开")
		}
		return []Event{ProposalReopened{ProposalID: s.ProposalID, ActionID: c.ActionID, Reason: c.Reason, By: c.By, At: now}}, nil
	}
	return nil, unknownCommand(cmd)
}

// submitProposal decides a SubmitProposal.
func submitProposal(s ProposalState, c SubmitProposal, now time.Time) ([]Event, error) {
	if s.Exists {
		return nil, refuse(CodeConflict, "proposal_exists", "this proposal was already submitted", "该议题已经提交过")
	}
	pics := photos("photos", c.Photos)
	if c.Channel == ChannelPhotoReport && len(c.Photos) == 0 {
		pics = invalid("photos", "photo_required", "a 随身拍 photo report needs at least one photo", "随身拍上报至少需要一张照片")
	}
	if err := firstError(id("proposal_id", c.ProposalID), id("community_id", c.CommunityID), id("grid_id", c.GridID), optionalID("compound_id", c.CompoundID),
		text("title", "the title", "标题", c.Title, maxShort), text("text", "the description", "内容", c.Text, maxLong),
		text("category", "the category", "类别", c.Category, maxShort), text("place", "the place", "地点", c.Place, maxShort),
		pics, oneOf("channel", c.Channel, ChannelPhotoReport, ChannelVisit, ChannelMeeting, ChannelWindow, ChannelOnline),
		party("author", c.Author), optionalID("recorded_by", c.RecordedBy), optionalID("meeting_id", c.MeetingID)); err != nil {
		return nil, err
	}
	return []Event{ProposalSubmitted{ProposalID: c.ProposalID, CommunityID: c.CommunityID, GridID: c.GridID, CompoundID: c.CompoundID,
		Title: c.Title, Text: c.Text, Category: c.Category, Place: c.Place, Photos: c.Photos, Channel: c.Channel,
		Author: c.Author, RecordedBy: c.RecordedBy, MeetingID: c.MeetingID, At: now}}, nil
}
