// Package http is Yishi's HTTP door, built on echo v4: the routes (all in
// routes.go), thin handlers that bind requests into types of this package,
// map them to domain commands and call the ledger; authentication by bearer
// token with roles and scopes; RFC 9457 problem+json errors (errors.go);
// Server-Sent Events; health, readiness and Prometheus metrics. It decides
// nothing itself and folds nothing: the domain decides, projections fold.
package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/sync/errgroup"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/internal/answershelf"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/seal"
)

// Config is what a Server needs.
type Config struct {
	// Store is the event store; Ledger writes to the same store.
	Store  eventstore.Store
	Ledger *ledger.Ledger
	// Runner serves the projections' views; the caller runs it. Without
	// one, view routes answer 503 and /readyz is not ready.
	Runner *projections.Runner
	// Logger receives one structured line per request and every internal
	// error; nil discards.
	Logger *slog.Logger
	// RatePerSecond and Burst bound each token's (or anonymous client
	// address's) requests; zero RatePerSecond means 50/s with a burst of 100.
	RatePerSecond float64
	Burst         int
	// ShutdownTimeout bounds how long Serve waits for in-flight requests;
	// zero means 10 s.
	ShutdownTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included, and
	// WriteTimeout writing its answer (from the end of its headers); zero
	// means 60 s each. Event streams are exempt: each of their writes gets
	// StreamWriteTimeout (zero: 30 s) instead.
	ReadTimeout, WriteTimeout, StreamWriteTimeout time.Duration
	// UploadTimeout bounds a whole upload (POST /v1/attachments) instead of
	// ReadTimeout, for a photo sent over a slow mobile network; zero means
	// 10 minutes. The upload must keep moving: its read deadline moves
	// ReadTimeout ahead only each time UploadMinRate bytes per second of
	// ReadTimeout have arrived (zero: 1 KiB/s), so a client trickling a
	// byte now and then is cut after ReadTimeout as on any other route.
	UploadTimeout time.Duration
	UploadMinRate int
	// MaxConns bounds the connections Serve holds at once, MaxConnsPerAddr
	// those from one client address; a connection past either is closed at
	// once. Zero means 2048 and 64; negative means no limit.
	MaxConns, MaxConnsPerAddr int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Seal is the Merkle tree of the log, which the caller keeps up to
	// date (seal.Log.Follow, or Take from the views' reading of the log).
	// With Signer, Origin and VerifierKey it serves the
	// signed checkpoints and the proofs; without them those routes answer
	// 503.
	Seal *seal.Log
	// Signer signs the checkpoints: the server's own key, which yishi
	// serve creates once beside the data; VerifierKey is its public half
	// (a note verifier key) and Origin names the ledger in them.
	Signer      note.Signer
	VerifierKey string
	Origin      string
	// Witnesses keeps the witnesses' keys an admin registered and the
	// checkpoints they cosigned (GET /v1/checkpoints); nil: those routes
	// answer 503.
	Witnesses *seal.Witnesses
	// PushPublicKey is the VAPID public key browsers subscribe to Web Push
	// with; empty when Web Push is not configured.
	PushPublicKey string
	// Collectors are more Prometheus collectors /metrics shows (the
	// notifications' outcomes).
	Collectors []prometheus.Collector
	// Retention is the retention rules GET and POST /v1/retention apply
	// (docs/privacy.md); the zero value keeps everything for ever.
	Retention ledger.Retention
	// Answers keeps the first pages of public timelines and the answers of
	// board items on disk across restarts (see internal/answershelf); nil
	// keeps them in memory only.
	// It must have been opened with a stamp that changes with the number
	// of erasures the log holds and with the build (cmd/yishi's serve).
	Answers *answershelf.Shelf
}

// Server is the HTTP service. It implements net/http.Handler.
type Server struct {
	cfg     Config
	echo    *echo.Echo
	log     *slog.Logger
	tokens  *auth.Registry
	metrics *metrics
	limits  *limiter
	// authFails counts failed authentications per client address;
	// healthLimits is the health checks' own budget.
	authFails    *limiter
	healthLimits *limiter
	now          func() time.Time
	// photos keeps the attachments, encrypted (the ledger's store).
	photos *privacy.Blobs

	// checkpoints is the newest signed checkpoint.
	checkpoints checkpoints
	// verifying is set while an auditor's verification runs (audit.go).
	verifying verifying

	// places caches where aggregates live (their first event's community
	// and grid) for scope checks.
	placesMu sync.Mutex
	places   map[string]aggregate
	// publicAnswers keeps the public answers of timeline pages;
	// itemAnswers the answers of list pages' items, by audience.
	publicAnswers *answerCache
	itemAnswers   *answerCache
	// busy counts the requests being worked on (working): the public
	// pages are prepared while it is zero (PrepareAnswers).
	busy atomic.Int64

	// issuing makes token issues take turns, so that the check of one
	// valid token per subject (auth.CheckIssue) and the issue are one step.
	issuing sync.Mutex

	// closing is closed when the server shuts down; long-lived streams
	// (SSE) end then so that shutdown does not wait for them.
	closeOnce sync.Once
	closing   chan struct{}

	// pages is the web door, when one is mounted (Mount).
	pages Pages
}

