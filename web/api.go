package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"net/url"

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
// into out (unless out is nil). A refusal is an *apiError; any other error
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
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return fmt.Errorf("web: decode %s %s: %w", r.method, r.path, err)
	}
	return nil
}

// get reads path (with query) into out; see call.
func (w *Web) get(c echo.Context, path string, query url.Values, out any) error {
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
