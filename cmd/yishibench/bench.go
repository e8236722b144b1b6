package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// bench runs the steps and collects the report.
type bench struct {
	opt    options
	root   string // the module's directory
	data   string // binaries, ledgers and store data; removed unless --keep
	logs   string // one log per child process
	stderr io.Writer
	began  time.Time
	rep    *Report

	mu        sync.Mutex
	servers   map[*server]bool // running servers, stopped on the way out
	serverPID int              // the server the current step started
}

// the fold benchmark's ledger: projections/bench_test.go's benchEvents.
const foldBenchEvents = 1_000_000

func (b *bench) progress(format string, args ...any) {
	el := time.Since(b.began).Round(time.Second)
	fmt.Fprintf(b.stderr, "[%02d:%02d] %s\n", int(el.Minutes()), int(el.Seconds())%60, fmt.Sprintf(format, args...))
}

// step runs fn as one named step: it prints its start, a line every 15
// seconds while it runs and its end, and records its time, its load
// averages and its error. It returns fn's error. Once the run is
// interrupted no step starts.
func (b *bench) step(ctx context.Context, name, sz string, fn func() error) error {
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	label := name
	if sz != "" {
		label = sz + " · " + name
	}
	s := Step{Name: name, Size: sz, Started: time.Now().UTC(), Load1Before: loadNow()}
	b.progress("%s …", label)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				b.progress("  %s: %s so far, load average %.2f", label, time.Since(s.Started).Round(time.Second), loadNow())
			}
		}
	}()
	err := fn()
	close(done)
	b.mu.Lock()
	s.ServerPID, b.serverPID = b.serverPID, 0
	b.mu.Unlock()
	s.Seconds = time.Since(s.Started).Seconds()
	s.Load1After = loadNow()
	if err != nil {
		s.Error = err.Error()
		b.progress("  %s FAILED after %.1f s: %s", label, s.Seconds, s.Error)
	} else {
		b.progress("  %s done in %.1f s (load average %.2f)", label, s.Seconds, s.Load1After)
	}
	b.rep.Steps = append(b.rep.Steps, s)
	return err
}

// figure adds a measured figure, with the load average now.
func (b *bench) figure(area, sz, key, name, unit string, v float64, goal *Goal) {
	b.rep.add(Figure{Area: area, Size: sz, Key: key, Name: name, Unit: unit, Value: &v, Goal: goal, Load1: loadNow()})
}

// loadFigure adds a figure of a yishiload step, with the load average
// the tool read at the end of that step.
func (b *bench) loadFigure(st loadStep, sz, key, name, unit string, v float64, goal *Goal) {
	l, err := strconv.ParseFloat(st.LoadAvg, 64)
	if err != nil {
		l = loadNow()
	}
	b.rep.add(Figure{Area: "load", Size: sz, Key: key, Name: name, Unit: unit, Value: &v, Goal: goal, Load1: l})
}

// missing adds figures that could not be measured, with the reason.
func (b *bench) missing(area, sz string, err error, keys ...[2]string) {
	for _, k := range keys {
		b.rep.add(Figure{Area: area, Size: sz, Key: k[0], Name: k[1], Error: err.Error(), Load1: loadNow()})
	}
}

func goal(op string, target float64, source string) *Goal {
	return &Goal{Op: op, Target: target, Source: source}
}

