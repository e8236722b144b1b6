package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr(getenv, "YISHI_ADDR", "127.0.0.1:8080"), "listen address (env YISHI_ADDR)")
	dataDir := fs.String("data", envOr(getenv, "YISHI_DATA", "./data"), "data directory of the embedded store (env YISHI_DATA)")
	storeSpec := fs.String("store", getenv("YISHI_STORE"), "the event store: a kurrentdb:// connection string or a data directory; overrides --data (env YISHI_STORE)")
	_ = fs.Bool("demo", false, "load the demo data set into an empty store")
	if err := fs.Parse(args); err != nil {
		return err
	}
	spec := *dataDir
	if *storeSpec != "" {
		spec = *storeSpec
	}
	store, desc, err := openStore(ctx, spec)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := store.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	fmt.Fprintf(stdout, "yishi store: %s\n", desc)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	e.Listener = ln
	fmt.Fprintf(stdout, "yishi listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- e.Start("") }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
