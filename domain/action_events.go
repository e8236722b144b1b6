package domain

import "time"

// ActionAssigned starts an action (行动清单 entry): from a meeting's
// decision (MeetingID and MotionID set) or directly from a proposal.
// Recurrence describes a recurring action ("每月一次"), empty for one-off.
type ActionAssigned struct {
	ActionID    string `json:"action_id"`
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	ProposalID  string `json:"proposal_id,omitempty"`
	MeetingID   string `json:"meeting_id,omitempty"`
	MotionID    string `json:"motion_id,omitempty"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Owner is the person or unit responsible.
	Owner Party `json:"owner"`
	// Due is the date the action is due.
	Due time.Time `json:"due"`
	// Recurrence describes a recurring action ("每月一次"); empty for one-off.
	Recurrence string    `json:"recurrence,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// ActionStarted records that work began.
type ActionStarted struct {
	ActionID string    `json:"action_id"`
	At       time.Time `json:"at"`
}

// ActionProgressReported records progress; a report on a blocked action
// also lifts the block.
type ActionProgressReported struct {
	ActionID string    `json:"action_id"`
	Percent  int       `json:"percent"`
	Note     string    `json:"note,omitempty"`
	Photos   []string  `json:"photos,omitempty" pii:"photo,item"`
	At       time.Time `json:"at"`
}

// ActionOccurrenceHeld records one occurrence of a recurring action (one
// 邻里小饭桌 dinner); Number counts them from 1.
type ActionOccurrenceHeld struct {
	ActionID string `json:"action_id"`
	// Number counts occurrences from 1.
	Number int       `json:"number"`
	HeldOn time.Time `json:"held_on"`
	// Participants is how many took part, if counted.
	Participants int       `json:"participants,omitempty"`
	Note         string    `json:"note,omitempty"`
	Photos       []string  `json:"photos,omitempty" pii:"photo,item"`
	At           time.Time `json:"at"`
}

// ActionBlocked records that work cannot go on, and why.
type ActionBlocked struct {
	ActionID string    `json:"action_id"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// ActionCompleted records that the owner says the work is done, with
// evidence (photo references).
type ActionCompleted struct {
	ActionID string    `json:"action_id"`
	Evidence []string  `json:"evidence" pii:"photo,item"`
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
}

// ActionVerified records residents' verification of a completed action.
// Not satisfied reopens the action (and, through a follow-up, its
// proposal).
type ActionVerified struct {
	ActionID   string `json:"action_id"`
	ProposalID string `json:"proposal_id,omitempty"`
	Verifier   Voter  `json:"verifier"`
	// Satisfied is false when residents reject the outcome; the action reopens.
	Satisfied bool `json:"satisfied"`
	// Reason says what is wrong when not satisfied.
	Reason string `json:"reason,omitempty" pii:"text,person=Verifier.PersonID"`
	// Photos are SHA-256 references of stored attachments the verifier
	// took of the outcome; absent from events recorded before they could.
	Photos []string `json:"photos,omitempty" pii:"photo,person=Verifier.PersonID,item"`
	// RecordedBy is the staff member who recorded the verdict on the
	// verifier's behalf, empty when the verifier recorded it; Method
	// (VerifiedByPhone, VerifiedOnAVisit, VerifiedAtAMeeting,
	// VerifiedInWriting) and Note then say how it was obtained.
	RecordedBy string    `json:"recorded_by,omitempty"`
	Method     string    `json:"method,omitempty"`
	Note       string    `json:"note,omitempty"`
	At         time.Time `json:"at"`
}

// How staff obtained a verdict they record on a resident's behalf
// (ActionVerified.Method).
const (
	// VerifiedByPhone: the resident said so on the phone.
	VerifiedByPhone = "phone"
	// VerifiedOnAVisit: the resident said so on a visit (入户).
	VerifiedOnAVisit = "visit"
	// VerifiedAtAMeeting: the resident said so at a meeting.
	VerifiedAtAMeeting = "meeting"
	// VerifiedInWriting: the resident signed a paper form.
	VerifiedInWriting = "written"
)

// ActionCancelled records that the action will not be done.
type ActionCancelled struct {
	ActionID   string    `json:"action_id"`
	ProposalID string    `json:"proposal_id,omitempty"`
	Reason     string    `json:"reason"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// EventType implements Event.
func (ActionAssigned) EventType() string { return "action.assigned.v1" }

// EventType implements Event.
func (ActionStarted) EventType() string { return "action.started.v1" }

// EventType implements Event.
func (ActionProgressReported) EventType() string { return "action.progress_reported.v1" }

// EventType implements Event.
func (ActionOccurrenceHeld) EventType() string { return "action.occurrence_held.v1" }

// EventType implements Event.
func (ActionBlocked) EventType() string { return "action.blocked.v1" }

// EventType implements Event.
func (ActionCompleted) EventType() string { return "action.completed.v1" }

// EventType implements Event.
func (ActionVerified) EventType() string { return "action.verified.v1" }

// EventType implements Event.
func (ActionCancelled) EventType() string { return "action.cancelled.v1" }

// AssignAction starts an action.
type AssignAction struct {
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
	By          string    `json:"by"`
}

// StartAction records that work began.
type StartAction struct {
	ActionID string `json:"action_id"`
}

// ReportProgress reports progress in percent.
type ReportProgress struct {
	ActionID string   `json:"action_id"`
	Percent  int      `json:"percent"`
	Note     string   `json:"note,omitempty"`
	Photos   []string `json:"photos,omitempty"`
}

// RecordOccurrence records one occurrence of a recurring action.
type RecordOccurrence struct {
	ActionID     string    `json:"action_id"`
	HeldOn       time.Time `json:"held_on"`
	Participants int       `json:"participants,omitempty"`
	Note         string    `json:"note,omitempty"`
	Photos       []string  `json:"photos,omitempty"`
}

// BlockAction records a block with its reason.
type BlockAction struct {
	ActionID string `json:"action_id"`
	Reason   string `json:"reason"`
}

// CompleteAction records completion with evidence.
type CompleteAction struct {
	ActionID string   `json:"action_id"`
	Evidence []string `json:"evidence"`
	Note     string   `json:"note,omitempty"`
}

// VerifyAction records residents' verification; Reason is required when
// not satisfied.
type VerifyAction struct {
	ActionID  string `json:"action_id"`
	Verifier  Voter  `json:"verifier"`
	Satisfied bool   `json:"satisfied"`
	Reason    string `json:"reason,omitempty"`
	// Photos are SHA-256 references of the verifier's photos of the outcome.
	Photos []string `json:"photos,omitempty"`
	// RecordedBy, Method and Note: staff recording the verifier's verdict
	// on their behalf say who they are and how they obtained it.
	RecordedBy string `json:"recorded_by,omitempty"`
	Method     string `json:"method,omitempty"`
	Note       string `json:"note,omitempty"`
}

// CancelAction cancels an action with a reason.
type CancelAction struct {
	ActionID string `json:"action_id"`
	Reason   string `json:"reason"`
	By       string `json:"by"`
}

// ActionStream is the stream of one action.
func ActionStream(actionID string) string { return "action-" + actionID }

// Stream implements Command.
func (c AssignAction) Stream() string { return ActionStream(c.ActionID) }

// Stream implements Command.
func (c StartAction) Stream() string { return ActionStream(c.ActionID) }

// Stream implements Command.
func (c ReportProgress) Stream() string { return ActionStream(c.ActionID) }

// Stream implements Command.
func (c RecordOccurrence) Stream() string { return ActionStream(c.ActionID) }

// Stream implements Command.
func (c BlockAction) Stream() string { return ActionStream(c.ActionID) }

// Stream implements Command.
func (c CompleteAction) Stream() string { return ActionStream(c.ActionID) }

// Stream implements Command.
func (c VerifyAction) Stream() string { return ActionStream(c.ActionID) }

// Stream implements Command.
func (c CancelAction) Stream() string { return ActionStream(c.ActionID) }