// all runs every selected area.
func (b *bench) all(ctx context.Context) {
	bins := filepath.Join(b.data, "bin")
	sizes := b.opt.only["fold"] || b.opt.only["start"] || b.opt.only["load"]
	builds := map[string]string{}
	if sizes {
		builds["yishi"] = "./cmd/yishi"
		if b.opt.only["load"] {
			builds["yishiload"] = "./cmd/yishiload"
		}
	}
	if b.opt.only["store"] {
		builds["peersbench"] = "./eventstore/pebble/peersbench"
	}
	berr := b.step(ctx, "go build", "", func() error {
		if err := os.MkdirAll(bins, 0o755); err != nil {
			return err
		}
		for _, name := range []string{"yishi", "yishiload", "peersbench"} {
			if pkg, ok := builds[name]; ok {
				if err := b.runLogged(ctx, "build-"+name, nil, "go", "build", "-o", filepath.Join(bins, name), pkg); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if berr != nil {
		berr = fmt.Errorf("go build failed: %w", berr)
	}
	if b.opt.only["store"] {
		b.store(ctx, bins, berr)
	}
	if b.opt.only["fold"] {
		b.foldBench(ctx)
	}
	if b.opt.only["load"] {
		b.voteBench(ctx)
	}
	if sizes {
		for _, s := range b.opt.sizes {
			if ctx.Err() != nil {
				return
			}
			b.size(ctx, bins, s, berr)
		}
	}
}

// storePeers are the peers of peersbench that the store step runs: the
// store and the raw floors, not the layouts measured beside the store
// (design-*), named so that what the step measures does not follow
// peersbench's default.
const storePeers = "raw,raw-group16,yishi-pebble,yishi-pebble-checked"

// store runs peersbench once (the store against the raw floor).
func (b *bench) store(ctx context.Context, bins string, berr error) {
	keys := [][2]string{{"store_1_writer_ratio", "1 writer appends/s vs raw"}, {"store_16_writers_ratio", "16 writers appends/s vs raw-group16"},
		{"store_batched_ratio", "appends of 100, events/s vs raw"}, {"store_replay_warm_ratio", "replay warm, events/s vs raw"},
		{"store_replay_cold_ratio", "replay cold, events/s vs raw"}, {"store_p99_stall_ms", "worst append p99 of the store's three phases"}}
	const sz = "120k (peers workload)"
	if berr != nil {
		b.missing("store", sz, berr, keys...)
		return
	}
	out := filepath.Join(b.logs, "peersbench.json")
	var r storeRatios
	err := b.step(ctx, "store vs raw floor (peersbench)", "", func() error {
		dir := filepath.Join(b.data, "store")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := b.runLogged(ctx, "peersbench", nil, filepath.Join(bins, "peersbench"),
			"-runs", strconv.Itoa(b.opt.storeRuns), "-peers", storePeers, "-dir", dir, "-out", out); err != nil {
			return err
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		r, err = parsePeers(raw)
		return err
	})
	if err != nil {
		b.missing("store", sz, err, keys...)
		return
	}
	runs := fmt.Sprintf(" (median of %d runs)", r.runs)
	b.figure("store", sz, keys[0][0], keys[0][1]+runs, "×", r.writer1, goal(">=", 0.8, "issue 2"))
	b.figure("store", sz, keys[1][0], keys[1][1]+runs, "×", r.writers16, goal(">=", 0.8, "issue 15"))
	b.figure("store", sz, keys[2][0], keys[2][1]+runs, "×", r.batched, goal(">=", 0.5, "issue 15"))
	b.figure("store", sz, keys[3][0], keys[3][1]+runs, "×", r.replayWarm, goal(">=", 1, "issue 2"))
	b.figure("store", sz, keys[4][0], keys[4][1]+runs, "×", r.replay, nil)
	b.figure("store", sz, keys[5][0], keys[5][1]+runs, "ms", r.p99StallMS, goal("<=", 5, "issue 15"))
}

// foldBench runs the projections' replay benchmark once.
func (b *bench) foldBench(ctx context.Context) {
	keys := [][2]string{{"fold_events_per_s", "replay into all views, from memory"}, {"fold_allocs_per_event", "allocations per event"},
		{"fold_views_heap_mib", "views' live heap after the replay"}}
	const sz = "1m (in memory)"
	var f benchFigure
	err := b.step(ctx, "fold benchmark (go test ./projections)", "", func() error {
		out, err := b.goBench(ctx, "fold-bench", "./projections", "Replay", "1x")
		if err != nil {
			return err
		}
		f, err = parseReplayBench(out, "Replay")
		return err
	})
	if err != nil {
		b.missing("fold", sz, err, keys...)
		return
	}
	b.figure("fold", sz, keys[0][0], keys[0][1], "events/s", f.eventsPerSec, goal(">=", 1_000_000, "issue 15"))
	if f.hasAllocsPerOp {
		b.figure("fold", sz, keys[1][0], keys[1][1], "allocs/event", f.allocsPerOp/foldBenchEvents, goal("<=", 2, "issue 15"))
	}
	if f.hasViewsHeap {
		b.figure("fold", sz, keys[2][0], keys[2][1], "MiB", f.viewsHeapMiB, nil)
	}
}

// voteBench runs the ledger's benchmark of one vote on meetings of 300 and
// 10,000 ballots: issue 15 asks for votes as fast "on meetings of any
// length", which the load's meetings (a few hundred events) do not show.
func (b *bench) voteBench(ctx context.Context) {
	keys := [][2]string{{"vote_300_ms", "one vote on a meeting of 300 ballots, in process"},
		{"vote_10000_ms", "one vote on a meeting of 10,000 ballots, in process"},
		{"vote_growth", "a vote on 10,000 ballots ÷ on 300"}}
	const sz = "ledger"
	var ns map[string]float64
	err := b.step(ctx, "votes on long meetings (go test ./ledger)", "", func() error {
		out, err := b.goBench(ctx, "vote-bench", "./ledger", "VoteOnALongMeeting", "300x")
		if err != nil {
			return err
		}
		if ns, err = parseSubBenchNs(out, "VoteOnALongMeeting"); err != nil {
			return err
		}
		if ns["ballots=300"] == 0 || ns["ballots=10000"] == 0 {
			return fmt.Errorf("no result for 300 or 10,000 ballots: %v", ns)
		}
		return nil
	})
	if err != nil {
		b.missing("load", sz, err, keys...)
		return
	}
	b.figure("load", sz, keys[0][0], keys[0][1], "ms", ns["ballots=300"]/1e6, nil)
	b.figure("load", sz, keys[1][0], keys[1][1], "ms", ns["ballots=10000"]/1e6, nil)
	b.figure("load", sz, keys[2][0], keys[2][1], "×", ns["ballots=10000"]/ns["ballots=300"], goal("<=", 2, "issue 15: meetings of any length"))
}

// memGoal is issue 15's bound on the server's RSS for a ledger size.
func memGoal(events int) *Goal {
	if events <= 1_000_000 {
		return goal("<", 512, "issue 15")
	}
	return goal("<", 1024, "issue 15")
}

// size generates a ledger of one size and measures the server on it.
func (b *bench) size(ctx context.Context, bins string, s size, berr error) {
	dir := filepath.Join(b.data, "ledger-"+s.label)
	data, ids, tok := filepath.Join(dir, "data"), filepath.Join(dir, "ids.json"), filepath.Join(dir, "admin.token")
	// The voters' tokens, issued before the restart: voters hold theirs
	// across a restart, so the votes after it do not wait for them.
	tokens := filepath.Join(dir, "tokens.json")
	yishi, load := filepath.Join(bins, "yishi"), filepath.Join(bins, "yishiload")
	startKeys := [][2]string{{"start_no_snapshots_s", "start to ready, no snapshots"}, {"start_snapshots_s", "start to ready, from snapshots"}}
	foldKeys := [][2]string{{"fold_server_events_per_s", "first start with no snapshots, events ÷ seconds to ready"}}
	memKeys := [][2]string{{"rss_ready_no_snapshots_mib", "VmRSS at ready, no snapshots"}, {"rss_ready_mib", "VmRSS at ready, from snapshots"},
		{"hwm_ready_mib", "VmHWM at ready, from snapshots"}, {"rss_load_mib", "peak VmRSS under load"}, {"hwm_load_mib", "VmHWM after the load"},
		{"rss_first_peak_mib", "peak VmRSS of the first start, from ready to its stop (the snapshots it writes included)"}}
	// The first start's peak before ready: its fold's.
	firstHWM := [2]string{"hwm_ready_no_snapshots_mib", "VmHWM at ready, no snapshots (the fold's peak)"}
	// The tool's start lag (how late it began requests, p99) tells a
	// saturated server or machine from a slow answer.
	loadKeys := [][2]string{{"votes_begin_s", "first vote after ready (tokens issued before the restart)"}, {"votes_p99_ms", "votes at 500/s, p99"},
		{"votes_lag_p99_ms", "votes: yishiload's start lag, p99"}, {"votes_rate", "votes answered per second"}, {"votes_errors", "votes not answered 200"},
		{"board_p99_ms", "board reads at 2,000/s, p99"}, {"board_lag_p99_ms", "board reads: yishiload's start lag, p99"},
		{"board_rate", "board reads answered per second"}, {"board_errors", "board reads not answered 200"},
		{"timeline_p99_ms", "timeline reads at 2,000/s, p99"}, {"timeline_lag_p99_ms", "timeline reads: yishiload's start lag, p99"},
		{"timeline_rate", "timeline reads answered per second"}, {"timeline_errors", "timeline reads not answered 200"},
		{"cold_timeline_p99_ms", "timeline reads at 2,000/s from the first second after another restart, p99"},
		{"cold_timeline_lag_p99_ms", "timeline reads after another restart: yishiload's start lag, p99"},
		{"cold_timeline_rate", "timeline reads after another restart answered per second"},
		{"cold_timeline_errors", "timeline reads after another restart not answered 200"},
		{"cold_board_p99_ms", "board reads at 2,000/s from the first second after a third restart, p99"},
		{"cold_board_lag_p99_ms", "board reads after a third restart: yishiload's start lag, p99"},
		{"cold_board_rate", "board reads after a third restart answered per second"},
		{"cold_board_errors", "board reads after a third restart not answered 200"}}
	// fail reports the figures not measured yet as failed; after the
	// first start, its own figures are in already (the peak from its
	// ready to its stop among them, reported where it is measured).
	fail := func(err error, afterFirstStart bool) {
		from, mem := 0, memKeys
		if afterFirstStart {
			from, mem = 1, memKeys[:5]
		}
		if b.opt.only["fold"] && !afterFirstStart {
			b.missing("fold", s.label, err, foldKeys...)
		}
		if b.opt.only["start"] {
			b.missing("start", s.label, err, startKeys[from:]...)
		}
		if b.opt.only["start"] || b.opt.only["load"] {
			b.missing("memory", s.label, err, mem[from:]...)
			if !afterFirstStart {
				b.missing("memory", s.label, err, firstHWM)
			}
		}
		if b.opt.only["load"] {
			b.missing("load", s.label, err, loadKeys...)
		}
	}
	if berr != nil {
		fail(berr, false)
		return
	}

	grids := min(max(s.events/100, 10), 100_000)
	open := min(max(s.events/5_000, 10), 200)
	var generated int
	err := b.step(ctx, "generate", s.label, func() error {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := b.runLogged(ctx, "generate-"+s.label, nil, yishi, "generate", "--data", data, "--events", strconv.Itoa(s.events),
			"--grids", strconv.Itoa(grids), "--seed", "7", "--open-meetings", strconv.Itoa(open), "--voters", "20", "--out", ids); err != nil {
			return err
		}
		raw, err := os.ReadFile(ids)
		if err != nil {
			return err
		}
		var g struct {
			Events int `json:"events"`
		}
		if err := json.Unmarshal(raw, &g); err != nil || g.Events < 1 {
			return fmt.Errorf("ids file %s: no event count (%v)", ids, err)
		}
		generated = g.Events
		var secret bytes.Buffer
		if err := b.runLogged(ctx, "token-"+s.label, &secret, yishi, "token", "create", "--data", data, "--role", "admin", "--name", "yishibench"); err != nil {
			return err
		}
		return os.WriteFile(tok, bytes.TrimSpace(secret.Bytes()), 0o600)
	})
	if err != nil {
		fail(fmt.Errorf("generate failed: %w", err), false)
		return
	}
	b.figure("start", s.label, "ledger_events", "events generated", "events", float64(generated), nil)

	// First start: no snapshots, the views fold the whole log.
	var ready time.Duration
	var rss0, hwm0 float64
	var first *server
	// Sampled from ready until the server has stopped: the snapshots
	// written once the fold has caught up, and again at the stop, take
	// more than the fold left at ready.
	var firstRSS *rssSampler
	err = b.step(ctx, "start, no snapshots", s.label, func() error {
		srv, took, err := b.startServer(ctx, yishi, data, "serve-first-"+s.label)
		if err != nil {
			return err
		}
		first, ready = srv, took
		firstRSS = srv.sampleRSS()
		rss0, hwm0, err = srv.memory()
		return err
	})
	if err != nil {
		if first != nil {
			_ = b.stopServer(first)
		}
		fail(fmt.Errorf("first start failed: %w", err), false)
		return
	}
	if b.opt.only["start"] {
		b.figure("start", s.label, startKeys[0][0], startKeys[0][1], "s", ready.Seconds(), goal("<", 1, "issue 15"))
	}
	if b.opt.only["fold"] {
		b.figure("fold", s.label, foldKeys[0][0], foldKeys[0][1], "events/s", float64(generated)/ready.Seconds(), goal(">=", 1_000_000, "issue 15"))
	}
	if b.opt.only["start"] || b.opt.only["load"] {
		b.figure("memory", s.label, memKeys[0][0], memKeys[0][1], "MiB", rss0, memGoal(s.events))
		b.figure("memory", s.label, firstHWM[0], firstHWM[1], "MiB", hwm0, memGoal(s.events))
	}
	if b.opt.only["load"] {
		err = b.step(ctx, "voters' tokens issued", s.label, func() error {
			return b.runLogged(ctx, "yishiload-tokens-"+s.label, nil, load, "--base", "http://"+first.addr, "--ids", ids,
				"--admin-token-file", tok, "--steps", "", "--max-voters", strconv.Itoa(b.opt.maxVoters), "--tokens", tokens)
		})
	}
	err = errors.Join(err, b.stopServer(first))
	peak, perr := firstRSS.untilExit()
	switch {
	case !b.opt.only["start"] && !b.opt.only["load"]:
	case perr != nil:
		b.missing("memory", s.label, perr, memKeys[5])
	default:
		b.figure("memory", s.label, memKeys[5][0], memKeys[5][1], "MiB", peak, memGoal(s.events))
	}
	if err != nil {
		// The first start's own figures are in.
		fail(fmt.Errorf("voters' tokens or the first stop failed: %w", err), true)
		return
	}
	if !b.opt.only["start"] && !b.opt.only["load"] {
		return
	}

	// Restart from the snapshots the stop wrote, and load it at once.
	var srv *server
	var rss, hwm float64
	err = b.step(ctx, "start, from snapshots", s.label, func() error {
		var err error
		srv, ready, err = b.startServer(ctx, yishi, data, "serve-restart-"+s.label)
		if err != nil {
			return err
		}
		rss, hwm, err = srv.memory()
		return err
	})
	if err != nil {
		fail(fmt.Errorf("restart failed: %w", err), true)
		if srv != nil {
			_ = b.stopServer(srv)
		}
		return
	}
	readyAt := time.Now()
	defer func() { _ = b.stopServer(srv) }() // srv is the last server started
	if b.opt.only["start"] {
		b.figure("start", s.label, startKeys[1][0], startKeys[1][1], "s", ready.Seconds(), goal("<", 1, "issue 15"))
	}
	b.figure("memory", s.label, memKeys[1][0], memKeys[1][1], "MiB", rss, memGoal(s.events))
	b.figure("memory", s.label, memKeys[2][0], memKeys[2][1], "MiB", hwm, memGoal(s.events))
	if !b.opt.only["load"] {
		return
	}

	sampler := srv.sampleRSS()
	base := "http://" + srv.addr
	pid := strconv.Itoa(srv.pid())
	var votes map[string]loadStep
	var begin float64
	verr := b.step(ctx, "votes at 500/s after the restart", s.label, func() error {
		spawned := time.Since(readyAt).Seconds()
		log := "yishiload-votes-" + s.label
		var err error
		votes, err = b.runLoad(ctx, log, load, "--base", base, "--ids", ids, "--admin-token-file", tok,
			"--steps", "vote@500", "--duration", b.opt.duration.String(), "--warmup", "0s",
			"--max-voters", strconv.Itoa(b.opt.maxVoters), "--tokens", tokens, "--server-pid", pid)
		if err != nil {
			return err
		}
		logText, _ := os.ReadFile(filepath.Join(b.logs, log+".log"))
		setup, ok := setupSeconds(string(logText))
		if !ok {
			return errors.New("yishiload printed no setup time")
		}
		begin = spawned + setup
		return nil
	})
	var reads map[string]loadStep
	rerr := b.step(ctx, "reads at 2,000/s", s.label, func() error {
		var err error
		reads, err = b.runLoad(ctx, "yishiload-reads-"+s.label, load, "--base", base, "--ids", ids, "--admin-token-file", tok,
			"--steps", "board@2000,timeline@2000", "--duration", b.opt.duration.String(), "--warmup", b.opt.warmup.String(),
			"--server-pid", pid)
		return err
	})
	peak, serr := sampler.stop()
	_, hwmLoad, merr := srv.memory()

	if verr == nil {
		v, ok := votes["vote@500"]
		if !ok {
			verr = errors.New("yishiload's results hold no vote@500 step")
		} else {
			b.loadFigure(v, s.label, loadKeys[0][0], loadKeys[0][1], "s", begin, goal("<", 1, "issue 15"))
			b.loadFigure(v, s.label, loadKeys[1][0], loadKeys[1][1], "ms", v.P99MS, goal("<", 25, "issue 15"))
			b.loadFigure(v, s.label, loadKeys[2][0], loadKeys[2][1], "ms", v.LagP99MS, nil)
			b.loadFigure(v, s.label, loadKeys[3][0], loadKeys[3][1], "req/s", v.Throughput, goal(">=", 475, "95% of 500/s"))
			b.loadFigure(v, s.label, loadKeys[4][0], loadKeys[4][1], "count", float64(v.errorCount()), goal("==", 0, "every vote succeeds"))
		}
	}
	if verr != nil {
		b.missing("load", s.label, fmt.Errorf("votes: %w", verr), loadKeys[:5]...)
	}
	for i, kind := range []string{"board", "timeline"} {
		k := loadKeys[5+4*i : 9+4*i]
		r, ok := reads[kind+"@2000"]
		if rerr != nil || !ok {
			err := rerr
			if err == nil {
				err = fmt.Errorf("yishiload's results hold no %s@2000 step", kind)
			}
			b.missing("load", s.label, fmt.Errorf("reads: %w", err), k...)
			continue
		}
		b.readFigures(r, s.label, k, "issue 15")
	}
	if err := errors.Join(serr, merr); err != nil {
		b.missing("memory", s.label, err, memKeys[3:5]...)
	} else {
		b.figure("memory", s.label, memKeys[3][0], memKeys[3][1], "MiB", peak, memGoal(s.events))
		b.figure("memory", s.label, memKeys[4][0], memKeys[4][1], "MiB", hwmLoad, memGoal(s.events))
	}

	// Reads from the first second after a start (the issue's "including
	// the first minute after a start"): the reads above begin after the
	// votes, their caches warm. Another restart from snapshots, and
	// timeline reads at once, with no warm-up; then a third, and board
	// reads so.
	for i, cold := range []struct{ kind, step, restart string }{
		{"timeline", "timeline reads at 2,000/s after another restart", "another restart"},
		{"board", "board reads at 2,000/s after a third restart", "a third restart"},
	} {
		k := loadKeys[13+4*i : 17+4*i]
		var reads map[string]loadStep
		err := b.step(ctx, cold.step, s.label, func() error {
			if err := b.stopServer(srv); err != nil {
				return err
			}
			var err error
			if srv, _, err = b.startServer(ctx, yishi, data, "serve-cold-"+cold.kind+"-"+s.label); err != nil {
				return err
			}
			reads, err = b.runLoad(ctx, "yishiload-cold-"+cold.kind+"-"+s.label, load, "--base", "http://"+srv.addr, "--ids", ids, "--admin-token-file", tok,
				"--steps", cold.kind+"@2000", "--duration", b.opt.duration.String(), "--warmup", "0s",
				"--server-pid", strconv.Itoa(srv.pid()))
			return err
		})
		r, ok := reads[cold.kind+"@2000"]
		if err == nil && !ok {
			err = fmt.Errorf("yishiload's results hold no %s@2000 step", cold.kind)
		}
		if err != nil {
			b.missing("load", s.label, fmt.Errorf("reads after %s: %w", cold.restart, err), k...)
			continue
		}
		b.readFigures(r, s.label, k, "issue 15: including the first minute after a start")
	}
}

// readFigures records the four figures of reads at 2,000/s under the keys
// k: p99 (its goal's source is why), yishiload's start lag, throughput and
// errors.
func (b *bench) readFigures(r loadStep, label string, k [][2]string, why string) {
	b.loadFigure(r, label, k[0][0], k[0][1], "ms", r.P99MS, goal("<", 10, why))
	b.loadFigure(r, label, k[1][0], k[1][1], "ms", r.LagP99MS, nil)
	b.loadFigure(r, label, k[2][0], k[2][1], "req/s", r.Throughput, goal(">=", 1900, "95% of 2,000/s"))
	b.loadFigure(r, label, k[3][0], k[3][1], "count", float64(r.errorCount()), goal("==", 0, "every read succeeds"))
}

// goBench runs one Go benchmark of pkg (BenchmarkName, with -benchmem,
// once, for benchtime), its output in logs/<log>.log, and returns that
// output.
func (b *bench) goBench(ctx context.Context, log, pkg, name, benchtime string) (*bytes.Buffer, error) {
	var out bytes.Buffer
	err := b.runLogged(ctx, log, &out, "go", "test", pkg, "-run", "^$", "-bench", "^Benchmark"+name+"$",
		"-benchtime", benchtime, "-benchmem", "-count", "1", "-timeout", "30m")
	return &out, err
}

// runLoad runs yishiload with args, its output in logs/<name>.log, and
// returns the steps of its results (--json, kept as logs/<name>.json).
func (b *bench) runLoad(ctx context.Context, name, yishiload string, args ...string) (map[string]loadStep, error) {
	out := filepath.Join(b.logs, name+".json")
	if err := b.runLogged(ctx, name, nil, yishiload, append(args, "--json", out)...); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	return parseLoad(raw)
}

// runLogged runs a child process in the module's directory with its
// output in logs/<name>.log (stdout to out instead when given). Its error
// names the command and quotes the end of the log.
func (b *bench) runLogged(ctx context.Context, name string, out io.Writer, prog string, args ...string) error {
	path := filepath.Join(b.logs, name+".log")
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = b.root
	cmd.Stderr = f
	cmd.Stdout = f
	if out != nil {
		cmd.Stdout = io.MultiWriter(out, f)
	}
	own(cmd)
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: interrupted", filepath.Base(prog))
		}
		return fmt.Errorf("%s %s: %w; %s", filepath.Base(prog), firstArg(args), err, logTail(path))
	}
	return nil
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// logTail quotes the last lines of a log for an error message.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return "no output (log " + path + ")"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	for i, l := range lines {
		// progress bars redraw with carriage returns: keep the last frame
		if j := strings.LastIndexByte(strings.TrimRight(l, "\r"), '\r'); j >= 0 {
			lines[i] = l[j+1:]
		}
	}
	return "last output: " + strings.Join(lines, " / ") + " (log " + path + ")"
}
