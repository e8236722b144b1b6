package projections

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
)

// state returns every view's whole state (Dump), for comparisons.
func state(tb testing.TB, v *Views) map[string]string {
	tb.Helper()
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := map[string]string{}
	for _, view := range v.all {
		b, err := Dump(view)
		require.NoError(tb, err)
		out[view.Name()] = string(b)
	}
	return out
}

// mustNew makes a runner that is closed when the test ends (Close again
// before another runner opens the same directory).
func mustNew(tb testing.TB, store eventstore.Store, cfg Config) *Runner {
	tb.Helper()
	r, err := New(store, cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { assert.NoError(tb, r.Close()) })
	return r
}

// foldAll folds stored events into a fresh set at once, decoding each.
func foldAll(tb testing.TB, evs []eventstore.Event) *Views {
	tb.Helper()
	v := NewViews()
	decode := NewDecoder().Decode // as the runner decodes: sealed values held
	v.readWith(logReader(&memStore{evs: evs}, decode))
	for _, se := range evs {
		d, err := decode(se.Type, se.Data)
		require.NoError(tb, err)
		e := Event{Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Recorded: se.Recorded, Actor: se.Metadata.Actor, Data: d, ref: refOf(se)}
		for _, view := range v.all {
			require.NoError(tb, view.Apply(e))
		}
		v.pos = se.Position
	}
	return v
}

// runUntil runs r until it has folded pos, then stops it and returns Run's
// error.
func runUntil(tb testing.TB, r *Runner, pos eventstore.Position) error {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	werr := r.WaitFor(context.Background(), pos)
	cancel()
	err := <-done
	if err == nil {
		err = werr
	}
	return err
}

func TestRunnerFoldsTheStoreAndServesReadYourWrites(t *testing.T) {
	s := mustOpenStore(t)
	evs := newGen(1, 5).events(300)
	pos := mustAppend(t, s, evs[:200])
	r, err := New(s, Config{Dir: t.TempDir()})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.NoError(t, r.WaitFor(ctx, pos[199]))
	// Live: events appended while running are folded and waited for.
	pos = append(pos, mustAppend(t, s, evs[200:])...)
	require.NoError(t, r.WaitFor(ctx, pos[len(pos)-1]))
	assert.Equal(t, pos[len(pos)-1], r.Position())
	assert.Equal(t, uint64(len(evs)), r.Status().Events)
	head, err := r.Head(ctx)
	require.NoError(t, err)
	assert.Equal(t, pos[len(pos)-1], head)
	require.Eventually(t, r.Ready, 5*time.Second, time.Millisecond)

	stored := readAll(t, s)
	assert.Equal(t, state(t, foldAll(t, stored)), state(t, r.Views()), "live set equals a fold of the log")
	cancel()
	require.NoError(t, <-done)
	assert.False(t, r.Ready())
	assert.ErrorIs(t, r.WaitFor(context.Background(), head+1), ErrStopped)
}

// The runner tells Config.CaughtUp how many events it folded to catch up:
// before it reports ready, and again once the snapshots taken then are
// written, or at once when there is none to write; later events do not
// call it again.
func TestRunnerTellsWhenItCatchesUp(t *testing.T) {
	s := mustOpenStore(t)
	evs := newGen(3, 5).events(300)
	pos := mustAppend(t, s, evs[:200])
	dir := t.TempDir()
	var r *Runner
	var mu sync.Mutex
	var calls []uint64
	var readyThen, writtenThen, said []bool
	r, err := New(s, Config{Dir: dir, CaughtUp: func(folded uint64, written bool) {
		_, statErr := os.Stat(filepath.Join(dir, "board.snap"))
		mu.Lock()
		defer mu.Unlock()
		calls, readyThen, writtenThen = append(calls, folded), append(readyThen, r.Ready()), append(writtenThen, statErr == nil)
		said = append(said, written)
	}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.NoError(t, r.WaitFor(ctx, pos[199]))
	require.Eventually(t, r.Ready, 5*time.Second, time.Millisecond)
	pos = append(pos, mustAppend(t, s, evs[200:])...)
	require.NoError(t, r.WaitFor(ctx, pos[len(pos)-1]))
	cancel()
	require.NoError(t, <-done)
	mu.Lock()
	assert.Equal(t, []uint64{200, 200}, calls, "twice, with the events folded to catch up")
	assert.False(t, readyThen[0], "first before the runner reports ready")
	assert.Equal(t, []bool{false, true}, writtenThen, "then once the snapshots are written")
	assert.Equal(t, []bool{false, true}, said, "and says which call it is")
	mu.Unlock()

	// Restarted on those snapshots with nothing new to fold: nothing is
	// written, and the second call comes all the same.
	require.NoError(t, r.Close())
	calls, said = nil, nil
	again, err := New(s, Config{Dir: dir, CaughtUp: func(folded uint64, written bool) {
		mu.Lock()
		defer mu.Unlock()
		calls, said = append(calls, folded), append(said, written)
	}})
	require.NoError(t, err)
	ctx, cancel = context.WithCancel(context.Background())
	go func() { done <- again.Run(ctx) }()
	require.Eventually(t, again.Ready, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(said) == 2
	}, 5*time.Second, time.Millisecond, "the second call, with no snapshot to write")
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, again.Close())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []uint64{0, 0}, calls)
	assert.Equal(t, []bool{false, true}, said)
}

func uuidV7(tb testing.TB) uuid.UUID {
	tb.Helper()
	id, err := uuid.NewV7()
	require.NoError(tb, err)
	return id
}

