package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
)

var (
	facilitator = ledger.Actor{ID: "worker-1", Role: "facilitator"}
	clock       = func() time.Time { return time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC) }
)

// MustOpenStore opens an embedded store in a temp dir, closed at cleanup.
func MustOpenStore(tb testing.TB) eventstore.Store {
	tb.Helper()
	s, err := pebble.Open(tb.TempDir())
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	return s
}

func submit(id string) domain.SubmitProposal {
	return domain.SubmitProposal{
		ProposalID: id, CommunityID: "hengyuan", GridID: "grid-3",
		Title: "停车棚夹道乱堆乱放", Text: "自行车棚夹道堆满杂物，通行困难", Category: "environment",
		Place: "3号楼自行车棚", Channel: domain.ChannelVisit,
		Author: domain.Party{Kind: domain.PartyPerson, ID: "resident-1", Name: "张明"},
	}
}

func support(id string, n int) domain.SupportProposal {
	return domain.SupportProposal{ProposalID: id, PersonID: fmt.Sprintf("resident-s%d", n), Name: fmt.Sprintf("李%d", n)}
}

func TestExecuteAppendsDecidedEventsWithHashChain(t *testing.T) {
	ctx := context.Background()
	store := MustOpenStore(t)
	l := ledger.New(store, ledger.WithClock(clock))
	id := uuid.NewString()

	res, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)
	assert.Equal(t, domain.ProposalStream(id), res.Stream)
	assert.Equal(t, uint64(0), res.Revision)
	assert.NotZero(t, res.Position)
	require.Len(t, res.Events, 1)

	res2, err := l.Execute(ctx, support(id, 1), facilitator, ledger.Options{})
	require.NoError(t, err)
	assert.Equal(t, uint64(1), res2.Revision)
	assert.Greater(t, res2.Position, res.Position)

	events, rev, err := l.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	assert.Equal(t, int64(1), rev)
	require.Len(t, events, 2)
	assert.IsType(t, domain.ProposalSupported{}, events[1])

	var recorded []eventstore.Event
	for ev, err := range store.ReadStream(ctx, domain.ProposalStream(id), eventstore.ReadStreamOptions{}) {
		require.NoError(t, err)
		recorded = append(recorded, ev)
	}
	require.Len(t, recorded, 2)
	assert.Empty(t, recorded[0].Metadata.PrevHash)
	assert.Equal(t, recorded[0].Metadata.Hash, recorded[1].Metadata.PrevHash)
	assert.Equal(t, "worker-1", recorded[1].Metadata.Actor)
	assert.Equal(t, "facilitator", recorded[1].Metadata.Role)
	assert.NotEmpty(t, recorded[1].Metadata.CorrelationID)
}

func TestExecuteRefusalAppendsNothing(t *testing.T) {
	ctx := context.Background()
	store := MustOpenStore(t)
	l := ledger.New(store, ledger.WithClock(clock))
	id := uuid.NewString()
	_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)

	_, err = l.Execute(ctx, support(id, 1), facilitator, ledger.Options{})
	require.NoError(t, err)
	_, err = l.Execute(ctx, support(id, 1), facilitator, ledger.Options{})
	var derr *domain.Error
	require.ErrorAs(t, err, &derr)
	assert.Equal(t, domain.CodeConflict, derr.Code)

	_, rev, err := l.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	assert.Equal(t, int64(1), rev, "the refused command appended nothing")
}

func TestExecuteIsIdempotentPerCommandID(t *testing.T) {
	ctx := context.Background()
	store := MustOpenStore(t)
	l := ledger.New(store, ledger.WithClock(clock))
	id := uuid.NewString()
	_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)

	opts := ledger.Options{CommandID: "key-1"}
	first, err := l.Execute(ctx, support(id, 1), facilitator, opts)
	require.NoError(t, err)
	assert.False(t, first.Replayed)
	again, err := l.Execute(ctx, support(id, 1), facilitator, opts)
	require.NoError(t, err, "a retry with the same key returns the first result, not a refusal")
	assert.True(t, again.Replayed)
	assert.Equal(t, first.Revision, again.Revision)
	assert.Equal(t, first.Position, again.Position)

	other := ledger.Actor{ID: "worker-2", Role: "facilitator"}
	_, err = l.Execute(ctx, support(id, 1), other, opts)
	require.Error(t, err, "the same key from another actor is a different command")

	_, rev, err := l.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	assert.Equal(t, int64(1), rev)
}

