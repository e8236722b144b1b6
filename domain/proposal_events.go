package domain

import "time"

// Proposal channels: how a proposal reached the ledger.
const (
	// ChannelPhotoReport is the 随身拍 photo-report mini-program.
	ChannelPhotoReport = "photo_report"
	// ChannelVisit is a grid worker's visit (走访).
	ChannelVisit = "visit"
	// ChannelMeeting is a statement at a meeting or talk (座谈).
	ChannelMeeting = "meeting"
	// ChannelWindow is the service window of the community office.
	ChannelWindow = "window"
	// ChannelOnline is the resident's own submission online.
	ChannelOnline = "online"
)

// ProposalSubmitted starts a proposal (议题) stream.
type ProposalSubmitted struct {
	ProposalID  string `json:"proposal_id"`
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	CompoundID  string `json:"compound_id,omitempty"`
	Title       string `json:"title"`
	Text        string `json:"text" pii:"text,person=Author.ID,if=Author.Kind:person,item"`
	// Category is free text, such as 环境卫生 or 停车.
	Category string `json:"category"`
	// Place describes where, such as 3号院停车棚.
	Place string `json:"place" pii:"text,person=Author.ID,if=Author.Kind:person,item"`
	// Photos are SHA-256 references of stored attachments.
	Photos []string `json:"photos,omitempty" pii:"photo,person=Author.ID,if=Author.Kind:person,item"`
	// Channel is one of the Channel* constants.
	Channel string `json:"channel"`
	// Author is who raised the proposal: a resident or a unit.
	Author Party `json:"author"`
	// RecordedBy is the grid worker who typed it in, if not the author.
	RecordedBy string `json:"recorded_by,omitempty"`
	// MeetingID is the meeting or talk (座谈, 政策宣讲) where it was
	// collected, if any: outreach intake.
	MeetingID string    `json:"meeting_id,omitempty"`
	At        time.Time `json:"at"`
}

// ProposalSupported records one person's support (附议).
type ProposalSupported struct {
	ProposalID string    `json:"proposal_id"`
	PersonID   string    `json:"person_id"`
	Name       string    `json:"name" pii:"name,person=PersonID"`
	At         time.Time `json:"at"`
}

