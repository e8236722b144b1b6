package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// voter is one member of an open motion's electorate with its token. A
// voter casts one ballot at a time and alternates between the motion's
// options, so each ballot after the first is a change of vote.
type voter struct {
	token, person, meeting, motion string
	options                        []string
	cast                           int
}

// targets is what the steps ask for.
type targets struct {
	reader string
	// voters holds the voters not voting right now.
	voters chan *voter
	all    []*voter
	// meetings and meetingEvents say how many open meetings the voters
	// vote in and how many events they held in all when the run started.
	meetings, meetingEvents int
}

// issueToken asks the server for a token (POST /v1/tokens) and returns its
// secret.
func issueToken(ctx context.Context, c *http.Client, base *url.URL, admin string, body map[string]string) (string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base.JoinPath("/v1/tokens").String(), bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("issue token: %s: %s", resp.Status, out)
	}
	var issued struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(out, &issued); err != nil || issued.Secret == "" {
		return "", fmt.Errorf("issue token: no secret in %s", out)
	}
	return issued.Secret, nil
}

// savedTokens is a --tokens file: the tokens a run issued, for a later run
// against the same ledger (after a restart, say) to use instead of issuing
// them again.
type savedTokens struct {
	Reader string       `json:"reader"`
	Voters []savedVoter `json:"voters"`
}

// savedVoter is one voter of a --tokens file.
type savedVoter struct {
	Token   string   `json:"token"`
	Person  string   `json:"person_id"`
	Meeting string   `json:"meeting_id"`
	Motion  string   `json:"motion_id"`
	Options []string `json:"options"`
}

// saveTokens writes t's tokens to path, readable by its owner only.
func saveTokens(path string, t *targets) error {
	st := savedTokens{Reader: t.reader, Voters: []savedVoter{}}
	for _, v := range t.all {
		st.Voters = append(st.Voters, savedVoter{Token: v.token, Person: v.person, Meeting: v.meeting, Motion: v.motion, Options: v.options})
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("--tokens: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("--tokens: %w", err)
	}
	return nil
}

// loadTokens reads the tokens a run saved to path (saveTokens); false when
// there is no such file.
func loadTokens(path string) (*targets, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("--tokens: %w", err)
	}
	var st savedTokens
	if err := json.Unmarshal(b, &st); err != nil || st.Reader == "" {
		return nil, false, fmt.Errorf("--tokens: %s is not a tokens file yishiload wrote", path)
	}
	t := &targets{reader: st.Reader, voters: make(chan *voter, len(st.Voters))}
	for _, sv := range st.Voters {
		v := &voter{token: sv.Token, person: sv.Person, meeting: sv.Meeting, motion: sv.Motion, options: sv.Options}
		t.all = append(t.all, v)
		t.voters <- v
	}
	return t, true, nil
}

// setup issues a reader (auditor) token and, when votes are measured, a
// resident token for each voter (up to maxVoters), whose subject is the
// voter's person id, scoped to the meeting's grid. With a tokens file
// (--tokens) that exists, it uses the tokens the file holds instead, and
// otherwise writes the ones it issued there; read reports which.
func setup(ctx context.Context, c *http.Client, base *url.URL, admin string, ids generatedIDs, votes bool, maxVoters int, tokens string) (t *targets, read bool, err error) {
	if tokens != "" {
		t, ok, err := loadTokens(tokens)
		if err != nil {
			return nil, false, err
		}
		if ok {
			if votes && len(t.all) == 0 {
				return nil, false, fmt.Errorf("--tokens: %s holds no voters' tokens", tokens)
			}
			return t, true, t.readBallots(ctx, c, base)
		}
	}
	if t, err = issueTokens(ctx, c, base, admin, ids, votes, maxVoters); err != nil {
		return nil, false, err
	}
	if tokens != "" {
		return t, false, saveTokens(tokens, t)
	}
	return t, false, nil
}

