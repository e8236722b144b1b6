package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Options are the workload knobs (flags in main.go).
type Options struct {
	Events         int // single-event appends per single-append phase
	PerStream      int // events per stream in the single-append phases
	Writers        int // concurrent writers in the second phase
	BatchEvents    int // events written by the batched phase
	Batch          int // events per batched append
	BatchPerStream int // batched appends per batch stream
	MinBytes       int // JSON payload size range
	MaxBytes       int
	Group          int    // raw-group16: most appends per fdatasync
	Seed           uint64 // payloads and stream ids are deterministic
	Dir            string // parent of the per-run data directory
	Keep           bool   // keep the data directory
}

// Phase is one timed write phase.
type Phase struct {
	Appends  int     `json:"appends"`
	Events   int     `json:"events"`
	Seconds  float64 `json:"seconds"`
	AppendsS float64 `json:"appends_per_s"`
	EventsS  float64 `json:"events_per_s"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	MaxUs    float64 `json:"max_us"`
}

// Replay is one timed full read in global order with JSON decoding.
type Replay struct {
	Events  int     `json:"events"`
	Seconds float64 `json:"seconds"`
	EventsS float64 `json:"events_per_s"`
}

// Result is what one child process measures for one peer.
type Result struct {
	Peer             string             `json:"peer"`
	Run              int                `json:"run"`
	Single1          Phase              `json:"single_1_writer"`
	SingleN          Phase              `json:"single_n_writers"`
	Writers          int                `json:"writers"`
	Batched          Phase              `json:"batched"`
	ReplayCold       Replay             `json:"replay_cold"`
	ReplayWarm       Replay             `json:"replay_warm"`
	TotalEvents      int                `json:"total_events"`
	PayloadBytes     int64              `json:"payload_bytes"`
	DiskBytes        int64              `json:"disk_bytes_allocated"`
	ApparentBytes    int64              `json:"disk_bytes_apparent"`
	BytesPerEvent    float64            `json:"disk_bytes_per_event"`
	PayloadPerEvent  float64            `json:"payload_bytes_per_event"`
	Files            []string           `json:"files"`
	ConflictsChecked int                `json:"conflicts_checked"`
	MaxRSSKiB        int64              `json:"max_rss_kib"`
	WallSeconds      float64            `json:"wall_seconds"`
	Extra            map[string]float64 `json:"extra,omitempty"`
}

var eventTypes = [...]string{
	"ProposalRaised", "MeetingConvened", "ParticipantJoined", "MotionTabled",
	"OpinionRecorded", "VoteCast", "DecisionRecorded", "ActionAssigned",
	"ActionCompleted", "OutcomeConfirmed",
}

// corpus is the text the payload bodies are cut from (UTF-8, JSON-safe).
var corpus = func() string {
	s := "居民提出议题：小区停车线需要重新划设，电动自行车棚通道被杂物堵塞。" +
		"网格长召集议事会，物业公司、供热公司和居民代表到场协商，" +
		"各方发表意见后形成决议，明确责任人与完成时限，并由居民确认结果。" +
		"Residents asked for the parking lines to be repainted and the bicycle-shed passage cleared; " +
		"the grid head convened a meeting with property management and the heating company. "
	for len(s) < 4096 {
		s += s
	}
	return s
}()

// Payload is what replay decodes every event's data into.
type Payload struct {
	Type     string `json:"type"`
	Proposal string `json:"proposal"`
	Seq      uint64 `json:"seq"`
	Grid     string `json:"grid"`
	Actor    string `json:"actor"`
	At       string `json:"at"`
	Body     string `json:"body"`
}

type gen struct {
	rng *rand.Rand
}

func newGen(seed, stream uint64) *gen {
	return &gen{rng: rand.New(rand.NewPCG(seed, stream))}
}

func (g *gen) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(g.rng.Uint32())
	}
	return len(p), nil
}

var baseTime = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// event builds the JSON payload of event `version` of stream `id`, of a
// uniformly drawn total size in [min,max] bytes.
func (g *gen) event(o *Options, stream string, version uint64) Event {
	id := stream[len("proposal-"):]
	typ := eventTypes[(version-1)%uint64(len(eventTypes))]
	target := o.MinBytes + g.rng.IntN(o.MaxBytes-o.MinBytes+1)
	b := make([]byte, 0, target+8)
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","proposal":"`...)
	b = append(b, id...)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, version, 10)
	b = append(b, `,"grid":"grid-`...)
	b = strconv.AppendInt(b, int64(g.rng.IntN(40)+1), 10)
	b = append(b, `","actor":"resident-`...)
	b = strconv.AppendInt(b, int64(g.rng.IntN(5000)), 10)
	b = append(b, `","at":"`...)
	b = baseTime.Add(time.Duration(version)*time.Minute).AppendFormat(b, time.RFC3339)
	b = append(b, `","body":"`...)
	n := target - len(b) - 2
	if n < 0 {
		n = 0
	}
	off := g.rng.IntN(len(corpus) - 1024)
	for off > 0 && !utf8.RuneStart(corpus[off]) {
		off++
	}
	end := off + n
	for end > off && !utf8.RuneStart(corpus[end]) {
		end--
	}
	b = append(b, corpus[off:end]...)
	b = append(b, `"}`...)
	return Event{Stream: stream, Version: version, Type: typ, At: time.Now().UnixNano(), Data: b}
}

