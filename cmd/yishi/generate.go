package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// generate adds generated, domain-valid events to a ledger for load tests:
// communities with grids, proposals with supports, triage, meetings with
// attendance, motions and votes, actions with progress and verification.
// Every command is decided by domain.Decide against the stream's history
// kept in memory, encoded and hash-chained as the ledger does
// (ledger.EncodeEvents), and appended per stream in bulk by concurrent
// writers. Some meetings are left with voting open, and the ids a load test
// needs are written to a JSON file (GeneratedIDs). A run that fails keeps
// what its earlier flushes appended; every append is whole and chained, so
// the ledger still verifies.
func generate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(getenv, "YISHI_DATA", "./data"), "data directory of the embedded store (env YISHI_DATA)")
	storeSpec := fs.String("store", getenv("YISHI_STORE"), "store: a data directory or a kurrentdb:// connection string (env YISHI_STORE); default --data")
	events := fs.Int("events", 100_000, "about how many events to add")
	grids := fs.Int("grids", 1000, "how many grids (10 per community)")
	seed := fs.Uint64("seed", 1, "random seed; ids derive from it, so a second run into the same store needs another seed")
	openMeetings := fs.Int("open-meetings", 200, "meetings left open with voting open, for vote casting")
	voters := fs.Int("voters", 20, "electorate of each open motion")
	writers := fs.Int("writers", 16, "concurrent appending writers")
	keys := keysFlag(fs, getenv)
	out := fs.String("out", "", "where to write the ids a load test needs (JSON); default DATA/generated-<seed>.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *events < 1 || *grids < 1 || *openMeetings < 0 || *voters < 1 || *voters > genResidents || *writers < 1 {
		return fmt.Errorf("generate: --events, --grids and --writers must be positive, --open-meetings not negative, --voters from 1 to %d", genResidents)
	}
	spec := *storeSpec
	if spec == "" {
		spec = *data
	}
	if *out == "" {
		*out = filepath.Join(*data, fmt.Sprintf("generated-%d.json", *seed))
	}
	store, desc, err := openStore(ctx, spec)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	// Keys are synced once before each append instead of once per command.
	keysAt := keysDir(*keys, spec, *data)
	if isSharedKeys(keysAt) {
		return errors.New("--keys: generate writes into a key directory; copy its keys to a shared store with yishi copy --with-keys")
	}
	kd, err := privacy.OpenKeyDir(keysAt, privacy.BulkLoad())
	if err != nil {
		return fmt.Errorf("--keys: %w", err)
	}
	sealer := privacy.NewSealer(kd)
	defer closeSealer(sealer, &err)
	fmt.Fprintf(stderr, "generating about %d events over %d grids into %s\n", *events, *grids, desc)

	start := time.Now()
	bar := newProgress(stderr, int64(*events), "generating")
	w := newBulkWriter(ctx, store, *writers, kd.Sync, func(n int) {
		_ = bar.Set(n) // it only fails on a closed writer
	})
	g := newGenerator(*seed, *grids, *events, time.Now().UTC(), w)
	g.seal = sealer
	ids, err := g.run(*events, *openMeetings, *voters)
	if err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	_ = bar.Finish()
	ids.Events = w.written
	took := time.Since(start)
	b, err := json.MarshalIndent(ids, "", "  ")
	if err != nil {
		return fmt.Errorf("generate: encode ids: %w", err)
	}
	if err := os.WriteFile(*out, b, 0o640); err != nil {
		return fmt.Errorf("generate: write ids: %w", err)
	}
	fmt.Fprintf(stdout, "generated %d events (%d proposals, %d meetings, %d actions, %d open motions) in %s (%.0f events/s); ids in %s\n",
		w.written, g.proposals, g.meetings, g.actions, len(ids.OpenMotions), took.Round(time.Millisecond), float64(w.written)/took.Seconds(), *out)
	return nil
}

