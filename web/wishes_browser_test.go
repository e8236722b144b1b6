package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	yhttp "github.com/yishi-civic/yishi/http"
)

// wishMakers are the demo's wish-makers and their doors, whole (a bare
// "302" would match a wish's id or a time on the page): no page a visitor
// who is not staff reads may hold them.
var wishMakers = []string{"何平", "朱红", "徐建国", "高峰", "单元", "3号楼2单元302", "5号楼1单元101"}

// noWishMaker fails when the page b shows names a wish-maker (except
// whom: the visitor, named in the header).
func noWishMaker(t *testing.T, b *browser, page, whom string) {
	t.Helper()
	html := eval[string](b, "document.documentElement.outerHTML")
	for _, m := range wishMakers {
		if m != whom && strings.Contains(html, m) {
			t.Errorf("%s shows the wish-maker %q", page, m)
		}
	}
}

// TestBrowserSmallWishes is 微心愿 in a real browser: 何平 posts a wish on
// her phone, 张明 finds it in the public list, claims it and marks it
// fulfilled, 何平 confirms it; a grid worker posts a wish for 朱红 with
// her door. The public list, in Chinese and English, and every resident's
// page never show a wish-maker; the grid worker's does. Every page is
// checked (axe-core, console errors).
func TestBrowserSmallWishes(t *testing.T) {
	s := mustServe(t, true)
	b := mustBrowser(t, s.url)
	hy := auth.Scope{Community: demo.Hengyuan}
	_, heSecret := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: hy, Name: "何平", Subject: "hy-r11"})
	_, zhangSecret := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: hy, Name: "张明", Subject: "hy-r3"})
	_, workerSecret := s.mustToken(t, auth.IssueRequest{Role: auth.RoleGridWorker, Scope: hy, Name: "王芳", Subject: "hy-w1"})

	// The public list, as anyone reads it.
	b.visit("/wishes?community=hengyuan")
	if n := eval[int](b, `document.querySelectorAll("#wishes .card").length`); n != 5 {
		t.Fatalf("the public list shows %d of the demo's 5 wishes", n)
	}
	noWishMaker(t, b, "the public list", "")
	b.check("wishes-public-zh")
	b.visit("/wishes?lang=en")
	noWishMaker(t, b, "the public list in English", "")
	b.check("wishes-public-en")
	b.visit("/wishes?lang=zh-CN")

	// 何平 posts a wish.
	he := b.signedIn(heSecret, 390, 844)
	he.visit("/wishes/new")
	he.check("wish-new-zh")
	he.do("fill the wish",
		chromedp.SendKeys(chromedp.CSS("#title"), "想要一个暖水袋"),
		chromedp.SetValue(chromedp.CSS("#category"), "daily"),
		chromedp.SendKeys(chromedp.CSS("#story"), "晚上脚冷睡不着"),
		chromedp.SetValue(chromedp.CSS("#grid_id"), "hy-grid-3"),
	)
	he.submit("#wish-submit")
	if he.text(".notice") == "" {
		t.Error("no confirmation after posting")
	}
	id := eval[string](he, `(function () { var c = Array.from(document.querySelectorAll("#wishes .card")).find(function (c) { return c.querySelector("h2").textContent.indexOf("暖水袋") >= 0; }); return c ? c.id.slice(2) : ""; })()`)
	if id == "" {
		t.Fatal("the wish is not among 何平's own after posting")
	}
	card := "#w-" + id
	he.check("wishes-posted-zh")

	// 张明 claims it from the public list and fulfils it.
	zm := b.signedIn(zhangSecret, 390, 844)
	zm.visit("/wishes?community=hengyuan")
	noWishMaker(t, zm, "张明's list", "")
	zm.check("wishes-resident-zh")
	zm.submit(card + " button.claim")
	if got := zm.text(".notice"); got == "" {
		t.Error("no confirmation after claiming")
	}
	if st := eval[string](zm, fmt.Sprintf(`document.querySelector(%q).dataset.status`, card)); st != "claimed" {
		t.Fatalf("after claiming the wish is %q", st)
	}
	zm.check("wishes-claimed-zh")
	zm.do("write a note", chromedp.SendKeys(chromedp.CSS("#note-"+id), "暖水袋已经送到了"))
	zm.submit(card + " button.fulfil")
	if st := eval[string](zm, fmt.Sprintf(`document.querySelector(%q).dataset.status`, card)); st != "fulfilled" {
		t.Fatalf("after fulfilling the wish is %q", st)
	}
	noWishMaker(t, zm, "张明's list after fulfilling", "")
	zm.check("wishes-fulfilled-zh")

	// 何平 confirms it.
	he.visit("/wishes?show=mine")
	he.submit(card + " button.confirm-wish")
	if st := eval[string](he, fmt.Sprintf(`document.querySelector(%q).dataset.status`, card)); st != "confirmed" {
		t.Fatalf("after confirming the wish is %q", st)
	}
	he.check("wishes-confirmed-zh")
	he.visit("/wishes?show=mine&lang=en")
	he.check("wishes-mine-en")

	// A grid worker posts a wish for 朱红, with her door; staff read her.
	wk := b.signedIn(workerSecret, 390, 844)
	wk.visit("/wishes/new")
	wk.check("wish-new-staff-zh")
	wk.do("fill the wish for 朱红",
		chromedp.SendKeys(chromedp.CSS("#wm-name"), "朱红"),
		chromedp.SendKeys(chromedp.CSS("#wm-id"), "hy-r7"),
		chromedp.SendKeys(chromedp.CSS("#door"), "东院3号楼2单元302"),
		chromedp.SendKeys(chromedp.CSS("#title"), "给孙女一件新棉衣"),
		chromedp.SetValue(chromedp.CSS("#category"), "daily"),
		chromedp.SetValue(chromedp.CSS("#grid_id"), "hy-grid-1"),
	)
	wk.submit("#wish-submit")
	if got := wk.text("#wishes"); !strings.Contains(got, "朱红") || !strings.Contains(got, "新棉衣") {
		t.Errorf("the grid worker's list does not show the wish with its wish-maker: %q", got)
	}
	wk.check("wishes-staff-zh")

	// The ledger holds the story; the public list still names no one.
	var agg yhttp.Aggregate
	s.read(t, workerSecret, "/v1/wishes/"+id, &agg)
	var types []string
	for _, e := range agg.Events {
		types = append(types, e.Type)
	}
	if strings.Join(types, " ") != "wish.posted.v1 wish.claimed.v1 wish.fulfilled.v1 wish.confirmed.v1" {
		t.Errorf("the wish's events: %v", types)
	}
	b.visit("/wishes?community=hengyuan")
	if n := eval[int](b, `document.querySelectorAll("#wishes .card").length`); n != 7 {
		t.Errorf("the public list shows %d wishes, want 7", n)
	}
	noWishMaker(t, b, "the public list at the end", "")
}
