package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// TestTablesKeepFewEntriesInMemory folds a ledger live with a table cap far
// below its proposals and meetings, snapshots every 50 events: the fold
// reads back the entries it dropped, and the views (tables included), the
// restarted ones too, equal a fold of the whole log in memory.
func TestTablesKeepFewEntriesInMemory(t *testing.T) {
	was := tableCap
	tableCap = 16
	t.Cleanup(func() { tableCap = was })

	s, dir := mustOpenStore(t), t.TempDir()
	evs := newGen(21, 6).events(3000)
	pos := mustAppend(t, s, evs[:1000])
	r := mustNew(t, s, Config{Dir: dir, SnapshotEvery: 50})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.NoError(t, r.WaitFor(ctx, pos[len(pos)-1]))
	for at := 1000; at < len(evs); at += 100 {
		pos = mustAppend(t, s, evs[at:at+100])
		require.NoError(t, r.WaitFor(ctx, pos[len(pos)-1]))
	}
	cancel()
	require.NoError(t, <-done)

	want := state(t, foldAll(t, readAll(t, s)))
	assert.Equal(t, want, state(t, r.Views()))
	stats := r.Views().Stats
	all, err := stats.proposals.dump()
	require.NoError(t, err)
	assert.Greater(t, len(all), 10*tableCap, "a ledger with many more proposals than the cap")
	assert.Less(t, len(stats.proposals.hot)+len(stats.proposals.old), len(all)/2, "most proposals are in the store only")

	require.NoError(t, r.Close())
	again := mustNew(t, s, Config{Dir: dir})
	assert.Equal(t, pos[len(pos)-1], again.Position(), "restored from the snapshots")
	assert.Empty(t, again.Views().Stats.proposals.hot, "nothing read before the fold needs it")
	// A list's page reads its own items from the table, and no others.
	board := again.Views().Board
	require.Empty(t, board.items.hot)
	page, err := board.Open(BoardQuery{Status: StatusSubmitted, Limit: 5})
	require.NoError(t, err)
	require.Len(t, page.Items, 5)
	assert.Len(t, board.items.hot, 5)
	// Every page of every list, read back from the store, is as in memory.
	mem := foldAll(t, readAll(t, s))
	assert.Equal(t, listAll(t, mem), listAll(t, again.Views()))
	assert.Equal(t, want, state(t, again.Views()))
}

// listAll reads every page, seven items a page, of the board (every
// status), the register and the outcomes list, as JSON (without the board
// items' Changed, which a restart resets).
func listAll(t *testing.T, v *Views) string {
	t.Helper()
	now := at(400)
	var all []any
	for _, status := range []string{"", StatusSubmitted, StatusAccepted, StatusOnAgenda, StatusDecided, StatusClosed, StatusRejected} {
		for q := (BoardQuery{Status: status, Now: now, Limit: 7}); ; {
			p, err := v.Board.Open(q)
			require.NoError(t, err)
			all = append(all, p)
			if q.After = p.Next; q.After == "" {
				break
			}
		}
	}
	for q := (RegisterQuery{Limit: 7}); ; {
		p, err := v.Register.Decisions(q)
		require.NoError(t, err)
		all = append(all, p)
		if q.After = p.Next; q.After == "" {
			break
		}
	}
	for q := (OutcomesQuery{Now: now, Limit: 7}); ; {
		p, err := v.Outcomes.List(q)
		require.NoError(t, err)
		all = append(all, p)
		if q.After = p.Next; q.After == "" {
			break
		}
	}
	require.Greater(t, len(all), 50, "many pages")
	b, err := json.Marshal(all)
	require.NoError(t, err)
	return string(b)
}

