// Command yishibench reproduces every figure of docs/performance.md's
// summary in one go, on a fresh temporary directory:
//
//	go run ./cmd/yishibench                      # 100k and 1m events
//	go run ./cmd/yishibench --sizes 100k,1m,10m  # 10m takes many minutes
//	go run ./cmd/yishibench --only start,load --sizes 100k
//	go run ./cmd/yishibench --render bench.json  # an earlier run's Markdown
//
// It builds yishi and yishiload (and peersbench) with `go build`, runs the
// embedded store against the raw floor (peersbench), the projections'
// replay benchmark, and for each size generates a ledger (`yishi
// generate`), starts `yishi serve` on it with no snapshots and then from
// snapshots (polling /readyz), reads the server's RSS from /proc, and
// loads it with yishiload (the voters' tokens issued on the first start;
// votes at 500/s as soon as it is ready after the restart, then board and
// timeline reads at 2,000/s; then, each from the first second after one
// more restart, timeline reads and board reads at 2,000/s). It writes bench.md
// (a table per area with the goal beside each figure, and with several
// sizes each cost's growth from one size to the next beside the events')
// and bench.json (the same figures as numbers) with the machine and the
// load average of each step. A step that fails is reported as failed and the others still run;
// no child process outlives the command, on failure or on Ctrl-C.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "yishibench:", err)
		os.Exit(1)
	}
}

// options is the command line.
type options struct {
	sizes     []size
	only      map[string]bool
	out       string
	keep      bool
	duration  time.Duration
	warmup    time.Duration
	storeRuns int
	maxVoters int
	// memoryLimit is the servers' GOMEMLIMIT, "" for none.
	memoryLimit string
	// render is a bench.json to write as Markdown, measuring nothing.
	render string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("yishibench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("sizes", "100k,1m", "ledger sizes in events, comma-separated (k thousand, m million); 10m is allowed and takes many minutes")
	only := fs.String("only", "", "run only these areas, comma-separated: store, fold, start, load (default all)")
	fs.StringVar(&o.out, "out", "", "directory for bench.md, bench.json and the logs (default: a fresh temporary directory)")
	fs.BoolVar(&o.keep, "keep", false, "keep the generated ledgers, binaries and store data (removed by default)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured time of each load step")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up before the board and timeline reads after the votes (the votes, and the reads after the later restarts, start with none)")
	fs.IntVar(&o.storeRuns, "store-runs", 3, "peersbench runs (the store's ratios are medians of per-run ratios)")
	fs.StringVar(&o.memoryLimit, "memory-limit", "", "the servers' Go memory limit (GOMEMLIMIT), e.g. 460MiB, what yishi sets itself in a container of 512 MiB (90% of its cgroup's limit); none by default")
	fs.IntVar(&o.maxVoters, "max-voters", 300, "most voters yishiload issues tokens for, on the first start, before the restart (voters hold their tokens across a restart; yishiload keeps at most 256 votes in flight)")
	fs.StringVar(&o.render, "render", "", "read the bench.json of an earlier run and write its Markdown, with this version's tables, to standard output; measures nothing")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var err error
	if o.sizes, err = parseSizes(*sizes); err != nil {
		return o, fmt.Errorf("--sizes: %w", err)
	}
	if o.only, err = parseOnly(*only); err != nil {
		return o, fmt.Errorf("--only: %w", err)
	}
	if o.duration <= 0 || o.duration > 10*time.Minute || o.warmup < 0 || o.warmup > time.Minute {
		return o, errors.New("--duration must be positive and at most 10m, --warmup from 0 to 1m")
	}
	if o.storeRuns < 1 || o.storeRuns > 20 || o.maxVoters < 1 {
		return o, errors.New("--store-runs from 1 to 20, --max-voters positive")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.render != "" {
		return render(o.render, stdout)
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "yishibench-")
	if err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	if o.out == "" {
		o.out = work
	}
	logs := filepath.Join(o.out, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	b := &bench{
		opt: o, root: root, data: filepath.Join(work, "data"), logs: logs, stderr: stderr, began: time.Now(),
		rep: &Report{Command: append([]string{"go", "run", "./cmd/yishibench"}, args...), Started: time.Now().UTC()},
	}
	for _, s := range o.sizes {
		b.rep.Sizes = append(b.rep.Sizes, s.events)
	}
	b.rep.Machine = machine(ctx, root)
	b.rep.Machine.ServerMemoryLimit = b.opt.memoryLimit
	defer func() {
		b.stopServers()
		if !o.keep {
			_ = os.RemoveAll(b.data)
			if o.out != work {
				_ = os.Remove(work)
			}
		} else {
			fmt.Fprintf(stderr, "kept the ledgers and binaries in %s\n", b.data)
		}
	}()
	b.progress("machine: %s, %d cores, %s, %s, commit %s, load average %.2f",
		orUnknown(b.rep.Machine.CPUModel), b.rep.Machine.Cores, b.rep.Machine.Kernel, b.rep.Machine.GoVersion,
		orUnknown(b.rep.Machine.Commit), b.rep.Machine.Load1)

	b.all(ctx)

	b.rep.Finished = time.Now().UTC()
	md, js := filepath.Join(o.out, "bench.md"), filepath.Join(o.out, "bench.json")
	f, err := os.Create(md)
	if err != nil {
		return fmt.Errorf("bench.md: %w", err)
	}
	werr := b.rep.writeMarkdown(f)
	if err := errors.Join(werr, f.Close(), b.rep.writeJSON(js)); err != nil {
		return fmt.Errorf("writing the results: %w", err)
	}
	fmt.Fprintln(stdout, md)
	fmt.Fprintln(stdout, js)
	if ctx.Err() != nil {
		return errors.New("interrupted; the results so far are in the files above")
	}
	failed := 0
	for _, s := range b.rep.Steps {
		if s.Error != "" {
			failed++
		}
	}
	b.progress("finished: %d steps, %d failed", len(b.rep.Steps), failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d steps failed (their reasons are in bench.md)", failed, len(b.rep.Steps))
	}
	return nil
}

// render writes the Markdown of the bench.json at path to w.
func render(path string, w io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--render: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("--render %s: %w", path, err)
	}
	return r.writeMarkdown(w)
}
