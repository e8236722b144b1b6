package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	nethttp "net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed static
var staticFS embed.FS

// asset is one static file, with its name fingerprinted.
type asset struct {
	body, gzipped []byte
	contentType   string
}

// assets are the static files, embedded in the binary and served under
// names that carry a hash of their content ("app.3f2a9c1d.css"), so that
// they can be cached for a year: a changed file gets a new name.
type assets struct {
	byHashed map[string]asset  // "app.3f2a9c1d.css" → the file
	hashed   map[string]string // "app.css" → "/static/app.3f2a9c1d.css"
}

// loadAssets reads and fingerprints every file under static/.
func loadAssets() (*assets, error) {
	a := &assets{byHashed: map[string]asset{}, hashed: map[string]string{}}
	// One compressor for every file, reset for each: a compressor holds
	// about a megabyte of tables, and one made for each file had the
	// process fault in fresh memory for each, page by page, at every
	// start (a twelfth of a million-event start's CPU with the
	// compression; docs/performance.md, twenty-fifth session).
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestCompression)
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		var gz bytes.Buffer
		zw.Reset(&gz)
		if _, err := zw.Write(body); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		a.byHashed[hashed] = asset{body: body, gzipped: gz.Bytes(), contentType: ct}
		a.hashed[name] = "/static/" + hashed
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	return a, nil
}

// url returns the fingerprinted path of a static file; the templates call
// it as {{asset "app.css"}}. An unknown name is a bug the template tests
// catch: it returns a path that answers 404.
func (a *assets) url(name string) string {
	if u, ok := a.hashed[name]; ok {
		return u
	}
	return "/static/missing-" + name
}

// serveWorker answers GET /sw.js: the service worker that shows Web Push
// notifications and keeps the offline console's pages (static/sw.js). A
// service worker's script needs a stable address whose
// scope covers the pages, so it is served at the root under its own name,
// cached for five minutes only (browsers check it again for updates).
func (w *Web) serveWorker(c echo.Context) error {
	f := w.assets.byHashed[strings.TrimPrefix(w.assets.url("sw.js"), "/static/")]
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "public, max-age=300")
	h.Set(echo.HeaderXContentTypeOptions, "nosniff")
	return c.Blob(nethttp.StatusOK, "text/javascript; charset=utf-8", f.body)
}

// serveAsset answers GET /static/{file}: the file for its fingerprinted
// name, cached for a year (immutable), gzipped when the client takes it.
func (w *Web) serveAsset(c echo.Context) error {
	f, ok := w.assets.byHashed[c.Param("file")]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	h.Set(echo.HeaderXContentTypeOptions, "nosniff")
	h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	body := f.body
	if strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") && len(f.gzipped) < len(f.body) {
		h.Set(echo.HeaderContentEncoding, "gzip")
		body = f.gzipped
	}
	return c.Blob(nethttp.StatusOK, f.contentType, body)
}
