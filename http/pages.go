package http

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// Pages is the web door (package web) served beside the API: its routes
// live on the server's echo instance, behind the same middleware (request
// ids, logging and metrics, panic recovery, rate limits). It calls the API
// in-process for everything it reads or writes, so it never bypasses a
// rule of it.
type Pages interface {
	// Register adds the pages' routes to e; none may lie under the API's
	// paths (see APIPath).
	Register(e *echo.Echo)
	// RenderError answers a failed request outside the API's paths (an
	// unknown page, a page that failed) with an HTML page showing p.
	RenderError(c echo.Context, p Problem)
}

// Mount serves p's pages beside the API; call it once, before serving.
func (s *Server) Mount(p Pages) {
	s.pages = p
	p.Register(s.echo)
}

// APIPath reports whether path belongs to the JSON API (and the
// operational endpoints), whose errors are problem+json whatever else the
// server serves.
func APIPath(path string) bool {
	for _, root := range []string{"/v1", "/healthz", "/readyz", "/metrics", "/problems"} {
		if path == root || strings.HasPrefix(path, root+"/") {
			return true
		}
	}
	return false
}
