package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// bigEvent returns an event whose data is a JSON string of about size bytes.
func bigEvent(t testing.TB, size int) eventstore.EventData {
	t.Helper()
	e := ev(t, "test.happened.v1", 0)
	e.Data = json.RawMessage(`"` + strings.Repeat("x", size-2) + `"`)
	return e
}

func testLimits(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	stream := streamIn(category(t))
	tooMany := evs(t, "test.happened.v1", 0, eventstore.MaxAppendEvents+1)
	cases := []struct {
		name   string
		events []eventstore.EventData
	}{
		{"event over the event limit", []eventstore.EventData{bigEvent(t, eventstore.MaxEventSize+1)}},
		{"append over the append limit", []eventstore.EventData{
			bigEvent(t, eventstore.MaxEventSize), bigEvent(t, eventstore.MaxEventSize),
			bigEvent(t, eventstore.MaxEventSize), bigEvent(t, eventstore.MaxEventSize)}},
		{"too many events", tooMany},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Append(ctx, stream, eventstore.Any(), c.events...)
			require.ErrorIs(t, err, eventstore.ErrTooLarge)
		})
	}
	_, err := Collect(s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}))
	require.ErrorIs(t, err, eventstore.ErrStreamNotFound, "refused appends wrote nothing")

	t.Run("largest event accepted", func(t *testing.T) {
		big := bigEvent(t, eventstore.MaxEventSize-100)
		mustAppend(t, s, stream, eventstore.NoStream(), big)
		got := readStream(t, s, stream)
		require.Len(t, got, 1)
		assert.Equal(t, string(big.Data), string(got[0].Data))
	})
}

func testInvalid(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	cat := category(t)
	good := func() eventstore.EventData { return ev(t, "test.happened.v1", 0) }
	with := func(change func(*eventstore.EventData)) []eventstore.EventData {
		e := good()
		change(&e)
		return []eventstore.EventData{e}
	}
	twice := good()
	cases := []struct {
		name   string
		stream string
		events []eventstore.EventData
	}{
		{"empty stream name", "", []eventstore.EventData{good()}},
		{"stream without category", "-" + uuid.NewString(), []eventstore.EventData{good()}},
		{"stream without id", cat + "-", []eventstore.EventData{good()}},
		{"stream with upper-case category", "Proposal-" + uuid.NewString(), []eventstore.EventData{good()}},
		{"stream with a space", cat + "-a b", []eventstore.EventData{good()}},
		{"system stream", "$" + cat + "-1", []eventstore.EventData{good()}},
		{"stream name too long", cat + "-" + strings.Repeat("a", eventstore.MaxStreamLen), []eventstore.EventData{good()}},
		{"no events", streamIn(cat), nil},
		{"nil id", streamIn(cat), with(func(e *eventstore.EventData) { e.ID = uuid.Nil })},
		{"same id twice", streamIn(cat), []eventstore.EventData{twice, twice}},
		{"type without version", streamIn(cat), with(func(e *eventstore.EventData) { e.Type = "test.happened" })},
		{"empty type", streamIn(cat), with(func(e *eventstore.EventData) { e.Type = "" })},
		{"type with upper case", streamIn(cat), with(func(e *eventstore.EventData) { e.Type = "Test.Happened.v1" })},
		{"type too long", streamIn(cat), with(func(e *eventstore.EventData) { e.Type = strings.Repeat("a", eventstore.MaxTypeLen) + ".v1" })},
		{"invalid JSON", streamIn(cat), with(func(e *eventstore.EventData) { e.Data = json.RawMessage(`{"n":1`) })},
		{"empty data", streamIn(cat), with(func(e *eventstore.EventData) { e.Data = nil })},
		{"invalid UTF-8", streamIn(cat), with(func(e *eventstore.EventData) { e.Data = json.RawMessage("\"\xff\"") })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Append(ctx, c.stream, eventstore.Any(), c.events...)
			require.ErrorIs(t, err, eventstore.ErrInvalid)
		})
	}
	got, err := Collect(s.ReadAll(ctx, eventstore.ReadAllOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}}}))
	require.NoError(t, err)
	assert.Empty(t, got, "refused appends wrote nothing")
}

