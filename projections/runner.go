package projections

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/internal/durable"
)

// Errors of the runner.
var (
	// ErrWaitTimeout is returned by WaitFor when the views did not reach the
	// position within the runner's bound (Config.MaxWait) or the caller's
	// deadline, whichever came first.
	ErrWaitTimeout = errors.New("projections did not reach the position in time")
	// ErrStopped is returned by WaitFor, and wrapped by Run's error, once the
	// runner has stopped: because Run returned, or because a view failed.
	ErrStopped = errors.New("projections stopped")
)

// ApplyError is the failure of a view, or of decoding, on one event. The
// runner stops at that event; it never skips it.
type ApplyError struct {
	// View is the failing view's name, or "decode" when the event could not
	// be decoded.
	View     string
	Stream   string
	Revision uint64
	Position eventstore.Position
	Type     string
	Err      error
}

// Error names the view and the event.
func (e *ApplyError) Error() string {
	return fmt.Sprintf("projection %s failed on event %s@%d (position %d, type %s): %v",
		e.View, e.Stream, e.Revision, e.Position, e.Type, e.Err)
}

// Unwrap returns the view's error.
func (e *ApplyError) Unwrap() error { return e.Err }

// Config tunes a Runner. The zero value works: no snapshots, 5 s waits.
type Config struct {
	// Dir is the directory for snapshots; empty keeps no snapshots, so every
	// start replays the whole log.
	Dir string
	// SnapshotEvery writes snapshots after this many events folded since the
	// last ones, once the runner has caught up (0 means 200,000); while it
	// catches up, only SnapshotInterval does. Snapshots are also written
	// when the runner catches up and when Run returns.
	SnapshotEvery int
	// SnapshotInterval writes snapshots when events were folded and this
	// much time passed since the last ones (0 means 5 minutes).
	SnapshotInterval time.Duration
	// MaxWait bounds WaitFor (0 means 5 s).
	MaxWait time.Duration
	// Logger receives snapshot and retry notices; nil discards.
	Logger *slog.Logger
	// NewViews builds an empty set of views; nil means NewViews.
	NewViews func() *Views
	// Decode turns a stored event into a domain event; nil means
	// NewDecoder().Decode.
	Decode func(typ string, data []byte) (domain.Event, error)
	// Tap, when set, is handed every delivery of the runner's reading of
	// the log, whatever the views need of it: the runner then reads the
	// whole log, unfiltered, from the earlier of its own position and
	// Tap's, and skips for the views what they do not fold. The server
	// feeds the Merkle tree so (seal.Log.Take): one read of the log instead
	// of two, which was about a sixth of the CPU of a first start at 100k
	// events (docs/performance.md). Take is called on the goroutine that reads
	// the log, one delivery at a time, before the views get it: it holds
	// up the views while it runs, and must not change the event, which is
	// decoded afterwards. An error from Tap stops Run with it.
	Tap Tap
	// CaughtUp, when set, is called when Run has caught up with the log,
	// before the runner reports ready (written false), and again once the
	// snapshots taken then are written (written true; at once when none
	// are taken: nothing new, a snapshot already being written, or an
	// error), with how many events the runner folded since it was made:
	// the server returns the memory of a long fold then, and collects more
	// often until the snapshots are written.
	CaughtUp func(folded uint64, written bool)
}

// Tap takes the deliveries of a runner's reading of the log (Config.Tap).
type Tap interface {
	// After is the position of the last event the tap holds.
	After() eventstore.Position
	// Take takes one delivery: an event (one it holds already, when the
	// runner reads from an earlier position, included) or a checkpoint.
	Take(eventstore.Delivery) error
}

// TapError is the error of a Config.Tap, which stops Run.
type TapError struct{ Err error }

// Error says that the tap failed.
func (e *TapError) Error() string { return "projections: tap: " + e.Err.Error() }

// Unwrap returns the tap's error.
func (e *TapError) Unwrap() error { return e.Err }

// Status is the runner's state for readiness checks and lag metrics.
type Status struct {
	// Position is the global position every view has folded up to.
	Position eventstore.Position
	// CaughtUp reports whether the runner has folded everything that was in
	// the log when its subscription started.
	CaughtUp bool
	// Events counts the events folded since the runner was built.
	Events uint64
	// Running reports whether Run is running.
	Running bool
	// Err is the error that stopped the runner, if any.
	Err error
}

