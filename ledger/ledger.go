// Package ledger is the application layer between the doors (HTTP, CLI) and
// the store: it loads a stream, lets the domain decide, appends the events
// with the expected revision and the hash chain, retries on conflicts, and
// runs the follow-up commands the domain asks for. Rules that read another
// aggregate live here too (meetings.go: an owners' vote's register). It
// holds no state of its own beyond the store.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/privacy"
)

// ErrPreconditionFailed is returned by Execute when Options.IfMatch names a
// revision the stream no longer has.
var ErrPreconditionFailed = errors.New("stream changed since it was read")

// ErrTooManyConflicts is returned when concurrent writers kept changing the
// stream through every retry.
var ErrTooManyConflicts = errors.New("too many concurrent changes, try again")

// ErrKeyReused is returned by Execute when Options.KeyPrefix is set and the
// target stream already holds events caused by another command with that
// prefix: one idempotency key used for two different requests.
var ErrKeyReused = errors.New("idempotency key already used for a different command")

// maxAttempts bounds how often Execute re-loads and re-decides on conflicts.
const maxAttempts = 8

// maxFollowUpDepth bounds chains of follow-up commands.
const maxFollowUpDepth = 4

// Actor is who sends a command: recorded in every event's metadata.
type Actor struct {
	ID   string
	Role string
}

// Options tune one Execute call.
type Options struct {
	// IfMatch, when set, is the stream revision the caller last read
	// (-1 for a stream that did not exist); a different current revision
	// fails with ErrPreconditionFailed and no retry.
	IfMatch *int64
	// CommandID identifies the command for idempotency (an HTTP
	// Idempotency-Key, scoped by the caller). When the target stream already
	// holds events the same actor caused with this id, Execute returns their
	// result with Replayed set and appends nothing.
	CommandID string
	// KeyPrefix, when set, is the part of CommandID the caller's key
	// determines (CommandID adds a fingerprint of the command). A command
	// whose target stream holds events caused by a different CommandID
	// with this prefix is refused with ErrKeyReused. The check runs in the
	// stream's turn, on the ledger's cached stream, right before deciding:
	// two different commands sent at once with one key cannot both append.
	KeyPrefix string
	// CorrelationID ties the command's events (and its follow-ups) together.
	CorrelationID string
	// CommandTime, when set, is the moment the command says it was made
	// (a console command recorded offline and sent later): it is checked
	// against the meeting's window (domain.CheckCommandTime) and given to
	// the domain as the time of the decision, so the events carry it as
	// their "at"; the events' recorded time stays the moment they were
	// appended. Follow-ups take the ledger's clock.
	CommandTime time.Time
	// Scope, when set, is asked about the aggregate (its community and
	// grid) of every follow-up the command causes, before anything is
	// appended: a follow-up writes only where the command's sender may
	// write. The HTTP door passes the token's scope check; its error is
	// returned as is.
	Scope func(community, grid string) error
}

// Result says what a command wrote.
type Result struct {
	// Stream is the target stream.
	Stream string
	// Revision is the stream's revision after the command.
	Revision uint64
	// Position is the highest global position written by the command and
	// its follow-ups; a read waiting for it sees them all.
	Position eventstore.Position
	// Own is the global position of the command's own last event on Stream
	// (equal to Position when there were no follow-ups; 0 when nothing was
	// appended): where a client finds the event it caused.
	Own eventstore.Position
	// Events are the events the command appended to Stream.
	Events []domain.Event
	// Replayed is set when the command had already been executed and
	// nothing new was appended.
	Replayed bool
}

// Ledger executes commands against a store.
type Ledger struct {
	store eventstore.Store
	now   func() time.Time
	// recordedNow stamps the recorded time of appended events (covered by
	// their hashes): the wall clock, whatever clock decides.
	recordedNow func() time.Time
	newID       func() uuid.UUID
	locks       streamLocks
	cache       *streamCache
	// seal, when set, seals the personal fields of every event before it
	// is stored and opens them when a stream is loaded.
	seal *privacy.Sealer
	// photos, when set, is the attachment store whose photos an erasure
	// erases with the references to them.
	photos *privacy.Blobs
	// erasures is what FollowErasures needs to know of the erasures this
	// process applied itself.
	erasures erasureLog
}

// Option configures a Ledger.
type Option func(*Ledger)

