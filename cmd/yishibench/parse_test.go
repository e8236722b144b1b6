package main

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseSizes(t *testing.T) {
	s, err := parseSizes("100k, 1m,10M,2500")
	require.NoError(t, err)
	require.Equal(t, []size{{"100k", 100_000}, {"1m", 1_000_000}, {"10m", 10_000_000}, {"2500", 2500}}, s)
	for _, bad := range []string{"", "k", "1g", "-1k", "0m", "999", "1k,1000", "200m"} {
		_, err := parseSizes(bad)
		require.Error(t, err, bad)
	}
}

func TestParseOnly(t *testing.T) {
	all, err := parseOnly("")
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"store": true, "fold": true, "start": true, "load": true}, all)
	two, err := parseOnly("load, store")
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"store": true, "load": true}, two)
	_, err = parseOnly("start,rss")
	require.ErrorContains(t, err, `"rss"`)
}

func TestFlagsRefuseNonsense(t *testing.T) {
	for _, args := range [][]string{{"--duration", "0s"}, {"--store-runs", "0"}, {"--sizes", "1x"}, {"--only", "all"}, {"extra"}} {
		_, err := parseFlags(args, &bytes.Buffer{})
		require.Error(t, err, args)
	}
	o, err := parseFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, []size{{"100k", 100_000}, {"1m", 1_000_000}}, o.sizes)
	require.Len(t, o.only, 4)
}

const replayOutput = `goos: linux
goarch: amd64
pkg: github.com/yishi-civic/yishi/projections
cpu: AMD EPYC
BenchmarkReplay
    bench_test.go:40: generated 1000000 events
BenchmarkReplay-2   	       1	1851234567 ns/op	    540095 events/s	   812.3 input-heap-MiB	   416.5 views-heap-MiB	  1203 maxrss-MiB	936000000 B/op	 9400000 allocs/op
BenchmarkDecode/goccy-2   	       1	1051234567 ns/op	    944538 events/s
PASS
ok  	github.com/yishi-civic/yishi/projections	12.3s
`

func TestParseReplayBench(t *testing.T) {
	f, err := parseReplayBench(strings.NewReader(replayOutput), "Replay")
	require.NoError(t, err)
	require.Equal(t, 540095.0, f.eventsPerSec)
	require.True(t, f.hasAllocsPerOp)
	require.Equal(t, 9_400_000.0, f.allocsPerOp)
	require.True(t, f.hasViewsHeap)
	require.Equal(t, 416.5, f.viewsHeapMiB)

	_, err = parseReplayBench(strings.NewReader("PASS\nok  \tx\t1s\n"), "Replay")
	require.ErrorContains(t, err, "no result line for BenchmarkReplay")
	_, err = parseReplayBench(strings.NewReader("BenchmarkReplay-2 1 100 ns/op\n"), "Replay")
	require.ErrorContains(t, err, "no events/s")
}

func peer(name string, run int, w1, wn, batched, warm, cold, p99 float64) string {
	return `{"peer":"` + name + `","run":` + itoa(run) + `,"single_1_writer":{"appends_per_s":` + ftoa(w1) + `,"p99_us":` + ftoa(p99) +
		`},"single_n_writers":{"appends_per_s":` + ftoa(wn) + `,"p99_us":100},"writers":16,"batched":{"events_per_s":` + ftoa(batched) +
		`,"p99_us":200},"replay_cold":{"events_per_s":` + ftoa(cold) + `},"replay_warm":{"events_per_s":` + ftoa(warm) + `}}`
}

