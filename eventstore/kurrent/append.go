package kurrent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/yishi-civic/yishi/eventstore"
)

// Append writes events to stream if its revision matches expected; see
// eventstore.Store. Each event keeps its own id, so a retried append is
// answered idempotently by the server. KurrentDB keeps ids per stream, so an
// id already used in another stream is not refused (no ErrDuplicateID).
//
// When the server answers that it could not complete the append (a
// follower's "not leader", a timeout as Aborted or DeadlineExceeded), or the
// stream ended before the append was sent whole, Append sends the very same
// append again, up to appendAttempts times: the same
// ids at the same expected revision either write the events, are answered
// with the first write's result, or are refused as a wrong revision, never
// written twice.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	proposed := make([]esdb.EventData, len(events))
	for i, e := range events {
		sm := storedMetadata{Metadata: e.Metadata}
		if !e.Recorded.IsZero() {
			rec := e.Recorded.UTC()
			sm.Recorded = &rec
		}
		meta, err := json.Marshal(sm)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: encode metadata of event %d: %w", stream, i, err)
		}
		proposed[i] = esdb.EventData{
			EventID:     e.ID,
			EventType:   e.Type,
			ContentType: esdb.ContentTypeJson,
			Data:        e.Data,
			Metadata:    meta,
		}
	}
	if size := appendSize(proposed); size > maxAppendSize {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %d bytes as KurrentDB counts them (data, metadata and twice the type of each event), more than the %d a node takes up to version 25.0: %w", stream, size, maxAppendSize, eventstore.ErrTooLarge)
	}
	c, err := s.begin()
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	defer c.calls.Done()
	call := s.outgoing(ctx)
	var res *esdb.WriteResult
	for attempt := 1; ; attempt++ {
		res, err = guard(ctx, c, s.callLimit, func() (*esdb.WriteResult, error) {
			return c.AppendToStream(call, stream, esdb.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}, proposed...)
		}, nil)
		if err == nil || attempt == appendAttempts || ctx.Err() != nil || !retriable(err) {
			break
		}
	}
	if err != nil {
		err = s.translate(ctx, c, "append to "+stream, err)
		if errors.Is(err, eventstore.ErrWrongRevision) {
			return eventstore.AppendResult{}, s.wrongRevision(ctx, c, stream, expected)
		}
		return eventstore.AppendResult{}, err
	}
	return eventstore.AppendResult{NextRevision: res.NextExpectedVersion, Position: fromCommit(res.CommitPosition)}, nil
}

// appendAttempts bounds how often Append sends one append when the server
// answers that it could not complete it (see retriable).
const appendAttempts = 3

// maxAppendSize is the smallest default limit on one append of the
// KurrentDB versions the adapter supports: 1 MiB up to 25.0 (256 MiB from
// 25.1, with 16 MiB an event). The adapter refuses larger appends itself, so
// that one append is accepted or refused alike on every version.
const maxAppendSize = 1 << 20

// appendSize is the size of an append as KurrentDB counts it against its
// limits (Event.SizeOnDisk, summed): each event's data, its metadata and
// twice the length of its type (the server counts UTF-16 code units, two
// bytes each; Yishi's types are ASCII, so their length in bytes is their
// length in characters).
func appendSize(events []esdb.EventData) int {
	size := 0
	for _, e := range events {
		size += len(e.Data) + len(e.Metadata) + 2*len(e.EventType)
	}
	return size
}

// wrongRevision builds the refusal of an append. The client reports a wrong
// expected version only as a code and a message, so the stream's actual
// revision is read back (its newest event).
func (s *Store) wrongRevision(ctx context.Context, c *conn, stream string, expected eventstore.ExpectedRevision) error {
	actual := int64(-1)
	for e, err := range s.readStream(ctx, c, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.LastRevision, Max: 1}) {
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			break
		}
		if err != nil {
			return fmt.Errorf("append to %s expected %s, and reading its revision failed: %w", stream, expected, err)
		}
		actual = int64(e.Revision)
	}
	return &eventstore.WrongRevisionError{Stream: stream, Expected: expected, Actual: actual}
}

// toExpected maps the port's expectation to the client's.
func toExpected(e eventstore.ExpectedRevision) esdb.ExpectedRevision {
	if rev, ok := e.Revision(); ok {
		return esdb.Revision(rev)
	}
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	default:
		return esdb.Any{}
	}
}

// fromCommit maps a KurrentDB commit position to a Yishi position. Yishi
// reserves 0 for "before the first event" while KurrentDB's log starts at
// commit 0, hence the offset of one.
func fromCommit(commit uint64) eventstore.Position { return eventstore.Position(commit + 1) }

// toCommit is the inverse of fromCommit for a position that is not Start.
func toCommit(p eventstore.Position) uint64 { return uint64(p) - 1 }

// storedMetadata is an event's user metadata on the server: the envelope's
// metadata and, when the writer gave one, the recorded time (the server's
// created date is its own commit time and cannot be set).
type storedMetadata struct {
	eventstore.Metadata
	Recorded *time.Time `json:"recorded,omitempty"`
}
