package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/i18n"
)

//go:embed templates
var templateFS embed.FS

// views holds one parsed template set per language: the layout, the
// partials and every page, with "t" bound to the language's catalogue.
// A page's "content" and "head" are renamed after the page, and a wrapper
// "page.<name>" puts them into the layout, so that the layout and the
// partials are parsed once per language, not once per page (their copies
// took 28 MB of a server's heap).
type views struct {
	sets map[i18n.Lang]*template.Template
}

// parseViews parses templates/layout.html, templates/partials/*.html and
// every templates/pages/<name>.html, once per language.
func parseViews(a *assets) (*views, error) {
	pages, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	sources := make(map[string]string, len(pages))
	for _, p := range pages {
		b, err := fs.ReadFile(templateFS, p)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		name := strings.TrimSuffix(path.Base(p), ".html")
		sources[name] = pageSource(name, string(b))
	}
	v := &views{sets: map[i18n.Lang]*template.Template{}}
	for _, l := range i18n.Langs {
		set, err := template.New("layout.html").Funcs(funcs(l, a)).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		for name, src := range sources {
			if _, err := set.New(name + ".html").Parse(src); err != nil {
				return nil, fmt.Errorf("templates: %s: %w", name, err)
			}
		}
		v.sets[l] = set
	}
	return v, nil
}

// pageSource renames page name's "content" and "head" after it and adds
// its wrapper, "page.<name>": the layout's three pieces around them (a
// page without a "head" gets an empty one). A page that replaces the
// layout (the projector view) is its own wrapper.
func pageSource(name, src string) string {
	src = strings.Replace(src, `{{define "content"}}`, `{{define "content.`+name+`"}}`, 1)
	src = strings.Replace(src, `{{define "head"}}`, `{{define "head.`+name+`"}}`, 1)
	if strings.Contains(src, `{{define "layout"}}`) {
		return strings.Replace(src, `{{define "layout"}}`, `{{define "page.`+name+`"}}`, 1)
	}
	return src + `{{define "page.` + name + `"}}{{template "layout.top" .}}{{block "head.` + name + `" .}}{{end}}` +
		`{{template "layout.middle" .}}{{template "content.` + name + `" .}}{{template "layout.bottom" .}}{{end}}`
}

// funcs are the templates' functions in language l:
//
//	t "key" args…      the catalogue's message, formatted
//	asset "app.css"    a static file's fingerprinted path
//	navItem . "board" "/board"   an entry of the main navigation
//	optionLabel .Options "yes"   the label of a motion's option
//	stepKey "action.verified.v1" the catalogue key naming a story's step
//	join .Skills                 a list of skills or categories on one line
//	code "category" .Category    a code of the ledger in words (words.code)
//	cst .At                      a time in China time, to format
//	changes "id" "key" .Added    a section of the comparison of two moments
func funcs(l i18n.Lang, a *assets) template.FuncMap {
	return template.FuncMap{
		"t":           l.T,
		"asset":       a.url,
		"optionLabel": optionLabel,
		"stepKey":     stepKey,
		"join":        joinWords,
		"code":        words{l}.code,
		"cst":         func(t time.Time) time.Time { return t.In(china) },
		"changes":     func(id, key string, lines []change) changeList { return changeList{ID: id, Key: key, Lines: lines} },
		"navItem": func(p Page, key, href string) navItem {
			return navItem{Key: key, Href: href, Current: p.Nav == key}
		},
	}
}

// navItem is one entry of the main navigation.
type navItem struct {
	Key, Href string
	Current   bool
}

// Page is what the layout needs of every page; handlers fill Title and
// Data (the page's own data), render fills the rest.
type Page struct {
	Lang  i18n.Lang
	Title string
	// Nav is the key of the navigation entry to mark as current ("board").
	Nav string
	// Place names the community or grid the page is about, shown in the
	// header.
	Place string
	// Session is the signed-in visitor, nil for an anonymous one.
	Session *Session
	// CSRF is the token every form posts back (the partial "csrf").
	CSRF string
	// RequestID identifies the request for error reports.
	RequestID string
	// Notice is a one-line confirmation shown above the content ("Your
	// vote is recorded").
	Notice string
	// Data is the page's own data.
	Data any
	// Unread is the signed-in visitor's count of notifications since their
	// last visit, the header's bell; render fills it unless bellKnown.
	Unread    int
	bellKnown bool

	url *url.URL
}

// LangURL returns the current page's address switched to language tag:
// the same path and query with lang=tag, which also sets the cookie.
func (p Page) LangURL(tag string) string {
	if p.url == nil {
		return "/?lang=" + tag
	}
	q := p.url.Query()
	q.Set("lang", tag)
	return p.url.Path + "?" + q.Encode()
}

// Path is the current page's path, to mark the navigation.
func (p Page) Path() string {
	if p.url == nil {
		return "/"
	}
	return p.url.Path
}

// notices are the confirmations a redirect after a form may ask for with
// ?done=<key>; the message is the catalogue's "notice.<key>".
var notices = map[string]bool{"signedin": true, "signedout": true, "proposed": true, "supported": true,
	"followed": true, "unfollowed": true, "voted": true, "verified": true, "saved": true,
	"service_ordered": true, "service_accepted": true, "service_declined": true, "service_done": true, "service_confirmed": true}

// render writes page name with status. The body is rendered into a buffer
// first, so that a template error becomes a clean error page, not half a
// page.
func (w *Web) render(c echo.Context, status int, name string, p Page) error {
	l := w.lang(c)
	set := w.views.sets[l]
	if set.Lookup("page."+name) == nil {
		return fmt.Errorf("web: no page template %q", name)
	}
	p.Lang = l
	p.url = c.Request().URL
	p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	if p.Session == nil {
		p.Session = sessionOf(c)
	}
	if p.CSRF == "" {
		p.CSRF, _ = c.Get(csrfKey).(string)
	}
	if p.Session != nil && !p.bellKnown {
		p.Unread = w.unread(c)
	}
	if done := c.QueryParam("done"); p.Notice == "" && notices[done] {
		p.Notice = l.T("notice." + done)
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, "page."+name, p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	c.Response().Header().Set("Content-Language", l.Tag())
	return c.HTMLBlob(status, buf.Bytes())
}

// unread asks the outbox's projection for the visitor's unread count (one
// inbox item, no reading of the log). A failure leaves the bell dark rather
// than failing the page: it is logged.
func (w *Web) unread(c echo.Context) int {
	q := url.Values{"limit": {"1"}}
	if v := c.QueryParam("wait_for"); v != "" {
		q.Set("wait_for", v)
	}
	var in yhttp.InboxAnswer
	if err := w.get(c, "/v1/me/notifications", q, &in); err != nil {
		w.log.LogAttrs(c.Request().Context(), slog.LevelWarn, "the bell's unread count failed", slog.Any("error", err))
		return 0
	}
	return in.Unread
}

// optionLabel returns the label of option id among options (the id itself
// when it is not one of them).
func optionLabel(options []domain.Option, id string) string {
	for _, o := range options {
		if o.ID == id {
			return o.Label
		}
	}
	return id
}

// stepKey returns the catalogue key that names a story step of event type
// typ ("action.verified.v1" → "step.action.verified"), or the generic
// "step.other" for a type the catalogue does not name.
func stepKey(typ string) string {
	if i := strings.LastIndex(typ, ".v"); i > 0 {
		typ = typ[:i]
	}
	if k := "step." + typ; i18n.Has(k) {
		return k
	}
	return "step.other"
}