func readAll(tb testing.TB, s eventstore.Store) []eventstore.Event {
	tb.Helper()
	var out []eventstore.Event
	for e, err := range s.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		require.NoError(tb, err)
		out = append(out, e)
	}
	return out
}

func TestRunnerSkipsEventsOutsideTheDomain(t *testing.T) {
	s := mustOpenStore(t)
	pos := mustAppend(t, s, newGen(2, 2).events(20))
	res, err := s.Append(context.Background(), "token-1", eventstore.NoStream(), eventstore.EventData{ID: uuidV7(t), Type: "token.issued.v1", Data: json.RawMessage(`{}`)})
	require.NoError(t, err)
	r, err := New(s, Config{})
	require.NoError(t, err)
	require.NoError(t, runUntil(t, r, res.Position), "the position of a token event is reached through checkpoints")
	assert.Equal(t, uint64(len(pos)), r.Status().Events)
}

// failing is a view that fails on the event at a position.
type failing struct{ at eventstore.Position }

func (f *failing) Name() string                      { return "failing" }
func (f *failing) Version() int                      { return 1 }
func (f *failing) MarshalSnapshot() ([]byte, error)  { return []byte("{}"), nil }
func (f *failing) UnmarshalSnapshot(io.Reader) error { return nil }
func (f *failing) Apply(e Event) error {
	if e.Position == f.at {
		return errors.New("boom")
	}
	return nil
}

func TestRunnerStopsAtTheEventAViewFailsOn(t *testing.T) {
	s := mustOpenStore(t)
	evs := newGen(3, 2).events(30)
	pos := mustAppend(t, s, evs)
	bad := pos[17]
	r, err := New(s, Config{NewViews: func() *Views {
		v := NewViews()
		v.all = append(v.all, &failing{at: bad})
		return v
	}})
	require.NoError(t, err)
	err = r.Run(context.Background())
	var ae *ApplyError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "failing", ae.View)
	assert.Equal(t, bad, ae.Position)
	assert.Equal(t, streamOf(t, evs[17]), ae.Stream)
	assert.Equal(t, evs[17].EventType(), ae.Type)
	assert.Contains(t, err.Error(), ae.Stream)
	assert.Equal(t, pos[16], r.Position(), "stops before the failed event, never past it")
	werr := r.WaitFor(context.Background(), pos[29])
	assert.ErrorIs(t, werr, ErrStopped)
	assert.ErrorAs(t, werr, &ae, "WaitFor says why the runner stopped")

	again := r.Run(context.Background())
	require.ErrorAs(t, again, &ae, "a failed runner does not run again on half-folded views")
	assert.Equal(t, bad, ae.Position)

	_, err = r.AsOf(context.Background(), AsOf{})
	require.ErrorAs(t, err, &ae, "as-of fails on the same event")
	assert.Equal(t, bad, ae.Position)
}

// TestRunnerStopsAtTheFailedEventInABigBatch makes a view fail inside
// batches folded on two goroutines, for a view on either of them.
func TestRunnerStopsAtTheFailedEventInABigBatch(t *testing.T) {
	stored := encode(t, newGen(13, 4).events(3000))
	bad := stored[2222]
	for name, pad := range map[string]int{"first goroutine": 0, "second goroutine": 1} {
		t.Run(name, func(t *testing.T) {
			r, err := New(&memStore{evs: stored}, Config{NewViews: func() *Views {
				v := NewViews()
				for range pad {
					v.all = append(v.all, &failing{})
				}
				v.all = append(v.all, &failing{at: bad.Position})
				return v
			}})
			require.NoError(t, err)
			err = r.Run(context.Background())
			var ae *ApplyError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, bad.Position, ae.Position)
			assert.Equal(t, bad.Stream, ae.Stream)
			assert.Equal(t, stored[2221].Position, r.Position())
			assert.Equal(t, uint64(2222), r.Status().Events, "every event before the failed one, and no other")
		})
	}
}

func TestRunnerNamesAnUndecodableEvent(t *testing.T) {
	s := mustOpenStore(t)
	res, err := s.Append(context.Background(), "proposal-x", eventstore.NoStream(), eventstore.EventData{ID: uuidV7(t), Type: "proposal.submitted.v1", Data: json.RawMessage(`{"title": 7}`)})
	require.NoError(t, err)
	r, err := New(s, Config{})
	require.NoError(t, err)
	err = r.Run(context.Background())
	var ae *ApplyError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "decode", ae.View)
	assert.Equal(t, res.Position, ae.Position)
	assert.Equal(t, "proposal-x", ae.Stream)
}

