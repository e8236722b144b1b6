package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
)

// threeG is Chrome DevTools' "3G" throttling preset (formerly "Fast 3G"):
// 562.5 ms of latency, 1.44 Mbit/s down and 675 kbit/s up.
var threeG = network.Conditions{Latency: 562.5, DownloadThroughput: 1.6 * 1000 * 1000 / 8 * 0.9, UploadThroughput: 750 * 1000 / 8 * 0.9}

// maxFirstLoad is the issue's budget for a page's first load: bytes
// transferred, every resource counted, nothing cached.
const maxFirstLoad = 150 * 1024

// TestBrowserPageWeightAndFirstPaint loads every public page as a first
// visit (browser cache off) under the 3G preset, and fails when a page
// transfers more than 150 KB. It logs each page's bytes, requests and
// first contentful paint (docs/performance.md has the figures; a time is
// reported, never asserted):
//
//	go test ./web -run BrowserPageWeight -count=1 -v
func TestBrowserPageWeightAndFirstPaint(t *testing.T) {
	s := mustServe(t, true)
	m := newMeter(t, mustBrowser(t, s.url))
	for _, p := range []string{"/", "/?community=hengyuan", "/board", "/register", "/proposals/" + demo.ID("hy/parking"), "/outcomes", "/stats", "/signin"} {
		m.weigh(p)
	}
	t.Log(m.report.String())
}

// TestBrowserResidentPageWeight does the same for the demo resident 张明's
// signed-in pages: the sign-in link's page, then, signed in, his items,
// proposing, supporting a neighbour's proposal, the demo's open vote and
// the demo's action awaiting his verdict.
//
//	go test ./web -run BrowserResidentPageWeight -count=1 -v
func TestBrowserResidentPageWeight(t *testing.T) {
	s := mustServe(t, true)
	b := mustBrowser(t, s.url)
	m := newMeter(t, b)
	code := s.mustCode(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "张明", Subject: "hy-r3"})
	m.weigh("/signin?code=" + code)
	b.submit("#signin-confirm")
	// Each page shows its form: the figures are of the pages in use.
	for _, p := range []struct{ path, form string }{
		{"/mine", `a[href^="/actions/` + demo.ID("hy/stairwell-light/replace") + `/verify"]`},
		{"/propose", "#propose-submit"},
		{"/proposals/" + demo.ID("hy/parking") + "/support", "#support-submit"},
		{"/meetings/" + demo.ID("hy/bins/meeting") + "/vote", "input[name=option_id]"},
		{"/actions/" + demo.ID("hy/stairwell-light/replace") + "/verify", "#verify-submit"},
	} {
		m.weigh(p.path)
		if !eval[bool](b, `document.querySelector(`+strconv.Quote(p.form)+`) !== null`) {
			t.Errorf("%s has no %s", p.path, p.form)
		}
	}
	t.Log(m.report.String())
}

// meter counts what a throttled, cache-less browser transfers per page.
type meter struct {
	t        *testing.T
	b        *browser
	mu       sync.Mutex
	bytes    float64
	requests int
	report   strings.Builder
}

// newMeter listens to b's network, turns its cache off and throttles it to
// the 3G preset.
func newMeter(t *testing.T, b *browser) *meter {
	m := &meter{t: t, b: b}
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*network.EventLoadingFinished); ok {
			m.mu.Lock()
			m.bytes += e.EncodedDataLength
			m.requests++
			m.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	setup := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return fmt.Errorf("enable network: %w", err)
		}
		if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
			return fmt.Errorf("disable the cache: %w", err)
		}
		c := threeG
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{&c}})
		return err
	})
	b.do("throttle to 3G", setup)
	fmt.Fprintf(&m.report, "\n| page | bytes transferred | requests | first contentful paint |\n|---|---:|---:|---:|\n")
	return m
}

// weigh loads p, adds its bytes, requests and first contentful paint to
// the report, and fails the test when p transfers more than the budget.
func (m *meter) weigh(p string) {
	m.mu.Lock()
	m.bytes, m.requests = 0, 0
	m.mu.Unlock()
	start := time.Now()
	m.b.visit(p)
	fcp := eval[float64](m.b, `new Promise(r => { const f = () => { const e = performance.getEntriesByName("first-contentful-paint")[0]; e ? r(e.startTime) : setTimeout(f, 50); }; f(); })`)
	// Let late responses (lazy photos in view) finish before counting.
	m.b.do("settle", chromedp.Sleep(2*time.Second))
	m.mu.Lock()
	got, n := m.bytes, m.requests
	m.mu.Unlock()
	fmt.Fprintf(&m.report, "| `%s` | %.1f KB | %d | %.0f ms |\n", p, got/1024, n, fcp)
	if got > maxFirstLoad {
		m.t.Errorf("%s transfers %.1f KB on a first load, over the %d KB budget", p, got/1024, maxFirstLoad/1024)
	}
	m.t.Logf("%s loaded in %v", p, time.Since(start).Round(time.Millisecond))
}
