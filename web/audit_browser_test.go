package web

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
)

// TestBrowserAuditorsDoor: an auditor signs in with an access token on a
// phone, goes from the 公示栏's parking decision to the events behind it
// (hashes chained, the payload opened), follows a correlation id, reads
// the register as it stood before the decision with the time picker,
// compares that moment with now (the decision and its action added, the
// figures changed), runs the verification with its progress to "verified",
// and reads the checkpoint; every page axe-clean without console errors,
// in Chinese, one in English, the explorer also on a desktop.
func TestBrowserAuditorsDoor(t *testing.T) {
	s := mustServe(t, true)
	_, auditor := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAuditor, Subject: "auditor-1", Name: "街道督查"})
	decided := parkingDecided(t, s, auditor)
	before := decided - 1
	if before == 0 {
		t.Fatal("no parking decision in the demo's register")
	}

	b := mustBrowser(t, s.url)
	b.visit("/signin")
	b.do("sign in with the auditor's token", chromedp.Click(chromedp.CSS("details.staff summary")), chromedp.SendKeys(chromedp.CSS("#token"), auditor))
	b.submit(`details.staff button[type=submit]`)
	b.visit("/audit")
	if h1 := b.text("h1"); h1 != "审计入口" {
		t.Fatalf("the auditor's door says %q", h1)
	}
	b.check("audit-home-zh")

	// From the register's parking decision to the events behind it.
	b.visit("/register?community=hengyuan")
	b.check("audit-register-zh")
	stream := "meeting-" + demo.ID("hy/parking/meeting")
	b.submit(fmt.Sprintf(`.decision a[href^="/audit/events?"][href*="stream=%s"]`, stream))
	if got := eval[string](b, "location.search"); got != fmt.Sprintf("?from=%d&order=newest&stream=%s", decided, stream) {
		t.Fatalf("the link led to %q", got)
	}
	types := eval[[]string](b, `Array.from(document.querySelectorAll(".event .type"), e => e.textContent)`)
	if len(types) < 5 || types[0] != "meeting.voting_closed.v1" {
		t.Fatalf("the events behind the decision, newest first: %q", types)
	}
	if !slices.Contains(types, "meeting.vote_cast.v1") {
		t.Errorf("the events behind the decision lack its votes: %q", types)
	}
	// Newest first, each event's previous hash is the hash of the next.
	chained := eval[bool](b, `(() => {
		const ev = Array.from(document.querySelectorAll(".event"));
		const at = (e, name, k) => e.querySelectorAll("dd")[Array.from(e.querySelectorAll("dt")).findIndex(d => d.textContent === name)].textContent;
		for (let i = 0; i + 1 < ev.length; i++) {
			const p = at(ev[i], "前一哈希"), h = at(ev[i+1], "哈希");
			if (h.length !== 64 || h !== p) return false;
		}
		return ev.length > 1;
	})()`)
	if !chained {
		t.Error("the explorer's hashes do not chain")
	}
	b.do("open a payload", chromedp.Click(chromedp.CSS(".event details.payload summary")))
	if payload := b.text(".event details.payload pre"); !strings.Contains(payload, `"motion_id": "motion-1"`) {
		t.Errorf("the first event's payload: %q", payload)
	}
	b.check("audit-events-zh")

	// Follow the correlation id of the vote's closing across streams.
	b.submit(`.event:first-child a.corr`)
	streams := eval[[]string](b, `Array.from(document.querySelectorAll(".event .meta a"), e => e.textContent)`)
	if !containsPrefix(streams, "meeting-") || !containsPrefix(streams, "proposal-") {
		t.Errorf("closing the vote's correlation spans %q, want the meeting and the proposal it decided", streams)
	}
	if got := b.text(".asof"); !strings.Contains(got, "关联号") {
		t.Errorf("the correlation's banner says %q", got)
	}
	b.check("audit-correlation-zh")

	// Time travel: the register before the decision.
	b.visit("/register?community=hengyuan")
	b.do("pick a position", chromedp.Click(chromedp.CSS("details.timetravel summary")), chromedp.SendKeys(chromedp.CSS("#tt-pos"), fmt.Sprint(before)))
	b.submit(`form:has(#tt-pos) button[type=submit]`)
	if got := b.text(".asof"); !strings.Contains(got, fmt.Sprintf("位置 %d", before)) {
		t.Errorf("the register's banner says %q", got)
	}
	if n := eval[int](b, `Array.from(document.querySelectorAll(".decision h3")).filter(h => h.textContent === "重新划定停车位").length`); n != 0 {
		t.Error("the register as it stood before the parking decision shows it")
	}
	b.check("audit-register-asof-zh")
	b.submit(`.asof a`)
	if n := eval[int](b, `Array.from(document.querySelectorAll(".decision h3")).filter(h => h.textContent === "重新划定停车位").length`); n != 1 {
		t.Error("back to now, the register lacks the parking decision")
	}

	// The comparison of that moment with now.
	b.visit("/audit/compare")
	b.check("audit-compare-form-zh")
	b.do("compare", chromedp.SendKeys(chromedp.CSS("#c-from"), fmt.Sprint(before)))
	b.submit(`form[action="/audit/compare"] button[type=submit]`)
	if got := b.text("#c-decisions"); !strings.Contains(got, "重新划定停车位") || !strings.Contains(got, "通过") {
		t.Errorf("the decisions taken since: %q", got)
	}
	if got := b.text("#c-newactions"); !strings.Contains(got, "西院重新划线") {
		t.Errorf("the actions assigned since: %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll("table.compare tr.changed").length`); n == 0 {
		t.Error("no figure changed between the two moments")
	}
	b.check("audit-compare-zh")

	// The verification, with its progress, to the end.
	b.visit("/audit/verify")
	b.do("run the verification", chromedp.Click(chromedp.CSS("#verify-start")))
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#verify-result p"))); err != nil {
		t.Fatalf("the verification did not end: %v", err)
	}
	if got := b.text("#verify-result"); !strings.HasPrefix(got, "校验通过") {
		t.Errorf("the verification says %q", got)
	}
	if v := eval[float64](b, `document.getElementById("verify-bar").value / document.getElementById("verify-bar").max`); v != 1 {
		t.Errorf("the progress bar ends at %v", v)
	}
	if got := b.text(".signers"); !strings.Contains(got, "yishi-web-test") {
		t.Errorf("the checkpoint's signers: %q", got)
	}
	b.check("audit-verify-zh")

	// In English; and the explorer on a desktop.
	b.visit("/audit/events?order=newest&limit=5&lang=en")
	if h1 := b.text("h1"); h1 != "Event explorer" {
		t.Errorf("the explorer in English says %q", h1)
	}
	b.check("audit-events-en")
	d := b.signedIn(auditor, 1280, 900)
	d.visit("/audit/events?stream=" + stream)
	d.check("audit-events-desktop")
}

func containsPrefix(list []string, prefix string) bool {
	for _, v := range list {
		if strings.HasPrefix(v, prefix) {
			return true
		}
	}
	return false
}
