package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"golang.org/x/sync/errgroup"

	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/internal/answershelf"
	"github.com/yishi-civic/yishi/internal/hugeheap"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/notify"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/seal"
	"github.com/yishi-civic/yishi/web"
)

// serve runs the HTTP service until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr(getenv, "YISHI_ADDR", "127.0.0.1:8080"), "listen address (env YISHI_ADDR)")
	dataDir := fs.String("data", envOr(getenv, "YISHI_DATA", "./data"), "data directory: the embedded store, projection snapshots, attachments by default (env YISHI_DATA)")
	storeSpec := fs.String("store", getenv("YISHI_STORE"), "the event store: a kurrentdb:// connection string or a data directory; default --data (env YISHI_STORE)")
	keys := keysFlag(fs, getenv)
	blobsSpec := blobsFlag(fs, getenv)
	retentionEvery := fs.Duration("retention-every", 24*time.Hour, "how often the retention rules run (docs/privacy.md); 0 never")
	var rules retentionFlags
	rules.register(fs)
	prepare := fs.Bool("prepare-answers", true, "prepare the public first pages of the newest 8,192 proposals' timelines on the answer shelf ahead of their first reads, in idle time (docs/architecture.md)")
	withDemo := fs.Bool("demo", false, "load the demo data set into an empty store and print a token per role")
	rateLimit := fs.Float64("rate-limit", 0, "requests per second allowed to each token (or each address without one); 0 means 50/s (env YISHI_RATE_LIMIT)")
	metricsAddr := fs.String("metrics-addr", getenv("YISHI_METRICS_ADDR"), "a second listen address for /metrics without a token, /healthz and /readyz (keep it private); without it /metrics needs an admin or auditor token (env YISHI_METRICS_ADDR)")
	maxConns := fs.Int("max-conns", 0, "connections held at once; past it new ones are closed; 0 means 2048, -1 no limit")
	maxConnsPerAddr := fs.Int("max-conns-per-addr", 0, "connections held at once from one client address (raise it behind a proxy); 0 means 64, -1 no limit")
	origin := fs.String("origin", envOr(getenv, "YISHI_ORIGIN", "yishi"), "the ledger's name in its signed checkpoints; also the name of the signing key created in <data>/seal the first time (env YISHI_ORIGIN)")
	notifications := addNotifyFlags(fs, getenv)
	logLevel := fs.String("log-level", envOr(getenv, "YISHI_LOG_LEVEL", "info"), "debug, info, warn or error (env YISHI_LOG_LEVEL)")
	storeWait := fs.Duration("store-wait", 0, "how long to keep trying to open a store that is unavailable at start, such as a KurrentDB cluster still electing its leader; 0 gives up at once (env YISHI_STORE_WAIT)")
	if v := getenv("YISHI_STORE_WAIT"); v != "" {
		if err := fs.Set("store-wait", v); err != nil {
			return fmt.Errorf("YISHI_STORE_WAIT: %w", err)
		}
	}
	if v := getenv("YISHI_RATE_LIMIT"); v != "" {
		if err := fs.Set("rate-limit", v); err != nil {
			return fmt.Errorf("YISHI_RATE_LIMIT: %w", err)
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	retention, err := rules.parse()
	if err != nil {
		return err
	}
	if *rateLimit < 0 {
		return fmt.Errorf("--rate-limit: %v is negative", *rateLimit)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	spec := *dataDir
	if *storeSpec != "" {
		spec = *storeSpec
	}
	if err := os.MkdirAll(*dataDir, 0o750); err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	// Each phase of the start is logged with its duration: where a slow
	// start spends its time.
	began := time.Now()
	phase := func(what string, since time.Time) time.Time {
		now := time.Now()
		logger.Info("start: "+what, "ms", now.Sub(since).Milliseconds(), "since_start_ms", now.Sub(began).Milliseconds())
		return now
	}
	// The pages' static files and templates, made on the core the start's
	// first steps (the stores, the keys, the tree) leave idle.
	go web.Prepare()
	limit, err := memlimit.Set()
	logMemoryLimit(logger, limit, err)
	collector, fromEnv := setCollector(logger)
	defer debug.SetGCPercent(collector) // not snapshotPercent, after a stop before the catch-up snapshots were written
	// The heap the views' snapshots are about to fill, up to twice their
	// files' size, is marked for huge pages first, and unmarked once they
	// are loaded: faulted in 2 MiB at a time, not 4 KiB
	// (internal/hugeheap).
	unmark := reserveHugeHeap(filepath.Join(*dataDir, "projections"), limit, logger)
	// The views' snapshots are loaded from the start, beside the stores'
	// opening (on one core), and checked against the log once it is open.
	// Loading them builds the views' whole heap at once, nearly all of it
	// kept: a collection at every doubling of the heap would mark what
	// stays, so the load runs with fewer (measured at 1M events, three
	// starts each, alternating: 2.16–2.29 → 1.97–2.08 s, the same peak
	// RSS).
	tree := newSealLog()
	treePath := filepath.Join(*dataDir, "seal", "tree.snap")
	watchDamage(tree, treePath, logger)
	tap := &treeTap{Log: tree, path: treePath, log: logger}
	gc := debug.SetGCPercent(400)
	prepared := projections.Prepare(projections.Config{Dir: filepath.Join(*dataDir, "projections"), Logger: logger,
		Decode: projections.NewDecoder().Decode, CaughtUp: foldMemory(collector, !fromEnv),
		Tap: tap})
	loaded := false
	defer func() {
		if !loaded {
			debug.SetGCPercent(gc)
			if err := prepared.Abandon(); err != nil {
				logger.Error("projections: the views' load, abandoned", "err", err)
			}
			unmark()
		}
	}()
	store, desc, err := openStoreWaiting(ctx, spec, *storeWait, logger, pebble.WithLogger(logger))
	if err != nil {
		return err
	}
	if ks, ok := store.(*kurrent.Store); ok {
		ks.SetLogger(logger) // the events of other applications it skips
	}
	defer closeStore(store, &err)
	fmt.Fprintf(stdout, "yishi store: %s\n", desc)
	at := phase("store opened", began)
	// The tree saved at the last stop spares hashing the whole log again;
	// the runner's reading of the log goes on from its head (the runner's
	// Tap), so that a start with neither reads the log once, not twice.
	// It is checked and mapped beside the views' load, from the store's
	// opening on (it needs the store): the runner takes it only once it
	// runs.
	treeLoaded := make(chan bool, 1) // whether the tree is to be hashed from the whole log, on the heap
	go func() { treeLoaded <- loadTree(ctx, tree, treePath, store, logger) }()
	treeTaken := false
	defer func() {
		if !treeTaken { // a start that failed before it took the tree: its load ends before the store closes
			<-treeLoaded
		}
	}()

	keysAt := keysDir(*keys, spec, *dataDir)
	blobsAt, err := blobsURL(*blobsSpec, spec, *dataDir)
	if err != nil {
		return err
	}
	if err := checkApart(blobsAt, keysAt); err != nil {
		return err
	}
	sealer, err := openSealer(ctx, keysAt, getenv)
	if err != nil {
		return err
	}
	defer closeSealer(sealer, &err)
	at = phase("key store opened", at)
	blobs, err := openBlobs(ctx, *blobsSpec, spec, *dataDir, getenv)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "yishi attachments: %s\n", blobs)
	fmt.Fprintf(stdout, "yishi keys: %s\n", describeKeys(keysAt))
	l := ledger.New(store, ledger.WithSealer(sealer), ledger.WithPhotos(privacy.NewBlobs(blobs, sealer)))
	// The log is the authority on erasures: a key store restored from an
	// older backup must not bring an erased person back.
	erasures, err := l.ApplyErasures(ctx)
	if err != nil {
		return err
	} else if erasures > 0 {
		logger.Info("erasures re-applied to the key store", "erasures", erasures)
	}
	at = phase("erasures checked", at)
	// Public timeline pages kept on disk, for the first reads after this
	// start; emptied when an erasure was recorded since they were kept.
	answers := openAnswerShelf(ctx, filepath.Join(*dataDir, "answers"), answerStamp(erasures), sealer.Keys(), logger)
	if answers != nil {
		defer func() {
			if err := answers.Close(); err != nil {
				logger.Error("close the answer shelf", "err", err)
			}
		}()
	}
	at = phase("answer shelf opened", at)
	runner, err := prepared.Runner(store)
	loaded = true
	unmark()
	tap.hashed, treeTaken = <-treeLoaded, true
	debug.SetGCPercent(gc)
	if err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	defer func() {
		if err := runner.Close(); err != nil {
			logger.Error("projections: close", "err", err)
		}
	}()
	at = phase("view snapshots and saved tree read", at)
	// Reading the snapshots leaves garbage (read buffers, decoding's
	// intermediates), which an idle server would hold until its heap
	// grew by half: it is collected and the memory given back, on a
	// goroutine, beside the rest of the start and the first requests. On
	// the start's path it took 56-153 ms of a million events' start, and
	// 2.7-3.2 s at ten million (docs/performance.md).
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		began := time.Now()
		debug.FreeOSMemory()
		logger.Info("memory of the load returned", "ms", time.Since(began).Milliseconds())
	}()
	defer func() { <-returned }() // serve returns after it, its log line written
	signer, vkey, err := serverKey(filepath.Join(*dataDir, "seal"), *origin)
	if err != nil {
		return err
	}
	witnesses, err := seal.OpenWitnesses(filepath.Join(*dataDir, "seal", "witnesses"))
	if err != nil {
		return err
	}
	channels, pushKey, err := notifications.channels()
	if err != nil {
		return err
	}
	notifyMetrics := notify.NewMetrics()
	srv, err := yhttp.New(yhttp.Config{Store: store, Ledger: l, Runner: runner, Logger: logger, RatePerSecond: *rateLimit,
		MaxConns: *maxConns, MaxConnsPerAddr: *maxConnsPerAddr, Seal: tree, Signer: signer, VerifierKey: vkey, Origin: *origin, Witnesses: witnesses,
		PushPublicKey: pushKey, Collectors: notifyMetrics.Collectors(), Retention: retention, Answers: answers})
	if err != nil {
		return err
	}
	pages, err := web.New(web.Config{API: srv, Tokens: srv.Tokens(), Logger: logger})
	if err != nil {
		return err
	}
	srv.Mount(pages)
	phase("API and pages made", at)
	if *withDemo {
		if err := loadDemo(ctx, store, srv, stdout, ledger.WithSealer(sealer)); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ignoreCancel(runner.Run(gctx)) })
	g.Go(func() error { return ignoreCancel(srv.Run(gctx)) })
	g.Go(func() error { return srv.Serve(gctx, ln) })
	if *metricsAddr != "" {
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("listen on --metrics-addr %s: %w", *metricsAddr, err)
		}
		fmt.Fprintf(stdout, "yishi metrics on http://%s/metrics (no token: keep this address private)\n", mln.Addr())
		g.Go(func() error { return srv.ServeOps(gctx, mln) })
	}
	if *notifications.every > 0 {
		d := notifications.dispatcher(l, runner, channels, base, notifyMetrics, logger)
		g.Go(func() error { return d.Run(gctx) })
	}
	if *retentionEvery > 0 {
		g.Go(func() error { return runRetention(gctx, l, retention, *retentionEvery, logger) })
	}
	g.Go(func() error { checkSavedTree(gctx, runner.WaitCaughtUp, tree, treePath, logger); return nil })
	g.Go(func() error { srv.LoadKeptItems(gctx); return nil })
	if *prepare {
		g.Go(func() error { srv.PrepareAnswers(gctx); return nil })
	}
	if *withDemo {
		if err := printDemoTokens(gctx, l, srv.Tokens(), base, stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "yishi listening on %s (pages %s/, health %s/healthz, ready %s/readyz)\n", base, base, base, base)
	werr := g.Wait()
	tap.spilling.Lock() // after a spill running, whose file would be older
	defer tap.spilling.Unlock()
	switch heap, file := tree.Held(); {
	case tree.Damaged():
		// Its file was removed when the damage was found (watchDamage);
		// a save would fail on it.
		logger.Error("the Merkle tree was not saved: its file is damaged; the next start hashes the whole log again")
	case heap == 0 && file > 0 && exists(treePath):
		// Its file, loaded or spilled, holds it all already.
		logger.Info("Merkle tree: its file holds every event; not saved again", "events", file)
	default:
		if err := tree.Save(treePath); err != nil {
			logger.Error("the Merkle tree was not saved: the next start loads the file saved before, if any, or hashes the whole log again", "err", err)
		}
	}
	return werr
}