func TestWaitForTimesOut(t *testing.T) {
	s := mustOpenStore(t)
	pos := mustAppend(t, s, newGen(4, 2).events(5))
	r, err := New(s, Config{MaxWait: 20 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	require.NoError(t, r.WaitFor(ctx, pos[len(pos)-1]))
	err = r.WaitFor(ctx, pos[len(pos)-1]+1000)
	require.ErrorIs(t, err, ErrWaitTimeout)
	assert.Contains(t, err.Error(), "waiting for")

	short, stop := context.WithTimeout(ctx, time.Millisecond)
	defer stop()
	require.ErrorIs(t, r.WaitFor(short, pos[len(pos)-1]+1000), ErrWaitTimeout, "the caller's deadline bounds the wait too")
}

// snapshotted folds n generated events (seed's, on 3 grids) into a store
// and a runner that has written its snapshots to dir; last is the last
// event's position.
func snapshotted(t *testing.T, seed uint64, n int) (s *pebble.Store, dir string, last eventstore.Position, r *Runner) {
	t.Helper()
	s, dir = mustOpenStore(t), t.TempDir()
	pos := mustAppend(t, s, newGen(seed, 3).events(n))
	last = pos[len(pos)-1]
	r = mustNew(t, s, Config{Dir: dir})
	require.NoError(t, runUntil(t, r, last))
	return s, dir, last, r
}

func TestSnapshotsRestartWithoutReplay(t *testing.T) {
	s, dir, last, r := snapshotted(t, 5, 200)
	want := state(t, r.Views())

	require.NoError(t, r.Close())
	again := mustNew(t, s, Config{Dir: dir})
	assert.Equal(t, last, again.Position(), "restored from the snapshots")
	assert.Equal(t, want, state(t, again.Views()))
	require.NoError(t, runUntil(t, again, last))
	assert.Zero(t, again.Status().Events, "nothing replayed")
}

// Views restored from their snapshots keep little room in their lists
// beyond what the lists hold: a view's lists are mostly of one or two
// elements, and a decoder that made each with room for four (as
// goccy/go-json does) took 42 MB of the 354 MB a 1M ledger's views hold.
func TestRestoredViewsKeepLittleSpareRoom(t *testing.T) {
	s, dir, _, r := snapshotted(t, 11, 400)
	want := state(t, r.Views())
	require.NoError(t, r.Close())
	again := mustNew(t, s, Config{Dir: dir})
	var held, spare int
	for _, v := range again.Views().all {
		slicesOf(reflect.ValueOf(v), map[uintptr]bool{}, func(s reflect.Value) {
			size := int(s.Type().Elem().Size())
			held, spare = held+s.Len()*size, spare+(s.Cap()-s.Len())*size
		})
	}
	// goccy's slices kept about 120% of these lists' bytes as spare room,
	// JSON v2's about 20% (lists of positions, grown as append grows).
	require.Positive(t, held)
	assert.LessOrEqual(t, spare, held/3, "%d bytes of spare room for %d bytes of lists", spare, held)
	assert.Equal(t, want, state(t, again.Views()))
}

// slicesOf calls f with every non-empty slice reachable from v, through
// pointers, structs, slices and maps (each pointer followed once), short
// of the table store.
func slicesOf(v reflect.Value, seen map[uintptr]bool, f func(reflect.Value)) {
	if v.Type() == reflect.TypeFor[*tableStore]() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() && !seen[v.Pointer()] {
			seen[v.Pointer()] = true
			slicesOf(v.Elem(), seen, f)
		}
	case reflect.Interface:
		if !v.IsNil() {
			slicesOf(v.Elem(), seen, f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			slicesOf(v.Field(i), seen, f)
		}
	case reflect.Slice:
		if v.Len() > 0 {
			f(v)
		}
		for i := range v.Len() {
			slicesOf(v.Index(i), seen, f)
		}
	case reflect.Array:
		for i := range v.Len() {
			slicesOf(v.Index(i), seen, f)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			slicesOf(it.Value(), seen, f)
		}
	}
}

// A snapshot's header counts the entries of its view's maps, and a load
// makes the maps at that size first; a damaged count asks for no more
// than the file could fill, and the view is restored as it was.
func TestSnapshotHeadersCountTheMaps(t *testing.T) {
	s, dir, last, r := snapshotted(t, 7, 200)
	want := state(t, r.Views())
	path := filepath.Join(dir, "board.snap")
	f, err := os.Open(path)
	require.NoError(t, err)
	h, err := decodeHeader(bufio.NewReader(f))
	require.NoError(t, f.Close())
	require.NoError(t, err)
	b := r.Views().Board
	b.mu.RLock()
	heads := len(b.heads.rows)
	b.mu.RUnlock()
	require.Positive(t, heads)
	assert.Equal(t, map[string]int{"heads": heads}, h.Sizes)

	rewriteHeader(t, path, func(h *snapshotHeader) { h.Sizes["heads"] = 1 << 40 })
	require.NoError(t, r.Close())
	again := mustNew(t, s, Config{Dir: dir})
	assert.Equal(t, last, again.Position(), "restored from the snapshots")
	assert.Equal(t, want, state(t, again.Views()))

	// A count below zero asks for nothing either.
	for _, view := range []string{"board", "outcomes", "register"} {
		rewriteHeader(t, filepath.Join(dir, view+".snap"), func(h *snapshotHeader) { h.Sizes["heads"] = -3 })
	}
	require.NoError(t, again.Close())
	third := mustNew(t, s, Config{Dir: dir})
	assert.Equal(t, last, third.Position(), "restored from the snapshots")
	assert.Equal(t, want, state(t, third.Views()))
}

func TestPresizeMakesTheMapsNamed(t *testing.T) {
	var st struct {
		A map[string]int `json:"a"`
		B map[string]int `json:"b,omitempty"`
		C map[string]int
		D []int `json:"d"`
	}
	presize(&st, map[string]int{"a": 10, "b": 3, "d": 5}, 1000)
	assert.NotNil(t, st.A)
	assert.NotNil(t, st.B)
	assert.Nil(t, st.C, "no size given")
	assert.Nil(t, st.D, "not a map")
	st.C = map[string]int{"x": 1}
	assert.Equal(t, map[string]int{"a": 0, "b": 0, "C": 1}, mapSizesOf(&st))

	// A damaged header's size is bounded by the payload's bytes.
	st.A = nil
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	presize(&st, map[string]int{"a": 1 << 22}, 1000)
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "bytes allocated for a map of 4M entries asked by a 1 KB payload")
}

func TestOutdatedOrDamagedSnapshotRebuilds(t *testing.T) {
	cases := map[string]func(t *testing.T, path string){
		"view version changed": func(t *testing.T, path string) { rewriteHeader(t, path, func(h *snapshotHeader) { h.Version = 99 }) },
		"unknown format":       func(t *testing.T, path string) { rewriteHeader(t, path, func(h *snapshotHeader) { h.Format = 99 }) },
		// The header is not under the checksum: nothing is made at a size
		// the file cannot hold.
		"a size past the file": func(t *testing.T, path string) { rewriteHeader(t, path, func(h *snapshotHeader) { h.Size = 1 << 50 }) },
		"a size below zero":    func(t *testing.T, path string) { rewriteHeader(t, path, func(h *snapshotHeader) { h.Size = -1 }) },
		"damaged payload": func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			b[len(b)-2] ^= 0xff
			require.NoError(t, os.WriteFile(path, b, 0o600))
		},
		// A change that leaves the payload valid (a letter of a name, in
		// JSON or in rows) decodes, and only the checksum at its end
		// refuses it.
		"a letter changed mid-payload": func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			i := len(b) / 2
			for !(b[i] >= 'a' && b[i] <= 'z' && b[i-1] >= 'a' && b[i-1] <= 'z') {
				if i++; i == len(b) {
					i = bytes.IndexByte(b, '\n') + len(rowsMagic) + 2 // a name in the rows' dictionaries
				}
			}
			b[i] ^= 0x20
			require.NoError(t, os.WriteFile(path, b, 0o600))
		},
		// Whatever follows the value is refused, even under a checksum
		// that covers it.
		"data after the value": func(t *testing.T, path string) {
			rewritePayload(t, path, func(p []byte) []byte { return append(p, " {}"...) })
		},
		// The payload is mapped from its file: one cut short by less than
		// its header is refused before a page past the file's end is read.
		"cut short across a page": func(t *testing.T, path string) {
			for range 8 { // the header's numbers grow with the padding
				fi, err := os.Stat(path)
				require.NoError(t, err)
				if fi.Size()%4096 == 1 {
					break
				}
				pad := int((4096 + 1 - fi.Size()%4096) % 4096)
				rewritePayload(t, path, func(p []byte) []byte { return append(p, bytes.Repeat([]byte(" "), pad)...) })
			}
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, 1, len(b)%4096)
			require.NoError(t, os.WriteFile(path, b[:len(b)-2], 0o600))
		},
		"truncated payload": func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, b[:len(b)-40], 0o600))
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			s, dir, last, r := snapshotted(t, 6, 150)
			want := state(t, r.Views())
			damage(t, filepath.Join(dir, "board.snap"))

			require.NoError(t, r.Close())
			again := mustNew(t, s, Config{Dir: dir})
			assert.Equal(t, eventstore.Start, again.Position(), "the board starts over")
			assert.NotEqual(t, want["board"], state(t, again.Views())["board"])
			assert.Equal(t, want["register"], state(t, again.Views())["register"], "other views keep their snapshots")
			require.NoError(t, runUntil(t, again, last))
			assert.Equal(t, want, state(t, again.Views()), "rebuilt to the same state")
		})
	}
}