// ProposalAccepted records triage: the proposal will be worked on, and
// Owner is responsible for it.
type ProposalAccepted struct {
	ProposalID string `json:"proposal_id"`
	// Owner is responsible for the proposal from now on.
	Owner Party  `json:"owner"`
	Note  string `json:"note,omitempty"`
	// By is the id of the facilitator who triaged it.
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// ProposalRejected records triage: the proposal will not be worked on.
type ProposalRejected struct {
	ProposalID string    `json:"proposal_id"`
	Reason     string    `json:"reason"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// ProposalMerged records that the proposal duplicates SurvivorID; it keeps
// its history and points to the survivor.
type ProposalMerged struct {
	ProposalID string `json:"proposal_id"`
	SurvivorID string `json:"survivor_id"`
	Reason     string `json:"reason"`
	// Supporters are the duplicate's supporters when it was merged.
	Supporters []string `json:"supporters,omitempty"`
	// AuthorID is the duplicate's author, who now supports the survivor.
	AuthorID string    `json:"author_id"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// ProposalDuplicateAbsorbed records on the survivor that a duplicate was
// merged into it; the duplicate's author and supporters who had not yet
// supported the survivor count as its supporters from now on.
type ProposalDuplicateAbsorbed struct {
	ProposalID  string `json:"proposal_id"`
	DuplicateID string `json:"duplicate_id"`
	// NewSupporters are the duplicate's author and supporters not yet among the survivor's.
	NewSupporters []string `json:"new_supporters,omitempty"`
	// SupportersWere is the survivor's support count before.
	SupportersWere int       `json:"supporters_were"`
	At             time.Time `json:"at"`
}

// ProposalWithdrawn records that the author withdrew the proposal.
type ProposalWithdrawn struct {
	ProposalID string    `json:"proposal_id"`
	AuthorID   string    `json:"author_id"`
	Reason     string    `json:"reason,omitempty" pii:"text,person=AuthorID,item"`
	At         time.Time `json:"at"`
}

// ProposalHandledDirectly records that the proposal is handled at once
// (即时办结) without a meeting; an action follows.
type ProposalHandledDirectly struct {
	ProposalID string    `json:"proposal_id"`
	Handler    Party     `json:"handler"`
	Note       string    `json:"note,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// ProposalPutOnAgenda records that a meeting put the proposal on its
// agenda (a follow-up of meeting.agenda_item_added.v1).
type ProposalPutOnAgenda struct {
	ProposalID   string    `json:"proposal_id"`
	MeetingID    string    `json:"meeting_id"`
	ItemID       string    `json:"item_id"`
	MeetingTitle string    `json:"meeting_title"`
	StartsAt     time.Time `json:"starts_at"`
	At           time.Time `json:"at"`
}

// ProposalDecided records a meeting's decision on the proposal (a follow-up
// of a closed vote, a consensus or an agreed mediation).
type ProposalDecided struct {
	ProposalID string `json:"proposal_id"`
	MeetingID  string `json:"meeting_id"`
	// MotionID is the motion, or the mediation for How == DecidedByMediation.
	MotionID string `json:"motion_id"`
	// How is DecidedByVote, DecidedByConsensus or DecidedByMediation.
	How string `json:"how"`
	// Adopted is false when a vote adopted nothing (no quorum, tie, not adopted).
	Adopted bool `json:"adopted"`
	// OptionID is the winning, agreed or consented option.
	OptionID string `json:"option_id,omitempty"`
	// Outcome is the motion or dispute with the chosen option, in words.
	Outcome string    `json:"outcome"`
	At      time.Time `json:"at"`
}

// ProposalActionLinked records that an action was assigned for the
// proposal (a follow-up of action.assigned.v1); the proposal cannot close
// while it is open.
type ProposalActionLinked struct {
	ProposalID string    `json:"proposal_id"`
	ActionID   string    `json:"action_id"`
	Title      string    `json:"title"`
	At         time.Time `json:"at"`
}

// ProposalActionSettled records that a linked action was verified as
// satisfying or cancelled (a follow-up of action.verified.v1 or
// action.cancelled.v1).
type ProposalActionSettled struct {
	ProposalID string `json:"proposal_id"`
	ActionID   string `json:"action_id"`
	// Outcome is StatusVerified or StatusCancelled.
	Outcome string    `json:"outcome"`
	At      time.Time `json:"at"`
}

// ProposalClosed records that the proposal is done: its outcome verified
// and no action open.
type ProposalClosed struct {
	ProposalID string    `json:"proposal_id"`
	Note       string    `json:"note,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// ProposalReopened records that the proposal is open again: residents were
// not satisfied with an action (ActionID set, a follow-up of
// action.verified.v1) or a facilitator reopened it.
type ProposalReopened struct {
	ProposalID string `json:"proposal_id"`
	// ActionID is the action residents were not satisfied with, if any.
	ActionID string    `json:"action_id,omitempty"`
	Reason   string    `json:"reason"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// EventType implements Event.
func (ProposalSubmitted) EventType() string { return "proposal.submitted.v1" }

// EventType implements Event.
func (ProposalSupported) EventType() string { return "proposal.supported.v1" }

// EventType implements Event.
func (ProposalAccepted) EventType() string { return "proposal.accepted.v1" }

// EventType implements Event.
func (ProposalRejected) EventType() string { return "proposal.rejected.v1" }

// EventType implements Event.
func (ProposalMerged) EventType() string { return "proposal.merged.v1" }

// EventType implements Event.
func (ProposalDuplicateAbsorbed) EventType() string { return "proposal.duplicate_absorbed.v1" }

// EventType implements Event.
func (ProposalWithdrawn) EventType() string { return "proposal.withdrawn.v1" }

// EventType implements Event.
func (ProposalHandledDirectly) EventType() string { return "proposal.handled_directly.v1" }

// EventType implements Event.
func (ProposalPutOnAgenda) EventType() string { return "proposal.put_on_agenda.v1" }

// EventType implements Event.
func (ProposalDecided) EventType() string { return "proposal.decided.v1" }

// EventType implements Event.
func (ProposalActionLinked) EventType() string { return "proposal.action_linked.v1" }

// EventType implements Event.
func (ProposalActionSettled) EventType() string { return "proposal.action_settled.v1" }

// EventType implements Event.
func (ProposalClosed) EventType() string { return "proposal.closed.v1" }

// EventType implements Event.
func (ProposalReopened) EventType() string { return "proposal.reopened.v1" }

// SubmitProposal starts a proposal. Author is the resident (or unit) who
// raised it; RecordedBy is the grid worker who typed it in, if not the
// author.
type SubmitProposal struct {
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
	Author      Party    `json:"author"`
	RecordedBy  string   `json:"recorded_by,omitempty"`
	// MeetingID is the meeting or talk where it was collected, if any; the
	// application layer checks that it exists in the same community.
	MeetingID string `json:"meeting_id,omitempty"`
}

// SupportProposal records a person's support (附议), once per person.
type SupportProposal struct {
	ProposalID string `json:"proposal_id"`
	PersonID   string `json:"person_id"`
	Name       string `json:"name"`
}

// AcceptProposal triages a proposal in, with an owner.
type AcceptProposal struct {
	ProposalID string `json:"proposal_id"`
	Owner      Party  `json:"owner"`
	Note       string `json:"note,omitempty"`
	By         string `json:"by"`
}

// RejectProposal triages a proposal out, with a reason.
type RejectProposal struct {
	ProposalID string `json:"proposal_id"`
	Reason     string `json:"reason"`
	By         string `json:"by"`
}

// MergeProposal marks a proposal as a duplicate of SurvivorID. The
// survivor absorbs it through a follow-up command.
type MergeProposal struct {
	ProposalID string `json:"proposal_id"`
	SurvivorID string `json:"survivor_id"`
	Reason     string `json:"reason"`
	By         string `json:"by"`
}

// AbsorbDuplicate records on the survivor that a duplicate was merged into
// it. It is the follow-up of proposal.merged.v1.
type AbsorbDuplicate struct {
	ProposalID  string   `json:"proposal_id"`
	DuplicateID string   `json:"duplicate_id"`
	Supporters  []string `json:"supporters,omitempty"`
}

// WithdrawProposal withdraws a proposal; only its author may.
type WithdrawProposal struct {
	ProposalID string `json:"proposal_id"`
	PersonID   string `json:"person_id"`
	Reason     string `json:"reason,omitempty"`
}

// HandleDirectly settles a proposal without a meeting (即时办结).
type HandleDirectly struct {
	ProposalID string `json:"proposal_id"`
	Handler    Party  `json:"handler"`
	Note       string `json:"note,omitempty"`
	By         string `json:"by"`
}

// PutOnAgenda records that a meeting put the proposal on its agenda. It is
// the follow-up of meeting.agenda_item_added.v1.
type PutOnAgenda struct {
	ProposalID   string    `json:"proposal_id"`
	MeetingID    string    `json:"meeting_id"`
	ItemID       string    `json:"item_id"`
	MeetingTitle string    `json:"meeting_title"`
	StartsAt     time.Time `json:"starts_at"`
}

// RecordDecision records a meeting's decision on the proposal. It is the
// follow-up of meeting.voting_closed.v1, meeting.consensus_reached.v1 and
// meeting.mediation_agreed.v1.
type RecordDecision struct {
	ProposalID string `json:"proposal_id"`
	MeetingID  string `json:"meeting_id"`
	MotionID   string `json:"motion_id"`
	How        string `json:"how"`
	Adopted    bool   `json:"adopted"`
	OptionID   string `json:"option_id,omitempty"`
	Outcome    string `json:"outcome"`
}

// LinkAction records that an action was assigned for the proposal. It is
// the follow-up of action.assigned.v1.
type LinkAction struct {
	ProposalID string `json:"proposal_id"`
	ActionID   string `json:"action_id"`
	Title      string `json:"title"`
}

// SettleAction records that a linked action was verified or cancelled. It
// is the follow-up of action.verified.v1 (satisfied) and
// action.cancelled.v1.
type SettleAction struct {
	ProposalID string `json:"proposal_id"`
	ActionID   string `json:"action_id"`
	Outcome    string `json:"outcome"`
}

// CloseProposal closes a proposal whose outcome was verified.
type CloseProposal struct {
	ProposalID string `json:"proposal_id"`
	Note       string `json:"note,omitempty"`
	By         string `json:"by"`
}

// ReopenProposal reopens a proposal. With ActionID set it is the follow-up
// of an unsatisfied action.verified.v1 and reopens that action's link too.
type ReopenProposal struct {
	ProposalID string `json:"proposal_id"`
	ActionID   string `json:"action_id,omitempty"`
	Reason     string `json:"reason"`
	By         string `json:"by"`
}

// ProposalStream is the stream of one proposal.
func ProposalStream(proposalID string) string { return "proposal-" + proposalID }

// Stream implements Command.
func (c SubmitProposal) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c SupportProposal) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c AcceptProposal) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c RejectProposal) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c MergeProposal) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c AbsorbDuplicate) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c WithdrawProposal) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c HandleDirectly) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c PutOnAgenda) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c RecordDecision) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c LinkAction) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c SettleAction) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c CloseProposal) Stream() string { return ProposalStream(c.ProposalID) }

// Stream implements Command.
func (c ReopenProposal) Stream() string { return ProposalStream(c.ProposalID) }
