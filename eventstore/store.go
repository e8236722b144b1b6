// Package eventstore defines the port every Yishi event store implements: the
// event envelope, expected revisions, reads, subscriptions and the errors they
// return. Backends live in subpackages (pebble for the embedded default, kurrent
// for KurrentDB); storetest holds the conformance suite they all pass. This
// package does no I/O of its own.
package eventstore

import (
	"context"
	"encoding/json"
	"iter"
	"math"
	"time"

	"github.com/google/uuid"
)

// Position is an event's place in the global log. Positions grow strictly with
// commit order but need not be dense: never compute "position + 1". No event
// has position 0, so 0 means "before the first event".
type Position uint64

// Start is the position before the first event.
const Start Position = 0

// End is the position after the last event; backwards reads of the whole log
// start from it.
const End Position = math.MaxUint64

// LastRevision asks a backwards stream read to start at the stream's newest
// event.
const LastRevision uint64 = math.MaxUint64

// Metadata is the part of the envelope that is not the event's own data: who
// did it, in which flow, and the hash chain that makes tampering evident.
// Backends store it verbatim and give it back unchanged.
type Metadata struct {
	// Actor is the id of the person or unit that caused the event.
	Actor string `json:"actor,omitempty"`
	// Role is the actor's role when the event was caused (facilitator, resident …).
	Role string `json:"role,omitempty"`
	// CorrelationID ties together every event caused by one request or flow.
	CorrelationID string `json:"correlation_id,omitempty"`
	// CausationID is the id of the command or event that caused this one.
	CausationID string `json:"causation_id,omitempty"`
	// PrevHash is the hash of the previous event of the same stream (hex),
	// empty for a stream's first event.
	PrevHash string `json:"prev_hash,omitempty"`
	// Hash is this event's own hash (hex) over its exact stored bytes and PrevHash.
	Hash string `json:"hash,omitempty"`
	// HashScheme says how Hash was computed (see ledger.ChainHash): 0 (absent)
	// for the first scheme, which left out the recorded time, 2 for the
	// scheme that covers it.
	HashScheme int `json:"hash_scheme,omitempty"`
	// Salt is random bytes (hex) the hash covers under scheme 3, so that
	// nobody can find an event's hash by trying each value of the one
	// field they do not know (a secret ballot's choice): published
	// Merkle proofs carry hashes of every event. Only auditors read it.
	Salt string `json:"salt,omitempty"`
}

// EventData is an event to append. Its ID makes appends idempotent: sending
// the same events again returns the first result and writes nothing.
type EventData struct {
	// ID identifies the event; callers use UUID v7. It must not be uuid.Nil.
	ID uuid.UUID
	// Type is the versioned event type, such as "proposal.submitted.v1".
	Type string
	// Data is the event's JSON body.
	Data json.RawMessage
	// Marshalled says that Data was produced by encoding/json.Marshal in
	// this process (the ledger's own encoder), so that it is valid JSON by
	// construction and the store skips parsing it again. A writer that
	// passes on bytes from elsewhere (an import, a copy, a test) leaves it
	// false, and the store checks them.
	Marshalled bool
	// Metadata is the envelope's metadata.
	Metadata Metadata
	// Recorded, when set, is the event's recorded time: the store keeps it
	// exactly (in UTC, to the nanosecond) instead of stamping its own, so
	// that a hash over it can be computed before the append. Zero lets the
	// store stamp its commit time.
	Recorded time.Time
}

// Event is a recorded event: what was appended plus where and when the store
// put it.
type Event struct {
	// ID is the event's id as appended.
	ID uuid.UUID
	// Stream is the stream the event belongs to, such as "proposal-<uuid>".
	Stream string
	// Revision is the event's 0-based place in its stream.
	Revision uint64
	// Position is the event's place in the global log.
	Position Position
	// Type is the versioned event type.
	Type string
	// Recorded is when the event was recorded (UTC): the time its writer
	// gave (EventData.Recorded), or else the store's commit time.
	Recorded time.Time
	// Data is the event's JSON body, exactly as appended.
	Data json.RawMessage
	// Metadata is the envelope's metadata, exactly as appended.
	Metadata Metadata
}

// AppendResult says where an append landed.
type AppendResult struct {
	// NextRevision is the revision of the last event written (the stream's
	// current revision after the append).
	NextRevision uint64
	// Position is the global position of the last event written. A read that
	// waits for it sees the append.
	Position Position
}

