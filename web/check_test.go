package web

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/demo"
)

// sealLink finds a decision's fingerprint, check link and QR code on a
// page.
var sealLink = regexp.MustCompile(`<div class="seal">\s*<div class="qrbox seal-qr">(<svg[^>]*>.*?</svg>)</div>\s*<p class="seal-text">[^<]*<br><code class="fp">([0-9a-f ]+)</code><br><a class="more" href="([^"]+)"`)

// TestDecisionsCarryTheirFingerprint: every decision of the register and
// of a story carries its fingerprint (12 digits) and a QR code of the page
// that checks it, whose link carries 32 digits of the same fingerprint.
func TestDecisionsCarryTheirFingerprint(t *testing.T) {
	s := mustServe(t, true)
	register := publicPage(t, s, "/register")
	cards := strings.Count(register, `<article class="card decision"`)
	seals := sealLink.FindAllStringSubmatch(register, -1)
	if cards == 0 || len(seals) != cards {
		t.Fatalf("%d decisions on the register, %d with a fingerprint", cards, len(seals))
	}
	for _, m := range seals {
		svg, fp, href := m[1], m[2], html.UnescapeString(m[3])
		if !regexp.MustCompile(`^/check/decisions/[0-9a-f-]+/[0-9a-z-]+\?fp=[0-9a-f]{32}$`).MatchString(href) {
			t.Errorf("check link %q", href)
			continue
		}
		if link := strings.SplitN(href, "fp=", 2)[1]; !strings.HasPrefix(link, strings.ReplaceAll(fp, " ", "")) || len(fp) != 14 {
			t.Errorf("fingerprint %q printed, %q linked", fp, link)
		}
		want, err := qrSVG(s.url+href, "")
		if err != nil {
			t.Fatal(err)
		}
		if path := func(s string) string { return s[strings.Index(s, `<path`):] }; path(svg) != path(string(want)) {
			t.Errorf("the QR code does not encode %s", s.url+href)
		}
		page := publicPage(t, s, href)
		for _, want := range []string{`data-fp="` + strings.SplitN(href, "fp=", 2)[1] + `"`, `data-leaf="`, "正在核对", "构成这项决定的事件", "— yishi-web-test "} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", href, want)
			}
		}
	}
	story := publicPage(t, s, "/proposals/"+demo.ID("hy/parking"))
	if len(sealLink.FindAllString(story, -1)) != 1 {
		t.Errorf("the parking story's decision carries no fingerprint")
	}
	if res, body := fetch(t, http.DefaultClient, s.url+"/check/decisions/"+demo.ID("hy/parking")+"/nope"); res.StatusCode != 404 {
		t.Errorf("an unknown decision's check: %d\n%s", res.StatusCode, body)
	}
}

// TestBrowserCheckADecision follows a decision's QR link as a resident's
// phone would: the page checks the proofs in the browser and says it is
// verified; with a fingerprint changed by one digit, that it is not.
func TestBrowserCheckADecision(t *testing.T) {
	s := mustServe(t, true)
	b := mustBrowser(t, s.url)
	b.visit("/register")
	href := eval[string](b, `document.querySelector(".seal a").getAttribute("href")`)
	if !strings.HasPrefix(href, "/check/decisions/") {
		t.Fatalf("the register's first decision links to %q", href)
	}
	b.check("public-register-seal-zh")
	state := func() string {
		return eval[string](b, `new Promise(r => { const f = () => { const s = document.getElementById("check").dataset.state; s ? r(s) : setTimeout(f, 50); }; f(); })`)
	}
	b.visit(href)
	if got := state(); got != "ok" {
		t.Fatalf("the check says %q: %s", got, b.text("#check"))
	}
	if got := b.text(`[data-result="ok"]`); !strings.Contains(got, "已核对") {
		t.Errorf("the verdict reads %q", got)
	}
	b.check("check-decision-zh")

	i := strings.Index(href, "fp=") + 3
	flip := map[byte]string{'0': "1"}[href[i]]
	if flip == "" {
		flip = "0"
	}
	b.visit(href[:i] + flip + href[i+1:])
	if got := state(); got != "fail" {
		t.Fatalf("a changed fingerprint: the check says %q", got)
	}
	if got := b.text(`[data-result="fail"]`); !strings.Contains(got, "未通过核对") {
		t.Errorf("the verdict reads %q", got)
	}
	if got := b.text(`[data-reason="fp-bad"]`); !strings.Contains(got, "不符") {
		t.Errorf("the reason reads %q", got)
	}
	b.check("check-decision-tampered-zh")

	b.visit(href + "&lang=en")
	if got := state(); got != "ok" || !strings.Contains(b.text(`[data-result="ok"]`), "Verified") {
		t.Errorf("in English the check says %q", got)
	}
	b.check("check-decision-en")
}