// TestTablesSpillDuringALongFold: a long fold (a start far behind the log,
// which writes no snapshot until it catches up) keeps few changed entries
// in memory: it writes them to the table store as it goes, and removes the
// position the tables had from the last snapshot (a crash then means a
// rebuild); the views equal a fold in memory.
func TestTablesSpillDuringALongFold(t *testing.T) {
	wasCap, wasSpill := tableCap, spillAt
	tableCap, spillAt = 8, 16
	t.Cleanup(func() { tableCap, spillAt = wasCap, wasSpill })

	s, dir := mustOpenStore(t), t.TempDir()
	evs := newGen(22, 6).events(3000)
	pos := mustAppend(t, s, evs[:300])
	first := mustNew(t, s, Config{Dir: dir})
	require.NoError(t, runUntil(t, first, pos[len(pos)-1]))
	require.NoError(t, first.Close())
	pos = mustAppend(t, s, evs[300:])

	var r *Runner
	var changed int
	var stored map[string]json.RawMessage
	var meta []byte
	r = mustNew(t, s, Config{Dir: dir, CaughtUp: func(_ uint64, written bool) {
		if written {
			return // the second call, once the snapshots are written
		}
		// Caught up, before the snapshots: what the fold kept and wrote.
		var err error
		changed, _ = r.Views().Stats.proposals.changed()
		stored, err = r.Views().Stats.proposals.stored()
		require.NoError(t, err)
		meta, err = r.tables.get(metaKey("stats"))
		require.NoError(t, err)
	}})
	m, err := r.tables.get(metaKey("stats"))
	require.NoError(t, err)
	require.NotNil(t, m, "the tables of the first runner's snapshots")
	require.NoError(t, runUntil(t, r, pos[len(pos)-1]))
	require.NotNil(t, stored)
	assert.Greater(t, len(stored), 8*spillAt, "the proposals written as the fold went")
	assert.Less(t, changed, len(stored)/2, "few kept in memory")
	assert.Nil(t, meta, "no position while the tables are ahead of the snapshots")
	assert.Equal(t, state(t, foldAll(t, readAll(t, s))), state(t, r.Views()))
}

// TestSnapshotOfAnotherTablePositionRebuildsItsView: a view whose tables
// are not of its snapshot's position (a crash after the tables were
// written and before the file was; the state directory lost) is rebuilt
// from the start of the log, its tables emptied first, and the other views
// keep their snapshots.
func TestSnapshotOfAnotherTablePositionRebuildsItsView(t *testing.T) {
	cases := map[string]func(t *testing.T, dir string, last eventstore.Position){
		"tables written after the snapshot": func(t *testing.T, dir string, last eventstore.Position) {
			st, err := openTableStore(filepath.Join(dir, "state"), false, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			defer st.close()
			stats := newStats(nil)
			require.NoError(t, st.commit(stats, []tableOp{{key: tablePrefix("stats", "proposals"), value: []byte(`{}`)}}, identity{pos: last + 10}))
		},
		"state directory lost": func(t *testing.T, dir string, _ eventstore.Position) {
			require.NoError(t, os.RemoveAll(filepath.Join(dir, "state")))
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			s, dir, last, r := snapshotted(t, 8, 300)
			want := state(t, r.Views())
			require.NoError(t, r.Close())
			spoil(t, dir, last)

			again := mustNew(t, s, Config{Dir: dir})
			assert.Equal(t, eventstore.Start, again.Position(), "the statistics start over")
			got := state(t, again.Views())
			assert.NotEqual(t, want["stats"], got["stats"])
			// The wishes have no tables, and the generated log gives them
			// some: loaded, not rebuilt.
			require.NotEqual(t, state(t, NewViews())["wishes"], want["wishes"])
			assert.Equal(t, want["wishes"], got["wishes"], "other views keep their snapshots")
			require.NoError(t, runUntil(t, again, last))
			assert.Equal(t, want, state(t, again.Views()), "rebuilt to the same state")
		})
	}
}

// BenchmarkTableReadFromStore reads entries a table dropped from memory
// back from its store: the cost the fold (or an inbox's read) pays for an
// entry not among the 8,192 kept.
//
//	go test ./projections -run '^$' -bench '^BenchmarkTableReadFromStore$' -benchmem
func BenchmarkTableReadFromStore(b *testing.B) {
	st, err := openTableStore(b.TempDir(), false, slog.New(slog.DiscardHandler))
	require.NoError(b, err)
	defer st.close()
	stats := newStats(nil)
	bindTables(stats, st)
	const n = 100_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("proposal-%06d", i)
		stats.proposals.put(ids[i], &statProposal{Community: "community-7", Grid: "grid-0042", Submitted: time.Now(), Meeting: "meeting-1234"})
	}
	var ops []tableOp
	require.NoError(b, flushTables(stats, &ops))
	require.NoError(b, st.commit(stats, ops, identity{pos: 1}))
	stats.proposals.committed()
	b.ResetTimer()
	for i := range b.N {
		p, err := stats.proposals.get(ids[(i*7919)%n])
		if err != nil || p == nil {
			b.Fatal(p, err)
		}
	}
}

