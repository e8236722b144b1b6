package ledger

import (
	"context"
	"fmt"

	"github.com/yishi-civic/yishi/eventstore"
)

// TamperError names the first event whose stored form does not match the
// hash chain.
type TamperError struct {
	Stream   string
	Revision uint64
	Position eventstore.Position
	Reason   string
}

// Error describes the broken link.
func (e *TamperError) Error() string {
	return fmt.Sprintf("event %s@%d (position %d) fails verification: %s", e.Stream, e.Revision, e.Position, e.Reason)
}

// VerifyReport sums up a successful verification.
type VerifyReport struct {
	Events  uint64
	Streams int
	// Head is the position of the last event verified.
	Head eventstore.Position
	// Dense reports whether positions were checked to be 1, 2, 3 … without
	// a gap (stores that hand them out so; see DenseStore).
	Dense bool
	// Schemes counts the events verified under each hash scheme.
	Schemes map[int]uint64
}

// DenseStore is implemented by stores whose global positions are 1, 2, 3 …
// in commit order, without gaps (the embedded store). On such a store
// Verify flags a gap: events deleted from the log, or positions shifted.
type DenseStore interface {
	DensePositions() bool
}

// Verify reads the whole log in global order and re-computes every
// stream's hash chain: each event must link to its predecessor's hash,
// carry the hash of its own stored bytes under its hash scheme (see
// ChainHash; the newer scheme covers the recorded time), not fall back to
// an older scheme than its stream's previous event, and sit at the next
// revision of its stream. On a DenseStore each event must also sit at the
// position after the previous one, from 1. It returns a *TamperError
// naming the first event that does not match. progress, if not nil, is
// called every 10,000 events.
func Verify(ctx context.Context, store eventstore.Store, progress func(events uint64, at eventstore.Position)) (VerifyReport, error) {
	type head struct {
		hash   string
		next   uint64
		scheme int
	}
	heads := make(map[string]head)
	rep := VerifyReport{Schemes: map[int]uint64{}}
	if d, ok := store.(DenseStore); ok {
		rep.Dense = d.DensePositions()
	}
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return rep, fmt.Errorf("verify: read at %d: %w", rep.Head, err)
		}
		h := heads[ev.Stream]
		fail := func(reason string) error {
			return &TamperError{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position, Reason: reason}
		}
		switch {
		case rep.Dense && ev.Position != rep.Head+1:
			return rep, fail(fmt.Sprintf("position %d follows position %d: events are missing from the log, or positions were shifted", ev.Position, rep.Head))
		case ev.Revision != h.next:
			return rep, fail(fmt.Sprintf("revision %d follows %d", ev.Revision, int64(h.next)-1))
		case ev.Metadata.PrevHash != h.hash:
			return rep, fail("does not link to the previous event's hash")
		case ev.Metadata.HashScheme != HashSchemeV1 && ev.Metadata.HashScheme != HashSchemeV2:
			return rep, fail(fmt.Sprintf("unknown hash scheme %d", ev.Metadata.HashScheme))
		case ev.Metadata.HashScheme < h.scheme:
			return rep, fail(fmt.Sprintf("hash scheme %d after scheme %d in its stream: a newer event cannot use an older scheme", ev.Metadata.HashScheme, h.scheme))
		case ev.Metadata.Hash != eventHash(ev):
			return rep, fail("stored bytes (data, metadata or recorded time) do not match the event's hash")
		}
		heads[ev.Stream] = head{hash: ev.Metadata.Hash, next: ev.Revision + 1, scheme: ev.Metadata.HashScheme}
		rep.Schemes[ev.Metadata.HashScheme]++
		rep.Events++
		rep.Head = ev.Position
		if progress != nil && rep.Events%10000 == 0 {
			progress(rep.Events, ev.Position)
		}
	}
	rep.Streams = len(heads)
	return rep, nil
}
