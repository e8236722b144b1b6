// Package domain is the deliberation lifecycle as pure functions: commands
// come in, events go out, state is folded from events. It holds the
// organisation, proposal, meeting and action aggregates, the decision rules
// and the event catalogue. Nothing here does I/O: time and ids arrive with
// the command.
package domain

import "time"

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
// to append, or a *Error saying why the command is refused.
type Decide func(history []Event, cmd Command, now time.Time) ([]Event, error)