// TestEditOrNew: a table hands the fold its entry to change, or a new zero
// one kept under the id; either is written with the next flush.
func TestEditOrNew(t *testing.T) {
	st, err := openTableStore(t.TempDir(), false, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer st.close()
	tb := newEntries[[]eventstore.Position]("steps")
	tb.bind(st, tablePrefix("live", "steps"))

	first, err := tb.editOrNew("m1")
	require.NoError(t, err)
	require.NotNil(t, first)
	assert.Empty(t, *first, "a new entry is the zero value")
	*first = append(*first, 7)
	again, err := tb.editOrNew("m1")
	require.NoError(t, err)
	assert.Same(t, first, again, "the entry kept, not a new one")
	*again = append(*again, 9)

	var ops []tableOp
	require.NoError(t, tb.flush(&ops))
	require.Len(t, ops, 1)
	assert.JSONEq(t, `[7,9]`, string(ops[0].value))
}

// TestTablesKeepTheEntriesUsedLast: a table keeps in memory the entries
// the fold used last, in two generations (at most tableCap clean entries
// in the newer): an entry used again survives the next generation, one
// left alone for two generations is read back from the store, a write
// keeps at most spillAt of the entries it wrote, and a changed entry is
// never dropped before it is written.
func TestTablesKeepTheEntriesUsedLast(t *testing.T) {
	wasCap, wasSpill := tableCap, spillAt
	tableCap, spillAt = 8, 12
	t.Cleanup(func() { tableCap, spillAt = wasCap, wasSpill })
	st, err := openTableStore(t.TempDir(), false, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer st.close()
	tb := newEntries[string]("titles")
	tb.bind(st, tablePrefix("board", "titles"))
	write := func() {
		t.Helper()
		var ops []tableOp
		require.NoError(t, tb.flush(&ops))
		require.NoError(t, st.spill(newLive(&sync.RWMutex{}), ops))
		tb.committed()
	}
	// held checks the invariants and says whether id is in memory.
	held := func(id string) bool {
		t.Helper()
		for d := range tb.dirty {
			require.Contains(t, tb.hot, d, "a changed entry in the newer generation")
		}
		require.LessOrEqual(t, len(tb.hot)-len(tb.dirty), tableCap)
		require.LessOrEqual(t, len(tb.old), max(tableCap, spillAt))
		_, hot := tb.hot[id]
		_, old := tb.old[id]
		require.False(t, hot && old, "%s in one generation only", id)
		return hot || old
	}
	get := func(ids ...int) {
		t.Helper()
		for _, i := range ids {
			id := fmt.Sprintf("p%d", i)
			v, err := tb.get(id)
			require.NoError(t, err)
			require.NotNil(t, v, id)
			require.Equal(t, id, *v)
			held(id)
		}
	}
	for i := range 24 {
		id := fmt.Sprintf("p%d", i)
		tb.put(id, &id)
	}
	write()
	assert.Empty(t, tb.hot, "a write of more than tableCap entries")
	assert.Len(t, tb.old, spillAt, "keeps spillAt of them")

	get(0, 1, 2, 3, 4, 5, 6, 7)
	assert.Len(t, tb.hot, tableCap)
	get(8, 9, 10, 11, 12, 13, 14, 15) // a new generation
	get(0)                            // used again: another
	assert.True(t, held("p0"), "used in each generation")
	assert.True(t, held("p8"), "in the generation before")
	assert.False(t, held("p1"), "left alone for two generations")
	get(1) // read back from the store

	// An entry read from the store when hot is full, to be changed: the
	// new generation starts before it, not after.
	get(16, 17, 18, 19, 20, 21)
	require.Len(t, tb.hot, tableCap)
	changed, err := tb.edit("p23")
	require.NoError(t, err)
	require.NotNil(t, changed)
	assert.Contains(t, tb.hot, "p23")
	*changed = "changed"
	get(2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22)
	assert.Contains(t, tb.hot, "p23", "changed, not yet written")
	write()
	all, err := tb.stored()
	require.NoError(t, err)
	assert.JSONEq(t, `"changed"`, string(all["p23"]), "the change written")
	assert.Len(t, all, 24)
}