// issueTokens issues setup's tokens.
func issueTokens(ctx context.Context, c *http.Client, base *url.URL, admin string, ids generatedIDs, votes bool, maxVoters int) (*targets, error) {
	reader, err := issueToken(ctx, c, base, admin, map[string]string{"role": "auditor", "name": "yishiload reader"})
	if err != nil {
		return nil, err
	}
	t := &targets{reader: reader}
	if !votes {
		return t, nil
	}
	type job struct {
		v    *voter
		body map[string]string
	}
	var jobs []job
	for _, m := range ids.OpenMotions {
		for _, p := range m.Voters {
			if len(jobs) == maxVoters {
				break
			}
			jobs = append(jobs, job{&voter{person: p.PersonID, meeting: m.MeetingID, motion: m.MotionID, options: m.Options},
				map[string]string{"role": "resident", "community": m.Community, "grid": m.Grid, "name": p.Name, "subject": p.PersonID}})
		}
	}
	if len(jobs) == 0 {
		return nil, errors.New("the ids file has no open motions with voters to vote")
	}
	work := make(chan job)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for j := range work {
				secret, err := issueToken(ctx, c, base, admin, j.body)
				if err != nil {
					errs <- err
					return
				}
				j.v.token = secret
			}
		})
	}
	sent := 0
send:
	for _, j := range jobs {
		select {
		case work <- j:
			sent++
		case err := <-errs:
			errs <- err
			break send
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	t.voters = make(chan *voter, len(jobs))
	for _, j := range jobs[:sent] {
		t.all = append(t.all, j.v)
		t.voters <- j.v
	}
	if err := t.readBallots(ctx, c, base); err != nil {
		return nil, err
	}
	return t, nil
}

// readBallots reads each open meeting (GET /v1/meetings/{id}) and sets
// every voter's next option to one other than the ballot it holds, so that
// no ballot repeats one already cast by an earlier run. It records the
// meetings' lengths in events.
func (t *targets) readBallots(ctx context.Context, c *http.Client, base *url.URL) error {
	byMeeting := map[string][]*voter{}
	for _, v := range t.all {
		byMeeting[v.meeting] = append(byMeeting[v.meeting], v)
	}
	for meeting, voters := range byMeeting {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.JoinPath("/v1/meetings", meeting).String(), nil)
		if err != nil {
			return fmt.Errorf("read meeting %s: %w", meeting, err)
		}
		req.Header.Set("Authorization", "Bearer "+t.reader)
		resp, err := c.Do(req)
		if err != nil {
			return fmt.Errorf("read meeting %s: %w", meeting, err)
		}
		var agg struct {
			Events []struct {
				Type string `json:"type"`
				Data struct {
					MotionID string `json:"motion_id"`
					VoterID  string `json:"voter_id"`
					OptionID string `json:"option_id"`
				} `json:"data"`
			} `json:"events"`
		}
		err = json.NewDecoder(resp.Body).Decode(&agg)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("read meeting %s: %s: %v", meeting, resp.Status, err)
		}
		t.meetingEvents += len(agg.Events)
		held := map[string]string{} // motion/voter → option
		for _, e := range agg.Events {
			if e.Type == "meeting.vote_cast.v1" || e.Type == "meeting.vote_changed.v1" {
				held[e.Data.MotionID+"/"+e.Data.VoterID] = e.Data.OptionID
			}
		}
		for _, v := range voters {
			// The voter's token subject is its person id; ballots name it.
			if i := slices.Index(v.options, held[v.motion+"/"+v.person]); i >= 0 {
				v.cast = i + 1
			}
		}
	}
	t.meetings = len(byMeeting)
	return nil
}

// outcome is one request's end.
type outcome struct {
	status int // 0 for a transport error
	err    error
	body   string // the start of an error's body
}

// requester sends one request of a kind.
type requester struct {
	c    *http.Client
	base *url.URL
	t    *targets
	ids  generatedIDs
	mu   sync.Mutex
	r    *rand.Rand
}

func (q *requester) intn(n int) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.r.IntN(n)
}