// checkSavedTree checks, once caughtUp returns (the views have caught
// up), the parts of the saved Merkle tree's file that the start did not
// read (seal.Log.CheckSaved, a part a millisecond: some ten seconds at ten
// million events); a damaged one is removed as soon as it is found
// (watchDamage).
func checkSavedTree(ctx context.Context, caughtUp func(context.Context) error, tree *seal.Log, path string, logger *slog.Logger) {
	if caughtUp(ctx) != nil {
		return
	}
	began := time.Now()
	switch checked, err := tree.CheckSaved(ctx, time.Millisecond); {
	case errors.Is(err, seal.ErrDamaged) || errors.Is(err, context.Canceled):
	case err != nil:
		logger.Error("Merkle tree: its saved file could not be checked", "path", path, "err", err)
	case checked > 0:
		logger.Info("Merkle tree: its saved file checked", "parts", checked, "ms", time.Since(began).Milliseconds())
	}
}

// watchDamage has the saved Merkle tree's file at path removed as soon as
// any read of tree finds a part of it damaged (a proof, a save,
// checkSavedTree), so that the next start hashes the whole log again.
func watchDamage(tree *seal.Log, path string, logger *slog.Logger) {
	tree.OnDamage(func(err error, file os.FileInfo) { removeDamagedTree(path, file, err, logger) })
}