// rewritePayload changes the payload of the snapshot at path, and its
// header's size and checksum to match.
func rewritePayload(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	i := bytes.IndexByte(b, '\n')
	payload := f(b[i+1:])
	require.NoError(t, os.WriteFile(path, append(b[:i+1:i+1], payload...), 0o600))
	rewriteHeader(t, path, func(h *snapshotHeader) {
		h.Size, h.CRC32C = len(payload), crc32.Checksum(payload, castagnoli)
	})
}

func rewriteHeader(t *testing.T, path string, f func(*snapshotHeader)) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	i := 0
	for b[i] != '\n' {
		i++
	}
	var h snapshotHeader
	require.NoError(t, json.Unmarshal(b[:i], &h))
	f(&h)
	nh, err := json.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(nh, b[i:]...), 0o600))
}

// TestRebuildEqualsIncremental folds a generated ledger at once, and event
// by event through runners restarted from their snapshots at random
// checkpoints, and compares the states.
func TestRebuildEqualsIncremental(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		n := rapid.IntRange(1, 400).Draw(rt, "events")
		stored := encode(t, newGen(seed, rapid.IntRange(1, 20).Draw(rt, "grids")).events(n))
		want := state(t, foldAll(t, stored))

		dir := t.TempDir()
		at := 0
		for at < len(stored) {
			at = rapid.IntRange(at+1, len(stored)).Draw(rt, "checkpoint")
			r, err := New(&memStore{evs: stored[:at]}, Config{Dir: dir})
			require.NoError(rt, err)
			require.NoError(rt, runUntil(t, r, stored[at-1].Position))
			require.NoError(rt, r.Close())
		}
		r, err := New(&memStore{evs: stored}, Config{Dir: dir})
		require.NoError(rt, err)
		assert.Equal(rt, want, state(t, r.Views()))
		require.NoError(rt, r.Close())
	})
}

