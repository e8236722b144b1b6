package domain

import (
	"errors"
	"fmt"
)

// Code classifies a refusal so that a door (HTTP, CLI) can map it to a
// status without reading messages.
type Code string

// The codes a refusal can carry.
const (
	// CodeInvalid: the command itself is malformed (a missing title, a
	// percentage above 100); sending it again unchanged will fail again.
	CodeInvalid Code = "invalid"
	// CodeConflict: the command is well formed but the aggregate's state
	// refuses the transition (voting on a closed motion).
	CodeConflict Code = "conflict"
	// CodeNotFound: the command targets an aggregate, or a part of one
	// (a motion, an agenda item, a grid), that does not exist.
	CodeNotFound Code = "not_found"
	// CodeForbidden: the person named in the command may not do this
	// (not in the electorate, not the author, the action's own owner
	// verifying it).
	CodeForbidden Code = "forbidden"
	// CodeInternal is what ErrorCode reports for any error that is not a
	// domain refusal.
	CodeInternal Code = "internal"
)

// Error is a refusal: what was wrong, in words a facilitator understands,
// in English and in simplified Chinese.
type Error struct {
	// Code classifies the refusal.
	Code Code
	// Reason is a stable snake_case key, such as "motion_not_open".
	Reason string
	// Field is the JSON field of the command at fault, if any.
	Field string
	// Message says what was wrong, in English.
	Message string
	// MessageZH says what was wrong, in simplified Chinese.
	MessageZH string
	// Also lists the other fields at fault found by the same check, so
	// that a door can report every bad field at once; each has a Field.
	Also []*Error
}

// Error returns the English message with the reason key.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%s, field %s)", e.Message, e.Reason, e.Field)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Reason)
}

// ErrorCode returns the code of the domain refusal wrapped in err, "" for a
// nil error and CodeInternal for any other error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorReason returns the reason key of the domain refusal wrapped in err,
// or "" when err is not one.
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// refuse builds a refusal without a field.
func refuse(code Code, reason, en, zh string) *Error {
	return &Error{Code: code, Reason: reason, Message: en, MessageZH: zh}
}

// invalid builds a CodeInvalid refusal naming the field at fault.
func invalid(field, reason, en, zh string) *Error {
	return &Error{Code: CodeInvalid, Reason: reason, Field: field, Message: en, MessageZH: zh}
}
