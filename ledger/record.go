package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/yishi-civic/yishi/eventstore"
)

// Record appends one event whose type lies outside the domain catalogue
// (access tokens, seals) to stream, chained into the stream's hashes like
// every other event. ifRevision is the revision the caller expects the
// stream to be at (-1: the stream must not exist); a different one fails
// with *eventstore.WrongRevisionError.
func (l *Ledger) Record(ctx context.Context, stream string, ifRevision int64, actor Actor, typ string, body []byte) (eventstore.AppendResult, error) {
	prev := ""
	expected := eventstore.NoStream()
	if ifRevision >= 0 {
		expected = eventstore.Exact(uint64(ifRevision))
		for ev, err := range l.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.LastRevision, Max: 1}) {
			if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
				return eventstore.AppendResult{}, fmt.Errorf("record to %s: %w", stream, err)
			}
			prev = ev.Metadata.Hash
		}
	}
	ed := eventstore.EventData{
		ID:       l.newID(),
		Type:     typ,
		Data:     body,
		Metadata: eventstore.Metadata{Actor: actor.ID, Role: actor.Role, PrevHash: prev, HashScheme: HashScheme, Salt: NewSalt()},
		Recorded: l.recordedNow(),
	}
	ed.Metadata.Hash = ChainHash(prev, stream, uint64(ifRevision+1), ed.ID, typ, body, ed.Metadata, ed.Recorded)
	res, err := l.store.Append(ctx, stream, expected, ed)
	if err != nil {
		return res, fmt.Errorf("record %s to %s: %w", typ, stream, err)
	}
	return res, nil
}