func makeStreams(seed uint64, salt uint64, n int) []string {
	g := newGen(seed, salt)
	s := make([]string, n)
	for i := range s {
		u, err := uuid.NewRandomFromReader(g)
		if err != nil {
			panic(err)
		}
		s[i] = "proposal-" + u.String()
	}
	return s
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p)
	return float64(d[i]) / 1e3
}

func finishPhase(appends, events int, el time.Duration, lat []time.Duration) Phase {
	slices.Sort(lat)
	s := el.Seconds()
	return Phase{
		Appends: appends, Events: events, Seconds: s,
		AppendsS: float64(appends) / s, EventsS: float64(events) / s,
		P50us: pct(lat, 0.50), P99us: pct(lat, 0.99), MaxUs: pct(lat, 1),
	}
}

// runSingle appends one event per call, `writers` goroutines, each owning the
// streams s with s % writers == w, in rounds: version 1 of each of its
// streams, then version 2, ... so the log interleaves many streams.
func runSingle(st Store, o *Options, streams []string, writers int, seedSalt uint64) (Phase, int64, error) {
	if pa, ok := st.(phaseAware); ok {
		pa.Phase(writers)
	}
	type out struct {
		lat   []time.Duration
		bytes int64
		err   error
	}
	outs := make([]out, writers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			g := newGen(o.Seed, seedSalt+uint64(w))
			var mine []string
			for i := w; i < len(streams); i += writers {
				mine = append(mine, streams[i])
			}
			lat := make([]time.Duration, 0, len(mine)*o.PerStream)
			evs := make([]Event, 1)
			for v := 1; v <= o.PerStream; v++ {
				for _, s := range mine {
					evs[0] = g.event(o, s, uint64(v))
					outs[w].bytes += int64(len(evs[0].Data))
					t := time.Now()
					if err := st.Append(s, uint64(v-1), evs); err != nil {
						outs[w].err = fmt.Errorf("append %s v%d: %w", s, v, err)
						return
					}
					lat = append(lat, time.Since(t))
				}
			}
			outs[w].lat = lat
		}(w)
	}
	wg.Wait()
	el := time.Since(start)
	var lat []time.Duration
	var bytes int64
	for _, x := range outs {
		if x.err != nil {
			return Phase{}, 0, x.err
		}
		lat = append(lat, x.lat...)
		bytes += x.bytes
	}
	return finishPhase(len(lat), len(lat), el, lat), bytes, nil
}

// runBatched appends o.Batch events per call, one writer, round-robin over
// the batch streams, each stream receiving o.BatchPerStream appends.
func runBatched(st Store, o *Options, streams []string) (Phase, int64, error) {
	if pa, ok := st.(phaseAware); ok {
		pa.Phase(1)
	}
	g := newGen(o.Seed, 1<<40)
	appends := o.BatchEvents / o.Batch
	lat := make([]time.Duration, 0, appends)
	evs := make([]Event, o.Batch)
	var bytes int64
	start := time.Now()
	for a := 0; a < appends; a++ {
		s := streams[a%len(streams)]
		round := a / len(streams)
		expected := uint64(round * o.Batch)
		for i := range evs {
			evs[i] = g.event(o, s, expected+1+uint64(i))
			bytes += int64(len(evs[i].Data))
		}
		t := time.Now()
		if err := st.Append(s, expected, evs); err != nil {
			return Phase{}, 0, fmt.Errorf("batch append %s @%d: %w", s, expected, err)
		}
		lat = append(lat, time.Since(t))
	}
	return finishPhase(appends, appends*o.Batch, time.Since(start), lat), bytes, nil
}

// checkConflicts makes sure stale and too-new expected versions are refused
// (stream must hold exactly n events) and that nothing was written.
func checkConflicts(st Store, o *Options, stream string, n uint64) (int, error) {
	g := newGen(o.Seed, 99)
	checks := 0
	for _, exp := range []uint64{0, n - 1, n + 1} {
		if exp == n {
			continue
		}
		ev := []Event{g.event(o, stream, exp+1)}
		err := st.Append(stream, exp, ev)
		if !errors.Is(err, ErrConflict) {
			return checks, fmt.Errorf("append with expected=%d to a stream at %d: got %v, want conflict", exp, n, err)
		}
		checks++
	}
	return checks, nil
}

// verifier decodes every event's JSON and checks global order and per-stream
// version contiguity.
type verifier struct {
	last    map[string]uint64
	lastPos uint64
	n       int
	p       Payload
}

