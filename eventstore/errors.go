package eventstore

import (
	"errors"
	"fmt"
)

// Errors of appends.
var (
	// ErrWrongRevision matches every *WrongRevisionError.
	ErrWrongRevision = errors.New("wrong expected revision")
	// ErrDuplicateID is returned when an appended event's id was already
	// written, but not as part of the very same append (so the append is no
	// retry and cannot be answered idempotently).
	ErrDuplicateID = errors.New("event id already written")
	// ErrTooLarge is returned when an event or an append exceeds the limits.
	ErrTooLarge = errors.New("too large")
	// ErrDiskFull is returned when the store refuses appends because its
	// disk has less free space than it keeps in reserve. Nothing of the
	// append was written; reads go on working, and appends are accepted
	// again, without a restart, once space is freed.
	ErrDiskFull = errors.New("disk full: appends refused until space is freed")
)

// Errors of input checks, shared by appends and reads.
var (
	// ErrInvalid is returned for a malformed stream name, event type, id or body.
	ErrInvalid = errors.New("invalid")
)

// Errors of reads.
var (
	// ErrStreamNotFound is yielded by a read of a stream that has no events.
	ErrStreamNotFound = errors.New("stream not found")
	// ErrStreamDeleted is returned for a stream a server has deleted.
	ErrStreamDeleted = errors.New("stream deleted")
)

// Errors of the store's state and connection.
var (
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("store closed")
	// ErrLocked is returned by an embedded store whose data another process holds.
	ErrLocked = errors.New("data directory in use by another process")
	// ErrUnavailable is returned when a server cannot be reached.
	ErrUnavailable = errors.New("store unavailable")
	// ErrAccessDenied is returned when a server refuses the credentials.
	ErrAccessDenied = errors.New("access denied")
)

// WrongRevisionError is the refusal of an append whose expected revision
// does not hold. Nothing of the append was written.
type WrongRevisionError struct {
	Stream   string
	Expected ExpectedRevision
	// Actual is the stream's current revision, -1 for no stream.
	Actual int64
}

// Error describes the mismatch.
func (e *WrongRevisionError) Error() string {
	actual := "no stream"
	if e.Actual >= 0 {
		actual = fmt.Sprintf("revision %d", e.Actual)
	}
	return fmt.Sprintf("%s: append to %s expected %s, found %s", ErrWrongRevision, e.Stream, e.Expected, actual)
}

// Is makes errors.Is(err, ErrWrongRevision) true.
func (e *WrongRevisionError) Is(target error) bool { return target == ErrWrongRevision }