// Runner subscribes to the store, decodes each event once and folds it into
// every view in global order; it snapshots the views with their checkpoint,
// restarts from the snapshots, lets reads wait for a
// position, and builds views as of a past point. Views returns the live
// set; its methods are safe for concurrent use.
type Runner struct {
	store eventstore.Store
	cfg   Config
	log   *slog.Logger

	cur atomic.Pointer[Views]
	// applyMu serialises folds into the live set and its snapshots.
	// from[i] is the checkpoint of view i of the live set: events at or
	// before it were already folded into it (from its snapshot).
	applyMu sync.Mutex
	from    []eventstore.Position

	pos      atomic.Uint64
	caughtUp atomic.Bool
	running  atomic.Bool
	// caughtUpOnce is closed when the views first catch up (WaitCaughtUp).
	caughtUpOnce chan struct{}
	firstCatchUp sync.Once
	events       atomic.Uint64

	waitMu  sync.Mutex
	waitCh  chan struct{}
	nwait   atomic.Int32
	stopErr error // guarded by waitMu

	// snapshot bookkeeping: events folded since the last snapshot, when it
	// was written, and one snapshot write at a time.
	// asOf admits one AsOf build at a time.
	asOf chan struct{}

	// evs and at are the folding goroutine's scratch space.
	evs []Event
	at  []int

	sinceSnap atomic.Int64
	lastSnap  atomic.Int64   // unix nanoseconds
	snapAfter atomic.Int64   // unix nanoseconds: none due before, after a failed one
	snapMu    sync.Mutex     // one snapshot write at a time
	writing   sync.WaitGroup // the snapshot written in the background, if any
	first     *eventRef      // the log's first event; guarded by snapMu

	// tables is the live set's table store (nil without Config.Dir).
	tables    *tableStore
	closeOnce sync.Once
	// noSpill is set when a spill failed (spillTables); the folding
	// goroutine's.
	noSpill bool
}

// domainFilter passes the categories of the domain's catalogue; other
// events in the log (tokens, seals) are not the views' business.
func domainFilter() eventstore.Filter {
	var prefixes []string
	for _, t := range domain.EventTypes() {
		p := t[:strings.IndexByte(t, '.')+1]
		if !slices.Contains(prefixes, p) {
			prefixes = append(prefixes, p)
		}
	}
	return eventstore.Filter{TypePrefixes: prefixes}
}

// checkTimeout bounds New's reads of the log that check the snapshots.
const checkTimeout = time.Minute

// New builds a runner over store. It loads the snapshots in cfg.Dir (a
// missing, unreadable or outdated snapshot means that view is rebuilt from
// the start of the log) and checks that the log holds the events they stand
// on: when it does not (a log restored from an older backup, snapshots from
// another store), it discards every snapshot, says so in one warning, and
// the views are rebuilt from the start. Run then folds what came after
// them. Returns the store's error when the log cannot be read.
func New(store eventstore.Store, cfg Config) (*Runner, error) {
	return Prepare(cfg).Runner(store)
}

// Prepared is a runner's views being loaded from their snapshots before
// the log they follow is open: a server opens its event store, its key
// store and the rest meanwhile, on one core, where the views' load waited
// for them (docs/performance.md, twenty-fourth session). Call Runner or
// Abandon, once.
type Prepared struct {
	done  chan struct{}
	r     *Runner // without its store yet
	set   *Views
	heads []*snapshotHeader
	err   error
}

