package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

func testExpectedRevision(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	cat := category(t)
	ctx := context.Background()
	const typ = "test.happened.v1"

	// existing has revisions 0..2.
	existing := streamIn(cat)
	mustAppend(t, s, existing, eventstore.NoStream(), evs(t, typ, 0, 3)...)

	refusals := []struct {
		name     string
		stream   string
		expected eventstore.ExpectedRevision
		actual   int64
	}{
		{"no stream on an existing stream", existing, eventstore.NoStream(), 2},
		{"stream exists on no stream", streamIn(cat), eventstore.StreamExists(), -1},
		{"exact on no stream", streamIn(cat), eventstore.Exact(0), -1},
		{"exact stale", existing, eventstore.Exact(1), 2},
		{"exact zero on a longer stream", existing, eventstore.Exact(0), 2},
		{"exact too new", existing, eventstore.Exact(3), 2},
	}
	for _, c := range refusals {
		t.Run("refused/"+c.name, func(t *testing.T) {
			before, _ := Collect(s.ReadStream(ctx, c.stream, eventstore.ReadStreamOptions{}))
			_, err := s.Append(ctx, c.stream, c.expected, evs(t, typ, 10, 2)...)
			require.ErrorIs(t, err, eventstore.ErrWrongRevision)
			var wrong *eventstore.WrongRevisionError
			require.ErrorAs(t, err, &wrong)
			assert.Equal(t, c.actual, wrong.Actual, "actual revision")
			assert.Equal(t, c.stream, wrong.Stream)
			after, _ := Collect(s.ReadStream(ctx, c.stream, eventstore.ReadStreamOptions{}))
			assert.Equal(t, ids(before), ids(after), "a refused append wrote something")
		})
	}

	accepted := []struct {
		name     string
		stream   string
		expected eventstore.ExpectedRevision
		wantRev  uint64
	}{
		{"no stream on no stream", streamIn(cat), eventstore.NoStream(), 0},
		{"any on no stream", streamIn(cat), eventstore.Any(), 0},
		{"exact current", existing, eventstore.Exact(2), 3},
		{"stream exists", existing, eventstore.StreamExists(), 4},
		{"any on an existing stream", existing, eventstore.Any(), 5},
	}
	for _, c := range accepted {
		t.Run("accepted/"+c.name, func(t *testing.T) {
			e := ev(t, typ, 20)
			res := mustAppend(t, s, c.stream, c.expected, e)
			assert.Equal(t, c.wantRev, res.NextRevision)
			got := readStream(t, s, c.stream)
			require.NotEmpty(t, got)
			last := got[len(got)-1]
			assert.Equal(t, e.ID, last.ID)
			assert.Equal(t, c.wantRev, last.Revision)
			assert.Equal(t, res.Position, last.Position)
		})
	}
}

func testAtomicAppend(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	stream := streamIn(category(t))
	batch := evs(t, "test.happened.v1", 0, 5)
	res := mustAppend(t, s, stream, eventstore.NoStream(), batch...)
	assert.Equal(t, uint64(4), res.NextRevision)
	got := readStream(t, s, stream)
	requireSame(t, batch, got, stream, 0)
	assert.Equal(t, res.Position, got[4].Position, "the result names the last event's position")

	// A refused multi-event append writes none of its events.
	_, err := s.Append(ctx, stream, eventstore.Exact(0), evs(t, "test.happened.v1", 5, 3)...)
	require.ErrorIs(t, err, eventstore.ErrWrongRevision)
	// So does one with a single bad event among good ones.
	bad := evs(t, "test.happened.v1", 5, 3)
	bad[2].Data = []byte(`{"n":`)
	_, err = s.Append(ctx, stream, eventstore.Exact(4), bad...)
	require.ErrorIs(t, err, eventstore.ErrInvalid)
	assert.Equal(t, ids(got), ids(readStream(t, s, stream)), "a refused append wrote something")
}