// removeDamagedTree removes the saved Merkle tree's file at path, in which
// err found a damaged part, so that the next start hashes the whole log
// again; until then the server reads what it can of it in place (the
// mapping stays) and reports not ready. A path that no longer names the
// damaged file (file, when known: a spill replaced it while a save or the
// whole-file check was reading it) is left alone, its new file whole. (A
// spill's rename landing between the comparison and the removal would
// still lose the new file: no call removes a path only while it names a
// given file. The next start then hashes the log again.)
func removeDamagedTree(path string, file os.FileInfo, err error, logger *slog.Logger) {
	if now, statErr := os.Stat(path); file != nil && statErr == nil && !os.SameFile(now, file) {
		logger.Error("a saved Merkle tree replaced since is damaged; the file now saved is another, left in place", "path", path, "err", err)
		return
	}
	rmErr := os.Remove(path)
	if rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		logger.Error("the saved Merkle tree is damaged and could not be removed: remove it by hand, then restart", "path", path, "err", err, "remove_err", rmErr)
		return
	}
	logger.Error("the saved Merkle tree is damaged: removed; restart the server, which hashes the whole log again", "path", path, "err", err)
}

// spillTreeAt is the fewest events whose hashes a growing Merkle tree
// keeps on the heap before treeTap spills it. A variable for tests.
var spillTreeAt int64 = 1 << 17

