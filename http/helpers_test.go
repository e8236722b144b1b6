package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
)

// env is a running server over a real embedded store in a temp dir.
type env struct {
	tb     testing.TB
	srv    *Server
	ts     *httptest.Server
	store  *pebble.Store
	ledger *ledger.Ledger
}

// mustServe starts a server on a fresh store; cleanup stops both.
func mustServe(tb testing.TB, opts ...func(*Config)) *env {
	tb.Helper()
	return mustServeIn(tb, tb.TempDir(), nil, opts...)
}

// mustServeIn starts a server on a store in dir opened with storeOpts.
func mustServeIn(tb testing.TB, dir string, storeOpts []pebble.Option, opts ...func(*Config)) *env {
	tb.Helper()
	store, err := pebble.Open(dir, storeOpts...)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	// Every test runs with personal data sealed, as serve does.
	sealer := privacy.NewSealer(privacy.NewMemoryKeys())
	blobs, err := blob.OpenDir(filepath.Join(dir, "attachments"))
	if err != nil {
		tb.Fatalf("open attachments: %v", err)
	}
	l := ledger.New(store, ledger.WithSealer(sealer), ledger.WithPhotos(privacy.NewBlobs(blobs, sealer)))
	runner, err := projections.New(store, projections.Config{Decode: projections.NewDecoder().Decode})
	if err != nil {
		tb.Fatalf("new runner: %v", err)
	}
	cfg := Config{Store: store, Ledger: l, Runner: runner, RatePerSecond: 10000, Burst: 10000}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		tb.Fatalf("new server: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- srv.Run(ctx) }()
	go func() {
		if err := runner.Run(ctx); err != nil && ctx.Err() == nil {
			done <- err
			return
		}
		done <- nil
	}()
	ts := httptest.NewServer(srv)
	tb.Cleanup(func() {
		srv.close()
		ts.Close()
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				tb.Errorf("server or runner: %v", err)
			}
		}
		if err := store.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return &env{tb: tb, srv: srv, ts: ts, store: store, ledger: l}
}

// token issues a token straight through the ledger (as `yishi token
// create` does) and waits until the server knows it; it returns the secret.
func (e *env) token(role auth.Role, scope auth.Scope, subject string) string {
	e.tb.Helper()
	return e.tokenNamed(role, scope, subject, string(role))
}

// tokenNamed issues a token for a named person (the domain needs names).
func (e *env) tokenNamed(role auth.Role, scope auth.Scope, subject, name string) string {
	e.tb.Helper()
	_, secret, res, err := auth.Issue(context.Background(), e.ledger, ledger.Actor{ID: "test", Role: "operator"},
		auth.IssueRequest{Role: role, Scope: scope, Subject: subject, Name: name}, time.Now())
	if err != nil {
		e.tb.Fatalf("issue token: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.tokens.WaitFor(ctx, res.Position); err != nil {
		e.tb.Fatalf("wait for token: %v", err)
	}
	return secret
}

// response is a finished request.
type response struct {
	status int
	header nethttp.Header
	body   []byte
}

// decode decodes the JSON body into v, failing the test if it is not.
func (r response) decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem decodes a problem+json body.
func (r response) problem(tb testing.TB) Problem {
	tb.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("content type %q, want application/problem+json; body %s", ct, r.body)
	}
	var p Problem
	r.decode(tb, &p)
	return p
}

// req is a request to send: body is JSON-encoded unless it is []byte or a
// string (sent as is).
type req struct {
	method, path, token string
	body                any
	header              map[string]string
	// undocumented skips the check against docs/openapi.yaml, for requests
	// to routes that do not exist.
	undocumented bool
}

// do sends r, checks the response against docs/openapi.yaml, and returns it.
func (e *env) do(r req) response {
	e.tb.Helper()
	var reqBody []byte
	switch b := r.body.(type) {
	case nil:
	case []byte:
		reqBody = b
	case string:
		reqBody = []byte(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.tb.Fatalf("encode body: %v", err)
		}
		reqBody = j
	}
	var body io.Reader
	ct := ""
	if r.body != nil {
		body, ct = bytes.NewReader(reqBody), "application/json"
	}
	hr, err := nethttp.NewRequest(r.method, e.ts.URL+r.path, body)
	if err != nil {
		e.tb.Fatalf("new request: %v", err)
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := e.ts.Client().Do(hr)
	if err != nil {
		e.tb.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.tb.Fatalf("read body: %v", err)
	}
	if !r.undocumented {
		checkAgainstSpec(e.tb, hr, reqBody, res, b)
	}
	if res.StatusCode < 300 {
		if route := routeOf(e.srv, r.method, hr.URL.Path); route != "" {
			succeeded.Store(r.method+" "+route, true)
		}
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// want fails the test unless r has status.
func (r response) want(tb testing.TB, status int) response {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

// wantProblem fails unless r is a problem with status and type slug.
func (r response) wantProblem(tb testing.TB, status int, slug string) Problem {
	tb.Helper()
	r.want(tb, status)
	p := r.problem(tb)
	if p.Type != problemBase+slug || p.Status != status {
		tb.Fatalf("problem %s/%d, want %s/%d: %s", p.Type, p.Status, problemBase+slug, status, r.body)
	}
	return p
}

// routeOf finds the route template of path in the server's router.
func routeOf(s *Server, method, path string) string {
	c := s.echo.NewContext(nil, nil)
	s.echo.Router().Find(method, path, c)
	return c.Path()
}

var spec struct {
	once sync.Once
	v    validator.Validator
	err  error
}

// specValidator loads docs/openapi.yaml once per test binary.
func specValidator(tb testing.TB) validator.Validator {
	tb.Helper()
	spec.once.Do(func() {
		b, err := os.ReadFile("../docs/openapi.yaml")
		if err != nil {
			spec.err = err
			return
		}
		doc, err := libopenapi.NewDocument(b)
		if err != nil {
			spec.err = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			spec.err = errs[0]
			return
		}
		spec.v = v
	})
	if spec.err != nil {
		tb.Fatalf("load openapi.yaml: %v", spec.err)
	}
	return spec.v
}

// checkAgainstSpec validates a real response against the document: the
// route, the status and the body's schema must all be documented. A
// request the server accepted must match the document too.
func checkAgainstSpec(tb testing.TB, hr *nethttp.Request, reqBody []byte, res *nethttp.Response, body []byte) {
	tb.Helper()
	v := specValidator(tb)
	if res.StatusCode < 300 {
		accepted := hr.Clone(context.Background())
		accepted.Body = io.NopCloser(bytes.NewReader(reqBody))
		if ok, errs := v.ValidateHttpRequestSync(accepted); !ok {
			for _, e := range errs {
				tb.Errorf("%s %s was accepted but does not match docs/openapi.yaml: %s (%s) %v", hr.Method, hr.URL.Path, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	}
	resCopy := *res
	resCopy.Body = io.NopCloser(bytes.NewReader(body))
	reqCopy := hr.Clone(context.Background())
	reqCopy.Body = nil
	if ok, errs := v.ValidateHttpResponse(reqCopy, &resCopy); !ok {
		for _, e := range errs {
			tb.Errorf("%s %s → %d does not match docs/openapi.yaml: %s (%s) %v", hr.Method, hr.URL.Path, res.StatusCode, e.Message, e.Reason, e.SchemaValidationErrors)
		}
	}
}