// GeneratedIDs is what `yishi generate` writes for a load test.
type GeneratedIDs struct {
	Seed   uint64 `json:"seed"`
	Events int    `json:"events"`
	// Grids are the generated grids with their communities.
	Grids []GridRef `json:"grids"`
	// Proposals is a sample of generated proposal ids, for timelines.
	Proposals []string `json:"proposals"`
	// OpenMotions are motions with voting open and their electorates.
	OpenMotions []OpenMotion `json:"open_motions"`
}

// GridRef names a grid and its community.
type GridRef struct {
	Community string `json:"community"`
	Grid      string `json:"grid"`
}

// OpenMotion is a motion whose voting is open.
type OpenMotion struct {
	MeetingID string         `json:"meeting_id"`
	MotionID  string         `json:"motion_id"`
	Community string         `json:"community"`
	Grid      string         `json:"grid"`
	Options   []string       `json:"options"`
	Voters    []domain.Voter `json:"voters"`
}

// memStream is a stream as the generator knows it: its history (until it
// is finished), where its chain stands, and what is still to be appended.
type memStream struct {
	name     string
	history  []domain.Event
	finished bool
	revision int64 // last decided revision, -1 for none
	hash     string
	stored   int64 // revision already in the store, -1 for none
	pending  []eventstore.EventData
}

// bulkWriter appends the streams' pending events, one append per stream
// (or more past the store's append limits), with several writers.
type bulkWriter struct {
	ctx     context.Context
	store   eventstore.Store
	writers int
	// syncKeys makes the keys the pending events are sealed under durable;
	// flush calls it before any append.
	syncKeys func() error
	progress func(written int)
	streams  map[string]*memStream
	touched  []*memStream // streams with pending events, in order of first change
	pending  int
	written  int
}

// flushEvery is how many pending events trigger a flush: large enough for
// bulk appends, small enough that the global log keeps the stories' order
// across flushes (1,000,000 events spread over a simulated year make a
// flush about 18 days).
const flushEvery = 50_000

func newBulkWriter(ctx context.Context, store eventstore.Store, writers int, syncKeys func() error, progress func(int)) *bulkWriter {
	return &bulkWriter{ctx: ctx, store: store, writers: writers, syncKeys: syncKeys, progress: progress, streams: map[string]*memStream{}}
}

// stream returns the named stream's state; a stream the generator has not
// touched is new (generated ids never name an existing stream; the append
// fails if one does).
func (w *bulkWriter) stream(name string) *memStream {
	s, ok := w.streams[name]
	if !ok {
		s = &memStream{name: name, revision: -1, stored: -1}
		w.streams[name] = s
	}
	return s
}

// add queues encoded events of s and flushes when enough are pending.
func (w *bulkWriter) add(s *memStream, data []eventstore.EventData) error {
	if len(s.pending) == 0 {
		w.touched = append(w.touched, s)
	}
	s.pending = append(s.pending, data...)
	w.pending += len(data)
	if w.pending >= flushEvery {
		return w.flush()
	}
	return nil
}