// WithClock sets the clock that stamps commands (tests, demo data).
func WithClock(now func() time.Time) Option { return func(l *Ledger) { l.now = now } }

// WithSealer seals the personal fields of every event the ledger appends
// and opens them when it loads a stream (docs/privacy.md). Without it
// events are stored as the domain encodes them.
func WithSealer(s *privacy.Sealer) Option { return func(l *Ledger) { l.seal = s } }

// Sealer returns the ledger's sealer, or nil.
func (l *Ledger) Sealer() *privacy.Sealer { return l.seal }

// Forget drops every decoded stream the ledger keeps, so that what it loads
// next is opened with the key store as it is now (after an erasure).
func (l *Ledger) Forget() { l.cache.clear() }

// New returns a ledger over store.
func New(store eventstore.Store, opts ...Option) *Ledger {
	l := &Ledger{
		store:       store,
		now:         func() time.Time { return time.Now().UTC() },
		recordedNow: func() time.Time { return time.Now().UTC() },
		newID:       func() uuid.UUID { return uuid.Must(uuid.NewV7()) },
		cache:       newStreamCache(),
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Store returns the store the ledger writes to.
func (l *Ledger) Store() eventstore.Store { return l.store }

// loaded is a stream as the ledger sees it before deciding.
type loaded struct {
	events   []domain.Event
	records  []record
	revision int64 // -1: no stream
	lastHash string
	replay   *Result // set when the command was already executed
	replayID uuid.UUID
	reused   bool // another command caused events with the key's prefix
	// entry is the cache's entry of events: a meeting's state is kept on
	// it (meetingState).
	entry *cachedStream
}

// meetingState returns the state of the loaded meeting stream: the one
// kept on its cache entry, or the entry's base (the latest state kept on
// an entry before it) carried forward over the events after it
// (domain.FoldMeetingOnto), or, without one, the whole stream folded; and
// keeps it on the entry. A vote on a meeting of thousands of events so
// costs its own events, not the meeting's.
func (s *loaded) meetingState() domain.MeetingState {
	if m := s.entry.meeting.Load(); m != nil {
		return *m
	}
	var m domain.MeetingState
	if s.entry.base != nil {
		m = domain.FoldMeetingOnto(s.entry.base, s.events[s.entry.baseLen:])
	} else {
		m = domain.FoldMeeting(s.events)
	}
	s.entry.meeting.Store(&m)
	return m
}

func (l *Ledger) load(ctx context.Context, stream string, actor Actor, commandID, keyPrefix string) (loaded, error) {
	c, gen := l.cache.get(stream)
	if c == nil {
		c = &cachedStream{revision: -1}
	}
	from := uint64(c.revision + 1)
	var fresh []domain.Event
	var freshRecords []record
	revision, lastHash := c.revision, c.lastHash
	for ev, err := range l.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from}) {
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			break
		}
		if err != nil {
			return loaded{}, fmt.Errorf("load %s: %w", stream, err)
		}
		de, err := domain.Decode(ev.Type, ev.Data)
		if err == nil && l.seal != nil && privacy.MaySeal(ev.Data) {
			de, err = l.seal.Open(ctx, de)
		}
		if err != nil {
			return loaded{}, fmt.Errorf("load %s: decode %s at revision %d: %w", stream, ev.Type, ev.Revision, err)
		}
		fresh = append(fresh, de)
		freshRecords = append(freshRecords, record{id: ev.ID, actor: ev.Metadata.Actor, causation: ev.Metadata.CausationID, revision: ev.Revision, position: ev.Position,
			recorded: ev.Recorded})
		revision, lastHash = int64(ev.Revision), ev.Metadata.Hash
	}
	events, records, filled := c.extend(fresh, freshRecords)
	entry := c
	if revision != c.revision {
		entry = &cachedStream{events: events, records: records, revision: revision, lastHash: lastHash, filled: filled, base: c.base, baseLen: c.baseLen}
		if p := c.meeting.Load(); p != nil {
			entry.base, entry.baseLen = p, len(c.events)
		}
		l.cache.put(stream, entry, gen)
	}
	// Capped: a caller's append copies, and never writes into the room
	// the cache's entries share.
	n := len(events)
	s := loaded{events: events[:n:n], records: records[:n:n], revision: revision, lastHash: lastHash, entry: entry}
	if commandID == "" {
		return s, nil
	}
	for i, r := range records {
		if keyPrefix != "" && r.causation != commandID && strings.HasPrefix(r.causation, keyPrefix) {
			s.reused = true
		}
		if r.causation != commandID || r.actor != actor.ID {
			continue
		}
		if s.replay == nil {
			s.replay = &Result{Stream: stream, Replayed: true}
			s.replayID = r.id
		}
		s.replay.Revision = r.revision
		s.replay.Position = r.position
		s.replay.Own = r.position
		s.replay.Events = append(s.replay.Events, events[i])
	}
	return s, nil
}