func TestExecuteIfMatch(t *testing.T) {
	ctx := context.Background()
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	id := uuid.NewString()
	_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)

	stale := int64(-1)
	_, err = l.Execute(ctx, support(id, 1), facilitator, ledger.Options{IfMatch: &stale})
	require.ErrorIs(t, err, ledger.ErrPreconditionFailed)

	current := int64(0)
	res, err := l.Execute(ctx, support(id, 1), facilitator, ledger.Options{IfMatch: &current})
	require.NoError(t, err)
	assert.Equal(t, uint64(1), res.Revision)
}

func TestConcurrentWritersAllLandThroughRetries(t *testing.T) {
	ctx := context.Background()
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	id := uuid.NewString()
	_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)

	const writers = 12
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { _, errs[i] = l.Execute(ctx, support(id, i), facilitator, ledger.Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "writer %d", i)
	}
	events, rev, err := l.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	assert.Equal(t, int64(writers), rev)
	assert.Len(t, events, writers+1)
}

func TestConcurrentDuplicatesOfOneCommandLandOnce(t *testing.T) {
	ctx := context.Background()
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	id := uuid.NewString()
	_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)

	const tries = 8
	results := make([]ledger.Result, tries)
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			results[i], errs[i] = l.Execute(ctx, support(id, 1), facilitator, ledger.Options{CommandID: "same"})
		})
	}
	wg.Wait()
	fresh := 0
	for i := range tries {
		require.NoError(t, errs[i])
		assert.Equal(t, uint64(1), results[i].Revision)
		if !results[i].Replayed {
			fresh++
		}
	}
	assert.Equal(t, 1, fresh, "exactly one execution appended")
}

func TestFollowUpsReachTheOtherAggregate(t *testing.T) {
	ctx := context.Background()
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	pid, aid := uuid.NewString(), uuid.NewString()
	_, err := l.Execute(ctx, submit(pid), facilitator, ledger.Options{})
	require.NoError(t, err)
	_, err = l.Execute(ctx, domain.HandleDirectly{ProposalID: pid, By: "worker-1",
		Handler: domain.Party{Kind: domain.PartyPerson, ID: "worker-1", Name: "王网格"}}, facilitator, ledger.Options{})
	require.NoError(t, err)

	res, err := l.Execute(ctx, domain.AssignAction{ActionID: aid, CommunityID: "hengyuan", GridID: "grid-3", ProposalID: pid,
		Title: "清理车棚夹道", Owner: domain.Party{Kind: domain.PartyPerson, ID: "worker-1", Name: "王网格"},
		Due: clock().Add(72 * time.Hour), By: "worker-1"}, facilitator, ledger.Options{})
	require.NoError(t, err)

	events, _, err := l.Load(ctx, domain.ProposalStream(pid))
	require.NoError(t, err)
	linked, ok := events[len(events)-1].(domain.ProposalActionLinked)
	require.True(t, ok, "last proposal event is %T", events[len(events)-1])
	assert.Equal(t, aid, linked.ActionID)

	var proposalPos eventstore.Position
	for ev, err := range l.Store().ReadStream(ctx, domain.ProposalStream(pid), eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.LastRevision, Max: 1}) {
		require.NoError(t, err)
		proposalPos = ev.Position
	}
	assert.Equal(t, proposalPos, res.Position, "the result's position covers the follow-up")
	var actionPos eventstore.Position
	for ev, err := range l.Store().ReadStream(ctx, domain.ActionStream(aid), eventstore.ReadStreamOptions{}) {
		require.NoError(t, err)
		actionPos = ev.Position
	}
	assert.Equal(t, actionPos, res.Own, "Own is the command's own event")
	assert.Less(t, res.Own, res.Position)
}

// TestOneKeyTwoCommandsAtOnce: different commands sent at once under one
// idempotency key (KeyPrefix): exactly one appends, every other is refused
// with ErrKeyReused, and the check reads the stream through the cache.
func TestOneKeyTwoCommandsAtOnce(t *testing.T) {
	ctx := context.Background()
	counting := &countingStore{Store: MustOpenStore(t)}
	l := ledger.New(counting, ledger.WithClock(clock))
	id := uuid.NewString()
	_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)

	const tries = 12
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			_, errs[i] = l.Execute(ctx, support(id, i), facilitator, ledger.Options{KeyPrefix: "idem:k:", CommandID: fmt.Sprintf("idem:k:%d", i)})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		require.ErrorIs(t, err, ledger.ErrKeyReused)
	}
	assert.Equal(t, 1, won, "exactly one command under the key appended")
	_, rev, err := l.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	assert.Equal(t, int64(1), rev)
	assert.Equal(t, int64(2), counting.fromStart.Load(), "after the first two loads (before and after the stream existed), the stream is read from the cache onwards, however many commands check the key")
}