func testIdempotentRetry(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	cat := category(t)
	const typ = "test.happened.v1"

	t.Run("no stream", func(t *testing.T) {
		stream := streamIn(cat)
		batch := evs(t, typ, 0, 3)
		first := mustAppend(t, s, stream, eventstore.NoStream(), batch...)
		again := mustAppend(t, s, stream, eventstore.NoStream(), batch...)
		assert.Equal(t, first, again, "a retry returns the original result")
		requireSame(t, batch, readStream(t, s, stream), stream, 0)
	})
	t.Run("exact after the stream moved on", func(t *testing.T) {
		stream := streamIn(cat)
		mustAppend(t, s, stream, eventstore.NoStream(), ev(t, typ, 0))
		batch := evs(t, typ, 1, 2)
		first := mustAppend(t, s, stream, eventstore.Exact(0), batch...)
		later := ev(t, typ, 3)
		mustAppend(t, s, stream, eventstore.Exact(2), later)
		again, err := s.Append(ctx, stream, eventstore.Exact(0), batch...)
		require.NoError(t, err)
		assert.Equal(t, first, again, "a retry returns the original result")
		got := readStream(t, s, stream)
		assert.Len(t, got, 4, "a retry writes nothing")
	})
	t.Run("concurrent retries", func(t *testing.T) {
		stream := streamIn(cat)
		batch := evs(t, typ, 0, 2)
		results := make([]eventstore.AppendResult, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() { results[i], errs[i] = s.Append(ctx, stream, eventstore.NoStream(), batch...) })
		}
		wg.Wait()
		for i := range results {
			require.NoError(t, errs[i], "retry %d", i)
			assert.Equal(t, results[0], results[i], "retry %d", i)
		}
		requireSame(t, batch, readStream(t, s, stream), stream, 0)
	})
}

func testDuplicateID(t *testing.T, f Features, open Open) {
	if !f.GlobalIDs {
		t.Skip("the backend declares that it does not refuse an event id written by another append (Features.GlobalIDs)")
	}
	s := fresh(t, open)
	ctx := context.Background()
	cat := category(t)
	const typ = "test.happened.v1"
	a, b := streamIn(cat), streamIn(cat)
	written := evs(t, typ, 0, 2)
	mustAppend(t, s, a, eventstore.NoStream(), written...)

	_, err := s.Append(ctx, b, eventstore.Any(), written[0])
	require.ErrorIs(t, err, eventstore.ErrDuplicateID, "an id written to another stream")
	_, err = Collect(s.ReadStream(ctx, b, eventstore.ReadStreamOptions{}))
	require.ErrorIs(t, err, eventstore.ErrStreamNotFound, "the refused append wrote nothing")

	_, err = s.Append(ctx, a, eventstore.Any(), ev(t, typ, 2), written[1])
	require.ErrorIs(t, err, eventstore.ErrDuplicateID, "an id of another append of the same stream")
	_, err = s.Append(ctx, a, eventstore.Any(), written[1], written[0])
	require.ErrorIs(t, err, eventstore.ErrDuplicateID, "the same ids in another order")
	assert.Len(t, readStream(t, s, a), 2, "refused appends wrote nothing")
}

func testConcurrentAppenders(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	stream := streamIn(category(t))
	const appenders, rounds = 20, 5
	mustAppend(t, s, stream, eventstore.NoStream(), ev(t, "test.happened.v1", 0))
	for round := range rounds {
		expected := uint64(round)
		var wg sync.WaitGroup
		errs := make([]error, appenders)
		tries := make([]eventstore.EventData, appenders)
		for i := range appenders {
			tries[i] = ev(t, "test.happened.v1", i)
			wg.Go(func() {
				_, errs[i] = s.Append(ctx, stream, eventstore.Exact(expected), tries[i])
			})
		}
		wg.Wait()
		winners := 0
		var winner int
		for i, err := range errs {
			if err == nil {
				winners++
				winner = i
				continue
			}
			var wrong *eventstore.WrongRevisionError
			require.True(t, errors.As(err, &wrong), "appender %d: %v", i, err)
			assert.Equal(t, int64(expected+1), wrong.Actual, "appender %d", i)
		}
		require.Equal(t, 1, winners, "round %d: exactly one appender wins", round)
		got := readStream(t, s, stream)
		require.Len(t, got, round+2)
		assert.Equal(t, tries[winner].ID, got[round+1].ID, "round %d: the winner's event is stored", round)
	}
}

func testManyStreams(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	cat := category(t)
	const streams, perStream, writers = 40, 8, 10
	names := make([]string, streams)
	written := make([][]eventstore.EventData, streams)
	for i := range names {
		names[i] = streamIn(cat)
		written[i] = evs(t, "test.happened.v1", 0, perStream)
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for rev := range perStream {
				for i := w; i < streams; i += writers {
					exp := eventstore.NoStream()
					if rev > 0 {
						exp = eventstore.Exact(uint64(rev - 1))
					}
					if _, err := s.Append(ctx, names[i], exp, written[i][rev]); err != nil {
						errs[w] = err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "writer %d", w)
	}
	for i, name := range names {
		requireSame(t, written[i], readStream(t, s, name), name, 0)
	}
	all, err := Collect(s.ReadAll(ctx, eventstore.ReadAllOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}}}))
	require.NoError(t, err)
	require.Len(t, all, streams*perStream)
	next := map[string]uint64{}
	for i, e := range all {
		if i > 0 {
			require.Greater(t, e.Position, all[i-1].Position, "global order")
		}
		require.Equal(t, next[e.Stream], e.Revision, "stream order in the global log")
		next[e.Stream]++
	}
}
