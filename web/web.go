// Package web is Yishi's second door: server-rendered HTML pages for
// residents, facilitators and auditors, in zh-CN and en, mounted on the
// same echo server as the JSON API (http.Server.Mount). It holds the
// templates, the embedded static files, the page handlers, sessions and
// CSRF protection. It decides nothing and reads no store: every page reads
// and writes by calling the API in-process (api.go) with the visitor's
// session, so that a page obeys exactly the roles, scopes, masking and
// domain rules the API does. docs/web.md says how to add a page.
package web

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	nethttp "net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	yhttp "github.com/yishi-civic/yishi/http"
)

// Config is what the pages need.
type Config struct {
	// API is the JSON API the pages call in-process (an *http.Server).
	API nethttp.Handler
	// Tokens tells who a session cookie stands for (the API server's
	// registry, http.Server.Tokens).
	Tokens *auth.Registry
	// Logger receives what fails while rendering; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Web is the pages. It implements http.Pages.
type Web struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	views  *views
	assets *assets
}

var _ yhttp.Pages = (*Web)(nil)

// New parses the templates and fingerprints the static files; it fails
// only when they are broken (a bug, caught by the tests).
func New(cfg Config) (*Web, error) {
	if cfg.API == nil || cfg.Tokens == nil {
		return nil, errors.New("web: Config needs API and Tokens")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p, err := prepared()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return &Web{cfg: cfg, log: cfg.Logger, now: cfg.Now, views: p.views, assets: p.assets}, nil
}

// ready is what the pages need of the binary alone: the static files
// (fingerprinted and compressed) and the parsed templates.
type ready struct {
	assets *assets
	views  *views
}

// prepared makes them once per process: they never change, and the
// start's step that made them, with the API, took 75-113 ms of a million
// events' start (docs/performance.md, fifteenth session).
var prepared = sync.OnceValues(func() (ready, error) {
	a, err := loadAssets()
	if err != nil {
		return ready{}, err
	}
	v, err := parseViews(a)
	if err != nil {
		return ready{}, err
	}
	return ready{assets: a, views: v}, nil
})

// Prepare does the part of New that depends on the binary alone
// (compressing the static files, parsing the templates), so that a
// server can have it done on a goroutine while it opens its store and
// loads its views; New waits for it if it is under way.
func Prepare() { _, _ = prepared() }

// Register adds every page of routes.go to e, behind the pages' own
// middleware (language, security headers, compression, session, CSRF).
func (w *Web) Register(e *echo.Echo) {
	mw := w.middleware()
	e.GET("/static/:file", w.serveAsset)
	e.HEAD("/static/:file", w.serveAsset)
	e.GET("/sw.js", w.serveWorker)
	for _, r := range routes {
		e.Add(r.method, r.path, r.handler(w), mw...)
		if r.method == nethttp.MethodGet {
			e.Add(nethttp.MethodHead, r.path, r.handler(w), mw...)
		}
	}
}

// showRefusals renders a refusal of the API that a page handler returns
// (a record that does not exist, a scope the session lacks), or of the
// pages' own middleware (a form without its CSRF token), as the error page
// with the problem.
func (w *Web) showRefusals(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		var ae *apiError
		if errors.As(err, &ae) {
			w.RenderError(c, ae.Problem)
			return nil
		}
		return err
	}
}
