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

// ChainHead is where a stream's chain stands: its last event's hash, the
// revision due next and the newest hash scheme used.
type ChainHead struct {
	Hash   string `json:"hash"`
	Next   uint64 `json:"next"`
	Scheme int    `json:"scheme,omitempty"`
}

// Chains checks the streams' hash chains one event at a time, in global
// order; Verify runs it over a store, yishi audit over a server's log.
// The zero Chains knows no stream yet.
type Chains struct {
	// Heads holds, per stream, where its chain stands: an auditor keeps it
	// to go on from there later.
	Heads map[string]ChainHead
}

// Check checks that ev continues its stream's chain: it must link to its
// predecessor's hash, carry the hash of its own stored bytes under its hash
// scheme (see ChainHash; the newer schemes cover the recorded time, the
// newest a salt of SaltBytes), not fall back to an older scheme than its
// stream's previous event, and sit at the next revision of its stream.
// It returns a *TamperError for an event that does not.
func (c *Chains) Check(ev eventstore.Event) error {
	if c.Heads == nil {
		c.Heads = make(map[string]ChainHead)
	}
	h := c.Heads[ev.Stream]
	fail := func(reason string) error {
		return &TamperError{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position, Reason: reason}
	}
	switch {
	case ev.Revision != h.Next:
		return fail(fmt.Sprintf("revision %d follows %d", ev.Revision, int64(h.Next)-1))
	case ev.Metadata.PrevHash != h.Hash:
		return fail("does not link to the previous event's hash")
	case !KnownScheme(ev.Metadata.HashScheme):
		return fail(fmt.Sprintf("unknown hash scheme %d", ev.Metadata.HashScheme))
	case ev.Metadata.HashScheme < h.Scheme:
		return fail(fmt.Sprintf("hash scheme %d after scheme %d in its stream: a newer event cannot use an older scheme", ev.Metadata.HashScheme, h.Scheme))
	case ev.Metadata.HashScheme == HashSchemeV3 && len(ev.Metadata.Salt) != 2*SaltBytes:
		return fail(fmt.Sprintf("a salt of %d hex digits, not %d", len(ev.Metadata.Salt), 2*SaltBytes))
	case ev.Metadata.Hash != eventHash(ev):
		return fail("stored bytes (data, metadata or recorded time) do not match the event's hash")
	}
	c.Heads[ev.Stream] = ChainHead{Hash: ev.Metadata.Hash, Next: ev.Revision + 1, Scheme: ev.Metadata.HashScheme}
	return nil
}

// Verify reads the whole log in global order and checks every stream's
// hash chain (Chains.Check). On a DenseStore each event must also sit at
// the position after the previous one, from 1. It returns a *TamperError
// naming the first event that does not match. progress, if not nil, is
// called every 10,000 events.
func Verify(ctx context.Context, store eventstore.Store, progress func(events uint64, at eventstore.Position)) (VerifyReport, error) {
	var chains Chains
	rep := VerifyReport{Schemes: map[int]uint64{}}
	if d, ok := store.(DenseStore); ok {
		rep.Dense = d.DensePositions()
	}
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return rep, fmt.Errorf("verify: read at %d: %w", rep.Head, err)
		}
		if rep.Dense && ev.Position != rep.Head+1 {
			return rep, &TamperError{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position,
				Reason: fmt.Sprintf("position %d follows position %d: events are missing from the log, or positions were shifted", ev.Position, rep.Head)}
		}
		if err := chains.Check(ev); err != nil {
			return rep, err
		}
		rep.Schemes[ev.Metadata.HashScheme]++
		rep.Events++
		rep.Head = ev.Position
		if progress != nil && rep.Events%10000 == 0 {
			progress(rep.Events, ev.Position)
		}
	}
	rep.Streams = len(chains.Heads)
	return rep, nil
}