func TestAsOfEveryPositionEqualsIncremental(t *testing.T) {
	s := mustOpenStore(t)
	evs := newGen(9, 3).events(150)
	pos := mustAppend(t, s, evs)
	stored := readAll(t, s)
	r, err := New(s, Config{})
	require.NoError(t, err)
	inc := NewViews()
	for i, se := range stored {
		d, err := domain.Decode(se.Type, se.Data)
		require.NoError(t, err)
		for _, v := range inc.all {
			require.NoError(t, v.Apply(Event{Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Recorded: se.Recorded, Actor: se.Metadata.Actor, Data: d, ref: refOf(se)}))
		}
		got, err := r.AsOf(context.Background(), AsOf{Position: pos[i]})
		require.NoError(t, err)
		require.Equal(t, state(t, inc), state(t, got), "as of position %d", pos[i])
		require.Equal(t, pos[i], got.Position())
	}
	// As of a time: the log as it stood then.
	mid := stored[70].Recorded
	got, err := r.AsOf(context.Background(), AsOf{Time: mid})
	require.NoError(t, err)
	last := 0
	for i, se := range stored {
		if !se.Recorded.After(mid) {
			last = i
		}
	}
	assert.Equal(t, stored[last].Position, got.Position())
	assert.Equal(t, state(t, foldAll(t, stored[:last+1])), state(t, got))
	assert.Equal(t, eventstore.Start, r.Position(), "the live set was not touched")

	// Builds run one at a time: a caller whose context ends while another
	// build holds the turn gets its context's error.
	r.asOf <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = r.AsOf(ctx, AsOf{})
	require.ErrorIs(t, err, context.Canceled)
	<-r.asOf
	_, err = r.AsOf(context.Background(), AsOf{Position: pos[0]})
	require.NoError(t, err)
}

// copyTree copies every file under src to dst, as a backup does.
func copyTree(tb testing.TB, src, dst string) {
	tb.Helper()
	require.NoError(tb, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o750)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o640)
	}))
}

// TestSnapshotsOfAnotherLogAreDiscarded restores an older backup of the log
// under newer snapshots, and carries snapshots to a store holding another
// ledger: the runner discards them with one warning, rebuilds, is ready at
// the log's true head, and sees new writes.
func TestSnapshotsOfAnotherLogAreDiscarded(t *testing.T) {
	ctx := context.Background()
	evs := newGen(11, 3).events(300)
	storeDir, backup, snaps := t.TempDir(), t.TempDir(), t.TempDir()

	s, err := pebble.Open(storeDir)
	require.NoError(t, err)
	mustAppend(t, s, evs[:150])
	require.NoError(t, s.Close())
	copyTree(t, storeDir, backup)
	s, err = pebble.Open(storeDir)
	require.NoError(t, err)
	pos := mustAppend(t, s, evs[150:250])
	r := mustNew(t, s, Config{Dir: snaps})
	require.NoError(t, runUntil(t, r, pos[len(pos)-1]))
	require.NoError(t, s.Close())
	require.NoError(t, r.Close())

	check := func(t *testing.T, storeDir string, more []domain.Event) {
		s, err := pebble.Open(storeDir)
		require.NoError(t, err)
		defer s.Close()
		var logged bytes.Buffer
		r, err := New(s, Config{Dir: snaps, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
		require.NoError(t, err)
		defer r.Close()
		assert.Equal(t, 1, strings.Count(logged.String(), "do not belong to this log"), "one clear line:\n%s", logged.String())
		assert.Equal(t, eventstore.Start, r.Position(), "every view starts over")

		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(rctx) }()
		require.Eventually(t, r.Ready, 5*time.Second, time.Millisecond)
		head, err := r.Head(ctx)
		require.NoError(t, err)
		assert.Equal(t, head, r.Position(), "ready at the log's true head")
		assert.Equal(t, state(t, foldAll(t, readAll(t, s))), state(t, r.Views()))

		written := mustAppend(t, s, more)
		require.NoError(t, r.WaitFor(ctx, written[len(written)-1]), "new writes are folded")
		assert.Equal(t, state(t, foldAll(t, readAll(t, s))), state(t, r.Views()), "new writes are visible")
		cancel()
		require.NoError(t, <-done)
	}
	t.Run("snapshots of the same log are kept", func(t *testing.T) {
		s, err := pebble.Open(storeDir)
		require.NoError(t, err)
		defer s.Close()
		var logged bytes.Buffer
		r, err := New(s, Config{Dir: snaps, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
		require.NoError(t, err)
		defer r.Close()
		assert.Equal(t, pos[len(pos)-1], r.Position())
		assert.NotContains(t, logged.String(), "do not belong")
	})
	t.Run("log restored from an older backup", func(t *testing.T) {
		check(t, backup, evs[150:160])
	})
	t.Run("snapshots carried to another ledger", func(t *testing.T) {
		other := t.TempDir()
		s, err := pebble.Open(other)
		require.NoError(t, err)
		mustAppend(t, s, evs[:260]) // the same events with other ids: another ledger
		require.NoError(t, s.Close())
		check(t, other, evs[260:270])
	})
}

// failingStore's first subscriptions fail after delivering some events,
// with a transient error, the way a store's connection breaks.
type failingStore struct {
	*memStore
	mu    sync.Mutex
	fails []int // how many events each failing subscription delivers first
}

func (s *failingStore) Subscribe(ctx context.Context, o eventstore.SubscribeOptions) iter.Seq2[eventstore.Delivery, error] {
	s.mu.Lock()
	n := -1
	if len(s.fails) > 0 {
		n, s.fails = s.fails[0], s.fails[1:]
	}
	s.mu.Unlock()
	inner := s.memStore.Subscribe(ctx, o)
	if n < 0 {
		return inner
	}
	return func(yield func(eventstore.Delivery, error) bool) {
		sent := 0
		for d, err := range inner {
			if sent == n {
				yield(eventstore.Delivery{}, errors.New("connection reset"))
				return
			}
			if !yield(d, err) {
				return
			}
			sent++
		}
	}
}

// TestRunnerResumesAfterASubscriptionFailure: the subscription is read on
// a goroutine of its own and decoded in batches on several cores; a
// subscription that breaks in the middle of a batch loses nothing of what
// it delivered before, and the runner resumes after the last event pushed,
// folding each event once and in order.
func TestRunnerResumesAfterASubscriptionFailure(t *testing.T) {
	stored := encode(t, newGen(3, 20).events(3000))
	want := state(t, foldAll(t, stored))
	s := &failingStore{memStore: &memStore{evs: stored}, fails: []int{1, 700, 1500, 0}}
	r, err := New(s, Config{})
	require.NoError(t, err)
	require.NoError(t, runUntil(t, r, stored[len(stored)-1].Position))
	assert.Equal(t, want, state(t, r.Views()))
	assert.Empty(t, s.fails)
}

// TestDropPlaintextSnapshots: an erasure made while the service is stopped
// removes the snapshots of a format that held personal data in plaintext
// (and any it cannot read), and keeps those of this format, from which the
// next start restores the views without a replay.
func TestDropPlaintextSnapshots(t *testing.T) {
	_, dir, _, _ := snapshotted(t, 5, 100)
	kept, err := filepath.Glob(filepath.Join(dir, "*.snap"))
	require.NoError(t, err)
	require.NotEmpty(t, kept)
	old := filepath.Join(dir, "board.snap")
	rewriteHeader(t, old, func(h *snapshotHeader) { h.Format = 2 })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "garbage.snap"), []byte("not a header"), 0o600))
	temp := filepath.Join(dir, ".board.snap.tmp-123456") // a crash while one was written
	require.NoError(t, os.WriteFile(temp, []byte(`{"format":2,"view":"board"}`+"\n张三"), 0o600))

	n, err := DropPlaintextSnapshots(dir)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.NoFileExists(t, old)
	assert.NoFileExists(t, temp)
	assert.NoFileExists(t, filepath.Join(dir, "garbage.snap"))
	left, err := filepath.Glob(filepath.Join(dir, "*.snap"))
	require.NoError(t, err)
	assert.Len(t, left, len(kept)-1)

	n, err = DropPlaintextSnapshots(filepath.Join(dir, "missing"))
	require.NoError(t, err)
	assert.Zero(t, n)
}

