// Command peersbench measures Yishi's embedded store (eventstore/pebble)
// against the raw floor of this disk, with the workload of the shared peers
// harness (shared/bench/peers): many small streams (proposal-<uuid>),
// single-event appends with an expected stream version, each durable before
// it returns (1 writer, then N writers on different streams); a batched
// variant (many events per append to one stream); then a full replay in
// global order that JSON-decodes every event.
//
// main.go, workload.go, raw.go, store.go and sysutil.go are that harness's
// files, kept so that the workload and the raw floor are exactly the same
// (less one unused field). What differs: the peer list (raw, raw-group16,
// yishi-pebble and yishi-pebble-checked, opened in yishi.go, and four
// layouts of the store measured beside it, design-*, in designs.go), the
// default of -peers (the store and the raw floors; "all" adds the
// layouts), the ratio tables at the end, and raw.go's framing, shared
// with the layouts: a frame's header is written by closeFrame and the
// loop of Replay over the file's frames is replayFrames (the same bytes,
// reads, checks and order). Every peer runs in its own child
// process, interleaved run by run, so the ratios compare measurements
// taken minutes apart on the same disk.
//
//	go run ./eventstore/pebble/peersbench -runs 3
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const resultPrefix = "PEERSBENCH-RESULT "

func main() {
	o := &Options{}
	flag.IntVar(&o.Events, "events", 10000, "single-event appends in each single-append phase (1 writer, then -writers)")
	flag.IntVar(&o.PerStream, "per-stream", 10, "events per stream in the single-append phases")
	flag.IntVar(&o.Writers, "writers", 16, "concurrent writers in the second phase, each on its own streams")
	flag.IntVar(&o.BatchEvents, "batch-events", 100000, "events written by the batched phase")
	flag.IntVar(&o.Batch, "batch", 100, "events per batched append (one stream per append)")
	flag.IntVar(&o.BatchPerStream, "batch-per-stream", 10, "batched appends each batch stream receives")
	flag.IntVar(&o.MinBytes, "min-bytes", 300, "smallest JSON payload")
	flag.IntVar(&o.MaxBytes, "max-bytes", 600, "largest JSON payload")
	flag.IntVar(&o.Group, "group", 16, "raw-group16: most appends per write+fdatasync")
	flag.Uint64Var(&o.Seed, "seed", 1, "payload and stream-id seed")
	flag.StringVar(&o.Dir, "dir", "", "where data directories are made (default: $TMPDIR or /tmp); must be a real disk")
	flag.BoolVar(&o.Keep, "keep", false, "keep the data directories")
	peerList := flag.String("peers", storePeers, "comma-separated peers, or all: "+peerNames())
	runs := flag.Int("runs", 3, "runs per peer; the table shows medians")
	out := flag.String("out", "", "also write every run's results as JSON to this file")
	child := flag.String("child", "", "internal: run this one peer in this process and print its result")
	runNo := flag.Int("run-no", 0, "internal")
	flag.Parse()
	if o.PerStream < 1 || o.Writers < 1 || o.Batch < 1 || o.BatchPerStream < 1 || o.Events < o.PerStream ||
		o.BatchEvents < o.Batch || o.MinBytes < 200 || o.MaxBytes < o.MinBytes || o.Group < 1 {
		fmt.Fprintln(os.Stderr, "bad flags: need events >= per-stream >= 1, batch-events >= batch >= 1, 200 <= min-bytes <= max-bytes")
		os.Exit(2)
	}

	if *child != "" {
		p, err := peerByName(*child)
		if err != nil {
			fatal(err)
		}
		r, err := runPeer(p, o)
		if err != nil {
			fatal(fmt.Errorf("%s: %w", p.Name, err))
		}
		r.Run = *runNo
		b, _ := json.Marshal(r)
		fmt.Println(resultPrefix + string(b))
		return
	}

	var sel []Peer
	if *peerList == "all" {
		sel = peers
	} else {
		for _, n := range strings.Split(*peerList, ",") {
			p, err := peerByName(strings.TrimSpace(n))
			if err != nil {
				fatal(err)
			}
			sel = append(sel, p)
		}
	}
	self, err := os.Executable()
	if err != nil {
		fatal(err)
	}
	fmt.Fprintf(os.Stderr, "peersbench: %s, %d CPUs, %s; %d single appends x2 phases (1 and %d writers), %d batched events (%d/append), payload %d-%d B, %d run(s)\n",
		runtime.Version(), runtime.NumCPU(), runtime.GOOS+"/"+runtime.GOARCH, o.Events/o.PerStream*o.PerStream, o.Writers,
		o.BatchEvents/o.Batch*o.Batch, o.Batch, o.MinBytes, o.MaxBytes, *runs)

	// Each peer runs in its own child process so that peak RSS is its own.
	// Runs are interleaved (all peers, then all peers again) to spread drift.
	results := map[string][]*Result{}
	var all []*Result
	for run := 1; run <= *runs; run++ {
		for _, p := range sel {
			args := childArgs(o, p.Name, run)
			cmd := exec.Command(self, args...)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			cmd.Stderr = os.Stderr
			t := time.Now()
			if err := cmd.Run(); err != nil {
				fatal(fmt.Errorf("run %d, peer %s: %w", run, p.Name, err))
			}
			r, err := parseResult(stdout.Bytes())
			if err != nil {
				fatal(fmt.Errorf("run %d, peer %s: %w", run, p.Name, err))
			}
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				r.MaxRSSKiB = ru.Maxrss // KiB on Linux
			}
			fmt.Fprintf(os.Stderr, "run %d %-13s %5.1fs  1w %6.0f/s  %dw %7.0f/s  batch %7.0f ev/s  replay %7.0f ev/s  %5.0f B/ev  %4.0f MiB\n",
				run, p.Name, time.Since(t).Seconds(), r.Single1.AppendsS, o.Writers, r.SingleN.AppendsS,
				r.Batched.EventsS, r.ReplayCold.EventsS, r.BytesPerEvent, float64(r.MaxRSSKiB)/1024)
			results[p.Name] = append(results[p.Name], r)
			all = append(all, r)
		}
	}
	if *out != "" {
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fatal(err)
		}
	}
	printTable(sel, results, o, *runs)
	printRatios(results, o)
}

