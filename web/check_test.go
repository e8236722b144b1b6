package web

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	yhttp "github.com/yishi-civic/yishi/http"
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

// minutesHref finds the links to published minutes on a page.
var minutesHref = regexp.MustCompile(`href="(/meetings/[0-9a-f-]+/minutes)"`)

// decisionProof reads a decision's proof from the API, as a stranger.
func decisionProof(t *testing.T, s *server, checkHref string) yhttp.DecisionProof {
	t.Helper()
	key := strings.TrimPrefix(strings.SplitN(checkHref, "?", 2)[0], "/check/decisions/")
	res, body := fetch(t, http.DefaultClient, s.url+"/v1/proofs/decisions/"+key)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the proof of %s: %d\n%s", key, res.StatusCode, body)
	}
	var p yhttp.DecisionProof
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMinutesCarryTheirFingerprint: every decision of published minutes,
// on the public page and on the staff page that is printed, carries the
// fingerprint the proofs API gives and a QR code of its check link.
func TestMinutesCarryTheirFingerprint(t *testing.T) {
	s := mustServe(t, true)
	_, admin := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Name: "管理员", Subject: "admin-1"})
	staff := newStaffClient(t, s, admin)
	seen := map[string]bool{}
	for _, m := range minutesHref.FindAllStringSubmatch(publicPage(t, s, "/register"), -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		public := publicPage(t, s, m[1])
		decisions := strings.Count(public, `<div class="minutes-decision">`)
		seals := sealLink.FindAllStringSubmatch(public, -1)
		if decisions == 0 || len(seals) != decisions {
			t.Errorf("%s: %d decisions, %d with a fingerprint", m[1], decisions, len(seals))
			continue
		}
		if !strings.Contains(public, "用手机扫描二维码") {
			t.Errorf("%s does not say how to check a decision", m[1])
		}
		var shown []string
		for _, sl := range seals {
			svg, fp, href := sl[1], strings.ReplaceAll(sl[2], " ", ""), html.UnescapeString(sl[3])
			p := decisionProof(t, s, href)
			if fp != p.Fingerprint[:12] || href != "/check/decisions/"+p.Key+"?fp="+p.Fingerprint[:32] {
				t.Errorf("%s prints %s and links %s; the proof's fingerprint is %s", m[1], fp, href, p.Fingerprint)
			}
			want, err := qrSVG(s.url+href, "")
			if err != nil {
				t.Fatal(err)
			}
			if path := func(s string) string { return s[strings.Index(s, `<path`):] }; path(svg) != path(string(want)) {
				t.Errorf("%s: the QR code does not encode %s", m[1], s.url+href)
			}
			shown = append(shown, sl[2]+" "+href)
		}
		// The staff page, which staff print, carries the same.
		var printed []string
		for _, sl := range sealLink.FindAllStringSubmatch(staff.get("/staff"+m[1], 200), -1) {
			printed = append(printed, sl[2]+" "+html.UnescapeString(sl[3]))
		}
		if strings.Join(printed, "\n") != strings.Join(shown, "\n") {
			t.Errorf("%s: the staff page prints\n%s\nthe public one\n%s", m[1], strings.Join(printed, "\n"), strings.Join(shown, "\n"))
		}
	}
	if len(seen) < 2 {
		t.Errorf("the register links to %d published minutes", len(seen))
	}
}
