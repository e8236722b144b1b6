package eventstore

import "fmt"

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// ExpectedRevision is what an append expects of its stream: anything, no
// stream yet, an existing stream, or an exact current revision.
// The zero value is Any.
type ExpectedRevision struct {
	kind expectKind
	rev  uint64
}

// Any accepts the stream in whatever state it is.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream expects the stream to have no events.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// StreamExists expects the stream to have at least one event.
func StreamExists() ExpectedRevision { return ExpectedRevision{kind: expectStreamExists} }

// Exact expects the stream's current (last) revision to be rev.
func Exact(rev uint64) ExpectedRevision { return ExpectedRevision{kind: expectExact, rev: rev} }

// IsAny reports whether e accepts any state.
func (e ExpectedRevision) IsAny() bool { return e.kind == expectAny }

// IsNoStream reports whether e expects no stream.
func (e ExpectedRevision) IsNoStream() bool { return e.kind == expectNoStream }

// IsStreamExists reports whether e expects an existing stream.
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }

// Revision returns the exact revision e expects, and false if e is not Exact.
func (e ExpectedRevision) Revision() (uint64, bool) { return e.rev, e.kind == expectExact }

// Holds reports whether a stream whose current revision is actual (-1 for no
// stream) satisfies e.
func (e ExpectedRevision) Holds(actual int64) bool {
	switch e.kind {
	case expectNoStream:
		return actual < 0
	case expectStreamExists:
		return actual >= 0
	case expectExact:
		return actual >= 0 && uint64(actual) == e.rev
	default:
		return true
	}
}

// String renders e for errors and logs.
func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return fmt.Sprintf("revision %d", e.rev)
	default:
		return "any"
	}
}
