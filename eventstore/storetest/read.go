package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

func testReadStream(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	cat := category(t)
	stream := streamIn(cat)
	written := evs(t, "test.happened.v1", 0, 10)
	mustAppend(t, s, stream, eventstore.NoStream(), written[:4]...)
	// Another stream's events interleave in the global log.
	mustAppend(t, s, streamIn(cat), eventstore.NoStream(), ev(t, "test.happened.v1", 99))
	mustAppend(t, s, stream, eventstore.Exact(3), written[4:]...)

	read := func(opts eventstore.ReadStreamOptions) []uuid.UUID {
		got, err := Collect(s.ReadStream(ctx, stream, opts))
		require.NoError(t, err)
		return ids(got)
	}
	want := dataIDs(written)
	reversed := func(u []uuid.UUID) []uuid.UUID {
		out := make([]uuid.UUID, len(u))
		for i := range u {
			out[len(u)-1-i] = u[i]
		}
		return out
	}
	cases := []struct {
		name string
		opts eventstore.ReadStreamOptions
		want []uuid.UUID
	}{
		{"forwards whole", eventstore.ReadStreamOptions{}, want},
		{"forwards from 3", eventstore.ReadStreamOptions{From: 3}, want[3:]},
		{"forwards from 3 max 4", eventstore.ReadStreamOptions{From: 3, Max: 4}, want[3:7]},
		{"forwards past the end", eventstore.ReadStreamOptions{From: 10}, []uuid.UUID{}},
		{"backwards whole", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.LastRevision}, reversed(want)},
		{"backwards from 5", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: 5}, reversed(want[:6])},
		{"backwards from 5 max 2", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: 5, Max: 2}, []uuid.UUID{want[5], want[4]}},
		{"backwards from 0", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: 0}, want[:1]},
		{"backwards from past the end", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: 50}, reversed(want)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, read(c.opts))
		})
	}
	t.Run("stops when the consumer stops", func(t *testing.T) {
		n := 0
		for _, err := range s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}) {
			require.NoError(t, err)
			if n++; n == 3 {
				break
			}
		}
		assert.Equal(t, 3, n)
	})
}

func testStreamNotFound(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	stream := streamIn(category(t))
	for _, opts := range []eventstore.ReadStreamOptions{
		{Direction: eventstore.Forwards},
		{Direction: eventstore.Backwards, From: eventstore.LastRevision},
	} {
		got, err := Collect(s.ReadStream(ctx, stream, opts))
		require.ErrorIs(t, err, eventstore.ErrStreamNotFound, "direction %d", opts.Direction)
		assert.Empty(t, got)
	}
	_, err := Collect(s.ReadStream(ctx, "Not A Stream", eventstore.ReadStreamOptions{}))
	require.ErrorIs(t, err, eventstore.ErrInvalid, "a malformed stream name")
}

func testReadAll(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	cat := category(t)
	a, b := streamIn(cat), streamIn(cat)
	var written []eventstore.EventData
	for i := range 6 {
		stream, exp := a, eventstore.Any()
		typ := "test.opened.v1"
		if i%2 == 1 {
			stream, typ = b, "test.closed.v1"
		}
		e := ev(t, typ, i)
		mustAppend(t, s, stream, exp, e)
		written = append(written, e)
	}
	mine := eventstore.Filter{StreamPrefixes: []string{cat + "-"}}
	readAll := func(opts eventstore.ReadAllOptions) []eventstore.Event {
		got, err := Collect(s.ReadAll(ctx, opts))
		require.NoError(t, err)
		return got
	}

	all := readAll(eventstore.ReadAllOptions{Filter: mine})
	require.Equal(t, dataIDs(written), ids(all), "forwards in commit order")
	for i := 1; i < len(all); i++ {
		require.Greater(t, all[i].Position, all[i-1].Position)
	}
	require.NotZero(t, all[0].Position, "no event has position 0")

	back := readAll(eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Filter: mine})
	require.Len(t, back, len(all))
	for i := range back {
		assert.Equal(t, all[len(all)-1-i].ID, back[i].ID, "backwards %d", i)
	}

	from := all[2].Position
	assert.Equal(t, ids(all[2:]), ids(readAll(eventstore.ReadAllOptions{From: from, Filter: mine})), "forwards from an event's position includes it")
	assert.Equal(t, ids(all[2:4]), ids(readAll(eventstore.ReadAllOptions{From: from, Max: 2, Filter: mine})), "forwards with max")
	assert.Equal(t, []uuid.UUID{all[2].ID, all[1].ID, all[0].ID},
		ids(readAll(eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: from, Filter: mine})), "backwards from an event's position includes it")
	assert.Equal(t, []uuid.UUID{all[2].ID, all[1].ID},
		ids(readAll(eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: from, Max: 2, Filter: mine})), "backwards with max")

	byType := readAll(eventstore.ReadAllOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}, TypePrefixes: []string{"test.closed"}}})
	require.Len(t, byType, 3)
	for _, e := range byType {
		assert.Equal(t, b, e.Stream)
		assert.True(t, strings.HasPrefix(e.Type, "test.closed"))
	}
	byStream := readAll(eventstore.ReadAllOptions{Filter: eventstore.Filter{StreamPrefixes: []string{a}}})
	assert.Equal(t, []uuid.UUID{written[0].ID, written[2].ID, written[4].ID}, ids(byStream), "filter by one stream's name")
}

// testReadAt reads events at given positions, with the store's own
// PositionReader when it has one and with the generic read of the log
// (the store hidden behind an interface that has only Store's methods).
func testReadAt(t *testing.T, _ Features, open Open) {
	s := fresh(t, open)
	ctx := context.Background()
	cat := category(t)
	stream := streamIn(cat)
	mustAppend(t, s, stream, eventstore.NoStream(), evs(t, "test.opened.v1", 0, 5)...)
	all, err := Collect(s.ReadAll(ctx, eventstore.ReadAllOptions{Filter: eventstore.Filter{StreamPrefixes: []string{cat + "-"}}}))
	require.NoError(t, err)
	require.Len(t, all, 5)
	ways := map[string]eventstore.Store{"generic": struct{ eventstore.Store }{s}}
	if _, ok := s.(eventstore.PositionReader); ok {
		ways["own"] = s
	}
	for name, store := range ways {
		t.Run(name, func(t *testing.T) {
			got, err := eventstore.ReadAt(ctx, store, []eventstore.Position{all[3].Position, all[0].Position, all[3].Position})
			require.NoError(t, err)
			require.Len(t, got, 3)
			assert.Equal(t, []uuid.UUID{all[3].ID, all[0].ID, all[3].ID}, ids(got), "in the order asked, repeats kept")
			assert.Equal(t, all[3], got[0], "the whole event, as the log reads it")

			none, err := eventstore.ReadAt(ctx, store, nil)
			require.NoError(t, err)
			assert.Empty(t, none)

			for _, p := range []eventstore.Position{eventstore.Start, all[4].Position + 1_000_000} {
				_, err = eventstore.ReadAt(ctx, store, []eventstore.Position{all[1].Position, p})
				assert.ErrorIs(t, err, eventstore.ErrNoEventAt, "position %d", p)
			}
		})
	}
}
