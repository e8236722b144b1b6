package web

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/i18n"
)

// Every page is parsed into one set per language with the layout and the
// partials, so a template a page defines for itself must be defined
// nowhere else: a second definition would silently replace the first for
// every page. And each page has its wrapper in every language.
func TestPagesShareOneSetWithoutNameClashes(t *testing.T) {
	define := regexp.MustCompile(`{{-?\s*(?:define|block)\s+"([^"]+)"`)
	files, err := fs.Glob(templateFS, "templates/*/*.html")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "templates/layout.html")
	where := map[string]string{}
	for _, f := range files {
		b, err := fs.ReadFile(templateFS, f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		if strings.HasPrefix(f, "templates/pages/") {
			src = pageSource(strings.TrimSuffix(path.Base(f), ".html"), src)
		}
		seen := map[string]bool{}
		for _, m := range define.FindAllStringSubmatch(src, -1) {
			if seen[m[1]] {
				continue // a block and its define in one file (the wrapper's head)
			}
			seen[m[1]] = true
			if other, ok := where[m[1]]; ok {
				t.Errorf("template %q is defined in %s and in %s", m[1], other, f)
			}
			where[m[1]] = f
		}
	}
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	v, err := parseViews(a)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range i18n.Langs {
		for _, p := range pages {
			name := strings.TrimSuffix(path.Base(p), ".html")
			if v.sets[l].Lookup("page."+name) == nil {
				t.Errorf("%s: no wrapper page.%s", l.Tag(), name)
			}
		}
	}
}