// spillTreeHeld is the most events whose hashes a growing Merkle tree
// keeps on the heap (72 MB) before treeTap spills it, until its file holds
// spillTreeShare times as many. A variable for tests.
var spillTreeHeld int64 = 1 << 20

// spillTreeShare is how many times as many events as the heap holds a
// large growing tree's file holds when treeTap spills it: the heap holds
// about a fifth of such a tree at most, and each of its events' hashes is
// written about five times over the whole fold. Spilled each time the heap
// held as many as the file, a ten-million-event tree held 302 MB of hashes
// on the heap just before its last spill, the largest part of a first
// start's peak. Spilled at a quarter at every size, a million events'
// first start seemed to take a tenth longer, where the tree's hashes on
// the heap are 72 MB at most anyway (docs/performance.md, twenty-first
// session).
const spillTreeShare = 4

// spillTreeDue reports whether a growing tree holding heap events on the
// heap and file in its file is due to be spilled: once the heap holds as
// many as the file (a tree's hashes written about twice in all), but
// spillTreeAt at least and spillTreeHeld at most, or a spillTreeShare-th
// of the file when that is more.
func spillTreeDue(heap, file int64) bool {
	return heap >= max(spillTreeAt, min(file, spillTreeHeld), file/spillTreeShare)
}