// Prepare starts loading the views of a runner from the snapshots in
// cfg.Dir, and opening its table store, on goroutines of its own; the
// snapshots are checked against the log once Runner is given it.
func Prepare(cfg Config) *Prepared {
	if cfg.SnapshotEvery <= 0 {
		cfg.SnapshotEvery = 200_000
	}
	if cfg.SnapshotInterval <= 0 {
		cfg.SnapshotInterval = 5 * time.Minute
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.NewViews == nil {
		cfg.NewViews = NewViews
	}
	if cfg.Decode == nil {
		cfg.Decode = NewDecoder().Decode
	}
	p := &Prepared{done: make(chan struct{}), r: &Runner{cfg: cfg, log: cfg.Logger, asOf: make(chan struct{}, 1), caughtUpOnce: make(chan struct{})}}
	go func() {
		defer close(p.done)
		r := p.r
		if cfg.Dir != "" {
			st, err := openTableStore(filepath.Join(cfg.Dir, "state"), false, r.log)
			if err != nil {
				p.err = err
				return
			}
			r.tables = st
		}
		p.set = r.cfg.NewViews() // reading the log once Runner has it
		if p.heads, p.err = loadSnapshots(r.cfg.Dir, p.set.all, r.tables, r.log); p.err != nil {
			p.err = errors.Join(p.err, r.Close())
		}
	}()
	return p
}

// Abandon waits for the load and releases what it opened, for a start
// that ends before it needs the runner. It returns the load's error, if
// it failed (having released what it opened), or the release's.
func (p *Prepared) Abandon() error {
	<-p.done
	if p.err != nil {
		return p.err
	}
	return p.r.Close()
}

// Runner waits for the load and returns the runner over store, as New
// does.
func (p *Prepared) Runner(store eventstore.Store) (*Runner, error) {
	<-p.done
	if p.err != nil {
		return nil, p.err
	}
	r := p.r
	r.store = store
	r.lastSnap.Store(time.Now().UnixNano())
	p.set.readWith(logReader(store, r.cfg.Decode))
	set, heads, err := r.restore(p.set, p.heads)
	if err != nil {
		return nil, errors.Join(err, r.Close())
	}
	r.from = make([]eventstore.Position, len(heads))
	for i, h := range heads {
		if h != nil {
			r.from[i] = h.Position
		}
	}
	if len(heads) > 0 && !slices.Contains(heads, nil) {
		low := slices.MinFunc(heads, func(a, b *snapshotHeader) int { return cmp.Compare(a.Position, b.Position) })
		set.pos, set.at = low.Position, low.At
	}
	for _, h := range heads {
		if h != nil {
			r.first = &h.First
			break
		}
	}
	r.cur.Store(set)
	r.pos.Store(uint64(set.pos))
	return r, nil
}

// restore makes the live set from the views loaded from their snapshots
// and their headers (nil for a view to rebuild), once the log is checked
// to hold what they stand on, and returns it with the headers, its
// tables bound to the table store and emptied for the views to rebuild.
func (r *Runner) restore(set *Views, heads []*snapshotHeader) (*Views, []*snapshotHeader, error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	why, err := checkSnapshots(ctx, r.store, heads)
	if err != nil {
		return nil, nil, err
	}
	if why != "" {
		r.log.Warn("projections: the snapshots do not belong to this log (restored from an older backup, or carried from another store); discarding them and rebuilding every view from the start of the log", "reason", why)
		set = r.newViews()
		clear(heads)
	}
	if r.tables == nil {
		return set, heads, nil
	}
	for i, v := range set.all {
		tv, ok := v.(tabled)
		if !ok {
			continue
		}
		if heads[i] == nil {
			if err := r.tables.reset(tv); err != nil {
				return nil, nil, err
			}
		}
		bindTables(tv, r.tables)
	}
	return set, heads, nil
}

// Close releases the table store of the live set; later calls do nothing.
// Call it once Run has returned (it waits for a snapshot still being
// written); the live set's views must not be used after it.
func (r *Runner) Close() error {
	if r.running.Load() {
		return errors.New("projections: close while the runner runs")
	}
	r.writing.Wait()
	var err error
	r.closeOnce.Do(func() {
		if r.tables != nil {
			err = r.tables.close()
		}
	})
	return err
}

// Views returns the live set of views.
func (r *Runner) Views() *Views { return r.cur.Load() }

// Position is the global position every view has folded up to.
func (r *Runner) Position() eventstore.Position { return eventstore.Position(r.pos.Load()) }

// WaitCaughtUp waits until the views have first caught up with the log as
// it was when Run first started, or ctx ends.
func (r *Runner) WaitCaughtUp(ctx context.Context) error {
	select {
	case <-r.caughtUpOnce:
		return nil // before ctx: both may be ready
	default:
	}
	select {
	case <-r.caughtUpOnce:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ready reports whether the views have caught up with the log as it was
// when the runner's subscription started, and the runner is running.
func (r *Runner) Ready() bool { return r.caughtUp.Load() && r.running.Load() }

// Status returns the runner's state.
func (r *Runner) Status() Status {
	r.waitMu.Lock()
	err := r.stopErr
	r.waitMu.Unlock()
	return Status{
		Position: r.Position(),
		CaughtUp: r.caughtUp.Load(),
		Events:   r.events.Load(),
		Running:  r.running.Load(),
		Err:      err,
	}
}

// Head returns the position of the newest event in the log (of any kind),
// Start for an empty log. Head minus Position is the runner's lag in
// positions (not events: positions need not be dense).
func (r *Runner) Head(ctx context.Context) (eventstore.Position, error) {
	for e, err := range r.store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Max: 1}) {
		if err != nil {
			return 0, fmt.Errorf("projections: read the head of the log: %w", err)
		}
		return e.Position, nil
	}
	return eventstore.Start, nil
}

// Run folds events until ctx ends or a view fails. It subscribes from the
// lowest checkpoint of the views, skips for each view what its snapshot
// already holds, and writes snapshots as it goes and before it returns.
// Transient store errors are retried with a backoff from the position
// reached. Returns nil when ctx ends, an *ApplyError (wrapping the view's
// error) when a view or the decoding fails on an event, a *TapError when
// Config.Tap fails (before the views get that event), and the store's
// error when it closes. After an *ApplyError Run returns the same error
// again: build a new Runner, which starts from the last good snapshots.
func (r *Runner) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("projections: Run is already running")
	}
	r.waitMu.Lock()
	failed := r.stopErr
	r.waitMu.Unlock()
	if isApply(failed) {
		// The live set is half-folded at the failed event: only a new
		// Runner, from the last good snapshots, may go on.
		r.running.Store(false)
		return failed
	}
	r.setStopped(nil)
	err := r.run(ctx)
	r.running.Store(false)
	r.caughtUp.Store(false)
	if !isApply(err) {
		// A failed event leaves the views half-folded: keep the last good
		// snapshots then.
		if serr := r.snapshot(true, nil); serr != nil {
			r.log.Error("projections: final snapshot", "err", serr)
		}
	} else {
		// Let a snapshot still being written (of a good state) finish.
		r.writing.Wait()
	}
	if ctx.Err() != nil && !isApply(err) {
		err = nil
	}
	if err == nil {
		r.setStopped(ErrStopped)
	} else {
		r.setStopped(fmt.Errorf("%w: %w", ErrStopped, err))
	}
	return err
}

func isApply(err error) bool {
	var ae *ApplyError
	return errors.As(err, &ae)
}

