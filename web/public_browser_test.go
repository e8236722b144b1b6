package web

import (
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/demo"
)

// loadPhotos loads every photo of the page, lazy ones too (for the
// screenshots), and counts those that loaded.
const loadPhotos = `Promise.all([...document.images].map(i => { i.loading = "eager"; return i.decode().then(() => 1, () => 0); })).then(r => r.reduce((a, b) => a + b, 0))`

// TestBrowserPublicPages: an anonymous visitor finds the parking-line
// decision of 衡苑社区 from the home page, reads the register and the
// proposal's story, and sees no personal data; every public page passes
// axe-core and logs no JavaScript error, in zh-CN and en (screenshots with
// YISHI_SCREENSHOTS, docs/web.md).
func TestBrowserPublicPages(t *testing.T) {
	s := mustServe(t, true)
	b := mustBrowser(t, s.url)
	b.visit("/")
	b.check("public-home-all-zh")
	b.submit(`.picker a[href="/?community=hengyuan"]`)
	b.check("public-home-zh")
	b.submit(`a.more[href="/proposals/` + demo.ID("hy/parking") + `"]`)
	if h1 := b.text("h1"); h1 != "院内道路窄，车辆经常剐蹭" {
		t.Errorf("the decision's link leads to %q", h1)
	}
	// The photos load lazily: ask for them all, and count those that came.
	if n := eval[int](b, loadPhotos); n != 3 {
		t.Errorf("%d of the story's photos loaded, want 3", n)
	}
	b.check("public-story-zh")
	html := eval[string](b, "document.documentElement.outerHTML")
	if found := personal.FindAllString(html, -1); len(found) > 0 {
		t.Errorf("the story shows personal data: %q", found)
	}
	for _, p := range []struct{ path, name string }{
		{"/register", "public-register"}, {"/board", "public-board"}, {"/outcomes", "public-outcomes"}, {"/stats", "public-stats"},
	} {
		b.visit(p.path)
		b.check(p.name + "-zh")
		html := eval[string](b, "document.documentElement.outerHTML")
		if found := personal.FindAllString(html, -1); len(found) > 0 {
			t.Errorf("%s shows personal data: %q", p.path, found)
		}
	}
	for _, p := range []struct{ path, name string }{
		{"/?lang=en", "public-home"}, {"/register", "public-register"}, {"/board", "public-board"}, {"/outcomes", "public-outcomes"},
		{"/stats", "public-stats"}, {"/proposals/" + demo.ID("hy/parking"), "public-story"},
	} {
		b.visit(p.path)
		if lang := eval[string](b, "document.documentElement.lang"); lang != "en" {
			t.Errorf("%s is in %q after switching to English", p.path, lang)
		}
		eval[int](b, loadPhotos)
		b.check(p.name + "-en")
	}
	if !strings.Contains(b.text("main"), "Simple majority") {
		t.Errorf("the English story does not say its rule")
	}
}