func (v *verifier) check(pos uint64, e *Event) error {
	v.p = Payload{}
	if err := json.Unmarshal(e.Data, &v.p); err != nil {
		return fmt.Errorf("event %d: %w", pos, err)
	}
	if v.p.Seq != e.Version || v.p.Type != e.Type || "proposal-"+v.p.Proposal != e.Stream {
		return fmt.Errorf("event %d: payload does not match its metadata", pos)
	}
	if v.n > 0 && pos <= v.lastPos {
		return fmt.Errorf("event %d after %d: global order broken", pos, v.lastPos)
	}
	if v.last[e.Stream]+1 != e.Version {
		return fmt.Errorf("stream %s: version %d after %d", e.Stream, e.Version, v.last[e.Stream])
	}
	v.last[e.Stream] = e.Version
	v.lastPos = pos
	v.n++
	return nil
}

func timedReplay(st Store, want int) (Replay, error) {
	v := &verifier{last: make(map[string]uint64, 1<<14)}
	start := time.Now()
	if err := st.Replay(v.check); err != nil {
		return Replay{}, err
	}
	el := time.Since(start)
	if v.n != want {
		return Replay{}, fmt.Errorf("replay saw %d events, want %d", v.n, want)
	}
	return Replay{Events: v.n, Seconds: el.Seconds(), EventsS: float64(v.n) / el.Seconds()}, nil
}

func mergeExtra(r *Result, prefix string, st Store) {
	if er, ok := st.(extraReporter); ok {
		for k, v := range er.Extra() {
			if r.Extra == nil {
				r.Extra = map[string]float64{}
			}
			r.Extra[prefix+k] = v
		}
	}
}

// runPeer runs the whole workload for one peer in this process.
func runPeer(p Peer, o *Options) (*Result, error) {
	wall := time.Now()
	dir, err := os.MkdirTemp(o.Dir, "peersbench-"+p.Name+"-")
	if err != nil {
		return nil, err
	}
	if !o.Keep {
		defer os.RemoveAll(dir)
	}
	if isTmpfs(dir) {
		fmt.Fprintf(os.Stderr, "warning: %s is on tmpfs: fsync proves nothing there\n", dir)
	}
	r := &Result{Peer: p.Name, Writers: o.Writers}
	st, err := p.Open(dir, o)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	nStreams := max(1, o.Events/o.PerStream)
	s1 := makeStreams(o.Seed, 1, nStreams)
	s2 := makeStreams(o.Seed, 2, nStreams)
	sb := makeStreams(o.Seed, 3, max(1, o.BatchEvents/o.Batch/o.BatchPerStream))
	runtime.GC()

	var b int64
	if r.Single1, b, err = runSingle(st, o, s1, 1, 1000); err != nil {
		return nil, fmt.Errorf("1 writer: %w", err)
	}
	r.PayloadBytes += b
	mergeExtra(r, "1w_", st)
	if r.ConflictsChecked, err = checkConflicts(st, o, s1[0], uint64(o.PerStream)); err != nil {
		return nil, err
	}
	if r.SingleN, b, err = runSingle(st, o, s2, o.Writers, 2000); err != nil {
		return nil, fmt.Errorf("%d writers: %w", o.Writers, err)
	}
	r.PayloadBytes += b
	mergeExtra(r, fmt.Sprintf("%dw_", o.Writers), st)
	if r.Batched, b, err = runBatched(st, o, sb); err != nil {
		return nil, err
	}
	r.PayloadBytes += b
	mergeExtra(r, "batch_", st)
	if err := st.Close(); err != nil {
		return nil, fmt.Errorf("close: %w", err)
	}
	r.TotalEvents = r.Single1.Events + r.SingleN.Events + r.Batched.Events

	alloc, apparent, files, err := dirUsage(dir)
	if err != nil {
		return nil, err
	}
	r.DiskBytes, r.ApparentBytes = alloc, apparent
	for _, f := range files {
		r.Files = append(r.Files, f[len(dir)+1:])
	}
	r.BytesPerEvent = float64(alloc) / float64(r.TotalEvents)
	r.PayloadPerEvent = float64(r.PayloadBytes) / float64(r.TotalEvents)

	// Replay: reopen, drop this store's pages from the page cache, read all.
	if err := dropCache(files); err != nil {
		return nil, fmt.Errorf("drop cache: %w", err)
	}
	if st, err = p.Open(dir, o); err != nil {
		return nil, fmt.Errorf("reopen: %w", err)
	}
	if sr, ok := st.(seqReader); ok {
		t := time.Now()
		n, err := sr.SeqRead()
		if err != nil {
			return nil, err
		}
		if r.Extra == nil {
			r.Extra = map[string]float64{}
		}
		r.Extra["seqread_cold_MBps"] = float64(n) / 1e6 / time.Since(t).Seconds()
		if err := dropCache(files); err != nil {
			return nil, err
		}
	}
	if r.ReplayCold, err = timedReplay(st, r.TotalEvents); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if r.ReplayWarm, err = timedReplay(st, r.TotalEvents); err != nil {
		return nil, fmt.Errorf("replay (warm): %w", err)
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	r.WallSeconds = time.Since(wall).Seconds()
	return r, nil
}
