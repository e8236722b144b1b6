package http

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/http/pprof"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/yishi-civic/yishi/eventstore"
)

// metrics are the server's Prometheus collectors, in a registry of its own
// (so that several servers can live in one test binary).
type metrics struct {
	reg        *prometheus.Registry
	latency    *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	appends    *prometheus.CounterVec
	events     *prometheus.CounterVec
	sseClients prometheus.Gauge
	// connsOpen and connsRefused count the connections Serve holds and
	// those it closed at once for being past a limit.
	connsOpen    prometheus.Gauge
	connsRefused *prometheus.CounterVec
	// shelfReads counts the reads of the answer shelf by answer and
	// outcome.
	shelfReads *prometheus.CounterVec
	// prepared counts the public first pages put on the shelf ahead of
	// their reads (PrepareAnswers).
	prepared prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "yishi_http_request_duration_seconds",
			Help:    "Latency of HTTP requests by method, route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "yishi_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yishi_appends_total",
			Help: "Commands that appended events, by stream category.",
		}, []string{"category"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yishi_events_appended_total",
			Help: "Events appended through the HTTP API, by stream category.",
		}, []string{"category"}),
		sseClients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "yishi_sse_clients",
			Help: "Open Server-Sent Events streams.",
		}),
		connsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "yishi_http_connections_open",
			Help: "Connections the server holds now.",
		}),
		connsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yishi_http_connections_refused_total",
			Help: "Connections closed on accept for being past a limit (total or per_address).",
		}, []string{"limit"}),
		shelfReads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yishi_answer_shelf_reads_total",
			Help: "Answers looked for on the answer shelf (on disk) after missing the answers in memory, by answer (timeline_page: a public timeline's first page; board_item: a board page's item) and outcome: hit (answered from it) or miss (made, then kept on it).",
		}, []string{"answer", "outcome"}),
		prepared: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yishi_answers_prepared_total",
			Help: "Public timeline first pages made and kept on the answer shelf ahead of their first read (serve --prepare-answers).",
		}),
	}
	if s.cfg.Answers != nil {
		m.reg.MustRegister(m.shelfReads, m.prepared)
	}
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "yishi_projection_lag_positions",
		Help: "Global log head minus the projections' position (positions, not events: positions need not be dense).",
	}, func() float64 { return s.projectionLag() })
	if _, ok := s.space(); ok {
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "yishi_store_disk_full",
				Help: "1 while the store refuses appends because its disk is below the free space it keeps in reserve, else 0.",
			}, func() float64 {
				if sp, _ := s.space(); sp.Full {
					return 1
				}
				return 0
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "yishi_store_disk_free_bytes",
				Help: "Free space on the store's disk, as the store last saw it (counting a released ballast as held).",
			}, func() float64 { sp, _ := s.space(); return float64(sp.Free) }),
		)
	}
	if fc, ok := s.cfg.Store.(foreignCounter); ok {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "yishi_store_foreign_events_skipped_total",
			Help: "Events other applications wrote to a shared server (streams not starting with $, metadata or data not Yishi's JSON) that subscriptions and reads of the log skipped.",
		}, func() float64 { return float64(fc.ForeignEvents()) }))
	}
	m.reg.MustRegister(m.latency, m.inFlight, m.appends, m.events, m.sseClients, lag, m.connsOpen, m.connsRefused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(s.cfg.Collectors...)
	return m
}

// foreignCounter is implemented by stores that skip events other
// applications wrote to a shared server (kurrent.Store).
type foreignCounter interface {
	// ForeignEvents returns how many such events have been skipped.
	ForeignEvents() uint64
}

// headPosition is the global position of the newest event, 0 for none.
func (s *Server) headPosition(ctx context.Context) (eventstore.Position, error) {
	for ev, err := range s.cfg.Store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Max: 1}) {
		if err != nil {
			return 0, err
		}
		return ev.Position, nil
	}
	return 0, nil
}

// projectionLag is the log head minus the views' position; -1 when unknown.
func (s *Server) projectionLag() float64 {
	if s.cfg.Runner == nil {
		return -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	head, err := s.cfg.Runner.Head(ctx)
	if err != nil {
		return -1
	}
	pos := s.cfg.Runner.Position()
	if pos >= head {
		return 0
	}
	return float64(head - pos)
}

// getMetrics serves the metrics to an admin or auditor: route counts and
// the log's head would let anyone watch votes arrive. Prometheus scrapes
// them with a token, or without one on the operators' own listener
// (OpsHandler).
func (s *Server) getMetrics(c echo.Context) error {
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}

// OpsHandler serves /metrics without a token, /healthz and /readyz, and
// the Go runtime's profiles under /debug/pprof/ (CPU, heap, goroutines:
// code locations and sizes, no ledger data; not the command line, which
// may hold a store's password), for a listener of its own that
// only operators and the orchestrator reach (serve --metrics-addr); every
// other path is 404 there.
func (s *Server) OpsHandler() nethttp.Handler {
	mux := nethttp.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	mux.Handle("GET /healthz", s)
	mux.Handle("GET /readyz", s)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// ServeOps serves OpsHandler on ln until ctx ends. It has its own budget:
// none of the main listener's connections count against it.
func (s *Server) ServeOps(ctx context.Context, ln net.Listener) error {
	srv := &nethttp.Server{
		Handler:           s.OpsHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// Room for a CPU profile or a trace (?seconds=, 30 by default).
		WriteTimeout: 2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: serve operations: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), opsShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// A profile or a trace still being taken (they run for up to two
		// minutes): cut, and no reason to fail the stop, whose own work
		// is done elsewhere.
		s.log.Warn("http: operations listener: requests still running at the stop were cut", "err", err)
		_ = srv.Close() // its listener is closed already
	}
	return nil
}

// opsShutdownGrace is how long ServeOps lets its requests finish at a
// stop. A variable for tests.
var opsShutdownGrace = 5 * time.Second
