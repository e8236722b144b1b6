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
}

// Verify reads the whole log in global order and re-computes every
// stream's hash chain: each event must link to its predecessor's hash,
// carry the hash of its own stored bytes, and sit at the next revision of
// its stream. It returns a *TamperError naming the first event that does
// not match. progress, if not nil, is called every 10,000 events.
func Verify(ctx context.Context, store eventstore.Store, progress func(events uint64, at eventstore.Position)) (VerifyReport, error) {
	type head struct {
		hash string
		next uint64
	}
	heads := make(map[string]head)
	var rep VerifyReport
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return rep, fmt.Errorf("verify: read at %d: %w", rep.Head, err)
		}
		h := heads[ev.Stream]
		fail := func(reason string) error {
			return &TamperError{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position, Reason: reason}
		}
		switch {
		case ev.Revision != h.next:
			return rep, fail(fmt.Sprintf("revision %d follows %d", ev.Revision, int64(h.next)-1))
		case ev.Metadata.PrevHash != h.hash:
			return rep, fail("does not link to the previous event's hash")
		case ev.Metadata.Hash != eventHash(ev):
			return rep, fail("stored bytes do not match the event's hash")
		}
		heads[ev.Stream] = head{hash: ev.Metadata.Hash, next: ev.Revision + 1}
		rep.Events++
		rep.Head = ev.Position
		if progress != nil && rep.Events%10000 == 0 {
			progress(rep.Events, ev.Position)
		}
	}
	rep.Streams = len(heads)
	return rep, nil
}
