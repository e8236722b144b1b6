package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/projections"
)

// serve runs the HTTP service until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr(getenv, "YISHI_ADDR", "127.0.0.1:8080"), "listen address (env YISHI_ADDR)")
	dataDir := fs.String("data", envOr(getenv, "YISHI_DATA", "./data"), "data directory: the embedded store, projection snapshots, attachments (env YISHI_DATA)")
	storeSpec := fs.String("store", getenv("YISHI_STORE"), "the event store: a kurrentdb:// connection string or a data directory; default --data (env YISHI_STORE)")
	withDemo := fs.Bool("demo", false, "load the demo data set into an empty store and print a token per role")
	rateLimit := fs.Float64("rate-limit", 0, "requests per second allowed to each token (or each address without one); 0 means 50/s (env YISHI_RATE_LIMIT)")
	logLevel := fs.String("log-level", envOr(getenv, "YISHI_LOG_LEVEL", "info"), "debug, info, warn or error (env YISHI_LOG_LEVEL)")
	if v := getenv("YISHI_RATE_LIMIT"); v != "" {
		if err := fs.Set("rate-limit", v); err != nil {
			return fmt.Errorf("YISHI_RATE_LIMIT: %w", err)
		}
	}
	if err := fs.Parse(args); err != nil {
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
	store, desc, err := openStore(ctx, spec, pebble.WithLogger(logger))
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	fmt.Fprintf(stdout, "yishi store: %s\n", desc)

	l := ledger.New(store)
	runner, err := projections.New(store, projections.Config{Dir: filepath.Join(*dataDir, "projections"), Logger: logger})
	if err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	srv, err := yhttp.New(yhttp.Config{Store: store, Ledger: l, Runner: runner, DataDir: *dataDir, Logger: logger, RatePerSecond: *rateLimit})
	if err != nil {
		return err
	}
	if *withDemo {
		if err := loadDemo(ctx, store, srv, stdout); err != nil {
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
	if *withDemo {
		if err := printDemoTokens(gctx, l, srv, base, stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "yishi listening on %s (health %s/healthz, ready %s/readyz)\n", base, base, base)
	return g.Wait()
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
func loadDemo(ctx context.Context, store eventstore.Store, srv *yhttp.Server, stdout io.Writer) error {
	for _, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{Max: 1}) {
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		fmt.Fprintln(stdout, "demo: the store already holds events; not loading the demo again")
		return nil
	}
	start := time.Now()
	sum, err := demo.Load(ctx, store, srv.SaveAttachment)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo: %d commands (%d proposals, %d meetings, %d actions) loaded in %s\n",
		sum.Commands, sum.Proposals, sum.Meetings, sum.Actions, time.Since(start).Round(time.Millisecond))
	return nil
}
