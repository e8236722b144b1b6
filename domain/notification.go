package domain

import (
	"time"
)

// A notification is one event told to one person (stream
// "notification-<id>", the id derived from the event's id and the
// person's). Its events record each delivery attempt on each external
// channel, so that an auditor can replay who was told what and when. The
// notification itself is not an event: the outbox projection derives it
// from the event it tells of. docs/notifications.md.

// Delivery outcomes.
const (
	// DeliverySent: the channel accepted the message.
	DeliverySent = "sent"
	// DeliveryFailed: the attempt failed; another will follow.
	DeliveryFailed = "failed"
	// DeliveryGaveUp: no more attempts will be made.
	DeliveryGaveUp = "gave_up"
)

// NotificationStream is the stream of one notification's deliveries.
func NotificationStream(id string) string { return "notification-" + id }

// Delivery says what happened to one notification on one channel.
type Delivery struct {
	NotificationID string `json:"notification_id"`
	// PersonID is the recipient.
	PersonID string `json:"person_id"`
	// EventID is the id of the event the notification tells of; Item is
	// its item's stream and Kind what it says (projections' Kind*).
	EventID string `json:"event_id"`
	Item    string `json:"item"`
	Kind    string `json:"kind"`
	// Channel is ChannelPush or ChannelWebhook.
	Channel string `json:"channel"`
	// Attempt counts this channel's attempts, from 1.
	Attempt int `json:"attempt"`
	// Digest is the id of the digest message that carried it, if any.
	Digest string `json:"digest,omitempty"`
	// Error says why an attempt failed, without secrets or addresses (an
	// HTTP status, "timeout").
	Error string `json:"error,omitempty"`
	// Retry is when the next attempt is due, after a failure.
	Retry time.Time `json:"retry,omitzero"`
}

// RecordDelivery records one delivery attempt's outcome.
type RecordDelivery struct {
	Delivery
	// Outcome is DeliverySent, DeliveryFailed or DeliveryGaveUp.
	Outcome string `json:"outcome"`
}

// Stream implements Command.
func (c RecordDelivery) Stream() string { return NotificationStream(c.NotificationID) }

// NotificationSent records that a channel accepted the message.
type NotificationSent struct {
	Delivery
	At time.Time `json:"at"`
}

// NotificationFailed records a failed attempt.
type NotificationFailed struct {
	Delivery
	At time.Time `json:"at"`
}

// NotificationGaveUp records that a channel will not be tried again.
type NotificationGaveUp struct {
	Delivery
	At time.Time `json:"at"`
}

// EventType implements Event.
func (NotificationSent) EventType() string { return "notification.sent.v1" }

// EventType implements Event.
func (NotificationFailed) EventType() string { return "notification.failed.v1" }

// EventType implements Event.
func (NotificationGaveUp) EventType() string { return "notification.gave_up.v1" }

// NotificationState is a notification stream folded: per channel, the
// last attempt and whether it is settled (sent or given up).
type NotificationState struct {
	Attempts map[string]int
	Settled  map[string]bool
}

func (s *NotificationState) evolve(e Event) {
	if s.Attempts == nil {
		s.Attempts, s.Settled = map[string]int{}, map[string]bool{}
	}
	switch e := e.(type) {
	case NotificationSent:
		s.Attempts[e.Channel], s.Settled[e.Channel] = e.Attempt, true
	case NotificationFailed:
		s.Attempts[e.Channel] = e.Attempt
	case NotificationGaveUp:
		s.Attempts[e.Channel], s.Settled[e.Channel] = e.Attempt, true
	}
}

// FoldNotification folds a notification stream.
func FoldNotification(events []Event) NotificationState {
	return foldEvents[NotificationState](events)
}

// decideNotification records an attempt. A channel that is settled, or an
// attempt recorded already, changes nothing: a delivery worker that
// restarts after a crash records each outcome once.
func decideNotification(s NotificationState, cmd Command, now time.Time) ([]Event, error) {
	c, ok := cmd.(RecordDelivery)
	if !ok {
		return nil, unknownCommand(cmd)
	}
	attempt := (*Error)(nil)
	if c.Attempt < 1 {
		attempt = invalid("attempt", "bad_attempt", "attempt counts from 1", "尝试次数从 1 开始")
	}
	if err := firstError(id("notification_id", c.NotificationID), id("person_id", c.PersonID), id("event_id", c.EventID),
		item("item", c.Item), id("kind", c.Kind), oneOf("channel", c.Channel, ChannelPush, ChannelWebhook), attempt,
		optionalID("digest", c.Digest), optionalText("error", "the error", "错误", c.Error, maxShort),
		oneOf("outcome", c.Outcome, DeliverySent, DeliveryFailed, DeliveryGaveUp)); err != nil {
		return nil, err
	}
	if s.Settled[c.Channel] || c.Attempt <= s.Attempts[c.Channel] && c.Outcome == DeliveryFailed {
		return nil, nil
	}
	switch c.Outcome {
	case DeliverySent:
		return []Event{NotificationSent{Delivery: c.Delivery, At: now}}, nil
	case DeliveryFailed:
		return []Event{NotificationFailed{Delivery: c.Delivery, At: now}}, nil
	}
	return []Event{NotificationGaveUp{Delivery: c.Delivery, At: now}}, nil
}

// Reminders: facts of time (an action falls due soon, or is overdue) that
// the clock raises and the log records, so that the outbox tells of them
// as of any other event (stream "reminder-<actionID>:<kind>:<due date>").
const (
	// ReminderDueSoon: an open action is due within a day.
	ReminderDueSoon = "due_soon"
	// ReminderOverdue: an open action is past its due date.
	ReminderOverdue = "overdue"
)

// ReminderStream is the stream of one reminder: one per action, kind and
// due date, so that each is raised once.
func ReminderStream(actionID, kind string, due time.Time) string {
	return "reminder-" + ReminderID(actionID, kind, due)
}

// ReminderID is a reminder's id.
func ReminderID(actionID, kind string, due time.Time) string {
	return actionID + ":" + kind + ":" + due.UTC().Format("20060102T1504")
}

// RaiseReminder records that an action is due soon or overdue.
type RaiseReminder struct {
	ActionID string    `json:"action_id"`
	Kind     string    `json:"kind"`
	Due      time.Time `json:"due"`
}

// Stream implements Command.
func (c RaiseReminder) Stream() string { return ReminderStream(c.ActionID, c.Kind, c.Due) }

// ReminderRaised records that an action is due soon or overdue.
type ReminderRaised struct {
	ReminderID string    `json:"reminder_id"`
	ActionID   string    `json:"action_id"`
	Kind       string    `json:"kind"`
	Due        time.Time `json:"due"`
	At         time.Time `json:"at"`
}

// EventType implements Event.
func (ReminderRaised) EventType() string { return "reminder.raised.v1" }

func decideReminder(history []Event, cmd Command, now time.Time) ([]Event, error) {
	c, ok := cmd.(RaiseReminder)
	if !ok {
		return nil, unknownCommand(cmd)
	}
	if err := firstError(id("action_id", c.ActionID), oneOf("kind", c.Kind, ReminderDueSoon, ReminderOverdue),
		instant("due", "the due date", "截止日期", c.Due)); err != nil {
		return nil, err
	}
	if len(history) > 0 {
		return nil, nil
	}
	return []Event{ReminderRaised{ReminderID: ReminderID(c.ActionID, c.Kind, c.Due), ActionID: c.ActionID, Kind: c.Kind, Due: c.Due, At: now}}, nil
}