// openAnswerShelf opens the answer shelf in dir for stamp, its key in
// keys (the server's key store). It is a cache:
// when it does not open (another server on the same data directory, a
// disk that failed), the server runs without one (nil) and its reads are
// answered as before.
func openAnswerShelf(ctx context.Context, dir, stamp string, keys answershelf.Keys, log *slog.Logger) *answershelf.Shelf {
	s, err := answershelf.Open(ctx, dir, stamp, keys, log)
	if err != nil {
		log.Error("the answer shelf did not open: running without it", "dir", dir, "err", err)
		return nil
	}
	return s
}

// reserveHugeHeap marks the heap the views' snapshots in dir are about
// to fill for huge pages (hugeheap.Reserve), as much of it as hugeReserve
// gives, on 64-bit systems only; it returns the function that takes the
// mark off, once they are loaded.
func reserveHugeHeap(dir string, limit int64, logger *slog.Logger) (unmark func()) {
	n := hugeReserve(projections.SnapshotsSize(dir), limit)
	if n == 0 || strconv.IntSize < 64 {
		return func() {}
	}
	unmark, err := hugeheap.Reserve(int(n))
	if err != nil {
		logger.Debug("the views' load: heap not marked for huge pages", "bytes", n, "err", err)
		return func() {}
	}
	logger.Debug("the views' load: heap marked for huge pages", "bytes", n)
	return sync.OnceFunc(unmark)
}

// hugeReserve is how much heap to mark for the load of snapshot files of
// the given size: twice that, but no more than a quarter of the memory
// limit (none when it is not positive) or maxHugeReserve. A load
// allocates more than its files hold (read buffers and decoding's garbage
// besides the views): 1.3 times at ten million events, 1.9 times at a
// million, where a reserve of the files' size left a load 6,000–15,000
// faults of 4 KiB pages past it (docs/performance.md, twenty-sixth
// session).
func hugeReserve(files, limit int64) int64 {
	if limit <= 0 {
		limit = math.MaxInt64
	}
	return min(2*files, limit/4, maxHugeReserve)
}

// maxHugeReserve bounds the heap marked for huge pages at a start.
const maxHugeReserve = 4 << 30

// answerStamp is what the answers kept on the shelf depend on besides the
// log's stories: the erasures the log holds (one recorded while the
// server was down makes every kept answer stale) and the build that made
// them (a new one may mask otherwise). The build is the version control
// revision the binary was built from, when it says one and the tree was
// clean; otherwise the executable's size and time, which change with
// every build.
func answerStamp(erasures int) string {
	build := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, st := range info.Settings {
			switch st.Key {
			case "vcs.revision":
				rev = st.Value
			case "vcs.modified":
				modified = st.Value
			}
		}
		if rev != "" && modified == "false" {
			build = "rev " + rev
		}
	}
	if build == "" {
		if exe, err := os.Executable(); err == nil {
			if fi, err := os.Stat(exe); err == nil {
				build = fmt.Sprintf("exe %d %d", fi.Size(), fi.ModTime().UnixNano())
			}
		}
	}
	return fmt.Sprintf("erasures %d, build %s", erasures, build)
}

