package web

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
)

// The browser tests drive Debian's Chromium through chromedp against a real
// server (mustServe). Every page they visit is checked with axe-core (no
// serious or critical violation) and for JavaScript console errors (none).
// Locally they skip when no Chromium is installed; CI sets
// YISHI_REQUIRE_BROWSER=1, which turns the skip into a failure. With
// YISHI_SCREENSHOTS=<dir> they save a 390x844 screenshot of every page
// checked (docs/web.md):
//
//	YISHI_SCREENSHOTS=/tmp/yishi-shots go test ./web -run Browser

// axePath is axe-core as npm installs it (.ci/run runs npm ci there).
const axePath = "testdata/axe/node_modules/axe-core/axe.min.js"

// chromiumPaths are where Chromium may be; YISHI_CHROMIUM overrides them.
var chromiumPaths = []string{"chromium", "chromium-browser", "chromium-headless-shell", "headless-shell", "google-chrome"}

// browser is one Chromium with one tab, at a 390x844 phone's viewport.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  string

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// mustBrowser starts Chromium for the test against the server at base.
func mustBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := os.Getenv("YISHI_CHROMIUM")
	if exe == "" {
		for _, name := range chromiumPaths {
			if p, err := exec.LookPath(name); err == nil {
				exe = p
				break
			}
		}
	}
	if exe == "" {
		if os.Getenv("YISHI_REQUIRE_BROWSER") == "1" {
			t.Fatal("no Chromium found (looked for " + strings.Join(chromiumPaths, ", ") + ") and YISHI_REQUIRE_BROWSER=1")
		}
		t.Skip("skipping the browser test: no Chromium installed (apt-get install chromium fonts-noto-cjk; CI requires it)")
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		if os.Getenv("YISHI_REQUIRE_BROWSER") == "1" {
			t.Fatalf("axe-core missing (run npm ci in web/testdata/axe): %v", err)
		}
		t.Skipf("skipping the browser test: axe-core not installed (cd web/testdata/axe && npm ci): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx, base: base, axe: string(axe)}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.console = append(b.console, m)
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// do runs steps with a time limit, failing the test on error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// submit clicks sel (a submit button or a link) and waits for the page it
// leads to.
func (b *browser) submit(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

// visit opens path.
func (b *browser) visit(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// text returns the text of the first element sel matches.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		here, _ := chromedp.Run(b.ctx, chromedp.Location())
		body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.body.innerText"))
		b.t.Fatalf("text of %s: %v\non %s:\n%s", sel, err, here, body)
	}
	return s
}

// eval returns a JavaScript expression's value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %.60q: %v", expr, err)
	}
	return v
}

// axeViolation is one rule axe-core found broken.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// check checks the page the browser shows: no serious or critical axe-core
// violation, no console error so far; and saves its screenshot as name.
func (b *browser) check(name string) {
	b.t.Helper()
	if !eval[bool](b, "typeof axe !== 'undefined'") {
		eval[bool](b, b.axe+";true")
	}
	raw := eval[string](b, `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({
		id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.html)}))))`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		b.t.Fatalf("axe result: %v", err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("%s: axe %s (%s): %s\n  %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
		} else {
			b.t.Logf("%s: axe %s (%s): %s", name, v.ID, v.Impact, v.Help)
		}
	}
	b.mu.Lock()
	errs := b.console
	b.console = nil
	b.mu.Unlock()
	here, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("location: %v", err)
	}
	for _, m := range errs {
		// An error page's own status is the test's to check.
		if m.Source == "network" && m.URL == here {
			continue
		}
		b.t.Errorf("%s: console error: %s at %s", name, m, m.URL)
	}
	b.screenshot(name)
}

// screenshot saves the viewport as YISHI_SCREENSHOTS/name.png, when set.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("YISHI_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func TestBrowserLayoutAndLanguageSwitch(t *testing.T) {
	s := mustServe(t, false)
	b := mustBrowser(t, s.url)
	b.visit("/")
	if lang := eval[string](b, "document.documentElement.lang"); lang != "zh-CN" {
		t.Errorf("home opens in %q, want zh-CN", lang)
	}
	b.check("home-zh")
	b.submit(`.lang a[hreflang="en"]`)
	if h1 := b.text("h1"); h1 != "Yishi home" {
		t.Errorf("after the switch to English the title is %q", h1)
	}
	b.check("home-en")
	// The choice sticks: the next page is English too.
	b.visit("/no/such/page")
	if h1 := b.text("h1"); h1 != "Not found" {
		t.Errorf("the 404 page after the switch says %q", h1)
	}
	b.check("notfound-en")
	b.submit(`.lang a[hreflang="zh-CN"]`)
	if h1 := b.text("h1"); h1 != "未找到" {
		t.Errorf("after the switch back the 404 page says %q", h1)
	}
}

// TestBrowserStaffIssueASignInLink: a grid worker signs in with their
// access token, issues a sign-in link with its QR code for a resident, and
// the resident's browser signs in with it.
func TestBrowserStaffIssueASignInLink(t *testing.T) {
	s := mustServe(t, true)
	_, worker := s.mustToken(t, auth.IssueRequest{Role: auth.RoleGridWorker, Scope: auth.Scope{Community: demo.Hengyuan, Grid: "hy-grid-3"}, Name: "孙丽", Subject: "hy-w3"})
	b := mustBrowser(t, s.url)
	b.visit("/signin")
	b.do("open the staff sign-in", chromedp.Click(chromedp.CSS("details.staff summary")), chromedp.SendKeys(chromedp.CSS("#token"), worker))
	b.submit(`details.staff button[type=submit]`)
	b.visit("/staff/signin-codes")
	b.check("codes-zh")
	b.do("fill the resident", chromedp.SendKeys(chromedp.CSS("#name"), "3号楼 陈大爷"), chromedp.SendKeys(chromedp.CSS("#subject"), "hy-r30"))
	b.submit(`form[action="/staff/signin-codes"] button[type=submit]`)
	link := b.text("#signin-link")
	if !strings.HasPrefix(link, s.url+"/signin?code=yst_") {
		t.Fatalf("the sign-in link is %q", link)
	}
	if n := eval[int](b, `document.querySelectorAll("svg.qr path").length`); n != 1 {
		t.Errorf("no QR code on the page (%d paths)", n)
	}
	b.check("codes-issued-zh")

	r := mustBrowser(t, s.url)
	r.do("open the link", chromedp.Navigate(link), chromedp.WaitReady(chromedp.CSS("body")))
	r.submit("#signin-confirm")
	if got := r.text(".who span"); !strings.Contains(got, "陈大爷") {
		t.Fatalf("the resident's header says %q", got)
	}
}