// setStopped records why the runner stopped (nil when it starts) and wakes
// every waiter.
func (r *Runner) setStopped(err error) {
	r.waitMu.Lock()
	r.stopErr = err
	if r.waitCh != nil {
		close(r.waitCh)
		r.waitCh = nil
	}
	r.waitMu.Unlock()
}

func (r *Runner) run(ctx context.Context) error {
	p := newPipe()
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	folded := make(chan error, 1)
	go func() {
		err := r.foldFrom(p)
		if err != nil {
			cancel() // ends a subscription waiting for live events
		}
		folded <- err
	}()
	err := r.feed(subCtx, p)
	p.close()
	if ferr := <-folded; ferr != nil {
		return ferr
	}
	return err
}

// feed subscribes from the position reached, decodes each event and pushes
// it into p, retrying transient store errors with a backoff from the last
// position pushed. It returns when ctx ends, the store closes, the tap
// fails, or the fold stopped.
func (r *Runner) feed(ctx context.Context, p *pipe) error {
	filter := domainFilter()
	backoff := 100 * time.Millisecond
	fed := r.Position()
	for {
		err := r.subscribe(ctx, filter, p, &fed)
		var tapErr *TapError
		if err == nil || ctx.Err() != nil || errors.Is(err, eventstore.ErrClosed) || errors.As(err, &tapErr) {
			return err
		}
		r.log.Warn("projections: subscription failed; retrying", "err", err, "position", fed, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// subscribe runs one subscription after *fed, pushing what it delivers.
// A decoding failure is pushed too, for the fold to stop at.
//
// The subscription is read on a goroutine of its own; what has arrived
// meanwhile (up to decodeBatch deliveries) is decoded as one batch, in
// parallel when it is long enough (decodeAll), and pushed in order. A
// replay with sealed personal data spends most of its extra time opening
// fields in the decoder (docs/performance.md), which then runs on every
// core instead of one; a live event arriving alone is decoded at once.
func (r *Runner) subscribe(ctx context.Context, filter eventstore.Filter, p *pipe, fed *eventstore.Position) error {
	ctx, cancel := context.WithCancel(ctx)
	in := make(chan delivery, 2*decodeBatch)
	done := make(chan struct{})
	opts := eventstore.SubscribeOptions{After: *fed, Filter: filter}
	tap := r.cfg.Tap
	if tap != nil {
		opts = eventstore.SubscribeOptions{After: min(*fed, tap.After())}
	}
	from := *fed
	go func() {
		defer close(done)
		defer close(in)
		for d, err := range r.store.Subscribe(ctx, opts) {
			if tap != nil && err == nil {
				if terr := tap.Take(d); terr != nil {
					err = &TapError{Err: terr}
				} else if ev := d.Event; ev != nil && ev.Position <= from && !d.CaughtUp {
					continue // folded already
				} else if ev != nil && (ev.Position <= from || !filter.Match(ev.Stream, ev.Type)) {
					// Not for the views: a checkpoint, as the store's
					// filter gives.
					d = eventstore.Delivery{Position: ev.Position, CaughtUp: d.CaughtUp}
				}
			}
			// d.Event stays ours after the yield (Store.Subscribe's contract).
			select {
			case in <- delivery{d: d, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		cancel()
		<-done
	}()
	batch := make([]delivery, 0, decodeBatch)
	items := make([]item, 0, decodeBatch)
	for {
		first, ok := <-in
		if !ok {
			return nil
		}
		batch = append(batch[:0], first)
	more:
		for len(batch) < decodeBatch && batch[len(batch)-1].err == nil {
			select {
			case d, ok := <-in:
				if !ok {
					break more
				}
				batch = append(batch, d)
			default:
				break more
			}
		}
		items = r.decodeAll(batch, items[:0])
		for i, it := range items {
			if batch[i].err != nil {
				return fmt.Errorf("projections: subscription: %w", batch[i].err)
			}
			if !p.push(it) {
				return nil
			}
			if it.err != nil {
				return nil
			}
			*fed = max(*fed, it.pos)
		}
		clear(items) // kept for the next batch: holding no event (each keeps its decoder's run)
	}
}

// delivery is one yield of a subscription, passed from the goroutine that
// reads it to the one that decodes it.
type delivery struct {
	d   eventstore.Delivery
	err error
}

// decodeBatch bounds how many deliveries are decoded together.
const decodeBatch = 256

// parallelDecode is the smallest batch worth decoding on several cores.
const parallelDecode = 32

// decodeAll decodes batch into items (one per delivery, a failed
// subscription's included, left empty), in parallel on up to GOMAXPROCS
// goroutines when the batch is long enough.
func (r *Runner) decodeAll(batch []delivery, items []item) []item {
	items = slices.Grow(items, len(batch))[:len(batch)]
	workers := min(runtime.GOMAXPROCS(0), len(batch)/parallelDecode)
	if workers < 2 {
		r.decodeRange(batch, items)
		return items
	}
	var wg sync.WaitGroup
	step := (len(batch) + workers - 1) / workers
	for lo := step; lo < len(batch); lo += step {
		hi := min(lo+step, len(batch))
		wg.Go(func() { r.decodeRange(batch[lo:hi], items[lo:hi]) })
	}
	r.decodeRange(batch[:step], items[:step])
	wg.Wait()
	return items
}

// decodeRange decodes each delivery of batch into the item of the same
// index.
func (r *Runner) decodeRange(batch []delivery, items []item) {
	for i, b := range batch {
		d := b.d
		it := item{pos: d.Position, caughtUp: d.CaughtUp}
		if se := d.Event; se != nil && b.err == nil {
			it.e = Event{Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Recorded: se.Recorded, Actor: se.Metadata.Actor, ref: refOf(*se)}
			var err error
			if it.e.Data, err = r.cfg.Decode(se.Type, se.Data); err != nil {
				it.err = &ApplyError{View: "decode", Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Err: err}
			}
		}
		items[i] = it
	}
}

// foldBatch bounds how many events are folded under one write lock, so
// that readers wait at most a few milliseconds.
const foldBatch = 1024

// foldFrom folds what p delivers until p closes or an event fails, which
// it returns as an *ApplyError.
func (r *Runner) foldFrom(p *pipe) error {
	defer p.stop()
	var spare []item
	for {
		batch := p.take(spare)
		if batch == nil {
			return nil
		}
		for i := 0; i < len(batch); {
			n, err := r.fold(batch[i:min(len(batch), i+foldBatch)])
			i += n
			if err != nil {
				return err
			}
		}
		clear(batch) // the spare holds no event (each keeps its decoder's run)
		spare = batch
	}
}

// fold folds items into every view of the live set that has not seen
// them, under one write lock, and returns how many items it handled (it
// stops after a caught-up checkpoint, when snapshots are due, and at a
// failure, which it returns).
func (r *Runner) fold(items []item) (int, error) {
	r.applyMu.Lock()
	set := r.cur.Load()
	set.mu.Lock()
	due := r.snapshotEvery() - r.sinceSnap.Load()
	// The items to fold now, and among them the events the set lacks with
	// the index of each event's item.
	var failed error
	m := 0
	evs, at := r.evs[:0], r.at[:0]
	for _, it := range items {
		if it.err != nil {
			failed = it.err
			break
		}
		m++
		if e := it.e; e.Data != nil && e.Position > set.pos {
			evs, at = append(evs, e), append(at, m-1)
		}
		if it.caughtUp || int64(len(evs)) >= due {
			break
		}
	}
	ok, err := r.applyAll(set, evs)
	n := m
	if err != nil {
		failed, n = err, at[ok]
	}
	if ok > 0 {
		set.pos, set.at = evs[ok-1].Position, evs[ok-1].ref
	}
	if r.tables != nil && ok > 0 && err == nil && !r.caughtUp.Load() && !r.noSpill {
		r.spillTables(set)
	}
	set.mu.Unlock()
	r.applyMu.Unlock()
	clear(evs) // let the folded events go
	r.evs, r.at = evs, at
	r.sinceSnap.Add(int64(ok))
	r.events.Add(uint64(ok))
	if n > 0 && items[n-1].pos > r.Position() {
		r.advance(items[n-1].pos)
	}
	if failed != nil {
		return n, failed
	}
	if n > 0 && items[n-1].caughtUp && !r.caughtUp.Load() {
		// Only this goroutine sets caughtUp (Run clears it when it ends).
		folded := r.events.Load()
		var settled func()
		if r.cfg.CaughtUp != nil {
			r.cfg.CaughtUp(folded, false)
			settled = func() { r.cfg.CaughtUp(folded, true) }
		}
		r.caughtUp.Store(true)
		r.firstCatchUp.Do(func() { close(r.caughtUpOnce) })
		r.log.Info("projections: caught up", "position", r.Position(), "events", folded)
		if err := r.snapshot(false, settled); err != nil {
			r.log.Error("projections: snapshot", "err", err)
		}
	}
	if r.snapshotDue() {
		if err := r.snapshot(false, nil); err != nil {
			r.log.Error("projections: snapshot", "err", err)
		}
	}
	return n, nil
}

// parallelFold is the smallest run of events worth folding on two
// goroutines.
const parallelFold = 64

// applyAll folds evs into every view of set that has not seen them: on two
// goroutines, each with every other view, when there are enough events
// (the views are independent of each other). It returns how many events
// every view folded and the first failure. The caller holds both locks.
func (r *Runner) applyAll(set *Views, evs []Event) (int, error) {
	if len(evs) < parallelFold || len(set.all) < 2 {
		return r.applyViews(set, evs, 0, 1)
	}
	var oi int
	var oerr error
	done := make(chan struct{})
	go func() {
		oi, oerr = r.applyViews(set, evs, 1, 2)
		close(done)
	}()
	i, err := r.applyViews(set, evs, 0, 2)
	<-done
	if oerr != nil && (err == nil || oi < i) {
		return oi, oerr
	}
	return i, err
}

// applyViews folds evs, in order, into the views of set from index first
// in steps of step, skipping for each view what its snapshot held. It
// returns how many events it folded and the failure that stopped it.
func (r *Runner) applyViews(set *Views, evs []Event, first, step int) (int, error) {
	for n, e := range evs {
		for i := first; i < len(set.all); i += step {
			if e.Position <= r.from[i] {
				continue
			}
			if err := set.all[i].Apply(e); err != nil {
				return n, &ApplyError{View: set.all[i].Name(), Stream: e.Stream, Revision: e.Revision, Position: e.Position, Type: e.Type, Err: err}
			}
		}
	}
	return len(evs), nil
}

// advance publishes a new position and wakes waiters.
func (r *Runner) advance(pos eventstore.Position) {
	r.pos.Store(uint64(pos))
	if r.nwait.Load() > 0 {
		r.waitMu.Lock()
		if r.waitCh != nil {
			close(r.waitCh)
			r.waitCh = nil
		}
		r.waitMu.Unlock()
	}
}

// WaitFor blocks until the views have folded pos (a position a write
// returned), for read-your-writes. It waits at most Config.MaxWait (or
// until ctx ends, if sooner) and then returns an error matching
// ErrWaitTimeout that says how far the views got. Returns an error matching
// ErrStopped when the runner is not running and has not reached pos.
func (r *Runner) WaitFor(ctx context.Context, pos eventstore.Position) error {
	if r.Position() >= pos {
		return nil
	}
	r.nwait.Add(1)
	defer r.nwait.Add(-1)
	timer := time.NewTimer(r.cfg.MaxWait)
	defer timer.Stop()
	for {
		r.waitMu.Lock()
		if r.Position() >= pos {
			r.waitMu.Unlock()
			return nil
		}
		if stop := r.stopErr; stop != nil {
			r.waitMu.Unlock()
			return fmt.Errorf("waiting for position %d at %d: %w", pos, r.Position(), stop)
		}
		if r.waitCh == nil {
			r.waitCh = make(chan struct{})
		}
		ch := r.waitCh
		r.waitMu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return fmt.Errorf("%w: at position %d after %s, waiting for %d", ErrWaitTimeout, r.Position(), r.cfg.MaxWait, pos)
		case <-ctx.Done():
			return fmt.Errorf("%w: at position %d, waiting for %d: %w", ErrWaitTimeout, r.Position(), pos, ctx.Err())
		}
	}
}

// AsOf says how far a view set built on demand goes: up to and including
// Position when it is set, and only events recorded at or before Time when
// it is set (the log as it stood at that moment). The zero AsOf means the
// whole log.
type AsOf struct {
	Position eventstore.Position
	Time     time.Time
}

// AsOf builds a fresh set of views from the start of the log up to the
// point asked for, without touching the live set (for auditors: "what did
// the register say when the vote closed?"). The result never changes. It
// replays the log, so it takes as long as a start without snapshots and as
// much memory as the live set; builds run one at a time, and a caller
// waits for the one before it (or for ctx).
// Fails with an *ApplyError like Run does, or with the store's error.
func (r *Runner) AsOf(ctx context.Context, at AsOf) (*Views, error) {
	// One build at a time: each holds a whole set of views in memory.
	select {
	case r.asOf <- struct{}{}:
		defer func() { <-r.asOf }()
	case <-ctx.Done():
		return nil, fmt.Errorf("projections: as of: waiting for another build: %w", ctx.Err())
	}
	set := r.newViews()
	if err := r.foldLog(ctx, set, at); err != nil {
		return nil, err
	}
	return set, nil
}

// foldLog folds the log after set's position into set, up to at.
func (r *Runner) foldLog(ctx context.Context, set *Views, at AsOf) error {
	opts := eventstore.ReadAllOptions{From: set.pos + 1, Filter: domainFilter()}
	for se, err := range r.store.ReadAll(ctx, opts) {
		if err != nil {
			return fmt.Errorf("projections: read the log from %d: %w", opts.From, err)
		}
		if at.Position != 0 && se.Position > at.Position {
			break
		}
		if !at.Time.IsZero() && se.Recorded.After(at.Time) {
			break
		}
		data, err := r.cfg.Decode(se.Type, se.Data)
		if err != nil {
			return &ApplyError{View: "decode", Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Err: err}
		}
		e := eventOf(se, data)
		set.mu.Lock()
		for _, v := range set.all {
			if err := v.Apply(e); err != nil {
				set.mu.Unlock()
				return &ApplyError{View: v.Name(), Stream: e.Stream, Revision: e.Revision, Position: e.Position, Type: e.Type, Err: err}
			}
		}
		set.pos, set.at = e.Position, e.ref
		set.mu.Unlock()
	}
	return nil
}

// newViews returns a fresh set of views (Config.NewViews) that reads the
// details its timeline keeps no copy of from the runner's log.
func (r *Runner) newViews() *Views {
	set := r.cfg.NewViews()
	set.readWith(logReader(r.store, r.cfg.Decode))
	return set
}

// logReader reads the events at positions of store and decodes them with
// decode, as the fold does.
func logReader(store eventstore.Store, decode func(typ string, data []byte) (domain.Event, error)) LogReader {
	return func(ctx context.Context, positions []eventstore.Position) ([]Event, error) {
		stored, err := eventstore.ReadAt(ctx, store, positions)
		if err != nil {
			return nil, fmt.Errorf("projections: read the log: %w", err)
		}
		evs := make([]Event, len(stored))
		for i, se := range stored {
			data, err := decode(se.Type, se.Data)
			if err != nil {
				return nil, fmt.Errorf("projections: decode %s@%d: %w", se.Stream, se.Revision, err)
			}
			evs[i] = eventOf(se, data)
		}
		return evs, nil
	}
}

// eventOf is the stored event se with its decoded domain event.
func eventOf(se eventstore.Event, data domain.Event) Event {
	return Event{Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Recorded: se.Recorded, Actor: se.Metadata.Actor, Data: data, ref: refOf(se)}
}

// snapshotDue reports whether enough was folded, or enough time passed with
// something folded, to write snapshots. After a snapshot that failed
// (a full disk, a view that did not encode), none is due for
// Config.SnapshotInterval: each attempt encodes every view on the fold's
// path, and would otherwise be made again after every batch.
func (r *Runner) snapshotDue() bool {
	n := r.sinceSnap.Load()
	if n == 0 || time.Now().UnixNano() < r.snapAfter.Load() {
		return false
	}
	return n >= r.snapshotEvery() || time.Since(time.Unix(0, r.lastSnap.Load())) >= r.cfg.SnapshotInterval
}

// snapshotEvery is how many events folded since the last snapshots make
// new ones due: Config.SnapshotEvery once caught up. While a runner catches
// up, only time does (Config.SnapshotInterval since the start or the last
// snapshots): each snapshot encodes the views whole, and views grow as a
// replay goes, so snapshots every so many events made a first start on a
// long log cost in proportion to its square; the snapshots written when
// the runner catches up follow at once.
func (r *Runner) snapshotEvery() int64 {
	if !r.caughtUp.Load() {
		return math.MaxInt64
	}
	return int64(r.cfg.SnapshotEvery)
}

// spillTables writes the changed entries of each view of set whose tables
// hold spillAt of them or more, unless entries of its last snapshot wait to
// be committed. The fold calls it while the runner catches up (a first
// start, or one far behind the log), when snapshots come only every
// Config.SnapshotInterval: the fold then keeps no more changed entries in
// memory than that. Such a write also removes the view's position from its
// tables, so that until its next snapshot (the one taken on catching up,
// at the latest) a crash means a rebuild of that view, and a snapshot file
// written meanwhile is not loaded. Once caught up, snapshots every
// Config.SnapshotEvery events bound the changed entries instead. The
// caller holds the set's write lock. A failure is logged once, and the
// entries stay in memory until the next snapshot; the runner spills no
// more.
func (r *Runner) spillTables(set *Views) {
	for _, v := range set.all {
		tv, ok := v.(tabled)
		if !ok {
			continue
		}
		dirty, busy := 0, false
		for _, t := range tv.tables() {
			n, pending := t.changed()
			dirty, busy = dirty+n, busy || pending
		}
		if dirty < spillAt || busy {
			continue
		}
		var ops []tableOp
		var written []func()
		var err error
		for _, t := range tv.tables() {
			var done func()
			if done, err = t.spill(&ops); err != nil {
				break
			}
			written = append(written, done)
		}
		if err == nil {
			err = r.tables.spill(tv, ops)
		}
		if err != nil {
			r.log.Error("projections: write the tables of "+v.Name()+"; their changed entries stay in memory until the next snapshot", "err", err)
			r.noSpill = true
			return
		}
		for _, done := range written {
			done()
		}
	}
}

// snapshotOf returns what writes v's snapshot: its encoding as it is made
// for a view that is encoded, else its MarshalSnapshot, made here.
func snapshotOf(v View) (func(io.Writer) error, error) {
	if e, ok := v.(encoded); ok {
		return func(w io.Writer) error {
			s := newSnapshotWriter(w)
			if err := e.encodeSnapshot(s); err != nil {
				return err
			}
			return s.flush()
		}, nil
	}
	payload, err := v.MarshalSnapshot()
	if err != nil {
		return nil, fmt.Errorf("projections: snapshot of %s: %w", v.Name(), err)
	}
	return func(w io.Writer) error {
		_, err := w.Write(payload)
		return err
	}, nil
}

// flushTables flushes the tables of v into ops.
func flushTables(v tabled, ops *[]tableOp) error {
	for _, t := range v.tables() {
		if err := t.flush(ops); err != nil {
			return err
		}
	}
	return nil
}

// commitTables writes the tables of each view of set that has a snapshot
// to write, with the snapshot's identity.
func (r *Runner) commitTables(set *Views, staged []*durable.Pending, ops [][]tableOp, id identity) error {
	if r.tables == nil {
		return nil
	}
	for i, v := range set.all {
		tv, ok := v.(tabled)
		if !ok || staged[i] == nil {
			continue
		}
		if err := r.tables.commit(tv, ops[i], id); err != nil {
			return err
		}
		for _, t := range tv.tables() {
			t.committed()
		}
	}
	return nil
}

// snapshot writes the live set's snapshots if anything was folded since the
// last ones. The fold calls it, and waits while the views are encoded
// (under the set's read lock), each written to a temporary file as it is
// encoded; the files are synced and put in place after. final waits for a
// snapshot in progress and writes before it returns; otherwise a snapshot
// already in progress means this one is skipped, and the files are synced
// and put in place on a goroutine of their own, so that the fold goes on
// meanwhile. A snapshot that fails makes none due for
// Config.SnapshotInterval (snapshotDue). written,
// when set, is called once the files are written, or before snapshot
// returns when it writes none (nothing new, one in progress, an error).
func (r *Runner) snapshot(final bool, written func()) error {
	handed := false // written, to the goroutine that writes the files
	defer func() {
		if written != nil && !handed {
			written()
		}
	}()
	if r.cfg.Dir == "" {
		return nil
	}
	if final {
		r.snapMu.Lock() // after the one being written, if any
	} else if !r.snapMu.TryLock() {
		return nil
	}
	unlock := true
	defer func() {
		if unlock {
			r.snapMu.Unlock()
		}
	}()
	if r.sinceSnap.Load() == 0 {
		return nil
	}
	failed := func(err error) error {
		r.snapAfter.Store(time.Now().Add(r.cfg.SnapshotInterval).UnixNano())
		return err
	}
	if r.first == nil {
		// The log's first event, read once: it never changes.
		for ev, err := range r.store.ReadAll(context.Background(), eventstore.ReadAllOptions{Max: 1}) {
			if err != nil {
				return failed(fmt.Errorf("projections: snapshot: read the first event of the log: %w", err))
			}
			first := refOf(ev)
			r.first = &first
			break
		}
		if r.first == nil {
			return errors.New("projections: snapshot of an empty log")
		}
	}
	r.applyMu.Lock()
	set := r.cur.Load()
	from := slices.Clone(r.from)
	r.applyMu.Unlock()
	// A snapshot is taken on the fold's goroutine (or once the fold has
	// stopped), so the views are of one position while they are encoded:
	// the fold waits for the whole of it; readers go on (the read lock).
	// Each view's snapshot is written to its temporary file as it is
	// encoded: the encoded views (the lists, the statistics, the
	// directory) in parts of snapshotChunk, the others (JSON) whole. Where
	// every view's snapshot was held whole until all were written (at ten
	// million events, some 330 MB allocated in two seconds, the peak of a
	// first start), the files now wait in the page cache until they are
	// synced, and the fold waits for those writes.
	set.mu.RLock()
	held := time.Now()
	pos, at := set.pos, set.at
	id := identity{pos: pos, at: at, first: *r.first}
	staged := make([]*durable.Pending, len(set.all))
	ops := make([][]tableOp, len(set.all))
	errs := make([]error, len(set.all))
	// The views are encoded on every core, each view's tables flushed and
	// its snapshot staged by one goroutine (a view's state and tables are
	// its own), the largest first (by its last snapshot's file): the fold
	// waits for the longest share, not for the sum of them.
	onCores(largestFirst(r.cfg.Dir, set.all), func(i int) {
		v, began := set.all[i], time.Now()
		if pos <= from[i] {
			return
		}
		defer func() {
			r.log.Debug("projections: snapshot staged", "view", v.Name(), "ms", time.Since(began).Milliseconds(), "err", errs[i])
		}()
		var sizes map[string]int
		if s, ok := v.(sized); ok {
			sizes = s.mapSizes()
		}
		if tv, ok := v.(tabled); ok {
			if err := flushTables(tv, &ops[i]); err != nil {
				errs[i] = fmt.Errorf("projections: snapshot of %s: %w", v.Name(), err)
				return
			}
		}
		write, err := snapshotOf(v)
		if err == nil {
			staged[i], err = stageSnapshot(r.cfg.Dir, v, write, sizes, id)
		}
		errs[i] = err
	})
	set.mu.RUnlock()
	heldFor := time.Since(held)
	if err := errors.Join(errs...); err != nil {
		discardSnapshots(staged)
		return failed(err)
	}
	r.sinceSnap.Store(0)
	r.lastSnap.Store(time.Now().UnixNano())
	write := func() error {
		start := time.Now()
		// A view's tables first: a view whose snapshot file is then not
		// put in place is rebuilt at the next start, never loaded with
		// tables of another position.
		if err := r.commitTables(set, staged, ops, id); err != nil {
			discardSnapshots(staged)
			return err
		}
		if err := commitSnapshots(staged); err != nil {
			return err
		}
		r.log.Info("projections: snapshots written", "position", pos, "fold_held_ms", heldFor.Milliseconds(), "took", time.Since(start))
		return nil
	}
	if final {
		return write()
	}
	unlock, handed = false, true
	r.writing.Go(func() {
		err := write()
		r.snapMu.Unlock()
		if err != nil {
			r.log.Error("projections: snapshot", "err", err)
		}
		if written != nil {
			written()
		}
	})
	return nil
}