func childArgs(o *Options, peer string, run int) []string {
	a := []string{
		"-child", peer, "-run-no", strconv.Itoa(run),
		"-events", strconv.Itoa(o.Events), "-per-stream", strconv.Itoa(o.PerStream),
		"-writers", strconv.Itoa(o.Writers), "-batch-events", strconv.Itoa(o.BatchEvents),
		"-batch", strconv.Itoa(o.Batch), "-batch-per-stream", strconv.Itoa(o.BatchPerStream),
		"-min-bytes", strconv.Itoa(o.MinBytes), "-max-bytes", strconv.Itoa(o.MaxBytes),
		"-group", strconv.Itoa(o.Group), "-seed", strconv.FormatUint(o.Seed, 10),
	}
	if o.Dir != "" {
		a = append(a, "-dir", o.Dir)
	}
	if o.Keep {
		a = append(a, "-keep")
	}
	return a
}

func parseResult(b []byte) (*Result, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), resultPrefix); ok {
			r := &Result{}
			return r, json.Unmarshal([]byte(line), r)
		}
	}
	return nil, fmt.Errorf("no result line in child output")
}

func median(rs []*Result, f func(*Result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func printTable(sel []Peer, results map[string][]*Result, o *Options, runs int) {
	fmt.Printf("\nMedians of %d run(s). Single appends: 1 event/call, expected version checked, durable before return.\n\n", runs)
	fmt.Printf("| peer | 1 writer appends/s | %d writers appends/s | batched events/s (%d/append) | replay events/s cold | replay events/s warm | disk bytes/event | peak RSS MiB | 1w p99 ms |\n", o.Writers, o.Batch)
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, p := range sel {
		rs := results[p.Name]
		fmt.Printf("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f |\n", p.Name,
			median(rs, func(r *Result) float64 { return r.Single1.AppendsS }),
			median(rs, func(r *Result) float64 { return r.SingleN.AppendsS }),
			median(rs, func(r *Result) float64 { return r.Batched.EventsS }),
			median(rs, func(r *Result) float64 { return r.ReplayCold.EventsS }),
			median(rs, func(r *Result) float64 { return r.ReplayWarm.EventsS }),
			median(rs, func(r *Result) float64 { return r.BytesPerEvent }),
			median(rs, func(r *Result) float64 { return float64(r.MaxRSSKiB) / 1024 }),
			median(rs, func(r *Result) float64 { return r.Single1.P99us / 1000 }))
	}
	if rs := results[sel[0].Name]; len(rs) > 0 {
		fmt.Printf("\nEvents per run: %d (JSON payload %.0f B/event on average). Peers:\n", rs[0].TotalEvents, rs[0].PayloadPerEvent)
	}
	for _, p := range sel {
		extra := ""
		rs := results[p.Name]
		if len(rs) > 0 && len(rs[0].Extra) > 0 {
			var keys []string
			for k := range rs[0].Extra {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				extra += fmt.Sprintf("; %s=%.1f", k, median(rs, func(r *Result) float64 { return r.Extra[k] }))
			}
		}
		fmt.Printf("- %s: %s%s\n", p.Name, p.Desc, extra)
	}
}

func peerNames() string {
	var n []string
	for _, p := range peers {
		n = append(n, p.Name)
	}
	return strings.Join(n, ",")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "peersbench:", err)
	os.Exit(1)
}
