package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
)

// TestBrowserStreetReport: a street office's supervisor (an auditor) reads
// 紫陵镇's report on a phone — the report's figures, 280 solved by
// convening the units concerned and 98 through the closed loop, its 92
// grids, 75 village and 17 dedicated, 43 heads, 75 + 75 workers — and
// downloads its CSV through the page's link; picks 李封街道 for its 6 talks
// and 24 opinions; reads it in English; a bad period is answered naming
// the field. Every page axe-clean without console errors.
func TestBrowserStreetReport(t *testing.T) {
	s := serveLoaded(t, demo.Load, "")
	_, auditor := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAuditor, Subject: "auditor-1", Name: "街道督查"})
	b := mustBrowser(t, s.url)
	b.visit("/signin")
	b.do("sign in with the auditor's token", chromedp.Click(chromedp.CSS("details.staff summary")), chromedp.SendKeys(chromedp.CSS("#token"), auditor))
	b.submit(`details.staff button[type=submit]`)

	b.visit("/audit/report?street=" + url.QueryEscape(demo.ZilingStreet))
	if h1 := b.text("h1"); h1 != "街道报告" {
		t.Fatalf("the report page says %q", h1)
	}
	tiles := eval[[]string](b, `Array.from(document.querySelectorAll(".tiles li"), e => e.textContent.trim())`)
	for _, want := range []string{"280 召集相关单位协商解决", "98 闭环直接办结（发现—处置—反馈）", "378 已解决", "380 收集事项",
		"92 网格", "75 村级网格", "17 专属网格", "43 网格长", "75 专职网格员", "75 兼职网格员", "0 微心愿已实现"} {
		if !slices.Contains(tiles, want) {
			t.Errorf("no tile %q in %q", want, tiles)
		}
	}
	if n := eval[int](b, `document.querySelectorAll("figure svg title").length`); n < 2 {
		t.Errorf("%d charts", n)
	}
	b.check("report-ziling-zh")

	// The CSV link, fetched as the browser would download it.
	href := eval[string](b, `document.querySelector("#r-csv").getAttribute("href")`)
	if !strings.HasPrefix(href, "/audit/report.csv?") {
		t.Fatalf("CSV link %q", href)
	}
	body := eval[string](b, `fetch(document.querySelector("#r-csv").href).then(r => r.ok ? r.text() : "HTTP " + r.status)`)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV %q: %v", body, err)
	}
	if len(rows) < 3 || rows[0][4] != "闭环直接办结（发现—处置—反馈）" || rows[1][0] != "街道/镇" || rows[1][4] != "98" || rows[1][5] != "280" ||
		rows[1][15] != "0" || rows[2][1] != "紫陵镇" {
		t.Errorf("CSV rows %q", rows)
	}

	// Another street through the form: 网格之家's talks and opinions.
	b.do("pick 李封街道", chromedp.SetValue(chromedp.CSS("#r-street"), "中站区李封街道"))
	b.submit(`form.filters button[type=submit]`)
	tiles = eval[[]string](b, `Array.from(document.querySelectorAll(".tiles li"), e => e.textContent.trim())`)
	if !slices.Contains(tiles, "6 场 / 24 条意见 政策宣讲与座谈") || !slices.Contains(tiles, "3 网格之家活动（义诊、讲座等）") {
		t.Errorf("李封街道's talks: %q", tiles)
	}
	if cells := eval[[]string](b, `Array.from(document.querySelectorAll("#r-communities ~ table td, section[aria-labelledby=r-communities] td"), e => e.textContent)`); len(cells) != 11 || cells[7] != "3" {
		t.Errorf("衡苑社区's table: %q", cells)
	}
	b.check("report-lifeng-zh")

	b.visit("/audit/report?lang=en&street=" + url.QueryEscape(demo.ZilingStreet) + "&from=2026-01-01&to=2026-12-31")
	if h1 := b.text("h1"); h1 != "Street report" {
		t.Fatalf("the English report says %q", h1)
	}
	if h2 := b.text("#r-figures"); h2 != demo.ZilingStreet+" · Jan 26 to Dec 26" {
		t.Errorf("the period reads %q", h2)
	}
	b.check("report-ziling-en")

	res, page := as(t, s, auditor, "/audit/report?street="+url.QueryEscape(demo.ZilingStreet)+"&from=yesterday")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "from") {
		t.Errorf("a bad period: %d\n%.400s", res.StatusCode, page)
	}
}
