package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/privacy"
)

// TestBrowserEraseAResident erases a demo resident through the admin's
// pages on a phone: found from the people list, her data looked at,
// the confirmation ticked, erased. Afterwards her name is on no public
// page, the story of the proposal she reported shows the erased marker
// instead, and the tally of the vote she cast is the same as before.
// axe-core finds no serious violation on any page visited.
func TestBrowserEraseAResident(t *testing.T) {
	s := mustServe(t, true)
	_, root := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Name: "系统管理员", Subject: "root"})
	b := mustBrowser(t, s.url)
	const name = "杨洁" // hy-r5: reported the parking proposal, voted on its motion
	story := "/proposals/" + demo.ID("hy/parking")
	tally := `(() => { const a = [...document.querySelectorAll("article.decision")].find(a => a.querySelector("h3").textContent.includes("重新划定停车位"));
		return a ? a.innerText : "" })()`
	html := "document.documentElement.outerHTML"

	b.visit("/register?lang=zh-CN")
	before := eval[string](b, tally)
	if before == "" {
		t.Fatalf("the register does not show the parking vote:\n%s", eval[string](b, "document.body.innerText"))
	}
	b.visit(story)
	if page := eval[string](b, html); strings.Contains(page, privacy.ErasedName) {
		t.Fatal("the story shows an erased resident before any erasure")
	}

	a := b.signedIn(root, 390, 844)
	a.visit("/staff/people?community=" + demo.Hengyuan)
	a.submit(`a[href="/staff/persons/hy-r5"]`)
	if got := a.text("#h-person"); got != name {
		t.Fatalf("her page is headed %q", got)
	}
	a.check("erasure-person")
	a.submit("#erase")
	a.check("erasure-confirm")
	a.set("#ground", "request")
	a.set("#reason", "本人来电申请删除")
	a.do("tick the acknowledgment", chromedp.Click(chromedp.CSS("#confirm")))
	a.submit("#erase-now")
	if got := a.text("#erased-state"); !strings.Contains(got, "已删除") {
		t.Fatalf("after the erasure the page says %q", got)
	}
	if got := a.text("#h-person"); got != privacy.ErasedName {
		t.Fatalf("after the erasure her page is headed %q", got)
	}
	a.check("erasure-erased")
	a.visit("/staff/retention")
	a.check("erasure-retention")

	for _, path := range []string{"/", "/board", "/register", "/outcomes", "/stats", story} {
		b.visit(path)
		if page := eval[string](b, html); strings.Contains(page, name) {
			t.Errorf("%s names the erased resident after her erasure", path)
		}
	}
	b.visit(story)
	if page := eval[string](b, html); !strings.Contains(page, privacy.ErasedName) {
		t.Errorf("the story of her proposal does not show the erased marker:\n%s", eval[string](b, "document.body.innerText"))
	}
	b.check("erasure-story")
	b.visit("/register")
	if after := eval[string](b, tally); after != before {
		t.Errorf("the tally of the vote she cast changed with her erasure:\nbefore %s\nafter  %s", before, after)
	}
	b.check("erasure-register")
}