// storyOf is Timeline.Of that fails the test on the log's error.
func storyOf(tb testing.TB, v *Views, id, after string, limit int) (Story, bool) {
	tb.Helper()
	s, ok, err := v.Timeline.Of(context.Background(), id, after, limit)
	require.NoError(tb, err)
	return s, ok
}

// recordingTap is a Config.Tap that keeps what it takes, after a
// position, failing at fail when set.
type recordingTap struct {
	mu       sync.Mutex
	after    eventstore.Position
	took     []eventstore.Position
	caughtUp bool
	fail     eventstore.Position
}

func (t *recordingTap) After() eventstore.Position {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.after
}

func (t *recordingTap) Take(d eventstore.Delivery) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ev := d.Event; ev != nil && ev.Position > t.after {
		if ev.Position == t.fail {
			return errors.New("the tap fails here")
		}
		t.took = append(t.took, ev.Position)
		t.after = ev.Position
	}
	t.caughtUp = t.caughtUp || d.CaughtUp
	return nil
}

// TestTapTakesTheWholeLogFromTheRunnersReading: a runner with a tap reads
// the log once for both, from the earlier of their positions: the tap
// takes every event after its own position, those the views do not fold
// included, in order, and the caught-up checkpoint; the views fold what
// they folded without it, nothing twice.
func TestTapTakesTheWholeLogFromTheRunnersReading(t *testing.T) {
	s, dir, _, first := snapshotted(t, 9, 200)
	want := state(t, first.Views())
	require.NoError(t, first.Close())
	res, err := s.Append(context.Background(), "token-1", eventstore.NoStream(), eventstore.EventData{ID: uuidV7(t), Type: "token.issued.v1", Data: json.RawMessage(`{}`)})
	require.NoError(t, err)
	all := readAll(t, s)
	positions := func(evs []eventstore.Event) []eventstore.Position {
		var out []eventstore.Position
		for _, e := range evs {
			out = append(out, e.Position)
		}
		return out
	}

	for name, c := range map[string]struct {
		dir   string // the views' snapshots: the runner starts at last
		after int    // the tap holds the first after events
	}{
		"the tap behind the views":   {dir: dir, after: 50},
		"the tap ahead of the views": {after: 120},
		"the tap from the start":     {},
	} {
		t.Run(name, func(t *testing.T) {
			tap := &recordingTap{}
			if c.after > 0 {
				tap.after = all[c.after-1].Position
			}
			var decoded atomic.Int64
			decode := NewDecoder().Decode
			r := mustNew(t, s, Config{Dir: c.dir, Tap: tap, Decode: func(typ string, data []byte) (domain.Event, error) {
				decoded.Add(1)
				return decode(typ, data)
			}})
			require.NoError(t, runUntil(t, r, res.Position))
			tap.mu.Lock()
			defer tap.mu.Unlock()
			assert.Equal(t, positions(all[c.after:]), tap.took, "every event after the tap's own, once, in order")
			assert.True(t, tap.caughtUp)
			assert.Equal(t, want, state(t, r.Views()))
			if c.dir != "" {
				assert.Zero(t, r.Status().Events, "the views fold nothing their snapshots hold")
				assert.Zero(t, decoded.Load(), "nor decode it")
			} else {
				assert.Equal(t, uint64(len(all)-1), r.Status().Events, "every domain event, once")
				assert.Equal(t, int64(len(all)-1), decoded.Load(), "the token's event not decoded")
			}
		})
	}
}