// Load returns the decoded events of stream and its current revision (-1
// when the stream does not exist).
func (l *Ledger) Load(ctx context.Context, stream string) ([]domain.Event, int64, error) {
	s, err := l.load(ctx, stream, Actor{}, "", "")
	return s.events, s.revision, err
}

// LoadRecorded is Load with the moment each event reached the ledger (its
// recorded time), beside the time the event itself carries.
func (l *Ledger) LoadRecorded(ctx context.Context, stream string) ([]domain.Event, []time.Time, int64, error) {
	s, err := l.load(ctx, stream, Actor{}, "", "")
	if err != nil {
		return nil, nil, 0, err
	}
	recorded := make([]time.Time, len(s.records))
	for i, r := range s.records {
		recorded[i] = r.recorded
	}
	return s.events, recorded, s.revision, nil
}

// Execute runs cmd: it loads the target stream, lets the domain decide,
// appends the events with the stream's exact revision and then runs the
// domain's follow-up commands. Returns the domain's *domain.Error when the
// command is refused, ErrPreconditionFailed when IfMatch does not hold, and
// ErrTooManyConflicts when concurrent writers won every retry.
func (l *Ledger) Execute(ctx context.Context, cmd domain.Command, actor Actor, opts Options) (Result, error) {
	return l.execute(ctx, cmd, actor, opts, 0)
}

func (l *Ledger) execute(ctx context.Context, cmd domain.Command, actor Actor, opts Options, depth int) (Result, error) {
	stream := cmd.Stream()
	if err := eventstore.ValidateStream(stream); err != nil {
		return Result{}, fmt.Errorf("command %T: %w", cmd, err)
	}
	if opts.CorrelationID == "" {
		opts.CorrelationID = l.newID().String()
	}
	res, err := l.decideAndAppend(ctx, cmd, stream, actor, opts)
	if err != nil {
		return Result{}, err
	}
	// Follow-ups run after the stream's lock is released: they may lead
	// back to this stream.
	pos, err := l.followUps(ctx, stream, res.Events, res.firstID, actor, opts, depth)
	res.Position = max(res.Position, pos)
	return res.Result, err
}

// decided is a command's own append, before its follow-ups.
type decided struct {
	Result
	firstID uuid.UUID
}

