package web

import (
	nethttp "net/http"

	"github.com/labstack/echo/v4"
)

// home is the front page.
func (w *Web) home(c echo.Context) error {
	return w.render(c, nethttp.StatusOK, "home", Page{Title: w.lang(c).T("home.title"), Nav: "home"})
}
