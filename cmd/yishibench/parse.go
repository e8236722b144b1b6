package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
)

// size is one ledger size of the run: its events and the label it was
// given on the command line ("100k").
type size struct {
	label  string
	events int
}

// parseSizes reads "100k,1m,10m" (k is a thousand, m a million; a bare
// number is a count of events).
func parseSizes(spec string) ([]size, error) {
	var out []size
	for f := range strings.SplitSeq(spec, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		mult, num := 1, f
		switch {
		case strings.HasSuffix(f, "k"):
			mult, num = 1_000, f[:len(f)-1]
		case strings.HasSuffix(f, "m"):
			mult, num = 1_000_000, f[:len(f)-1]
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 100_000_000/mult {
			return nil, fmt.Errorf("size %q: want a number of events such as 2k, 100k, 1m or 10m (at most 100m)", f)
		}
		if n*mult < 1_000 {
			return nil, fmt.Errorf("size %q: at least 1k events", f)
		}
		if slices.ContainsFunc(out, func(s size) bool { return s.events == n*mult }) {
			return nil, fmt.Errorf("size %q given twice", f)
		}
		out = append(out, size{label: f, events: n * mult})
	}
	if len(out) == 0 {
		return nil, errors.New("no sizes given")
	}
	return out, nil
}

// areas are what --only may select, in the order they run.
var areas = []string{"store", "fold", "start", "load"}

// parseOnly reads "store,fold" into a set; empty means every area.
func parseOnly(spec string) (map[string]bool, error) {
	sel := map[string]bool{}
	for f := range strings.SplitSeq(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(areas, f) {
			return nil, fmt.Errorf("area %q: want some of %s", f, strings.Join(areas, ","))
		}
		sel[f] = true
	}
	if len(sel) == 0 {
		for _, a := range areas {
			sel[a] = true
		}
	}
	return sel, nil
}

// benchFigure is what the projections' replay benchmark reports.
type benchFigure struct {
	eventsPerSec   float64
	allocsPerOp    float64
	viewsHeapMiB   float64
	hasViewsHeap   bool
	hasAllocsPerOp bool
}

// parseReplayBench reads `go test -bench` output with the Go team's
// benchfmt (the parser benchstat uses) and returns the figures of the
// benchmark named base (without its "Benchmark" prefix). Output lines that
// are not results (logs, PASS, ok) are skipped by the reader.
func parseReplayBench(r io.Reader, base string) (benchFigure, error) {
	var f benchFigure
	rd := benchfmt.NewReader(r, "go test output")
	found := false
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok || string(res.Name.Base()) != base {
			continue
		}
		v, ok := res.Value("events/s")
		if !ok {
			return f, fmt.Errorf("benchmark %s reported no events/s", base)
		}
		f.eventsPerSec = v
		f.allocsPerOp, f.hasAllocsPerOp = res.Value("allocs/op")
		f.viewsHeapMiB, f.hasViewsHeap = res.Value("views-heap-MiB")
		found = true
	}
	if err := rd.Err(); err != nil {
		return f, fmt.Errorf("benchmark output: %w", err)
	}
	if !found {
		return f, fmt.Errorf("no result line for Benchmark%s in the output", base)
	}
	return f, nil
}

// parseSubBenchNs reads `go test -bench` output (benchfmt) and returns the
// ns/op of each sub-benchmark of the benchmark named base, by its part
// after the slash ("ballots=300").
func parseSubBenchNs(r io.Reader, base string) (map[string]float64, error) {
	out := map[string]float64{}
	rd := benchfmt.NewReader(r, "go test output")
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok || string(res.Name.Base()) != base {
			continue
		}
		_, parts := res.Name.Parts()
		if len(parts) == 0 || !strings.HasPrefix(string(parts[0]), "/") {
			continue
		}
		if v, ok := res.Value("sec/op"); ok {
			out[strings.TrimPrefix(string(parts[0]), "/")] = v * 1e9
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("benchmark output: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no result line for Benchmark%s in the output", base)
	}
	return out, nil
}

// peerRun is the part of one peersbench result (its -out file) used here.
type peerRun struct {
	Peer    string `json:"peer"`
	Run     int    `json:"run"`
	Single1 struct {
		AppendsS float64 `json:"appends_per_s"`
		P99us    float64 `json:"p99_us"`
	} `json:"single_1_writer"`
	SingleN struct {
		AppendsS float64 `json:"appends_per_s"`
		P99us    float64 `json:"p99_us"`
	} `json:"single_n_writers"`
	Writers int `json:"writers"`
	Batched struct {
		EventsS float64 `json:"events_per_s"`
		P99us   float64 `json:"p99_us"`
	} `json:"batched"`
	ReplayCold struct {
		EventsS float64 `json:"events_per_s"`
	} `json:"replay_cold"`
	ReplayWarm struct {
		EventsS float64 `json:"events_per_s"`
	} `json:"replay_warm"`
}

// storeRatios are the medians over runs of the store's per-run ratios to
// the raw floor of the same run, as docs/performance.md reports them.
type storeRatios struct {
	runs                                            int
	writer1, writers16, batched, replayWarm, replay float64 // replay: cold
	p99StallMS                                      float64 // median over runs of the worst append p99
}

