package web

import (
	"log/slog"
	"strings"

	"github.com/labstack/echo/v4"
	yhttp "github.com/yishi-civic/yishi/http"
)

// RenderError answers a failed page request with the error page: the
// problem's title (in the visitor's language, which the API chose from
// Accept-Language and the page corrects from the cookie), its detail and
// the request id to quote.
func (w *Web) RenderError(c echo.Context, p yhttp.Problem) {
	l := w.lang(c)
	title := l.T("problem." + strings.TrimPrefix(p.Type, "/problems/"))
	detail := p.Detail
	if p.Status == 404 && detail == "" {
		detail = l.T("error.notfound")
	}
	page := Page{Title: title, Data: errorData{Status: p.Status, Detail: detail}}
	if c.Request().Method == "HEAD" {
		if err := c.NoContent(p.Status); err != nil {
			w.log.LogAttrs(c.Request().Context(), slog.LevelWarn, "writing an error page failed", slog.Any("error", err))
		}
		return
	}
	if err := w.render(c, p.Status, "error", page); err != nil {
		w.log.LogAttrs(c.Request().Context(), slog.LevelError, "rendering an error page failed", slog.Any("error", err))
		if err := c.String(p.Status, title); err != nil {
			w.log.LogAttrs(c.Request().Context(), slog.LevelWarn, "writing an error page failed", slog.Any("error", err))
		}
	}
}

// errorData is the error page's data.
type errorData struct {
	Status int
	Detail string
}
