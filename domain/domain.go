// Package domain is the deliberation lifecycle as pure functions: commands
// come in, events go out, state is folded from events. It holds the
// organisation, proposal, meeting and action aggregates, the decision rules
// and the event catalogue. Nothing here does I/O: time and ids arrive with
// the command.
package domain

import (
	"fmt"
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
func Decide(history []Event, cmd Command, now time.Time) ([]Event, error) {
	return nil, refuse(CodeInvalid, "not_implemented", fmt.Sprintf("command %T is not implemented yet", cmd), "该操作尚未实现")
}

// FollowUps returns the commands the application layer must run next, on
// other streams, after events were appended to stream: in order, and
// deterministic for the same input.
func FollowUps(stream string, events []Event) []Command {
	return nil
}