func testMetadataRoundTrip(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	cat := category(t)
	stream := streamIn(cat)
	e := ev(t, "proposal.submitted.v1", 0)
	e.Data = json.RawMessage(`{"title":"停车棚夹道乱堆乱放","grid":"衡苑-3","photos":["a.jpg"],"n":1.5}`)
	e.Metadata = eventstore.Metadata{
		Actor:         "resident-" + uuid.NewString(),
		Role:          "resident",
		CorrelationID: uuid.NewString(),
		CausationID:   uuid.NewString(),
		PrevHash:      strings.Repeat("ab", 32),
		Hash:          strings.Repeat("cd", 32),
		HashScheme:    2,
	}
	// A recorded time the writer gives is kept to the nanosecond, in UTC.
	e.Recorded = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CST", 8*3600))
	res := mustAppend(t, s, stream, eventstore.NoStream(), e)
	check := func(t *testing.T, got eventstore.Event) {
		assert.Equal(t, e.ID, got.ID)
		assert.Equal(t, stream, got.Stream)
		assert.Equal(t, uint64(0), got.Revision)
		assert.Equal(t, res.Position, got.Position)
		assert.Equal(t, e.Type, got.Type)
		assert.Equal(t, string(e.Data), string(got.Data), "data exactly as appended")
		assert.Equal(t, e.Metadata, got.Metadata)
		assert.True(t, e.Recorded.Equal(got.Recorded), "recorded time as given: %v, want %v", got.Recorded, e.Recorded)
		assert.Equal(t, "UTC", got.Recorded.Location().String(), "recorded time in UTC")
	}
	t.Run("recorded time stamped by the store", func(t *testing.T) {
		other := streamIn(cat)
		mustAppend(t, s, other, eventstore.NoStream(), ev(t, "proposal.supported.v1", 1))
		got := readStream(t, s, other)[0]
		assert.WithinDuration(t, time.Now(), got.Recorded, time.Hour, "no time given: the store's commit time")
		assert.Equal(t, "UTC", got.Recorded.Location().String())
	})
	t.Run("stream read", func(t *testing.T) { check(t, readStream(t, s, stream)[0]) })
	t.Run("global read", func(t *testing.T) {
		got, err := Collect(s.ReadAll(ctx, eventstore.ReadAllOptions{Filter: eventstore.Filter{StreamPrefixes: []string{stream}}}))
		require.NoError(t, err)
		require.Len(t, got, 1)
		check(t, got[0])
	})
	t.Run("subscription", func(t *testing.T) {
		caught, _ := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{stream}}}).untilCaughtUp(t)
		require.Len(t, caught, 1)
		check(t, caught[0])
	})
}

func testReopen(t *testing.T, f Features, open Open) {
	if f.Reopen == nil {
		t.Skip("the backend declares that it cannot reopen the same data (Features.Reopen is nil)")
	}
	s := open(t)
	ctx := context.Background()
	cat := category(t)
	a, b := streamIn(cat), streamIn(cat)
	wa, wb := evs(t, "test.happened.v1", 0, 3), evs(t, "test.happened.v1", 0, 2)
	mustAppend(t, s, a, eventstore.NoStream(), wa...)
	resB := mustAppend(t, s, b, eventstore.NoStream(), wb...)
	mine := eventstore.ReadAllOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}}}
	before, err := Collect(s.ReadAll(ctx, mine))
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = f.Reopen(t, s)
	t.Cleanup(func() { _ = s.Close() })
	after, err := Collect(s.ReadAll(ctx, mine))
	require.NoError(t, err)
	assert.Equal(t, before, after, "every event as it was, recorded time and position included")
	requireSame(t, wa, readStream(t, s, a), a, 0)

	// The stream heads, the id index and the positions survive too.
	_, err = s.Append(ctx, b, eventstore.Exact(0), ev(t, "test.happened.v1", 9))
	require.ErrorIs(t, err, eventstore.ErrWrongRevision)
	again := mustAppend(t, s, b, eventstore.NoStream(), wb...)
	assert.Equal(t, resB, again, "a retry after reopening returns the original result")
	next := mustAppend(t, s, a, eventstore.Exact(2), ev(t, "test.happened.v1", 3))
	assert.Equal(t, uint64(3), next.NextRevision)
	assert.Greater(t, next.Position, before[len(before)-1].Position, "positions go on growing")
}

func testClosed(t *testing.T, _ Features, open Open) {
	s := open(t)
	ctx := context.Background()
	stream := streamIn(category(t))
	mustAppend(t, s, stream, eventstore.NoStream(), ev(t, "test.happened.v1", 0))
	require.NoError(t, s.Close())

	_, err := s.Append(ctx, stream, eventstore.Any(), ev(t, "test.happened.v1", 1))
	assert.ErrorIs(t, err, eventstore.ErrClosed, "append")
	_, err = Collect(s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}))
	assert.ErrorIs(t, err, eventstore.ErrClosed, "read stream")
	_, err = Collect(s.ReadAll(ctx, eventstore.ReadAllOptions{}))
	assert.ErrorIs(t, err, eventstore.ErrClosed, "read all")
	var subErr error
	for _, err := range s.Subscribe(ctx, eventstore.SubscribeOptions{}) {
		if err != nil {
			subErr = err
			break
		}
	}
	assert.ErrorIs(t, subErr, eventstore.ErrClosed, "subscribe")
}
