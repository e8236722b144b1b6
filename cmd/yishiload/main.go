// Command yishiload drives a running Yishi server on the loopback
// interface with board reads, timeline reads and vote casting, each step at
// an open-loop constant rate (kind@rate: requests start on schedule
// whatever the server's answers, and latency counts from the scheduled
// start, so a stalled server is not hidden) or with a fixed number of
// closed-loop connections (kind*n), and reports throughput, latency
// percentiles and errors per step. Every step is bounded in time and in
// requests.
//
// It reads the ids that `yishi generate` wrote and needs an admin token to
// issue one reader token and a resident token per voter (POST /v1/tokens)
// before the steps start; with --tokens FILE it keeps them in FILE and
// reads them from there on the next run (after a restart, say), and
// --steps "" only issues them:
//
//	yishiload --ids /tmp/ids.json --admin-token-file /tmp/admin.token \
//	  --steps board@500,board@1000,board@2000,vote@100,vote@250,vote@500
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "yishiload:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	base        *url.URL
	steps       []step
	duration    time.Duration
	warmup      time.Duration
	maxRequests int
	maxInFlight int
	timeout     time.Duration
	serverPID   int
	jsonOut     string
}

// step is one measured load: a kind of request at a rate or a concurrency.
type step struct {
	kind  string  // board, timeline or vote
	rate  float64 // requests per second (open loop), or 0
	conns int     // closed-loop connections, or 0
}

func (s step) String() string {
	if s.rate > 0 {
		return fmt.Sprintf("%s@%g", s.kind, s.rate)
	}
	return fmt.Sprintf("%s*%d", s.kind, s.conns)
}

