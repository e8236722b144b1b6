package projections

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

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
	assert.Less(t, len(stats.proposals.hot), len(all)/2, "most proposals are in the store only")

	require.NoError(t, r.Close())
	again := mustNew(t, s, Config{Dir: dir})
	assert.Equal(t, pos[len(pos)-1], again.Position(), "restored from the snapshots")
	assert.Empty(t, again.Views().Stats.proposals.hot, "nothing read before the fold needs it")
	assert.Equal(t, want, state(t, again.Views()))
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
			assert.Equal(t, want["board"], got["board"], "other views keep their snapshots")
			require.NoError(t, runUntil(t, again, last))
			assert.Equal(t, want, state(t, again.Views()), "rebuilt to the same state")
		})
	}
}