// countingStore counts reads of a stream from its first event.
type countingStore struct {
	eventstore.Store
	fromStart atomic.Int64
}

func (c *countingStore) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	if opts.From == 0 && opts.Direction == eventstore.Forwards {
		c.fromStart.Add(1)
	}
	return c.Store.ReadStream(ctx, stream, opts)
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	store := MustOpenStore(t)
	l := ledger.New(store, ledger.WithClock(clock))
	for range 3 {
		id := uuid.NewString()
		_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
		require.NoError(t, err)
		_, err = l.Execute(ctx, support(id, 1), facilitator, ledger.Options{})
		require.NoError(t, err)
	}
	_, err := l.Record(ctx, "token-abc", -1, ledger.Actor{ID: "admin"}, "token.issued.v1", []byte(`{"role":"auditor"}`))
	require.NoError(t, err)
	_, err = l.Record(ctx, "token-abc", 0, ledger.Actor{ID: "admin"}, "token.revoked.v1", []byte(`{}`))
	require.NoError(t, err)

	rep, err := ledger.Verify(ctx, store, nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(8), rep.Events)
	assert.Equal(t, 4, rep.Streams)

	for name, alter := range map[string]func(*eventstore.Event){
		"data":      func(e *eventstore.Event) { e.Data = []byte(`{"title":"改过的"}`) },
		"actor":     func(e *eventstore.Event) { e.Metadata.Actor = "someone-else" },
		"prev link": func(e *eventstore.Event) { e.Metadata.PrevHash = e.Metadata.Hash },
		"recorded":  func(e *eventstore.Event) { e.Recorded = e.Recorded.Add(-24 * time.Hour) },
		"downgraded to the scheme without recorded time": func(e *eventstore.Event) {
			e.Metadata.HashScheme = ledger.HashSchemeV1
			e.Metadata.Hash = ledger.ChainHash(e.Metadata.PrevHash, e.Stream, e.Revision, e.ID, e.Type, e.Data, e.Metadata, e.Recorded)
		},
		"unknown scheme": func(e *eventstore.Event) { e.Metadata.HashScheme = 7 },
		"salt":           func(e *eventstore.Event) { e.Metadata.Salt = ledger.NewSalt() },
		"salt dropped, hash recomputed": func(e *eventstore.Event) {
			e.Metadata.Salt = ""
			e.Metadata.Hash = ledger.ChainHash(e.Metadata.PrevHash, e.Stream, e.Revision, e.ID, e.Type, e.Data, e.Metadata, e.Recorded)
		},
	} {
		t.Run(name, func(t *testing.T) {
			tampered := tamperedStore{Store: store, at: 4, alter: alter}
			_, err := ledger.Verify(ctx, tampered, nil)
			var terr *ledger.TamperError
			require.ErrorAs(t, err, &terr)
			assert.Equal(t, tampered.position(t), terr.Position, "names the altered event")
		})
	}
}

// TestOldChainsStillVerify appends events as ledgers written before the
// recorded time was hashed hold them (hash scheme 1, the store stamping the
// time), continues their streams with the ledger, and verifies both under
// their own schemes.
func TestOldChainsStillVerify(t *testing.T) {
	ctx := context.Background()
	store := MustOpenStore(t)
	l := ledger.New(store, ledger.WithClock(clock))
	id := uuid.NewString()
	stream := domain.ProposalStream(id)
	first, err := domain.Decide(nil, submit(id), clock())
	require.NoError(t, err)
	typ, body, err := domain.Encode(first[0])
	require.NoError(t, err)
	old := eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, Data: body, Metadata: eventstore.Metadata{Actor: facilitator.ID, Role: facilitator.Role}}
	old.Metadata.Hash = ledger.ChainHash("", stream, 0, old.ID, typ, body, old.Metadata, time.Time{})
	_, err = store.Append(ctx, stream, eventstore.NoStream(), old)
	require.NoError(t, err)
	_, err = l.Execute(ctx, support(id, 1), facilitator, ledger.Options{})
	require.NoError(t, err)

	rep, err := ledger.Verify(ctx, store, nil)
	require.NoError(t, err)
	assert.Equal(t, map[int]uint64{ledger.HashSchemeV1: 1, ledger.HashSchemeV3: 1}, rep.Schemes)
	assert.True(t, rep.Dense, "the embedded store's positions are checked")

	// The old event's recorded time is not covered; the new one's is.
	_, err = ledger.Verify(ctx, tamperedStore{Store: store, at: 1, alter: func(e *eventstore.Event) { e.Recorded = e.Recorded.Add(time.Hour) }}, nil)
	require.NoError(t, err, "scheme 1 did not cover the recorded time")
	_, err = ledger.Verify(ctx, tamperedStore{Store: store, at: 2, alter: func(e *eventstore.Event) { e.Recorded = e.Recorded.Add(time.Hour) }}, nil)
	var terr *ledger.TamperError
	require.ErrorAs(t, err, &terr)
}