// parsePeers reads peersbench's -out JSON and computes the store's ratios:
// 1 writer, appends of 100 and replays against raw; 16 writers against
// raw-group16, each run against the raw floor of the same run.
func parsePeers(b []byte) (storeRatios, error) {
	var rs []peerRun
	if err := json.Unmarshal(b, &rs); err != nil {
		return storeRatios{}, fmt.Errorf("peersbench results: %w", err)
	}
	byRun := map[int]map[string]peerRun{}
	for _, r := range rs {
		if byRun[r.Run] == nil {
			byRun[r.Run] = map[string]peerRun{}
		}
		byRun[r.Run][r.Peer] = r
	}
	var w1, wn, bt, rw, rc, stall []float64
	for _, peers := range byRun {
		y, ok1 := peers["yishi-pebble"]
		raw, ok2 := peers["raw"]
		g16, ok3 := peers["raw-group16"]
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		if raw.Single1.AppendsS <= 0 || g16.SingleN.AppendsS <= 0 || raw.Batched.EventsS <= 0 || raw.ReplayWarm.EventsS <= 0 || raw.ReplayCold.EventsS <= 0 {
			return storeRatios{}, fmt.Errorf("peersbench results: run %d has a raw floor of zero", y.Run)
		}
		w1 = append(w1, y.Single1.AppendsS/raw.Single1.AppendsS)
		wn = append(wn, y.SingleN.AppendsS/g16.SingleN.AppendsS)
		bt = append(bt, y.Batched.EventsS/raw.Batched.EventsS)
		rw = append(rw, y.ReplayWarm.EventsS/raw.ReplayWarm.EventsS)
		rc = append(rc, y.ReplayCold.EventsS/raw.ReplayCold.EventsS)
		stall = append(stall, max(y.Single1.P99us, y.SingleN.P99us, y.Batched.P99us)/1000)
	}
	if len(w1) == 0 {
		return storeRatios{}, errors.New("peersbench results: no run holds yishi-pebble, raw and raw-group16")
	}
	return storeRatios{runs: len(w1), writer1: median(w1), writers16: median(wn), batched: median(bt),
		replayWarm: median(rw), replay: median(rc), p99StallMS: median(stall)}, nil
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// loadStep is the part of one step of yishiload's --json output used here.
type loadStep struct {
	Step       string         `json:"step"`
	Kind       string         `json:"kind"`
	TargetRate float64        `json:"target_rate"`
	Requests   uint64         `json:"requests"`
	OK         int            `json:"ok"`
	Errors     map[string]int `json:"errors"`
	Throughput float64        `json:"throughput"`
	P99MS      float64        `json:"p99_ms"`
	LagP99MS   float64        `json:"start_lag_p99_ms"`
	ServerCPU  float64        `json:"server_cpu_cores"`
	LoadAvg    string         `json:"load_average"`
}

// parseLoad reads yishiload's --json output.
func parseLoad(b []byte) (map[string]loadStep, error) {
	var steps []loadStep
	if err := json.Unmarshal(b, &steps); err != nil {
		return nil, fmt.Errorf("yishiload results: %w", err)
	}
	out := map[string]loadStep{}
	for _, s := range steps {
		if s.Requests == 0 {
			return nil, fmt.Errorf("yishiload results: step %s sent no request", s.Step)
		}
		out[s.Step] = s
	}
	return out, nil
}

// errorCount is the number of requests of a step that did not succeed.
func (s loadStep) errorCount() int {
	n := 0
	for _, c := range s.Errors {
		n += c
	}
	return n
}

// setupSeconds finds yishiload's "setup: … ready in 1.234s" line: how long
// it took to issue its tokens before the first measured request.
func setupSeconds(stderr string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "setup:") {
			continue
		}
		_, d, ok := strings.Cut(line, " ready in ")
		if !ok {
			continue
		}
		d, _, _ = strings.Cut(strings.TrimSpace(d), " ") // then "(issued)" or "(read from …)"
		v, err := parseDuration(d)
		if err == nil {
			return v, true
		}
	}
	return 0, false
}

func parseDuration(s string) (float64, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return d.Seconds(), nil
}

// vmStatus reads VmRSS and VmHWM (MiB) from a /proc/<pid>/status text.
func vmStatus(status string) (rssMiB, hwmMiB float64, err error) {
	found := 0
	for line := range strings.SplitSeq(status, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("status: %s: %q", key, val)
		}
		kb, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, 0, fmt.Errorf("status: %s: %w", key, err)
		}
		if key == "VmRSS" {
			rssMiB = kb / 1024
		} else {
			hwmMiB = kb / 1024
		}
		found++
	}
	if found != 2 {
		return 0, 0, errors.New("status: no VmRSS and VmHWM (not Linux, or the process has ended)")
	}
	return rssMiB, hwmMiB, nil
}

// load1 reads the 1-minute load average from a /proc/loadavg text.
func load1(loadavg string) (float64, error) {
	f := strings.Fields(loadavg)
	if len(f) == 0 {
		return 0, errors.New("loadavg: empty")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, fmt.Errorf("loadavg: %w", err)
	}
	return v, nil
}

// cpuModel finds the first "model name" of a /proc/cpuinfo text.
func cpuModel(cpuinfo string) string {
	for line := range strings.SplitSeq(cpuinfo, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(val)
		}
	}
	return ""
}