// TestTapFailureStopsTheRunner: the tap's error stops Run with it, not
// retried.
func TestTapFailureStopsTheRunner(t *testing.T) {
	s := mustOpenStore(t)
	pos := mustAppend(t, s, newGen(4, 2).events(40))
	tap := &recordingTap{fail: pos[20]}
	r := mustNew(t, s, Config{Tap: tap})
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	select {
	case err := <-done:
		var tapErr *TapError
		require.ErrorAs(t, err, &tapErr)
		assert.ErrorContains(t, err, "the tap fails here")
	case <-time.After(10 * time.Second):
		t.Fatal("the runner did not stop")
	}
	assert.Less(t, r.Position(), pos[20], "not folded past the tap's failure")
}

// probe is a view that keeps nothing, and notes which snapshots are
// staged in dir (their temporary files beside their views') when it is
// encoded, and how many times it was; it fails its encoding when fail is
// set, and gives sizes as its maps' sizes.
type probe struct {
	dir     string
	fail    bool
	staged  []string
	sizes   map[string]int
	encodes int
}

func (p *probe) mapSizes() map[string]int { return p.sizes }

func (p *probe) Name() string                      { return "probe" }
func (p *probe) Version() int                      { return 1 }
func (p *probe) Apply(Event) error                 { return nil }
func (p *probe) UnmarshalSnapshot(io.Reader) error { return nil }
func (p *probe) MarshalSnapshot() ([]byte, error) {
	p.encodes++
	files, err := filepath.Glob(filepath.Join(p.dir, ".*.snap.tmp-*"))
	if err != nil {
		return nil, err
	}
	p.staged = p.staged[:0]
	for _, f := range files {
		name, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(f), "."), ".snap.tmp-")
		p.staged = append(p.staged, name)
	}
	if p.fail {
		return nil, errors.New("boom")
	}
	return []byte("{}"), nil
}