// tamperedStore alters the at-th event (1-based) of the global log on read.
type tamperedStore struct {
	eventstore.Store
	at    int
	alter func(*eventstore.Event)
}

func (s tamperedStore) position(t *testing.T) eventstore.Position {
	n := 0
	for ev, err := range s.Store.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		if n++; n == s.at {
			return ev.Position
		}
	}
	t.Fatal("log too short")
	return 0
}

func (s tamperedStore) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		n := 0
		for ev, err := range s.Store.ReadAll(ctx, opts) {
			if n++; n == s.at && err == nil {
				s.alter(&ev)
			}
			if !yield(ev, err) {
				return
			}
		}
	}
}

func TestExecuteRejectsCommandForInvalidStream(t *testing.T) {
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	_, err := l.Execute(context.Background(), submit("not a uuid!"), facilitator, ledger.Options{})
	require.Error(t, err)
	assert.True(t, errors.Is(err, eventstore.ErrInvalid) || domain.ErrorCode(err) == domain.CodeInvalid, "got %v", err)
}

func TestRefusedFollowUpRefusesTheWholeCommand(t *testing.T) {
	ctx := context.Background()
	l := ledger.New(MustOpenStore(t), ledger.WithClock(clock))
	aid := uuid.NewString()
	_, err := l.Execute(ctx, domain.AssignAction{ActionID: aid, CommunityID: "hengyuan", GridID: "grid-3", ProposalID: uuid.NewString(),
		Title: "清理车棚夹道", Owner: domain.Party{Kind: domain.PartyPerson, ID: "worker-1", Name: "王网格"},
		Due: clock().Add(72 * time.Hour), By: "worker-1"}, facilitator, ledger.Options{})
	require.Error(t, err, "the proposal the action names does not exist")
	assert.Equal(t, domain.CodeNotFound, domain.ErrorCode(err))

	_, rev, err := l.Load(ctx, domain.ActionStream(aid))
	require.NoError(t, err)
	assert.Equal(t, int64(-1), rev, "nothing of the refused command was written")
}

// TestCachedStreamsSeeOtherWriters: a ledger keeps streams decoded, but
// another process's appends (here another ledger on the same store) are
// read from the store's tail on the next load.
func TestCachedStreamsSeeOtherWriters(t *testing.T) {
	ctx := context.Background()
	store := MustOpenStore(t)
	a, b := ledger.New(store, ledger.WithClock(clock)), ledger.New(store, ledger.WithClock(clock))
	id := uuid.NewString()
	_, err := a.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)
	_, err = a.Execute(ctx, support(id, 1), facilitator, ledger.Options{CommandID: "k1"})
	require.NoError(t, err)

	_, err = b.Execute(ctx, support(id, 2), facilitator, ledger.Options{})
	require.NoError(t, err)

	events, rev, err := a.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	assert.Equal(t, int64(2), rev)
	assert.Len(t, events, 3)
	_, err = a.Execute(ctx, support(id, 2), facilitator, ledger.Options{})
	var derr *domain.Error
	require.ErrorAs(t, err, &derr, "a decides on b's support too")
	assert.Equal(t, "already_supported", derr.Reason)

	replay, err := b.Execute(ctx, support(id, 1), facilitator, ledger.Options{CommandID: "k1"})
	require.NoError(t, err)
	assert.True(t, replay.Replayed, "b finds a's command by its id")
	assert.Equal(t, uint64(1), replay.Revision)
}