// loadTree loads the tree saved at path into tree, and reports whether
// there was none to use: the tree is then hashed from the whole log, on
// the heap. A save cut short (the process killed while it wrote,
// durable.WriteFile) leaves its temporary file, as large as the tree: it
// is removed.
func loadTree(ctx context.Context, tree *seal.Log, path string, store eventstore.Store, logger *slog.Logger) (hashed bool) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"))
	for _, f := range stale {
		_ = os.Remove(f)
	}
	began := time.Now()
	switch err := tree.Load(ctx, path, store); {
	case err == nil:
		if h, err := tree.Head(); err == nil {
			logger.Info("Merkle tree loaded", "events", h.Size, "path", path, "ms", time.Since(began).Milliseconds())
		}
		return false
	case errors.Is(err, seal.ErrNoSave):
	default:
		logger.Warn("saved Merkle tree not used: hashing the whole log again", "err", err)
	}
	return true
}

// treeTap hands the Merkle tree the deliveries of the views' reading of the
// log (projections.Config.Tap, seal.Log.Take): one read of the log feeds
// both. It keeps the tree's hashes, 72 bytes an event, off the heap
// (seal.Log.Spill): when it is due (spillTreeDue: as many on the heap as
// in its file, but a million at most, or a quarter of the file when that
// is more), on a goroutine of its own (events go on being added
// meanwhile), and, before the runner reports caught up, when a tree hashed
// from the start of the log (hashed: no saved tree, or one refused) has
// caught up. So a tree never holds on the heap much more than a million
// events' hashes, or a fifth of its events, while it is hashed. A failed
// spill is logged, and the tree stays on the heap from then on (until the
// next start).
type treeTap struct {
	*seal.Log
	path     string
	hashed   bool
	log      *slog.Logger
	spilling sync.Mutex  // held while a spill runs
	failed   atomic.Bool // a spill failed: no more
}

// Take takes one delivery, then spills the tree when it is due.
func (t *treeTap) Take(d eventstore.Delivery) error {
	if err := t.Log.Take(d); err != nil {
		return err
	}
	if t.failed.Load() {
		return nil
	}
	heap, file := t.Held()
	if d.CaughtUp && t.hashed {
		t.hashed = false
		t.spilling.Lock() // after the spill running, if any
		t.spill()
		return nil
	}
	if spillTreeDue(heap, file) && t.spilling.TryLock() {
		go t.spill()
	}
	return nil
}

// spill spills the tree and releases t.spilling.
func (t *treeTap) spill() {
	defer t.spilling.Unlock()
	heap, file := t.Held()
	if heap == 0 {
		return
	}
	start := time.Now()
	if err := t.Spill(t.path); err != nil {
		t.failed.Store(true)
		t.log.Warn("the Merkle tree stays on the heap", "err", err)
		return
	}
	t.log.Info("Merkle tree saved and read from its file", "events", heap+file, "path", t.path, "ms", time.Since(start).Milliseconds())
}

// ignoreCancel turns the end of the service's context into a clean stop.
func ignoreCancel(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// loadDemo writes the demo data set into an empty store; a store that
// already holds events is left alone.
func loadDemo(ctx context.Context, store eventstore.Store, srv *yhttp.Server, stdout io.Writer, opts ...ledger.Option) error {
	for _, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{Max: 1}) {
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		fmt.Fprintln(stdout, "demo: the store already holds events; not loading the demo again")
		return nil
	}
	start := time.Now()
	sum, err := demo.Load(ctx, store, srv.SaveAttachment, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo: %d commands (%d proposals, %d meetings, %d actions) loaded in %s\n",
		sum.Commands, sum.Proposals, sum.Meetings, sum.Actions, time.Since(start).Round(time.Millisecond))
	return nil
}

