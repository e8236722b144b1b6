package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The costs measured at several sizes are compared from one size to the
// next against the events: a first start that grew faster than its ledger
// is marked, one that did not is "linear or better"; a figure with no
// goal, a rate, or one missing at a size has no row for that pair.
func TestGrowthAgainstTheLedgersSize(t *testing.T) {
	b := &bench{stderr: &bytes.Buffer{}, began: time.Now(), rep: &Report{Started: time.Now(), Finished: time.Now()}}
	for _, s := range []struct {
		size           string
		events, start  float64
		rss, lag, rate float64
	}{
		{"100k", 100_000, 1.5, 100, 1, 2000},
		{"1m", 1_000_000, 18, 300, 2, 2000},
		{"10m", 10_000_000, 150, 900, 3, 1200},
	} {
		b.figure("start", s.size, "ledger_events", "events generated", "events", s.events, nil)
		b.figure("start", s.size, "start_no_snapshots_s", "start to ready, no snapshots", "s", s.start, goal("<", 1, "issue 15"))
		b.figure("memory", s.size, "rss_ready_mib", "VmRSS at ready", "MiB", s.rss, goal("<", 512, "issue 15"))
		b.figure("load", s.size, "board_lag_p99_ms", "board reads: start lag, p99", "ms", s.lag, nil)
		b.figure("load", s.size, "board_rate", "board reads answered per second", "req/s", s.rate, goal(">=", 1900, "issue 15"))
	}
	b.missing("load", "1m", os.ErrDeadlineExceeded, [2]string{"votes_p99_ms", "votes at 500/s, p99"})
	b.figure("load", "10m", "votes_p99_ms", "votes at 500/s, p99", "ms", 20, goal("<", 25, "issue 15"))

	g := b.rep.growth()
	require.Equal(t, []Growth{
		{Key: "start_no_snapshots_s", From: "100k", To: "1m", Events: 10, Factor: 12, Linear: false},
		{Key: "start_no_snapshots_s", From: "1m", To: "10m", Events: 10, Factor: 150.0 / 18, Linear: true},
		{Key: "rss_ready_mib", From: "100k", To: "1m", Events: 10, Factor: 3, Linear: true},
		{Key: "rss_ready_mib", From: "1m", To: "10m", Events: 10, Factor: 3, Linear: true},
	}, g)

	var md bytes.Buffer
	require.NoError(t, b.rep.writeMarkdown(&md))
	require.Contains(t, md.String(), "| figure | 100k | 1m | 10m | 100k → 1m | 1m → 10m |\n")
	require.Contains(t, md.String(), "| events | 100,000 | 1,000,000 | 10,000,000 | ×10.0 | ×10.0 |\n")
	require.Contains(t, md.String(), "| start to ready, no snapshots | 1.50 s | 18.00 s | 150.00 s | ×12, **faster than the events** | ×8.3, linear or better |\n")
	require.Contains(t, md.String(), "| VmRSS at ready | 100 MiB | 300 MiB | 900 MiB | ×3, linear or better | ×3, linear or better |\n")
	_, table, ok := strings.Cut(md.String(), "## Cost against the ledger's size")
	require.True(t, ok)
	require.NotContains(t, table, "votes at 500/s")
	require.NotContains(t, table, "board reads")

	// bench.json holds the same rows, and --render writes the same
	// Markdown from it.
	js := filepath.Join(t.TempDir(), "bench.json")
	require.NoError(t, b.rep.writeJSON(js))
	var out, errs bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"--render", js}, &out, &errs))
	require.Equal(t, md.String(), out.String())
	require.Empty(t, errs.String())
	require.Error(t, run(t.Context(), []string{"--render", filepath.Join(t.TempDir(), "none.json")}, &out, &errs))
}

// A run of one size has nothing to compare: no table.
func TestNoGrowthForOneSize(t *testing.T) {
	b := &bench{stderr: &bytes.Buffer{}, began: time.Now(), rep: &Report{}}
	b.figure("start", "1m", "ledger_events", "events generated", "events", 1_000_000, nil)
	b.figure("start", "1m", "start_no_snapshots_s", "start to ready, no snapshots", "s", 18, goal("<", 1, "issue 15"))
	require.Empty(t, b.rep.growth())
	var md bytes.Buffer
	require.NoError(t, b.rep.writeMarkdown(&md))
	require.NotContains(t, md.String(), "Cost against the ledger's size")
}

// Sizes run largest first are compared smallest first; a cost that grew
// exactly as much as the events is linear; a figure that failed at one
// size shows a dash there and no factor beside it, and a failure after a
// measure at the same size does not hide the measure.
func TestGrowthTakesTheSizesByTheirEvents(t *testing.T) {
	b := &bench{stderr: &bytes.Buffer{}, began: time.Now(), rep: &Report{}}
	b.figure("start", "10m", "ledger_events", "events generated", "events", 10_000_000, nil)
	b.figure("start", "10m", "start_snapshots_s", "start to ready, from snapshots", "s", 4, goal("<", 1, "issue 15"))
	b.missing("memory", "10m", os.ErrDeadlineExceeded, [2]string{"rss_ready_mib", "VmRSS at ready"})
	b.figure("start", "1m", "ledger_events", "events generated", "events", 1_000_000, nil)
	b.figure("start", "1m", "start_snapshots_s", "start to ready, from snapshots", "s", 2, goal("<", 1, "issue 15"))
	b.figure("memory", "1m", "rss_ready_mib", "VmRSS at ready", "MiB", 300, goal("<", 512, "issue 15"))
	b.missing("memory", "1m", os.ErrDeadlineExceeded, [2]string{"rss_ready_mib", "VmRSS at ready"})
	b.figure("start", "100k", "ledger_events", "events generated", "events", 100_000, nil)
	b.figure("start", "100k", "start_snapshots_s", "start to ready, from snapshots", "s", 0.2, goal("<", 1, "issue 15"))
	b.figure("memory", "100k", "rss_ready_mib", "VmRSS at ready", "MiB", 100, goal("<", 512, "issue 15"))

	g := b.rep.growth()
	require.Len(t, g, 3)
	require.Equal(t, "start_snapshots_s", g[0].Key)
	require.Equal(t, [2]string{"100k", "1m"}, [2]string{g[0].From, g[0].To})
	require.InDelta(t, 10, g[0].Events, 1e-9)
	require.InDelta(t, 10, g[0].Factor, 1e-9)
	require.True(t, g[0].Linear, "grew exactly as the events did")
	require.Equal(t, [2]string{"1m", "10m"}, [2]string{g[1].From, g[1].To})
	require.InDelta(t, 2, g[1].Factor, 1e-9)
	require.Equal(t, "rss_ready_mib", g[2].Key, "measured at 1m before it failed there")
	require.Equal(t, [2]string{"100k", "1m"}, [2]string{g[2].From, g[2].To})

	var md bytes.Buffer
	require.NoError(t, b.rep.writeMarkdown(&md))
	require.Contains(t, md.String(), "| figure | 100k | 1m | 10m | 100k → 1m | 1m → 10m |\n")
	require.Contains(t, md.String(), "| start to ready, from snapshots | 0.20 s | 2.00 s | 4.00 s | ×10, linear or better | ×2, linear or better |\n")
	require.Contains(t, md.String(), "| VmRSS at ready | 100 MiB | 300 MiB | — | ×3, linear or better | — |\n")
}