func (l *Ledger) decideAndAppend(ctx context.Context, cmd domain.Command, stream string, actor Actor, opts Options) (decided, error) {
	unlock := l.locks.lock(stream)
	defer unlock()
	for attempt := 0; attempt < maxAttempts; attempt++ {
		s, err := l.load(ctx, stream, actor, opts.CommandID, opts.KeyPrefix)
		if err != nil {
			return decided{}, err
		}
		if s.reused {
			return decided{}, fmt.Errorf("%s: %w", stream, ErrKeyReused)
		}
		if s.replay != nil {
			// The follow-ups may not have run if the first attempt died
			// between the appends; they are idempotent, so they run again.
			return decided{Result: *s.replay, firstID: s.replayID}, nil
		}
		if opts.IfMatch != nil && *opts.IfMatch != s.revision {
			return decided{}, fmt.Errorf("%s is at revision %d, not %d: %w", stream, s.revision, *opts.IfMatch, ErrPreconditionFailed)
		}
		prepared, err := l.prepare(ctx, cmd, s.events)
		if err != nil {
			return decided{}, err
		}
		at := l.now()
		if !opts.CommandTime.IsZero() {
			if err := domain.CheckCommandTime(s.events, cmd, opts.CommandTime, at); err != nil {
				return decided{}, err
			}
			at = opts.CommandTime.UTC()
		}
		var events []domain.Event
		if strings.HasPrefix(stream, domain.MeetingStream("")) {
			events, err = domain.DecideMeeting(s.meetingState(), prepared, at)
		} else {
			events, err = domain.Decide(s.events, prepared, at)
		}
		if err != nil {
			return decided{}, err
		}
		if len(events) == 0 {
			return decided{Result: Result{Stream: stream, Revision: uint64(max(s.revision, 0))}}, nil
		}
		// The rules across aggregates run on every attempt: the other
		// streams may have changed as well as this one.
		if err := l.checkRelations(ctx, s.events, cmd); err != nil {
			return decided{}, err
		}
		if attempt == 0 {
			if err := l.checkFollowUps(ctx, stream, s.events, events, opts); err != nil {
				return decided{}, err
			}
		}
		data, err := l.encode(ctx, stream, s, events, actor, opts)
		if err != nil {
			return decided{}, err
		}
		expected := eventstore.NoStream()
		if s.revision >= 0 {
			expected = eventstore.Exact(uint64(s.revision))
		}
		res, err := l.store.Append(ctx, stream, expected, data...)
		if errors.Is(err, eventstore.ErrWrongRevision) {
			// Another process wrote first: back off a little, re-load, re-decide.
			time.Sleep(time.Duration(attempt+1) * time.Millisecond)
			continue
		}
		if err != nil {
			return decided{}, fmt.Errorf("append to %s: %w", stream, err)
		}
		return decided{Result: Result{Stream: stream, Revision: res.NextRevision, Position: res.Position, Own: res.Position, Events: events}, firstID: data[0].ID}, nil
	}
	return decided{}, fmt.Errorf("%s: %w", stream, ErrTooManyConflicts)
}

// encode turns decided events into store events, sealing their personal
// fields and chaining their hashes.
func (l *Ledger) encode(ctx context.Context, stream string, s loaded, events []domain.Event, actor Actor, opts Options) ([]eventstore.EventData, error) {
	if l.seal != nil {
		var err error
		if events, err = l.seal.Seal(ctx, stream, events); err != nil {
			return nil, fmt.Errorf("append to %s: %w", stream, err)
		}
	}
	return EncodeEvents(stream, s.revision, s.lastHash, events, actor, opts, l.newID, l.recordedNow())
}

// checkFollowUps decides, without appending, the follow-ups that events
// would cause, so that a command whose follow-up the other aggregate would
// refuse (an action for a proposal that does not exist) is refused whole
// instead of half written. A follow-up stays within the community of the
// stream that causes it (history and the new events) and
// within opts.Scope. A change to the other stream between this check and
// the follow-up can still refuse it; the error then says so.
func (l *Ledger) checkFollowUps(ctx context.Context, stream string, history, events []domain.Event, opts Options) error {
	cmds := domain.FollowUps(stream, events)
	if len(cmds) == 0 {
		return nil
	}
	all := append(history[:len(history):len(history)], events...) // a copy: history is the cache's
	for _, c := range cmds {
		history, _, err := l.Load(ctx, c.Stream())
		if err != nil {
			return err
		}
		if _, err := domain.Decide(history, c, l.now()); err != nil {
			return err
		}
		if len(history) == 0 {
			continue
		}
		community, grid := domain.PlaceOf(history[0])
		if err := sameCommunity("", communityOf(all), community); err != nil {
			return err
		}
		if opts.Scope != nil {
			if err := opts.Scope(community, grid); err != nil {
				return err
			}
		}
	}
	return nil
}

// followUps runs the commands the domain derives from events just written.
// Each follow-up's CommandID is the causing event's id, so re-running a
// command after a crash between the two appends does not repeat them.
func (l *Ledger) followUps(ctx context.Context, stream string, events []domain.Event, firstID uuid.UUID, actor Actor, opts Options, depth int) (eventstore.Position, error) {
	cmds := domain.FollowUps(stream, events)
	if len(cmds) == 0 || firstID == uuid.Nil {
		return 0, nil
	}
	if depth >= maxFollowUpDepth {
		return 0, fmt.Errorf("follow-ups of %s nest deeper than %d", stream, maxFollowUpDepth)
	}
	var pos eventstore.Position
	for i, c := range cmds {
		res, err := l.execute(ctx, c, actor, FollowUpOptions(firstID, i, opts), depth+1)
		if err != nil {
			return pos, fmt.Errorf("follow-up %T of %s: %w", c, stream, err)
		}
		pos = max(pos, res.Position)
	}
	return pos, nil
}
