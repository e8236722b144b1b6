package web

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/yishi-civic/yishi/demo"
)

// threeG is Chrome DevTools' "3G" throttling preset (formerly "Fast 3G"):
// 562.5 ms of latency, 1.44 Mbit/s down and 675 kbit/s up.
var threeG = network.Conditions{Latency: 562.5, DownloadThroughput: 1.6 * 1000 * 1000 / 8 * 0.9, UploadThroughput: 750 * 1000 / 8 * 0.9}

// maxFirstLoad is the budget for a page's first load: bytes
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
	b := mustBrowser(t, s.url)
	var (
		mu       sync.Mutex
		bytes    float64
		requests int
	)
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*network.EventLoadingFinished); ok {
			mu.Lock()
			bytes += e.EncodedDataLength
			requests++
			mu.Unlock()
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
	var report strings.Builder
	fmt.Fprintf(&report, "\n| page | bytes transferred | requests | first contentful paint |\n|---|---:|---:|---:|\n")
	for _, p := range []string{"/", "/?community=hengyuan", "/board", "/register", "/proposals/" + demo.ID("hy/parking"), "/outcomes", "/stats", "/signin"} {
		mu.Lock()
		bytes, requests = 0, 0
		mu.Unlock()
		start := time.Now()
		b.visit(p)
		fcp := eval[float64](b, `new Promise(r => { const f = () => { const e = performance.getEntriesByName("first-contentful-paint")[0]; e ? r(e.startTime) : setTimeout(f, 50); }; f(); })`)
		// Let late responses (lazy photos in view) finish before counting.
		b.do("settle", chromedp.Sleep(2*time.Second))
		mu.Lock()
		got, n := bytes, requests
		mu.Unlock()
		fmt.Fprintf(&report, "| `%s` | %.1f KB | %d | %.0f ms |\n", p, got/1024, n, fcp)
		if got > maxFirstLoad {
			t.Errorf("%s transfers %.1f KB on a first load, over the %d KB budget", p, got/1024, maxFirstLoad/1024)
		}
		t.Logf("%s loaded in %v", p, time.Since(start).Round(time.Millisecond))
	}
	t.Log(report.String())
}