// flush appends every pending event: the streams in order of first change,
// each stream's events in chunks within the store's limits, by w.writers
// goroutines.
func (w *bulkWriter) flush() error {
	if w.pending == 0 {
		return nil
	}
	if err := w.syncKeys(); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	work := make(chan *memStream)
	errs := make(chan error, w.writers)
	var wg sync.WaitGroup
	for range w.writers {
		wg.Go(func() {
			for s := range work {
				if err := appendStream(ctx, w.store, s); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
feed:
	for _, s := range w.touched {
		select {
		case work <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	var failed []error
	for err := range errs {
		failed = append(failed, err)
	}
	if err := errors.Join(failed...); err != nil {
		return err
	}
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	w.written += w.pending
	w.pending, w.touched = 0, w.touched[:0]
	w.progress(w.written)
	return nil
}

// appendStream appends s's pending events with the exact expected revision.
func appendStream(ctx context.Context, store eventstore.Store, s *memStream) error {
	for len(s.pending) > 0 {
		n, size := 0, 0
		for n < len(s.pending) && n < eventstore.MaxAppendEvents {
			sz := len(s.pending[n].Data) + 600 // metadata, generously
			if n > 0 && size+sz > eventstore.MaxAppendSize {
				break
			}
			size += sz
			n++
		}
		expected := eventstore.NoStream()
		if s.stored >= 0 {
			expected = eventstore.Exact(uint64(s.stored))
		}
		if _, err := store.Append(ctx, s.name, expected, s.pending[:n]...); err != nil {
			return fmt.Errorf("generate: append %d events to %s: %w", n, s.name, err)
		}
		s.stored += int64(n)
		s.pending = s.pending[n:]
	}
	s.pending = nil
	return nil
}

// genResidents is how many residents each generated grid has.
const genResidents = 300

// The generator's vocabulary.
var (
	genSurnames   = []string{"张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"}
	genGiven      = []string{"明", "芳", "伟", "娜", "强", "敏", "静", "磊", "洋", "艳", "军", "霞"}
	genChannels   = []string{domain.ChannelPhotoReport, domain.ChannelVisit, domain.ChannelMeeting, domain.ChannelWindow, domain.ChannelOnline}
	genCategories = []string{"环境卫生", "停车", "设施维修", "供暖", "邻里", "安全隐患"}
	genTopics     = []struct{ title, text, place string }{
		{"停车棚夹道乱堆乱放", "自行车棚夹道堆满杂物，通行困难", "自行车棚"},
		{"道路狭窄车辆剐蹭", "小区道路窄，停车无序，经常剐蹭", "小区主路"},
		{"健身器材生锈", "健身区器材锈蚀，存在安全隐患", "健身区"},
		{"楼道飞线充电", "有住户从窗口拉线给电动车充电", "楼下车位"},
		{"暖气不热", "入冬以来室温不到十八度", "单元楼"},
		{"路灯损坏", "小区西门路灯不亮，夜间出行不便", "西门"},
	}
)

// generator decides the stories' commands against in-memory streams.
type generator struct {
	r     *rand.Rand
	seed  uint64
	w     *bulkWriter
	now   time.Time
	step  time.Duration
	grids []genGrid
	seq   int
	ids   GeneratedIDs

	proposals, meetings, actions int

	open     []*genProposal // submitted, waiting for triage
	accepted []*genProposal // accepted, waiting for a meeting
	busy     []*genAction   // open actions
	photos   []string
	// seal seals personal fields as the ledger does; nil stores them plain.
	seal *privacy.Sealer
}

type genGrid struct {
	community, grid, head, headName, worker, partner string
	residents                                        int
}

type genProposal struct {
	id       string
	grid     *genGrid
	author   int // resident index
	title    string
	supports int
	open     int  // open actions
	verified bool // some action was verified
}

type genAction struct {
	id      string
	p       *genProposal
	started bool
}

// minSpread keeps the simulated clock's steps short for small runs: about
// five minutes between commands at most.
const minSpread = 100_000

// newGenerator spreads the stories over the year before end, so that the
// simulated clock stays in the past.
func newGenerator(seed uint64, grids, events int, end time.Time, w *bulkWriter) *generator {
	g := &generator{
		r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), seed: seed, w: w,
		now: end.Add(-365 * 24 * time.Hour), step: 365 * 24 * time.Hour / time.Duration(max(events, minSpread)),
		ids: GeneratedIDs{Seed: seed},
	}
	for i := range grids {
		c := fmt.Sprintf("gen%d-c%d", seed, i/10)
		g.grids = append(g.grids, genGrid{community: c, grid: fmt.Sprintf("g%d", i), head: fmt.Sprintf("gen%d-head%d", seed, i),
			headName: g.name(i), worker: fmt.Sprintf("gen%d-worker%d", seed, i), partner: c + "-wuye", residents: genResidents})
	}
	for i := range 8 {
		h := sha256.Sum256(fmt.Appendf(nil, "yishi generated photo %d", i))
		g.photos = append(g.photos, hex.EncodeToString(h[:]))
	}
	return g
}

// name gives person n a Chinese name.
func (g *generator) name(n int) string {
	return genSurnames[n%len(genSurnames)] + genGiven[(n/len(genSurnames))%len(genGiven)]
}

// uid derives an aggregate id (a UUID, as the API's paths want) from the
// seed and a counter.
func (g *generator) uid(kind string) string {
	g.seq++
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "yishi-generate/%d/%s/%d", g.seed, kind, g.seq)).String()
}

func (gr *genGrid) resident(n int) domain.Voter {
	n %= gr.residents
	return domain.Voter{PersonID: fmt.Sprintf("%s-%s-r%d", gr.community, gr.grid, n), Name: genSurnames[n%len(genSurnames)] + genGiven[(n/3)%len(genGiven)]}
}

func (gr *genGrid) facilitator() ledger.Actor { return ledger.Actor{ID: gr.head, Role: "facilitator"} }

func resident(v domain.Voter) ledger.Actor { return ledger.Actor{ID: v.PersonID, Role: "resident"} }

// do decides cmd at the simulated time, queues its events and runs its
// follow-ups, as ledger.Execute would.
func (g *generator) do(actor ledger.Actor, cmd domain.Command) error {
	g.now = g.now.Add(time.Duration(g.r.Int64N(int64(2*g.step) + 1)))
	return g.execute(actor, cmd, ledger.Options{CorrelationID: uuid.Must(uuid.NewV7()).String()})
}

func (g *generator) execute(actor ledger.Actor, cmd domain.Command, opts ledger.Options) error {
	s := g.w.stream(cmd.Stream())
	if s.finished {
		return fmt.Errorf("generate: %T on %s, a stream the generator had finished", cmd, s.name)
	}
	events, err := domain.Decide(s.history, cmd, g.now)
	if err != nil {
		return fmt.Errorf("generate: %T on %s: %w", cmd, s.name, err)
	}
	if len(events) == 0 {
		return nil
	}
	stored := events
	if g.seal != nil {
		if stored, err = g.seal.Seal(g.w.ctx, s.name, events); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	data, err := ledger.EncodeEvents(s.name, s.revision, s.hash, stored, actor, opts, func() uuid.UUID { return uuid.Must(uuid.NewV7()) }, time.Now())
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	s.history = append(s.history, events...)
	s.revision += int64(len(events))
	s.hash = data[len(data)-1].Metadata.Hash
	first := data[0].ID
	if err := g.w.add(s, data); err != nil {
		return err
	}
	for i, c := range domain.FollowUps(s.name, events) {
		if err := g.execute(actor, c, ledger.FollowUpOptions(first, i, opts)); err != nil {
			return fmt.Errorf("follow-up of %s: %w", s.name, err)
		}
	}
	return nil
}

// finish drops a stream's history once no more commands will target it.
func (g *generator) finish(stream string) {
	s := g.w.stream(stream)
	s.history, s.finished = nil, true
}

// all runs commands in order as one actor.
func (g *generator) all(actor ledger.Actor, cmds ...domain.Command) error {
	for _, c := range cmds {
		if err := g.do(actor, c); err != nil {
			return err
		}
	}
	return nil
}

// run writes the organisation, then stories until about n events are
// decided, then the open meetings.
func (g *generator) run(n, openMeetings, voters int) (GeneratedIDs, error) {
	if err := g.organisation(); err != nil {
		return g.ids, err
	}
	for g.w.written+g.w.pending < n {
		if err := g.story(); err != nil {
			return g.ids, err
		}
	}
	for range openMeetings {
		if err := g.openMeeting(voters); err != nil {
			return g.ids, err
		}
	}
	return g.ids, nil
}

// organisation registers the communities (10 grids each) with grid heads,
// workers, three compounds per grid and the property manager.
func (g *generator) organisation() error {
	admin := ledger.Actor{ID: fmt.Sprintf("gen%d-admin", g.seed), Role: "admin"}
	for i := range g.grids {
		gr := &g.grids[i]
		g.ids.Grids = append(g.ids.Grids, GridRef{Community: gr.community, Grid: gr.grid})
		if i%10 == 0 {
			if err := g.all(admin,
				domain.RegisterCommunity{CommunityID: gr.community, Name: fmt.Sprintf("生成社区%d", i/10), Kind: domain.CommunityUrban, Street: "生成街道"},
				domain.RegisterPartner{CommunityID: gr.community, PartnerID: gr.partner, Name: "物业服务中心", Kind: domain.UnitPropertyManagement, Contact: "值班室"},
			); err != nil {
				return err
			}
		}
		cmds := []domain.Command{
			domain.CreateGrid{CommunityID: gr.community, GridID: gr.grid, Name: fmt.Sprintf("第%d网格", i%10+1), Kind: domain.GridResidential},
			domain.AppointGridHead{CommunityID: gr.community, GridID: gr.grid, PersonID: gr.head, Name: gr.headName},
			domain.AssignGridWorker{CommunityID: gr.community, GridID: gr.grid, PersonID: gr.worker, Name: g.name(i + 7), Employment: domain.FullTime},
		}
		for c := range 3 {
			cmds = append(cmds, domain.RegisterCompound{CommunityID: gr.community, CompoundID: fmt.Sprintf("%s-cp%d", gr.grid, c), GridID: gr.grid, Name: fmt.Sprintf("%d号楼院", c+1)})
		}
		if err := g.all(admin, cmds...); err != nil {
			return err
		}
	}
	return nil
}

// pick removes and returns a random element of s.
func pick[T any](r *rand.Rand, s *[]T) T {
	i := r.IntN(len(*s))
	v := (*s)[i]
	(*s)[i] = (*s)[len(*s)-1]
	*s = (*s)[:len(*s)-1]
	return v
}

// story moves one story forward.
func (g *generator) story() error {
	switch n := g.r.IntN(100); {
	case n < 30 || len(g.open) == 0:
		return g.submit()
	case n < 42:
		return g.support(g.open[g.r.IntN(len(g.open))])
	case n < 47:
		return g.reject(pick(g.r, &g.open), false)
	case n < 62:
		return g.accept(pick(g.r, &g.open))
	case n < 77 && len(g.accepted) > 0:
		return g.meeting(pick(g.r, &g.accepted))
	default:
		return g.work()
	}
}

func (g *generator) submit() error {
	gr := &g.grids[g.r.IntN(len(g.grids))]
	author := g.r.IntN(gr.residents)
	a := gr.resident(author)
	t := genTopics[g.r.IntN(len(genTopics))]
	p := &genProposal{id: g.uid("proposal"), grid: gr, author: author, title: t.title}
	c := domain.SubmitProposal{ProposalID: p.id, CommunityID: gr.community, GridID: gr.grid, CompoundID: fmt.Sprintf("%s-cp%d", gr.grid, g.r.IntN(3)),
		Title: t.title, Text: t.text + "，联系电话13812345678", Category: genCategories[g.r.IntN(len(genCategories))], Place: fmt.Sprintf("%d号楼%s", 1+g.r.IntN(20), t.place),
		Channel: genChannels[g.r.IntN(len(genChannels))], Author: domain.Party{Kind: domain.PartyPerson, ID: a.PersonID, Name: a.Name}}
	actor := resident(a)
	switch c.Channel {
	case domain.ChannelPhotoReport:
		c.Photos = []string{g.photos[g.r.IntN(len(g.photos))]}
	case domain.ChannelVisit, domain.ChannelWindow:
		c.RecordedBy, actor = gr.worker, ledger.Actor{ID: gr.worker, Role: "grid_worker"}
	}
	if err := g.do(actor, c); err != nil {
		return err
	}
	g.proposals++
	if len(g.ids.Proposals) < 5000 {
		g.ids.Proposals = append(g.ids.Proposals, p.id)
	}
	g.open = append(g.open, p)
	return nil
}

// support adds a supporter other than the author and earlier supporters.
func (g *generator) support(p *genProposal) error {
	if p.supports+1 >= p.grid.residents {
		return nil
	}
	p.supports++
	v := p.grid.resident(p.author + p.supports)
	return g.do(resident(v), domain.SupportProposal{ProposalID: p.id, PersonID: v.PersonID, Name: v.Name})
}

// reject closes a proposal without an action: half are withdrawn by their
// author, unless a meeting decided on it (a vote that did not carry), and
// the rest are rejected by the grid's facilitator.
func (g *generator) reject(p *genProposal, decided bool) error {
	if !decided && g.r.IntN(2) == 0 {
		a := p.grid.resident(p.author)
		if err := g.do(resident(a), domain.WithdrawProposal{ProposalID: p.id, PersonID: a.PersonID, Reason: "已自行解决"}); err != nil {
			return err
		}
	} else if err := g.do(p.grid.facilitator(), domain.RejectProposal{ProposalID: p.id, Reason: "不属于社区事务，已告知向有关部门反映", By: p.grid.head}); err != nil {
		return err
	}
	g.finish(domain.ProposalStream(p.id))
	return nil
}

// accept triages a proposal in; a third are handled directly with an action.
func (g *generator) accept(p *genProposal) error {
	gr := p.grid
	if err := g.do(gr.facilitator(), domain.AcceptProposal{ProposalID: p.id, Owner: domain.Party{Kind: domain.PartyPerson, ID: gr.head, Name: gr.headName}, By: gr.head}); err != nil {
		return err
	}
	if g.r.IntN(3) > 0 {
		g.accepted = append(g.accepted, p)
		return nil
	}
	if err := g.do(gr.facilitator(), domain.HandleDirectly{ProposalID: p.id, Handler: domain.Party{Kind: domain.PartyUnit, ID: gr.partner, Name: "物业服务中心"}, By: gr.head}); err != nil {
		return err
	}
	return g.assign(p, "", "")
}

func (g *generator) assign(p *genProposal, meeting, motion string) error {
	gr := p.grid
	a := &genAction{id: g.uid("action"), p: p}
	if err := g.do(gr.facilitator(), domain.AssignAction{ActionID: a.id, CommunityID: gr.community, GridID: gr.grid, ProposalID: p.id, MeetingID: meeting, MotionID: motion,
		Title: "落实：" + p.title, Owner: domain.Party{Kind: domain.PartyUnit, ID: gr.partner, Name: "物业服务中心"},
		Due: g.now.Add(time.Duration(3+g.r.IntN(30)) * 24 * time.Hour), By: gr.head}); err != nil {
		return err
	}
	g.actions++
	p.open++
	g.busy = append(g.busy, a)
	return nil
}

// invite schedules a meeting on p, invites k residents and opens it with
// everyone present but one in five.
func (g *generator) invite(p *genProposal, k int) (meeting, item string, invited []domain.Voter, err error) {
	gr := p.grid
	meeting, item = g.uid("meeting"), fmt.Sprintf("item-%d", g.seq)
	fac := gr.facilitator()
	cmds := []domain.Command{
		domain.ScheduleMeeting{MeetingID: meeting, CommunityID: gr.community, GridID: gr.grid, Title: "楼院议事：" + p.title, Place: "网格之家",
			StartsAt: g.now.Add(24 * time.Hour), Format: domain.FormatCourtyard, Facilitator: domain.Voter{PersonID: gr.head, Name: gr.headName}},
		domain.AddAgendaItem{MeetingID: meeting, ItemID: item, Title: p.title, ProposalID: p.id},
	}
	first := g.r.IntN(gr.residents)
	for i := range k {
		v := gr.resident(first + i)
		invited = append(invited, v)
		cmds = append(cmds, domain.InviteParticipant{MeetingID: meeting, Participant: domain.Participant{PersonID: v.PersonID, Name: v.Name, Kind: domain.ParticipantResident}})
	}
	cmds = append(cmds, domain.OpenMeeting{MeetingID: meeting})
	for i, v := range invited {
		att := domain.Present
		if i%5 == 4 {
			att = domain.Absent
		}
		cmds = append(cmds, domain.RecordAttendance{MeetingID: meeting, PersonID: v.PersonID, Name: v.Name, Attendance: att})
	}
	cmds = append(cmds, domain.RecordStatement{MeetingID: meeting, ItemID: item, Speaker: invited[0], Summary: "建议尽快处理，并请物业配合"})
	g.meetings++
	return meeting, item, invited, g.all(fac, cmds...)
}

var genOptions = []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "反对"}}

// meeting deliberates a proposal: by vote (3 in 5), consensus or
// mediation; adjourns, publishes the minutes and assigns an action when
// adopted, or rejects the proposal when the vote fails.
func (g *generator) meeting(p *genProposal) error {
	gr := p.grid
	fac := gr.facilitator()
	meeting, item, voters, err := g.invite(p, 3+g.r.IntN(10))
	if err != nil {
		return err
	}
	motion := "motion-1"
	adopted := true
	switch g.r.IntN(5) {
	case 0:
		if err := g.all(fac,
			domain.TableMotion{MeetingID: meeting, MotionID: motion, ItemID: item, Text: "定期组织邻里协商", Options: genOptions[:1], Rule: domain.Rule{Kind: domain.RuleConsensus}},
			domain.RecordConsensus{MeetingID: meeting, MotionID: motion, OptionID: "yes"},
		); err != nil {
			return err
		}
	case 1:
		parties := []domain.Party{{Kind: domain.PartyUnit, ID: gr.partner, Name: "物业服务中心"}, {Kind: domain.PartyPerson, ID: voters[0].PersonID, Name: voters[0].Name}}
		if err := g.all(fac,
			domain.OfferMediation{MeetingID: meeting, MediationID: motion, ItemID: item, Dispute: "物业与业主的费用纠纷", Parties: parties, Options: genOptions},
			domain.AgreeMediation{MeetingID: meeting, MediationID: motion, OptionID: "yes"},
		); err != nil {
			return err
		}
	default:
		if err := g.all(fac,
			domain.TableMotion{MeetingID: meeting, MotionID: motion, ItemID: item, Text: "同意按方案处理：" + p.title, Options: genOptions, Rule: domain.Rule{Kind: domain.RuleSimpleMajority, QuorumPercent: 50}},
			domain.OpenVoting{MeetingID: meeting, MotionID: motion, Electorate: voters},
		); err != nil {
			return err
		}
		yes := 0
		for i, v := range voters {
			if i%5 == 4 {
				continue // absent
			}
			o := genOptions[g.r.IntN(4)/3].ID // three in four vote yes
			if o == "yes" {
				yes++
			}
			if err := g.do(resident(v), domain.CastVote{MeetingID: meeting, MotionID: motion, VoterID: v.PersonID, CastBy: v.PersonID, OptionID: o}); err != nil {
				return err
			}
		}
		if err := g.do(fac, domain.CloseVoting{MeetingID: meeting, MotionID: motion}); err != nil {
			return err
		}
		adopted = g.adopted(meeting, motion)
	}
	if err := g.all(fac,
		domain.AdjournMeeting{MeetingID: meeting},
		domain.PublishMinutes{MeetingID: meeting, Summary: "会议纪要：" + p.title, ObjectionUntil: g.now.Add(7 * 24 * time.Hour)},
	); err != nil {
		return err
	}
	g.finish(domain.MeetingStream(meeting))
	if !adopted {
		return g.reject(p, true)
	}
	return g.assign(p, meeting, motion)
}

// adopted reads the tally the domain computed when voting closed.
func (g *generator) adopted(meeting, motion string) bool {
	h := g.w.stream(domain.MeetingStream(meeting)).history
	for i := len(h) - 1; i >= 0; i-- {
		if c, ok := h[i].(domain.VotingClosed); ok && c.MotionID == motion {
			return c.Tally.Adopted
		}
	}
	return false
}

// work moves an open action forward: start and progress, completion and
// verification (one in six unsatisfied, which reopens it and its
// proposal), or cancellation; a proposal closes when its last open action
// settles after a verification.
func (g *generator) work() error {
	if len(g.busy) == 0 {
		return g.submit()
	}
	i := g.r.IntN(len(g.busy))
	a := g.busy[i]
	gr := a.p.grid
	owner := ledger.Actor{ID: gr.partner, Role: "unit_rep"}
	if !a.started {
		a.started = true
		return g.all(owner, domain.StartAction{ActionID: a.id}, domain.ReportProgress{ActionID: a.id, Percent: 20 + g.r.IntN(60), Note: "正在施工", Photos: []string{g.photos[g.r.IntN(len(g.photos))]}})
	}
	if g.r.IntN(10) == 0 {
		if err := g.do(gr.facilitator(), domain.CancelAction{ActionID: a.id, Reason: "与其他行动重复", By: gr.head}); err != nil {
			return err
		}
		return g.settle(i)
	}
	if err := g.do(owner, domain.CompleteAction{ActionID: a.id, Evidence: []string{g.photos[g.r.IntN(len(g.photos))]}, Note: "已完成"}); err != nil {
		return err
	}
	// The author or a supporter verifies, as the ledger requires.
	v := gr.resident(a.p.author + g.r.IntN(a.p.supports+1))
	if g.r.IntN(6) == 0 {
		return g.do(resident(v), domain.VerifyAction{ActionID: a.id, Verifier: v, Satisfied: false, Reason: "没有彻底解决"})
	}
	if err := g.do(resident(v), domain.VerifyAction{ActionID: a.id, Verifier: v, Satisfied: true}); err != nil {
		return err
	}
	a.p.verified = true
	return g.settle(i)
}

// settle removes the i-th busy action and closes its proposal when nothing
// is left open and an outcome was verified.
func (g *generator) settle(i int) error {
	a := g.busy[i]
	g.busy[i] = g.busy[len(g.busy)-1]
	g.busy = g.busy[:len(g.busy)-1]
	g.finish(domain.ActionStream(a.id))
	p := a.p
	if p.open--; p.open > 0 || !p.verified {
		return nil
	}
	if err := g.do(p.grid.facilitator(), domain.CloseProposal{ProposalID: p.id, Note: "居民验收满意，办结", By: p.grid.head}); err != nil {
		return err
	}
	g.finish(domain.ProposalStream(p.id))
	return nil
}

// openMeeting leaves a meeting with voting open on a motion whose
// electorate is k residents, all present.
func (g *generator) openMeeting(k int) error {
	if err := g.submit(); err != nil {
		return err
	}
	p := g.open[len(g.open)-1]
	g.open = g.open[:len(g.open)-1]
	gr := p.grid
	if err := g.do(gr.facilitator(), domain.AcceptProposal{ProposalID: p.id, Owner: domain.Party{Kind: domain.PartyPerson, ID: gr.head, Name: gr.headName}, By: gr.head}); err != nil {
		return err
	}
	meeting, item, voters, err := g.invite(p, k)
	if err != nil {
		return err
	}
	for i, v := range voters {
		if i%5 == 4 {
			if err := g.do(gr.facilitator(), domain.RecordAttendance{MeetingID: meeting, PersonID: v.PersonID, Name: v.Name, Attendance: domain.Present}); err != nil {
				return err
			}
		}
	}
	motion := "motion-1"
	if err := g.all(gr.facilitator(),
		domain.TableMotion{MeetingID: meeting, MotionID: motion, ItemID: item, Text: "同意按方案处理：" + p.title, Options: genOptions, Rule: domain.Rule{Kind: domain.RuleSimpleMajority}},
		domain.OpenVoting{MeetingID: meeting, MotionID: motion, Electorate: voters},
	); err != nil {
		return err
	}
	g.finish(domain.MeetingStream(meeting))
	g.ids.OpenMotions = append(g.ids.OpenMotions, OpenMotion{MeetingID: meeting, MotionID: motion, Community: gr.community, Grid: gr.grid,
		Options: []string{"yes", "no"}, Voters: voters})
	return nil
}