// Direction is the direction of a read.
type Direction int

// The two read directions.
const (
	Forwards Direction = iota
	Backwards
)

// ReadStreamOptions selects events of one stream.
type ReadStreamOptions struct {
	// Direction of the read; Forwards by default.
	Direction Direction
	// From is the first revision to return (inclusive). For a backwards read
	// LastRevision starts at the newest event.
	From uint64
	// Max bounds the number of events returned; 0 means no bound.
	Max uint64
}

// ReadAllOptions selects events of the global log.
type ReadAllOptions struct {
	// Direction of the read; Forwards by default.
	Direction Direction
	// From is the first position to return (inclusive). Forwards from Start
	// reads from the beginning; backwards from End reads from the newest event.
	From Position
	// Max bounds the number of events returned; 0 means no bound.
	Max uint64
	// Filter restricts the events returned; the zero Filter passes everything.
	Filter Filter
}

// Filter restricts reads of the global log and subscriptions. An event passes
// when its stream starts with one of StreamPrefixes (or StreamPrefixes is
// empty) and its type starts with one of TypePrefixes (or TypePrefixes is
// empty).
type Filter struct {
	StreamPrefixes []string
	TypePrefixes   []string
}

// SubscribeOptions says where a subscription starts and what it delivers.
type SubscribeOptions struct {
	// After is the checkpoint: only events with a position greater than After
	// are delivered. Start delivers everything.
	After Position
	// Filter restricts the events delivered.
	Filter Filter
}

// Delivery is one item of a subscription: an event, or a checkpoint.
type Delivery struct {
	// Event is the delivered event; nil for a checkpoint.
	Event *Event
	// Position is the event's position, or for a checkpoint the position up
	// to which every event has been delivered or filtered out. A subscriber
	// can store it and resume from it.
	Position Position
	// CaughtUp is set on the checkpoint sent once the subscription has
	// delivered everything that was in the log when it started; live events
	// follow it.
	CaughtUp bool
}

// Store is an append-only log of streams of events. All methods are safe for
// concurrent use.
type Store interface {
	// Append writes events atomically at the end of stream if the stream's
	// current revision matches expected. It returns only when the events are
	// durable. Returns *WrongRevisionError (matching ErrWrongRevision) when
	// the expectation does not hold, ErrInvalid when a name, type, id or body
	// is malformed, ErrTooLarge past the size limits, ErrDuplicateID when an
	// event id was already written elsewhere, ErrDiskFull when the store's
	// disk is too full to take it, and ErrClosed after Close. An
	// append whose events (same ids, same stream) were all written before
	// returns the original result and writes nothing.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream yields the events of one stream in the requested direction.
	// Yields ErrStreamNotFound when the stream has no events.
	ReadStream(ctx context.Context, stream string, opts ReadStreamOptions) iter.Seq2[Event, error]

	// ReadAll yields events of the global log in position order (or reverse).
	ReadAll(ctx context.Context, opts ReadAllOptions) iter.Seq2[Event, error]

	// Subscribe yields every event after opts.After in global order, first
	// those already stored (catch-up), then a CaughtUp checkpoint, then new
	// events as they are committed (live), until ctx ends or the consumer
	// stops. A subscriber never sees a position lower than one already
	// delivered and never misses one that passes its filter. Ends with
	// ctx.Err() when ctx ends, and with ErrClosed when the store closes.
	// A delivered event, its Data included, stays the subscriber's after
	// the yield returns: the store never writes into it again (the
	// projections decode deliveries in batches, after the subscription has
	// moved on).
	Subscribe(ctx context.Context, opts SubscribeOptions) iter.Seq2[Delivery, error]

	// Close releases the store. Pending appends either complete or fail;
	// subscriptions end with ErrClosed.
	Close() error
}

// Space is what a store that watches its disk knows about it.
type Space struct {
	// Free is the space left on the disk, in bytes, as if a reserve the
	// store released (see the embedded store's ballast) were still held.
	Free uint64
	// Floor is the free space below which appends are refused.
	Floor uint64
	// Full reports whether appends are refused now (Free < Floor).
	Full bool
}

// SpaceReporter is implemented by stores that watch the free space of
// their own disk (the embedded store); a server store does not.
type SpaceReporter interface {
	// Space reports the disk's state as of the store's last look, which is
	// at most a second old.
	Space() Space
}
