// Package domain is the deliberation lifecycle as pure functions: commands
// come in, events go out, state is folded from events. It holds the
// organisation, proposal, meeting and action aggregates, the decision rules
// and the event catalogue. Nothing here does I/O: time and ids arrive with
// the command.
//
// The application layer needs four functions: Decide (history + command →
// events or a *Error), FollowUps (events just appended → commands to run on
// other streams), and Encode/Decode (the closed catalogue, EventTypes). The
// doors render aggregates with FoldOrganisation, FoldProposal, FoldMeeting
// and FoldAction, and read refusals with ErrorCode and ErrorReason.
//
// Streams: "organisation-<communityID>" (community, grids, compounds with
// their unit register, participating units), "proposal-<id>",
// "meeting-<id>" and "action-<id>"; volunteer service orders
// "service-<id>" and points accounts "points-<community>:<person>";
// small wishes (微心愿) "wish-<id>";
// erasures and upload records have streams of their own. docs/events.md documents every event.
package domain

import (
	"fmt"
	"strings"
	"time"
)

// Event is a past-tense fact about one aggregate. Each concrete event type is
// a struct whose JSON encoding is the event's stored body.
type Event interface {
	// EventType is the versioned type name, such as "proposal.submitted.v1".
	EventType() string
}

// Command is a request to change exactly one aggregate.
type Command interface {
	// Stream is the name of the stream the command targets, such as
	// "proposal-<uuid>".
	Stream() string
}

// Decide folds history (the target stream's events, oldest first) into the
// aggregate's state and decides what cmd does to it at time now: the events
// to append (none when the command changes nothing, such as a follow-up
// that was already applied), or a *Error saying why the command is refused.
// The aggregate is chosen by the category of cmd.Stream().
func Decide(history []Event, cmd Command, now time.Time) ([]Event, error) {
	if cmd == nil {
		return nil, refuse(CodeInvalid, "unknown_command", "no command was given", "没有给出操作")
	}
	switch category(cmd.Stream()) {
	case "organisation":
		return decideOrganisation(FoldOrganisation(history), cmd, now)
	case "proposal":
		return decideProposal(FoldProposal(history), cmd, now)
	case "meeting":
		return decideMeeting(FoldMeeting(history), cmd, now)
	case "action":
		return decideAction(FoldAction(history), cmd, now)
	case "erasure":
		return decideErasure(FoldErasure(history), cmd, now)
	case "subscriber":
		return decideSubscriber(FoldSubscriber(history), cmd, now)
	case "notification":
		return decideNotification(FoldNotification(history), cmd, now)
	case "reminder":
		return decideReminder(history, cmd, now)
	case "attachment":
		return decideUpload(FoldUpload(history), cmd, now)
	case "service":
		return decideService(FoldService(history), cmd, now)
	case "points":
		return decidePoints(FoldPoints(history), cmd, now)
	case "wish":
		return decideWish(FoldWish(history), cmd, now)
	}
	return nil, unknownCommand(cmd)
}

// DecideMeeting is Decide for a command on a meeting whose state s is
// already folded (FoldMeeting, FoldMeetingOnto): the ledger keeps a busy
// meeting's state, so that a vote does not fold the whole meeting again.
// s is not changed.
func DecideMeeting(s MeetingState, cmd Command, now time.Time) ([]Event, error) {
	if cmd == nil {
		return nil, refuse(CodeInvalid, "unknown_command", "no command was given", "没有给出操作")
	}
	if category(cmd.Stream()) != "meeting" {
		return nil, unknownCommand(cmd)
	}
	return decideMeeting(s, cmd, now)
}

// category returns the part of a stream name before its first dash.
func category(stream string) string {
	c, _, _ := strings.Cut(stream, "-")
	return c
}

// unknownCommand refuses a command the aggregate does not handle.
func unknownCommand(cmd Command) *Error {
	return refuse(CodeInvalid, "unknown_command", fmt.Sprintf("%T is not a command this aggregate accepts", cmd), "该对象不接受此操作")
}

// foldEvents folds events into a fresh aggregate state S with its evolve.
func foldEvents[S any, P interface {
	*S
	evolve(Event)
}](events []Event) S {
	var s S
	for _, e := range events {
		P(&s).evolve(e)
	}
	return s
}

// PlaceOf returns the community and grid that an aggregate's first event
// places it in: empty for events that start no aggregate, and an empty grid
// for a community's organisation.
func PlaceOf(first Event) (community, grid string) {
	switch e := first.(type) {
	case ProposalSubmitted:
		return e.CommunityID, e.GridID
	case MeetingScheduled:
		return e.CommunityID, e.GridID
	case ActionAssigned:
		return e.CommunityID, e.GridID
	case CommunityRegistered:
		return e.CommunityID, ""
	case ServiceOrdered:
		return e.CommunityID, e.GridID
	case PointsAwarded:
		return e.CommunityID, ""
	case WishPosted:
		return e.CommunityID, e.GridID
	}
	return "", ""
}