// parseSteps reads "board@500,vote*8".
func parseSteps(spec string) ([]step, error) {
	var out []step
	for f := range strings.SplitSeq(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		kind, n, open := strings.Cut(f, "@")
		if !open {
			var closed bool
			if kind, n, closed = strings.Cut(f, "*"); !closed {
				return nil, fmt.Errorf("step %q: want kind@rate or kind*connections", f)
			}
		}
		if kind != "board" && kind != "timeline" && kind != "vote" {
			return nil, fmt.Errorf("step %q: kind must be board, timeline or vote", f)
		}
		v, err := strconv.ParseFloat(n, 64)
		if err != nil || v <= 0 || v > 100_000 {
			return nil, fmt.Errorf("step %q: want a positive number up to 100000 after the kind", f)
		}
		s := step{kind: kind}
		if open {
			s.rate = v
		} else {
			if v != float64(int(v)) {
				return nil, fmt.Errorf("step %q: connections are a whole number", f)
			}
			s.conns = int(v)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("no steps given")
	}
	return out, nil
}

// loopbackURL accepts only http URLs on a loopback address: the tool is
// for measuring one's own server, not for loading anyone else's.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("--base: %w", err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("--base %s: want an http:// URL", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("--base %s: only a loopback address (127.0.0.1, ::1) may be loaded", raw)
	}
	return u, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("yishiload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "http://127.0.0.1:8080", "the server's URL; loopback addresses only")
	idsFile := fs.String("ids", "", "the ids file `yishi generate` wrote")
	adminFile := fs.String("admin-token-file", "", "file holding an admin token (yishi token create --role admin)")
	steps := fs.String("steps", "board@500,board@1000,board@2000,timeline@500,timeline@1000,timeline@2000,vote@100,vote@250,vote@500", "comma-separated steps: kind@rate (open loop, requests/s) or kind*n (n closed-loop connections); kinds board, timeline, vote")
	duration := fs.Duration("duration", 20*time.Second, "measured time per step")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured time at the step's load before each step")
	maxRequests := fs.Int("max-requests", 200_000, "most requests of one step")
	maxInFlight := fs.Int("max-in-flight", 256, "most requests outstanding at once in an open-loop step")
	maxVoters := fs.Int("max-voters", 2000, "most voters to issue tokens for")
	timeout := fs.Duration("timeout", 5*time.Second, "per-request timeout")
	serverPID := fs.Int("server-pid", 0, "the server's process id, to report its CPU use per step (Linux)")
	jsonOut := fs.String("json", "", "also write the results as JSON to this file")
	tokens := fs.String("tokens", "", "a file of the tokens issued: written after issuing them, read instead of issuing when it exists (so that a run after a restart votes with the tokens voters already hold); with --steps \"\" the run only issues and writes them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := loopbackURL(*base)
	if err != nil {
		return err
	}
	var st []step
	if strings.TrimSpace(*steps) != "" || *tokens == "" {
		if st, err = parseSteps(*steps); err != nil {
			return fmt.Errorf("--steps: %w", err)
		}
	}
	if *duration <= 0 || *duration > 10*time.Minute || *warmup < 0 || *maxRequests < 1 || *maxInFlight < 1 {
		return errors.New("--duration must be up to 10m, --warmup not negative, --max-requests and --max-in-flight positive")
	}
	if *idsFile == "" || *adminFile == "" {
		return errors.New("--ids and --admin-token-file are required")
	}
	ids, err := readIDs(*idsFile)
	if err != nil {
		return err
	}
	adminTok, err := os.ReadFile(*adminFile)
	if err != nil {
		return fmt.Errorf("--admin-token-file: %w", err)
	}
	cfg := config{base: u, steps: st, duration: *duration, warmup: *warmup, maxRequests: *maxRequests,
		maxInFlight: *maxInFlight, timeout: *timeout, serverPID: *serverPID, jsonOut: *jsonOut}
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute, DisableCompression: true,
	}, Timeout: *timeout}

	needVotes := slices.ContainsFunc(st, func(s step) bool { return s.kind == "vote" })
	start := time.Now()
	if len(st) == 0 {
		// Only the tokens: every kind's.
		needVotes = true
	}
	t, read, err := setup(ctx, client, u, strings.TrimSpace(string(adminTok)), ids, needVotes, *maxVoters, *tokens)
	if err != nil {
		return err
	}
	how := "issued"
	if read {
		how = "read from " + *tokens
	}
	fmt.Fprintf(stderr, "setup: a reader token and %d voter tokens ready in %s (%s)\n", len(t.all), time.Since(start).Round(time.Millisecond), how)
	if t.meetings > 0 {
		fmt.Fprintf(stderr, "setup: the voters' %d open meetings hold %.1f events each on average\n", t.meetings, float64(t.meetingEvents)/float64(t.meetings))
	}
	if len(st) == 0 {
		return nil
	}
	return measure(ctx, cfg, client, t, ids, stdout, stderr)
}

// generatedIDs is the part of `yishi generate`'s ids file the tool uses.
type generatedIDs struct {
	Events int `json:"events"`
	Grids  []struct {
		Community string `json:"community"`
		Grid      string `json:"grid"`
	} `json:"grids"`
	Proposals   []string `json:"proposals"`
	OpenMotions []struct {
		MeetingID string   `json:"meeting_id"`
		MotionID  string   `json:"motion_id"`
		Community string   `json:"community"`
		Grid      string   `json:"grid"`
		Options   []string `json:"options"`
		Voters    []struct {
			PersonID string `json:"person_id"`
			Name     string `json:"name"`
		} `json:"voters"`
	} `json:"open_motions"`
}

func readIDs(path string) (generatedIDs, error) {
	var ids generatedIDs
	b, err := os.ReadFile(path)
	if err != nil {
		return ids, fmt.Errorf("--ids: %w", err)
	}
	if err := json.Unmarshal(b, &ids); err != nil {
		return ids, fmt.Errorf("--ids %s: %w", path, err)
	}
	if len(ids.Grids) == 0 || len(ids.Proposals) == 0 {
		return ids, fmt.Errorf("--ids %s: no grids or proposals", path)
	}
	return ids, nil
}