func itoa(i int) string     { return strconv.Itoa(i) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func TestParsePeersTakesMediansOfPerRunRatios(t *testing.T) {
	js := "[" + strings.Join([]string{
		peer("raw", 1, 1000, 500, 100_000, 300_000, 300_000, 500),
		peer("raw-group16", 1, 900, 10_000, 90_000, 300_000, 300_000, 400),
		peer("yishi-pebble", 1, 900, 8_000, 40_000, 210_000, 150_000, 800),
		peer("raw", 2, 2000, 500, 200_000, 300_000, 300_000, 500),
		peer("raw-group16", 2, 900, 20_000, 90_000, 300_000, 300_000, 400),
		peer("yishi-pebble", 2, 1000, 10_000, 120_000, 240_000, 240_000, 9_000),
		peer("raw", 3, 1000, 500, 100_000, 100_000, 100_000, 500),
		peer("raw-group16", 3, 900, 10_000, 90_000, 300_000, 300_000, 400),
		peer("yishi-pebble", 3, 700, 9_000, 70_000, 90_000, 80_000, 700),
	}, ",") + "]"
	r, err := parsePeers([]byte(js))
	require.NoError(t, err)
	require.Equal(t, 3, r.runs)
	require.InDelta(t, 0.7, r.writer1, 1e-9)    // 0.9, 0.5, 0.7
	require.InDelta(t, 0.8, r.writers16, 1e-9)  // 0.8, 0.5, 0.9 against raw-group16
	require.InDelta(t, 0.6, r.batched, 1e-9)    // 0.4, 0.6, 0.7
	require.InDelta(t, 0.8, r.replayWarm, 1e-9) // 0.7, 0.8, 0.9
	require.InDelta(t, 0.8, r.replay, 1e-9)     // 0.5, 0.8, 0.8
	require.InDelta(t, 0.8, r.p99StallMS, 1e-9) // 0.8, 9, 0.7 ms

	_, err = parsePeers([]byte("[" + peer("raw", 1, 1, 1, 1, 1, 1, 1) + "]"))
	require.ErrorContains(t, err, "no run holds")
	_, err = parsePeers([]byte("{"))
	require.Error(t, err)
}

func TestParseLoadAndSetup(t *testing.T) {
	steps, err := parseLoad([]byte(`[{"step":"vote@500","kind":"vote","target_rate":500,"requests":1000,"ok":997,
		"errors":{"409":2,"timeout":1},"throughput":499.5,"p99_ms":12.5,"start_lag_p99_ms":1.5,"load_average":"1.20"}]`))
	require.NoError(t, err)
	v := steps["vote@500"]
	require.Equal(t, 12.5, v.P99MS)
	require.Equal(t, 1.5, v.LagP99MS)
	require.Equal(t, 499.5, v.Throughput)
	require.Equal(t, 3, v.errorCount())
	_, err = parseLoad([]byte(`[{"step":"board@2000","requests":0}]`))
	require.ErrorContains(t, err, "sent no request")

	s, ok := setupSeconds("step x\nsetup: a reader token and 400 voter tokens ready in 1.234s (issued)\nsetup: the voters' 20 open meetings hold 30.0 events each on average\n")
	require.True(t, ok)
	require.InDelta(t, 1.234, s, 1e-9)
	s, ok = setupSeconds("setup: a reader token and 0 voter tokens ready in 6ms (read from /tmp/a b/tokens.json)\n")
	require.True(t, ok)
	require.InDelta(t, 0.006, s, 1e-9)
	_, ok = setupSeconds("nothing here\n")
	require.False(t, ok)
}

func TestProcTexts(t *testing.T) {
	rss, hwm, err := vmStatus("Name:\tyishi\nVmPeak:\t 999 kB\nVmHWM:\t  524288 kB\nVmRSS:\t  262144 kB\nThreads:\t9\n")
	require.NoError(t, err)
	require.Equal(t, 256.0, rss)
	require.Equal(t, 512.0, hwm)
	_, _, err = vmStatus("Name:\tyishi\nState:\tZ (zombie)\n")
	require.Error(t, err)

	l, err := load1("2.57 3.10 4.00 3/812 12345\n")
	require.NoError(t, err)
	require.Equal(t, 2.57, l)
	_, err = load1("")
	require.Error(t, err)

	require.Equal(t, "AMD EPYC 7B13", cpuModel("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"))
	require.Equal(t, "", cpuModel("processor : 0\n"))
}

func TestFormatValue(t *testing.T) {
	require.Equal(t, "1,234,567 events/s", formatValue(1234567.4, "events/s"))
	require.Equal(t, "999 req/s", formatValue(999, "req/s"))
	require.Equal(t, "0.41×", formatValue(0.4149, "×"))
	require.Equal(t, "16.38 ms", formatValue(16.381, "ms"))
	require.Equal(t, "512 MiB", formatValue(512.2, "MiB"))
	require.Equal(t, "-1,000", thousands(-1000))
}

// A failed step is in the table with its reason, and the next step runs.
func TestAFailedStepIsReportedAndTheRestRuns(t *testing.T) {
	var progress bytes.Buffer
	b := &bench{stderr: &progress, began: time.Now(), rep: &Report{Started: time.Now(), Finished: time.Now()}}
	ctx := context.Background()
	err := b.step(ctx, "store vs raw floor (peersbench)", "", func() error { return errors.New("peersbench: exit status 1 | disk full") })
	require.Error(t, err)
	b.missing("store", "120k", err, [2]string{"store_batched_ratio", "appends of 100, events/s vs raw"})
	ran := false
	require.NoError(t, b.step(ctx, "fold benchmark", "", func() error { ran = true; return nil }))
	require.True(t, ran)
	b.figure("fold", "1m", "fold_events_per_s", "replay into all views", "events/s", 1_234_567, goal(">=", 1_000_000, "issue 15"))
	b.figure("fold", "1m", "fold_allocs_per_event", "allocations per event", "allocs/event", 9.4, goal("<=", 2, "issue 15"))

	require.Len(t, b.rep.Steps, 2)
	require.Equal(t, "peersbench: exit status 1 | disk full", b.rep.Steps[0].Error)
	require.Empty(t, b.rep.Steps[1].Error)
	require.Contains(t, progress.String(), "store vs raw floor (peersbench) FAILED")
	require.Nil(t, b.rep.Figures[0].Value)
	require.Nil(t, b.rep.Figures[0].Met)
	require.True(t, *b.rep.Figures[1].Met)
	require.False(t, *b.rep.Figures[2].Met)

	var md bytes.Buffer
	require.NoError(t, b.rep.writeMarkdown(&md))
	require.Contains(t, md.String(), "| 120k | appends of 100, events/s vs raw | **failed**: peersbench: exit status 1 \\| disk full | — | — |")
	require.Contains(t, md.String(), "| 1m | replay into all views | 1,234,567 events/s | ≥ 1,000,000 events/s (issue 15) | yes |")
	require.Contains(t, md.String(), "| 1m | allocations per event | 9.4 allocs/event | ≤ 2 allocs/event (issue 15) | **no** |")
	require.Contains(t, md.String(), "| store vs raw floor (peersbench) | — |")
	require.Contains(t, md.String(), "| failed: peersbench: exit status 1 \\| disk full |")
}

// When the build failed, every figure of a size is in the tables as failed
// with the reason, and nothing is run for it.
func TestASizeWithoutBinariesReportsEveryFigureFailed(t *testing.T) {
	only, err := parseOnly("")
	require.NoError(t, err)
	b := &bench{opt: options{only: only}, stderr: &bytes.Buffer{}, began: time.Now(), rep: &Report{}}
	b.size(context.Background(), t.TempDir(), size{"1m", 1_000_000}, errors.New("go build failed: exit status 1"))
	require.Empty(t, b.rep.Steps)
	areas := map[string]int{}
	keys := map[string]bool{}
	for _, f := range b.rep.Figures {
		require.False(t, keys[f.Key], "%s reported twice", f.Key)
		keys[f.Key] = true
		require.Nil(t, f.Value, f.Key)
		require.Nil(t, f.Met, f.Key)
		require.Equal(t, "go build failed: exit status 1", f.Error, f.Key)
		require.Equal(t, "1m", f.Size)
		areas[f.Area]++
	}
	require.Equal(t, map[string]int{"fold": 1, "start": 2, "memory": 7, "load": 21}, areas)
	var md bytes.Buffer
	require.NoError(t, b.rep.writeMarkdown(&md))
	require.Contains(t, md.String(), "| 1m | votes at 500/s, p99 | **failed**: go build failed: exit status 1 | — | — |")
}

func TestParseSubBenchNs(t *testing.T) {
	out := `goos: linux
BenchmarkVoteOnALongMeeting/ballots=300-2         	     300	    257041 ns/op	   40110 B/op	      75 allocs/op
BenchmarkVoteOnALongMeeting/ballots=10000-2       	     300	    234415 ns/op	   39011 B/op	      75 allocs/op
BenchmarkOther/x=1-2 1 5 ns/op
PASS
`
	got, err := parseSubBenchNs(strings.NewReader(out), "VoteOnALongMeeting")
	require.NoError(t, err)
	require.InDelta(t, 257041, got["ballots=300"], 0.5)
	require.InDelta(t, 234415, got["ballots=10000"], 0.5)
	require.Len(t, got, 2)
	_, err = parseSubBenchNs(strings.NewReader("PASS\n"), "VoteOnALongMeeting")
	require.ErrorContains(t, err, "no result line")
}