// TestSnapshotsAreStagedOneViewAtATime: each view's snapshot is written to
// its temporary file as it is encoded, before the next view on its core
// is encoded, so that the runner never holds every view's encoding; a
// file holds its header in headerRoom bytes, then the view's
// MarshalSnapshot. The files are put in place together. When a view fails
// to encode, or its header is longer than its room, none is: the
// snapshots already staged are removed, and the files in place stay as
// they were. A start removes snapshots staged and never put in place.
func TestSnapshotsAreStagedOneViewAtATime(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // two views encoded at once, whatever the machine
	s, dir := mustOpenStore(t), t.TempDir()
	pos := mustAppend(t, s, newGen(9, 3).events(100))
	p := &probe{dir: dir}
	withProbe := func() *Views {
		v := NewViews()
		v.all = append(v.all, p)
		return v
	}
	r := mustNew(t, s, Config{Dir: dir, NewViews: withProbe})
	require.NoError(t, runUntil(t, r, pos[99]))
	encoded := map[string][]byte{}
	for _, v := range r.Views().all {
		if v != View(p) { // the probe notes what is staged as it is encoded
			b, err := v.MarshalSnapshot()
			require.NoError(t, err)
			encoded[v.Name()] = b
		}
	}
	encoded["probe"] = []byte("{}")
	require.NoError(t, r.Close())
	var others []string
	for _, v := range NewViews().all {
		others = append(others, v.Name())
	}
	// The views are encoded on every core, the probe last (no snapshot
	// files yet: in the views' order): every other view was staged when it
	// was encoded, but those still in flight on the other cores.
	assert.Subset(t, others, p.staged)
	assert.GreaterOrEqual(t, len(p.staged), len(others)-1, "the views before the probe were staged when it was encoded: %v", p.staged)
	written := map[string][]byte{}
	for _, name := range append(others, "probe") {
		b, err := os.ReadFile(snapshotPath(dir, name))
		require.NoError(t, err, name)
		written[name] = b
		require.Greater(t, len(b), headerRoom)
		assert.Equal(t, byte('\n'), b[headerRoom-1], "%s: the header's room", name)
		assert.Equal(t, encoded[name], b[headerRoom:], "%s: the payload is the view's snapshot", name)
	}
	temps, err := filepath.Glob(filepath.Join(dir, ".*.snap.tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, temps, "every staged file was put in place")

	more := mustAppend(t, s, newGen(10, 3).events(50))
	p.fail = true
	r = mustNew(t, s, Config{Dir: dir, NewViews: withProbe})
	require.NoError(t, runUntil(t, r, more[49]))
	require.Error(t, r.snapshot(true, nil), "the probe fails its encoding")
	temps, err = filepath.Glob(filepath.Join(dir, ".*.snap.tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, temps, "the snapshots staged before the failure are removed")
	for name, b := range written {
		now, err := os.ReadFile(snapshotPath(dir, name))
		require.NoError(t, err)
		assert.Equal(t, b, now, "%s: the snapshot in place is the one before", name)
	}

	p.fail = false
	p.sizes = map[string]int{}
	for i := range 100 {
		p.sizes[fmt.Sprintf("map-%d", i)] = i
	}
	require.ErrorContains(t, r.snapshot(true, nil), "snapshot header of probe: 1")
	temps, err = filepath.Glob(filepath.Join(dir, ".*.snap.tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, temps, "nothing staged is left when a header is longer than its room")
	require.NoError(t, r.Close())
	p.sizes = nil
	stale := filepath.Join(dir, ".board.snap.tmp-123")
	require.NoError(t, os.WriteFile(stale, []byte("cut short"), 0o600))
	p.fail = false
	mustNew(t, s, Config{Dir: dir, NewViews: withProbe})
	assert.NoFileExists(t, stale, "a start removes a snapshot never put in place")
}

// TestAFailedSnapshotWaitsBeforeTheNext: after a snapshot that failed (a
// view that did not encode, a full disk), none is due for
// Config.SnapshotInterval, where one was due again after every batch the
// fold took (each encoding every view on the fold's path); the final
// snapshot at the stop is still made.
func TestAFailedSnapshotWaitsBeforeTheNext(t *testing.T) {
	s, dir := mustOpenStore(t), t.TempDir()
	pos := mustAppend(t, s, newGen(13, 2).events(30))
	p := &probe{dir: dir, fail: true}
	r := mustNew(t, s, Config{Dir: dir, SnapshotEvery: 1, SnapshotInterval: time.Hour, NewViews: func() *Views {
		v := NewViews()
		v.all = append(v.all, p)
		return v
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.NoError(t, r.WaitFor(context.Background(), pos[29]))
	require.Eventually(t, r.Ready, 10*time.Second, time.Millisecond)
	for batch := range 3 {
		more := mustAppend(t, s, newGen(uint64(30+batch), 2).events(5))
		require.NoError(t, r.WaitFor(context.Background(), more[4]))
	}
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, 2, p.encodes, "encoded on catching up (it failed), then only at the stop: not after each batch")
	temps, err := filepath.Glob(filepath.Join(dir, ".*.snap.tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, temps)
}

// callProbe is a view that keeps nothing, and calls encoded when its
// snapshot is encoded.
type callProbe struct {
	name    string
	encoded func()
}

func (c *callProbe) Name() string                      { return c.name }
func (c *callProbe) Version() int                      { return 1 }
func (c *callProbe) Apply(Event) error                 { return nil }
func (c *callProbe) UnmarshalSnapshot(io.Reader) error { return nil }
func (c *callProbe) MarshalSnapshot() ([]byte, error) {
	c.encoded()
	return []byte("{}"), nil
}

// TestSnapshotsEncodeViewsOnEveryCore: the views of a snapshot are encoded
// at once on the cores (two here), so that the fold waits for the longest
// share, not for the sum: two views that each wait, when encoded, for the
// other to be encoded meet.
func TestSnapshotsEncodeViewsOnEveryCore(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	s, dir := mustOpenStore(t), t.TempDir()
	pos := mustAppend(t, s, newGen(14, 2).events(40))
	meet := func(name string, here, there chan struct{}, met *atomic.Bool) *callProbe {
		var once sync.Once
		return &callProbe{name: name, encoded: func() {
			once.Do(func() {
				close(here)
				select {
				case <-there:
					met.Store(true)
				case <-time.After(5 * time.Second):
				}
			})
		}}
	}
	a, b := make(chan struct{}), make(chan struct{})
	var aMet, bMet atomic.Bool
	r := mustNew(t, s, Config{Dir: dir, NewViews: func() *Views {
		v := NewViews()
		v.all = append(v.all, meet("a", a, b, &aMet), meet("b", b, a, &bMet))
		return v
	}})
	require.NoError(t, runUntil(t, r, pos[39]))
	require.FileExists(t, snapshotPath(dir, "b"))
	assert.True(t, aMet.Load() && bMet.Load(), "each was encoded while the other was")
}

// A runner prepared before its log is open (Prepare) loads the views
// from their snapshots meanwhile and serves as New's does; one abandoned
// before it had its log releases the table store, for the next start.
func TestPreparedRunnerLoadsBeforeTheLogIsOpen(t *testing.T) {
	s, dir := mustOpenStore(t), t.TempDir()
	evs := newGen(31, 3).events(300)
	pos := mustAppend(t, s, evs)
	r := mustNew(t, s, Config{Dir: dir})
	require.NoError(t, runUntil(t, r, pos[len(pos)-1]))
	want := state(t, r.Views())
	require.NoError(t, r.Close())

	abandoned := Prepare(Config{Dir: dir})
	require.NoError(t, abandoned.Abandon())
	p := Prepare(Config{Dir: dir}) // the table store released: opened again
	prepared, err := p.Runner(s)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, prepared.Close()) })
	assert.Equal(t, pos[len(pos)-1], prepared.Position(), "every view from its snapshot")
	assert.Equal(t, want, state(t, prepared.Views()))
	// The views read the log they were given: a proposal's story.
	id := ""
	for _, e := range evs {
		if d, ok := e.(domain.ProposalSubmitted); ok {
			id = d.ProposalID
			break
		}
	}
	require.NotEmpty(t, id)
	story, ok, err := prepared.Views().Timeline.Of(context.Background(), id, "", 100)
	require.NoError(t, err)
	require.True(t, ok)
	assert.NotEmpty(t, story.Entries)
}

// WaitCaughtUp returns once the views first catch up with the log, and
// with the context's error when it ends before.
func TestWaitCaughtUp(t *testing.T) {
	s := mustOpenStore(t)
	mustAppend(t, s, newGen(37, 2).events(50))
	r := mustNew(t, s, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, r.WaitCaughtUp(ctx), context.DeadlineExceeded, "not running: never caught up")
	run, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(run) }()
	require.NoError(t, r.WaitCaughtUp(context.Background()))
	assert.True(t, r.Ready())
	stop()
	require.NoError(t, ignoreCanceled(<-done))
	assert.NoError(t, r.WaitCaughtUp(ctx), "caught up once, it stays so for this wait")
}

// TestSnapshotsSize: the views' snapshot files are counted, the files a
// snapshot is staged in and other files are not, and a missing directory
// holds none.
func TestSnapshotsSize(t *testing.T) {
	dir := t.TempDir()
	for name, size := range map[string]int{"board.snap": 300, "stats.snap": 45, ".board.snap.tmp-1": 1000, "notes.txt": 7} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o600))
	}
	assert.Equal(t, int64(345), SnapshotsSize(dir))
	assert.Zero(t, SnapshotsSize(filepath.Join(dir, "none")))
}