// do sends one request of kind and waits for its answer.
func (q *requester) do(ctx context.Context, kind string) outcome {
	var req *http.Request
	var err error
	var v *voter
	switch kind {
	case "board":
		// Half the reads are of one grid's board, half of its community's.
		i := q.intn(2 * len(q.ids.Grids))
		g := q.ids.Grids[i/2]
		query := url.Values{"community": {g.Community}, "limit": {"20"}}
		if i%2 == 0 {
			query.Set("grid", g.Grid)
		}
		u := q.base.JoinPath("/v1/board")
		u.RawQuery = query.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+q.t.reader)
		}
	case "timeline":
		p := q.ids.Proposals[q.intn(len(q.ids.Proposals))]
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, q.base.JoinPath("/v1/proposals", p, "timeline").String(), nil)
	case "vote":
		select {
		case v = <-q.t.voters:
		case <-ctx.Done():
			return outcome{err: ctx.Err()}
		}
		defer func() { q.t.voters <- v }()
		body := fmt.Sprintf(`{"option_id":%q}`, v.options[v.cast%len(v.options)])
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, q.base.JoinPath("/v1/meetings", v.meeting, "motions", v.motion, "votes").String(), strings.NewReader(body))
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+v.token)
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		return outcome{err: err}
	}
	resp, err := q.c.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer resp.Body.Close()
	o := outcome{status: resp.StatusCode}
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		o.body = string(b)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		o.err = err
	}
	if v != nil {
		// Flip even after an error: a timed-out ballot usually landed, and
		// an already_voted refusal says the ballot holds this option.
		v.cast++
	}
	return o
}

// tally collects a step's outcomes; safe for concurrent use.
type tally struct {
	mu sync.Mutex
	h  histogram
	// lag counts how late the tool started each request of an open-loop
	// step against its schedule: the tool's own share of the latency.
	lag     histogram
	ok      int
	errors  map[string]int
	samples map[string]string
	last    time.Time
}

func newTally() *tally { return &tally{errors: map[string]int{}, samples: map[string]string{}} }

func (t *tally) add(o outcome, latency time.Duration, done time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.h.record(latency)
	if done.After(t.last) {
		t.last = done
	}
	var key string
	switch {
	case o.err != nil:
		key = "transport"
		if errors.Is(o.err, context.DeadlineExceeded) || strings.Contains(o.err.Error(), "Timeout") {
			key = "timeout"
		}
		o.body = o.err.Error()
	case o.status >= 200 && o.status < 300:
		t.ok++
		return
	default:
		key = strconv.Itoa(o.status)
	}
	t.errors[key]++
	if _, ok := t.samples[key]; !ok {
		t.samples[key] = o.body
	}
}

// openLoop starts n requests on a fixed schedule (rate per second) and
// counts each one's latency from its scheduled start: a request that
// waits for a free slot (maxInFlight) or for a voter waits on the clock.
func openLoop(ctx context.Context, q *requester, kind string, rate float64, d time.Duration, maxReq, maxInFlight int) (*tally, time.Duration) {
	t := newTally()
	n := min(maxReq, int(rate*d.Seconds()))
	interval := time.Duration(float64(time.Second) / rate)
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
loop:
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break loop
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Go(func() {
			defer func() { <-sem }()
			lag := time.Since(at)
			t.mu.Lock()
			t.lag.record(lag)
			t.mu.Unlock()
			o := q.do(ctx, kind)
			now := time.Now()
			t.add(o, now.Sub(at), now)
		})
	}
	wg.Wait()
	return t, t.last.Sub(start)
}

// closedLoop runs conns connections, each sending its next request when
// the last one is answered, for d or maxReq requests in all.
func closedLoop(ctx context.Context, q *requester, kind string, conns int, d time.Duration, maxReq int) (*tally, time.Duration) {
	t := newTally()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	left := maxReq
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				if left == 0 {
					mu.Unlock()
					return
				}
				left--
				mu.Unlock()
				at := time.Now()
				o := q.do(context.WithoutCancel(ctx), kind)
				now := time.Now()
				t.add(o, now.Sub(at), now)
			}
		})
	}
	wg.Wait()
	return t, t.last.Sub(start)
}

// result is one step's figures.
type result struct {
	Step        string            `json:"step"`
	Kind        string            `json:"kind"`
	TargetRate  float64           `json:"target_rate,omitempty"`
	Connections int               `json:"connections,omitempty"`
	Seconds     float64           `json:"seconds"`
	Requests    uint64            `json:"requests"`
	OK          int               `json:"ok"`
	Errors      map[string]int    `json:"errors,omitempty"`
	Samples     map[string]string `json:"error_samples,omitempty"`
	Throughput  float64           `json:"throughput"`
	MeanMS      float64           `json:"mean_ms"`
	P50MS       float64           `json:"p50_ms"`
	P90MS       float64           `json:"p90_ms"`
	P99MS       float64           `json:"p99_ms"`
	P999MS      float64           `json:"p999_ms"`
	MaxMS       float64           `json:"max_ms"`
	LagP99MS    float64           `json:"start_lag_p99_ms"`
	ServerCPU   float64           `json:"server_cpu_cores,omitempty"`
	ToolCPU     float64           `json:"tool_cpu_cores"`
	LoadAvg     string            `json:"load_average"`
}