// runRetention runs the retention rules every interval until ctx ends:
// what is due is erased by the same mechanism as a request (an erasure
// event, then the key), and one line per erasure and one summary are
// logged (ids only: they are pseudonyms).
func runRetention(ctx context.Context, l *ledger.Ledger, rules ledger.Retention, every time.Duration, log *slog.Logger) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		due, err := l.RetentionDue(ctx, rules, time.Now().UTC())
		if err != nil {
			log.Error("retention: listing what is due failed", "error", err)
			continue
		}
		n, err := l.ApplyRetention(ctx, due)
		for _, d := range due[:n] {
			log.Info("retention: erased", "rule", d.Rule, "subject", d.Subject, "id", d.ID, "since", d.Since)
		}
		if err != nil {
			log.Error("retention: erasure failed", "error", err)
		}
		log.Info("retention: done", "due", len(due), "erased", n)
	}
}

// longFold is how many events a fold must have folded for its memory to be
// returned to the system when it catches up (foldMemory).
const longFold = 100_000

// exists reports whether there is a file at path (a tree file removed
// while the server ran is saved again at the stop).
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// collectorPercent is the collector's target (GOGC) the server runs with
// unless GOGC sets another: it collects when the heap has grown by half
// its live data since the last collection, not by all of it as by
// default. A process's peak is about its live heap plus that growth: at a
// million events a first start's fold holds some 250 MB of live heap, and
// its peak before ready was 582 MiB of RSS at GOGC=100 against 487–501
// MiB at 50 (docs/performance.md).
const collectorPercent = 50

// setCollector sets the collector's target to collectorPercent unless the
// environment sets GOGC (the runtime has read it then), logs which, and
// returns the target and whether GOGC set it.
func setCollector(logger *slog.Logger) (percent int, fromEnv bool) {
	if v := os.Getenv("GOGC"); v != "" {
		logger.Info("collector", "gogc", v, "from", "GOGC")
		percent = debug.SetGCPercent(collectorPercent)
		debug.SetGCPercent(percent)
		return percent, true
	}
	debug.SetGCPercent(collectorPercent)
	logger.Info("collector", "gogc", collectorPercent, "from", "the server's default")
	return collectorPercent, false
}

// snapshotPercent is the collector's target from the moment a long fold
// catches up until the snapshots taken then are written: they are a burst
// of garbage on top of the views' whole heap, and at a million events it
// took the peak RSS after ready from 517–539 MiB to 466–489 MiB
// (docs/performance.md), for a few more collections in a second or two.
const snapshotPercent = 15

// foldMemory is the runner's CaughtUp hook. After a long fold (a start
// with no snapshots, or one far behind the log) it collects the fold's
// garbage and returns its memory: before the server reports ready (the
// decoded events and batches the fold went through), and again once the
// snapshots encoded then are written. An idle server would otherwise hold
// both until its heap doubled (at a million events, 750 MiB of RSS at
// ready and 1,174 MiB five seconds later, for some 320 MB of views). In
// between, when pace is set and target is above it, the collector's
// target is snapshotPercent; then target again. An operator's GOGC is
// left alone (pace false).
func foldMemory(target int, pace bool) func(folded uint64, written bool) {
	pace = pace && target > snapshotPercent
	return func(folded uint64, written bool) {
		if folded < longFold {
			return
		}
		debug.FreeOSMemory()
		switch {
		case !pace:
		case written:
			debug.SetGCPercent(target)
		default:
			debug.SetGCPercent(snapshotPercent)
		}
	}
}

// logMemoryLimit says which memory limit the Go runtime keeps to, as
// memlimit.Set (automemlimit) left it: GOMEMLIMIT when set, else 90% of
// the container's cgroup limit (AUTOMEMLIMIT another ratio, or off), so
// that near the limit the collector works harder instead of the kernel
// killing the server; none outside a container.
func logMemoryLimit(logger *slog.Logger, limit int64, err error) {
	if err != nil {
		logger.Info("memory limit: none found", "err", err)
		return
	}
	if limit == math.MaxInt64 {
		logger.Info("memory limit: none")
		return
	}
	from := "the container's memory limit"
	if os.Getenv("GOMEMLIMIT") != "" {
		from = "GOMEMLIMIT"
	}
	logger.Info("memory limit", "mib", limit>>20, "from", from)
}
