package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"net/url"
	"sync"

	"github.com/labstack/echo/v4"
	yhttp "github.com/yishi-civic/yishi/http"
)

// The pages read and write only through the JSON API, called in-process:
// the request goes through the API's whole chain (authentication by the
// session's token, rate limit, role, scope, the command's mapping and the
// ledger, the read policy's masking), so a page can neither do nor see
// more than the same person with the same token through the API.

// apiRequest is one in-process call of the API.
type apiRequest struct {
	method, path string
	query        url.Values
	// body is encoded as JSON, unless raw is set (an upload).
	body any
	raw  []byte
	// contentType is raw's type.
	contentType string
	// idempotencyKey makes a form's second post (a double tap, a reload)
	// answer the first one's result instead of acting twice.
	idempotencyKey string
	// commandTime is the moment a meeting's command was made on the
	// console (header Yishi-Command-Time), when it reaches the API later.
	commandTime string
}

// apiError is a refusal of the API: its problem, to show on the page.
type apiError struct {
	Problem yhttp.Problem
}

func (e *apiError) Error() string {
	return fmt.Sprintf("api: %d %s: %s", e.Problem.Status, e.Problem.Title, e.Problem.Detail)
}

// call runs r through the API as the request's visitor (with the session's
// token, if signed in) in the visitor's language, and decodes a 2xx answer
// into out (unless out is nil; into a *[]byte, as it is). A refusal is an *apiError; any other error
// is the service's fault.
func (w *Web) call(c echo.Context, r apiRequest, out any) error {
	// A request without a body has an empty one, as a server's always has.
	var body io.Reader = nethttp.NoBody
	switch {
	case r.raw != nil:
		body = bytes.NewReader(r.raw)
	case r.body != nil:
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("web: encode %s %s: %w", r.method, r.path, err)
		}
		body = bytes.NewReader(b)
		r.contentType = echo.MIMEApplicationJSON
	}
	u := r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := nethttp.NewRequestWithContext(context.WithoutCancel(c.Request().Context()), r.method, u, body)
	if err != nil {
		return fmt.Errorf("web: build %s %s: %w", r.method, r.path, err)
	}
	if req.Body == nil {
		req.Body = nethttp.NoBody // as a server's request always has one
	}
	req.RemoteAddr = c.Request().RemoteAddr
	req.Header.Set("Accept-Language", w.lang(c).Tag())
	req.Header.Set(echo.HeaderXRequestID, c.Response().Header().Get(echo.HeaderXRequestID))
	if r.contentType != "" {
		req.Header.Set(echo.HeaderContentType, r.contentType)
	}
	if r.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", r.idempotencyKey)
	}
	if r.commandTime != "" {
		req.Header.Set(headerCommandTime, r.commandTime)
	}
	if s := sessionOf(c); s != nil {
		req.Header.Set(echo.HeaderAuthorization, "Bearer "+s.secret)
	}
	rec := &recorder{header: nethttp.Header{}, status: nethttp.StatusOK}
	w.cfg.API.ServeHTTP(rec, req)
	if rec.status >= 400 {
		var p yhttp.Problem
		if err := json.Unmarshal(rec.body.Bytes(), &p); err != nil || p.Status == 0 {
			return fmt.Errorf("web: %s %s answered %d without a problem", r.method, r.path, rec.status)
		}
		return &apiError{Problem: p}
	}
	switch raw := out.(type) {
	case nil:
		return nil
	case *[]byte: // an answer that is not JSON (a checkpoint, a key)
		*raw = bytes.Clone(rec.body.Bytes())
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = rec.body.Bytes()
		return nil
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return fmt.Errorf("web: decode %s %s: %w", r.method, r.path, err)
	}
	return nil
}

// get reads path (with query) into out (a *[]byte takes the body as it
// is); see call. A read of a view follows the page's ?as_of= (withAsOf).
func (w *Web) get(c echo.Context, path string, query url.Values, out any) error {
	query, err := w.withAsOf(c, path, query)
	if err != nil {
		return err
	}
	return w.call(c, apiRequest{method: nethttp.MethodGet, path: path, query: query}, out)
}

// recorder is the response writer of an in-process call.
type recorder struct {
	header nethttp.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() nethttp.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(nethttp.StatusOK)
	return r.body.Write(b)
}

// apiStream is an answer of the API read as it is written: an event
// stream, or a long download.
type apiStream struct {
	header nethttp.Header
	body   io.Reader
	close  func()
}

// openStream runs a GET of path through the API in-process as the
// visitor (see call) and returns its answer once the API has written its
// status, to be read while the API writes the rest; close ends the read
// (and the API's request). A refusal is an *apiError.
func (w *Web) openStream(c echo.Context, path string, query url.Values) (*apiStream, error) {
	u := path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	ctx, cancel := context.WithCancel(c.Request().Context())
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, u, nethttp.NoBody)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("web: stream %s: %w", path, err)
	}
	req.RemoteAddr = c.Request().RemoteAddr
	req.Header.Set("Accept-Language", w.lang(c).Tag())
	req.Header.Set(echo.HeaderXRequestID, c.Response().Header().Get(echo.HeaderXRequestID))
	if s := sessionOf(c); s != nil {
		req.Header.Set(echo.HeaderAuthorization, "Bearer "+s.secret)
	}
	if id := c.Request().Header.Get("Last-Event-ID"); id != "" {
		req.Header.Set("Last-Event-ID", id)
	}
	pr, pw := io.Pipe()
	sw := &streamWriter{header: nethttp.Header{}, w: pw, status: make(chan int, 1)}
	go func() {
		w.cfg.API.ServeHTTP(sw, req)
		sw.WriteHeader(nethttp.StatusOK) // an answer without a body
		_ = pw.Close()
	}()
	st := &apiStream{header: sw.header, body: pr, close: func() { cancel(); _ = pr.Close() }}
	if status := <-sw.status; status >= 400 {
		defer st.close()
		var p yhttp.Problem
		if err := json.NewDecoder(pr).Decode(&p); err != nil || p.Status == 0 {
			return nil, fmt.Errorf("web: %s answered %d without a problem", path, status)
		}
		return nil, &apiError{Problem: p}
	}
	return st, nil
}

// streamWriter is the response writer of an in-process stream: what the
// API writes goes into a pipe that the page reads as it comes; its status
// is sent on status once, before the body.
type streamWriter struct {
	header nethttp.Header
	w      *io.PipeWriter
	status chan int
	once   sync.Once
}

func (s *streamWriter) Header() nethttp.Header { return s.header }
func (s *streamWriter) WriteHeader(status int) {
	s.once.Do(func() { s.status <- status })
}
func (s *streamWriter) Flush() {}
func (s *streamWriter) Write(b []byte) (int, error) {
	s.WriteHeader(nethttp.StatusOK)
	n, err := s.w.Write(b)
	if err != nil {
		return n, fmt.Errorf("web: stream closed: %w", err)
	}
	return n, nil
}