// loadAverage returns the machine's 1-minute load average from /proc.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuSeconds reads a process's user and system CPU time from /proc.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("server cpu: %w", err)
	}
	// The command name (field 2) may hold spaces: count from its end.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("server cpu: short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("server cpu: %w", err)
	}
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

// runStep warms up, then measures one step.
func runStep(ctx context.Context, cfg config, q *requester, s step) (result, error) {
	load := func(d time.Duration, maxReq int) (*tally, time.Duration) {
		if s.rate > 0 {
			return openLoop(ctx, q, s.kind, s.rate, d, maxReq, cfg.maxInFlight)
		}
		return closedLoop(ctx, q, s.kind, s.conns, d, maxReq)
	}
	if cfg.warmup > 0 {
		load(cfg.warmup, cfg.maxRequests)
	}
	var cpu0 float64
	if cfg.serverPID > 0 {
		var err error
		if cpu0, err = cpuSeconds(cfg.serverPID); err != nil {
			return result{}, err
		}
	}
	self0, err := cpuSeconds(os.Getpid())
	if err != nil {
		return result{}, err
	}
	t, took := load(cfg.duration, cfg.maxRequests)
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	r := result{Step: s.String(), Kind: s.kind, TargetRate: s.rate, Connections: s.conns, Seconds: took.Seconds(),
		Requests: t.h.total, OK: t.ok, Errors: t.errors, Samples: t.samples,
		MeanMS: ms(t.h.mean()), P50MS: ms(t.h.percentile(50)), P90MS: ms(t.h.percentile(90)), P99MS: ms(t.h.percentile(99)),
		P999MS: ms(t.h.percentile(99.9)), MaxMS: ms(t.h.percentile(100)), LagP99MS: ms(t.lag.percentile(99)), LoadAvg: loadAverage()}
	if took > 0 {
		r.Throughput = float64(t.h.total) / took.Seconds()
		self1, err := cpuSeconds(os.Getpid())
		if err != nil {
			return result{}, err
		}
		r.ToolCPU = (self1 - self0) / took.Seconds()
	}
	if cfg.serverPID > 0 && took > 0 {
		cpu1, err := cpuSeconds(cfg.serverPID)
		if err != nil {
			return result{}, err
		}
		r.ServerCPU = (cpu1 - cpu0) / took.Seconds()
	}
	return r, nil
}

// measure runs every step in order and prints a table row per step.
func measure(ctx context.Context, cfg config, c *http.Client, t *targets, ids generatedIDs, stdout, stderr io.Writer) error {
	q := &requester{c: c, base: cfg.base, t: t, ids: ids, r: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))}
	fmt.Fprintln(stdout, "| step | requests | ok | errors | achieved req/s | mean ms | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | start lag p99 ms | server CPU | tool CPU | load avg |")
	fmt.Fprintln(stdout, "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var results []result
	for _, s := range cfg.steps {
		fmt.Fprintf(stderr, "step %s: %s warm-up, %s measured\n", s, cfg.warmup, cfg.duration)
		r, err := runStep(ctx, cfg, q, s)
		if err != nil {
			return fmt.Errorf("step %s: %w", s, err)
		}
		results = append(results, r)
		fmt.Fprintf(stdout, "| %s | %d | %d | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s |\n",
			r.Step, r.Requests, r.OK, errorSummary(r.Errors), r.Throughput, r.MeanMS, r.P50MS, r.P90MS, r.P99MS, r.P999MS, r.MaxMS, r.LagP99MS, r.ServerCPU, r.ToolCPU, r.LoadAvg)
		for k, body := range r.Samples {
			fmt.Fprintf(stderr, "  first %s error: %s\n", k, body)
		}
	}
	if cfg.jsonOut == "" {
		return nil
	}
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err := os.WriteFile(cfg.jsonOut, b, 0o640); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// errorSummary renders error counts as "409×3 timeout×1", or "0".
func errorSummary(errs map[string]int) string {
	if len(errs) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, errs[k])
	}
	return strings.Join(parts, " ")
}