// New builds the server and its routes. It starts nothing: run Run (which
// keeps the token registry current) alongside ServeHTTP or Serve.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Ledger == nil {
		return nil, errors.New("http: Config needs Store and Ledger")
	}
	if cfg.Ledger.Photos() == nil {
		return nil, errors.New("http: Config needs a Ledger with an attachment store (ledger.WithPhotos)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if cfg.RatePerSecond == 0 {
		cfg.RatePerSecond, cfg.Burst = 50, 100
	}
	if cfg.Burst == 0 {
		cfg.Burst = int(cfg.RatePerSecond) + 1
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&cfg.ReadTimeout, defaultReadTimeout}, {&cfg.WriteTimeout, defaultWriteTimeout}, {&cfg.StreamWriteTimeout, defaultStreamWriteLimit}, {&cfg.UploadTimeout, defaultUploadTimeout}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.UploadMinRate == 0 {
		cfg.UploadMinRate = defaultUploadMinRate
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.MaxConnsPerAddr == 0 {
		cfg.MaxConnsPerAddr = defaultMaxConnsPerAddr
	}
	s := &Server{
		cfg:           cfg,
		echo:          echo.New(),
		log:           cfg.Logger,
		tokens:        auth.NewRegistry(cfg.Store, auth.Opening(cfg.Ledger.Sealer())),
		limits:        newLimiter(cfg.RatePerSecond, cfg.Burst),
		authFails:     newLimiter(authFailRate, authFailBurst),
		healthLimits:  newLimiter(healthRate, healthBurst),
		now:           cfg.Now,
		photos:        cfg.Ledger.Photos(),
		closing:       make(chan struct{}),
		places:        make(map[string]aggregate),
		publicAnswers: newAnswerCache(timelineAnswerBytes),
		itemAnswers:   newAnswerCache(itemAnswerBytes),
	}
	if sealer := cfg.Ledger.Sealer(); sealer != nil {
		var gen0 uint64
		if cfg.Answers != nil {
			gen0 = sealer.Generation()
			cfg.Answers.Start(gen0)
		}
		// An erasure empties the kept answers at once: none holds an
		// erased name or text a moment longer.
		sealer.Watch(func(gen uint64) {
			s.publicAnswers.forgetBefore(gen)
			s.itemAnswers.forgetBefore(gen)
			s.wipeShelf(gen)
		})
		if gen := sealer.Generation(); cfg.Answers != nil && gen != gen0 {
			// An erasure between the two reads, which the watcher may
			// not have seen.
			s.wipeShelf(gen)
		}
	}
	s.metrics = newMetrics(s)
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.handleError
	s.routes()
	return s, nil
}

// wipeShelf makes the answers kept on disk unreadable after an erasure,
// at the sealer's generation gen.
func (s *Server) wipeShelf(gen uint64) {
	if s.cfg.Answers == nil {
		return
	}
	if err := s.cfg.Answers.Wipe(gen); err != nil {
		// The shelf serves and keeps nothing more then, and the next
		// start deletes its files.
		s.log.Error("the answers kept on disk were not made unreadable after an erasure", "err", err)
	}
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w nethttp.ResponseWriter, r *nethttp.Request) { s.echo.ServeHTTP(w, r) }

// Tokens returns the registry of access tokens the server authenticates with.
func (s *Server) Tokens() *auth.Registry { return s.tokens }

// Run keeps the server's token registry current, and follows the erasures
// other processes record in the log (followErasures), until ctx ends; it
// returns nil when ctx ends and the store's error otherwise.
func (s *Server) Run(ctx context.Context) error {
	if err := s.tokens.Sync(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("http: load tokens: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.tokens.Run(gctx) })
	g.Go(func() error { return s.followErasures(gctx) })
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Serve serves on ln until ctx ends, then shuts down gracefully: it stops
// accepting, ends live streams, and waits (up to ShutdownTimeout) for
// in-flight requests, whose appends are then all acknowledged. The tokens
// known when it starts authenticate at once; Run, alongside, adds those
// issued later. It holds at most MaxConns connections (MaxConnsPerAddr
// from one address), and a request that takes longer than ReadTimeout to
// arrive or WriteTimeout to answer loses its connection. A ctx that ends
// while the tokens load ends Serve with nil: nothing was served yet.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := s.tokens.Sync(ctx); err != nil {
		if ctx.Err() != nil {
			// Stopped before it started: nothing to serve, nothing lost.
			return nil
		}
		return fmt.Errorf("http: load tokens: %w", err)
	}
	srv := &nethttp.Server{
		Handler:           s,
		ReadHeaderTimeout: min(10*time.Second, s.cfg.ReadTimeout),
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	ln = newConnLimiter(ln, s.cfg.MaxConns, s.cfg.MaxConnsPerAddr, s.metrics)
	srv.RegisterOnShutdown(s.close)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(problemListener{ln}) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("http: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http: shutdown: %w", err)
	}
	return nil
}

// close ends the live streams; idempotent.
func (s *Server) close() { s.closeOnce.Do(func() { close(s.closing) }) }
