package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// signedIn opens another browser context (its own cookies: another
// person's phone) on b's browser, at a phone's or a projector's viewport,
// signed in with the session secret (as the sign-in link leaves it).
func (b *browser) signedIn(secret string, width, height int64) *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	o := &browser{t: b.t, ctx: ctx, base: b.base, axe: b.axe}
	view := chromedp.EmulateViewport(width, height)
	if width < 600 {
		view = chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateScale(2))
	}
	// The first action on a context opens its tab, and must run without a
	// time limit (which would close the tab when it ends).
	if err := chromedp.Do(ctx, view); err != nil {
		b.t.Fatalf("open a browser context: %v", err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				o.mu.Lock()
				o.console = append(o.console, m)
				o.mu.Unlock()
			}
		}
	}()
	o.visit("/?lang=zh-CN")
	eval[bool](o, fmt.Sprintf("document.cookie = %q; true", sessionCookie+"="+secret+"; path=/"))
	return o
}

// tap presses sel, a button of a console form that the script sends
// (sendCommand), and waits for the console to say it was recorded; a
// refusal fails the test with the API's words.
func (b *browser) tap(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(async () => {
		const s = document.getElementById("console-status"); s.textContent = "";
		const box = document.querySelector("[data-refusal]"); if (box) { box.hidden = true; box.textContent = ""; }
		const el = document.querySelector(%q);
		if (!el) return "missing: " + %q;
		const reload = el.form && el.form.hasAttribute("data-reload");
		el.click();
		for (let i = 0; i < 300; i++) {
			await new Promise(r => setTimeout(r, 20));
			if (s.textContent) return reload ? "reload" : "ok";
			if (box && !box.hidden && box.textContent) return "refused: " + box.textContent;
		}
		return "no answer";
	})()`, sel, sel), chromedp.EvalAwaitPromise))
	if err != nil && strings.Contains(err.Error(), "navigated") {
		got = "reload" // the page reloaded before the script could answer
	} else if err != nil {
		b.t.Fatalf("tap %s: %v", sel, err)
	}
	if got == "reload" {
		// The screen reloads as of the write: wait for the new page.
		for range 100 {
			ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
			done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.search.includes("wait_for") && document.readyState === "complete"`))
			cancel()
			if err == nil && done {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		b.t.Fatalf("tap %s: the screen did not reload", sel)
	}
	if got != "ok" {
		b.t.Fatalf("tap %s: %s", sel, got)
	}
}

// waitText waits until sel's text contains want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	ok := eval[bool](b, fmt.Sprintf(`(async () => {
		for (let i = 0; i < 500; i++) {
			const el = document.querySelector(%q);
			if (el && el.textContent.includes(%q)) return true;
			await new Promise(r => setTimeout(r, 20));
		}
		return false;
	})()`, sel, want))
	if !ok {
		b.t.Fatalf("%s never showed %q; it shows %q", sel, want, b.text(sel))
	}
}

// set sets a field's value (an input, a select, a textarea).
func (b *browser) set(sel, value string) {
	b.t.Helper()
	b.do("set "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

// mustPhoto writes a small PNG, a photo taken on the site.
func mustPhoto(t *testing.T, shade uint8) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{shade, uint8(x * 4), uint8(y * 5), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("site-%d.png", shade))
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBrowserParkingLine runs the parking-line story through the pages,
// end to end: a grid head records a resident's report, two neighbours
// support it, it is accepted and put on a courtyard meeting with the
// property company, 12 of 15 residents attend, statements are recorded, a
// motion with a quorum is voted on residents' own phones and by a show of
// hands the facilitator records, the projector shows the tally, an action
// is assigned, reported with a photo, completed and verified by the
// resident, and the proposal is closed. It measures (and logs, never
// asserts) how long the projector takes to show a ballot cast on a phone.
func TestBrowserParkingLine(t *testing.T) {
	s := mustServe(t, false)
	story := mustParkingLine(t, s)
	root := mustBrowser(t, s.url)
	f := root.signedIn(story.facilitator, 390, 844)

	// Intake: the grid head records 赵居民's report from a visit.
	f.visit("/staff/intake")
	f.check("staff-intake-zh")
	f.set("#author", "person|r01|赵居民")
	f.set("#title", "西院车位线重新划线")
	f.set("#text", "西院道路窄，车位线看不清，常有剐蹭。")
	f.set("#category", "停车")
	f.set("#place", "西院停车场")
	f.submit(`form[action="/staff/intake"] button[type=submit]`)
	if h1 := f.text("h1"); h1 != "西院车位线重新划线" {
		t.Fatalf("after intake the page is %q", h1)
	}
	proposal := strings.TrimPrefix(eval[string](f, "location.pathname"), "/staff/proposals/")

	// Two neighbours support it from their phones.
	for _, i := range []int{1, 2} {
		r := root.signedIn(story.residents[i], 390, 844)
		r.visit("/proposals/" + proposal + "/support")
		r.submit("#support-submit")
	}

	// Triage: accept.
	f.visit("/staff/proposals/" + proposal)
	f.waitText("main", "2 人附议")
	f.check("staff-proposal-zh")
	f.tap(`form[action$="/accept"] button`)

	// Schedule the courtyard meeting, agenda, invitations.
	f.visit("/staff/meetings/new?proposal=" + proposal)
	f.check("staff-schedule-zh")
	f.set("#title", "西院停车议事会")
	f.set("#compound", "west")
	f.set("#place", "西院凉亭")
	f.set("#starts_at", time.Now().Add(time.Hour).Format("2006-01-02T15:04"))
	f.submit(`form[action="/staff/meetings"] button[type=submit]`)
	meeting := strings.TrimPrefix(eval[string](f, "location.pathname"), "/staff/meetings/")
	base := "/staff/meetings/" + meeting
	f.tap(`form[action$="/agenda"] input[value="` + proposal + `"] ~ button`)
	for range 15 {
		f.tap(`form[action$="/invite"] input[value="resident"] ~ button`)
	}
	f.tap(`form[action$="/invite"] input[value="unit"] ~ button`)
	f.visit(base)
	f.waitText("#h-invite", "16")
	f.check("staff-meeting-zh")
	f.submit(`form[action$="/open"] button`)

	// Attendance: 12 of the 15 residents, by tapping names.
	f.check("console-attendance-zh")
	names := []string{"赵居民", "钱居民", "孙居民", "李居民", "周居民", "吴居民", "郑居民", "王居民", "冯居民", "陈居民", "褚居民", "卫居民"}
	for _, n := range names {
		f.tap(`li[data-name="` + n + `"] button[value="present"]`)
	}
	f.waitText("#livebar", "出席 12")

	// Statements on the item.
	f.visit(base + "/console?screen=discussion")
	f.set("#speaker", "r01|赵居民")
	f.set("#summary", "晚上车多，线看不清，建议重新划线并加宽通道。")
	f.tap(`form[action$="/statement"] button`)
	f.set("#speaker", "property|衡苑物业")
	f.set("#summary", "物业可联系施工队，两周内完成。")
	f.tap(`form[action$="/statement"] button`)
	f.waitText("#statements", "物业可联系施工队")
	f.check("console-discussion-zh")

	// A motion with a quorum of half the voters.
	f.visit(base + "/console?screen=motion")
	f.check("console-motion-zh")
	f.set("#motion-text", "由物业组织施工队两周内重新划线，并加宽消防通道。")
	f.set("#rule", "simple_majority")
	f.set("#quorum", "50")
	f.tap(`form[action$="/motion"] button[type=submit]`)

	// Voting opens with the residents as the electorate, locked.
	f.visit(base + "/console?screen=vote")
	f.tap(`form[action$="/voting"] button`)
	f.waitText("#vote", "有表决权的 15 人")
	f.check("console-vote-zh")

	// The projector, on the room's screen.
	pj := root.signedIn(story.facilitator, 1280, 720)
	pj.visit(base + "/projector")
	pj.waitText("#pj-live", "已投 0 / 15 票")

	// Residents vote on their own phones; the projector shows each ballot.
	var shown []time.Duration
	for i := range 3 {
		r := root.signedIn(story.residents[i], 390, 844)
		r.visit("/meetings/" + meeting + "/vote")
		want := fmt.Sprintf("已投 %d / 15 票", i+1)
		eval[bool](pj, fmt.Sprintf(`window.__seen = 0; new MutationObserver((_, o) => {
			if (document.getElementById("pj-live").textContent.includes(%q)) { window.__seen = Date.now(); o.disconnect(); }
		}).observe(document.body, {subtree: true, childList: true, characterData: true}); true`, want))
		r.do("choose", chromedp.Click(chromedp.CSS(`input[name="option_id"][value="o1"]`)))
		t0 := eval[float64](r, `window.__t0 = Date.now(); document.querySelector(".vote-submit").click(); window.__t0`)
		pj.waitText("#pj-live", want)
		seen := eval[float64](pj, "window.__seen || Date.now()")
		shown = append(shown, time.Duration(seen-t0)*time.Millisecond)
	}
	t.Logf("the projector showed each phone's ballot after %v (from the tap on the phone to the projector's DOM)", shown)

	// A show of hands for seven present residents without phones.
	f.visit(base + "/console?screen=vote")
	for _, id := range []string{"r04", "r05", "r06", "r07", "r08", "r09", "r10"} {
		// A click by script: the sticky count bar may cover a box that
		// scrolling into view leaves at the top of the screen.
		eval[bool](f, `document.querySelector('#unvoted input[value="`+id+`"]').click(); true`)
	}
	f.tap(`form[action$="/ballots"] button[type=submit]`)
	f.waitText("#vote", "已投")
	pj.waitText("#pj-live", "已投 10 / 15 票")
	f.tap(`form[action$="/close-voting"] button`)
	pj.waitText("#pj-live", "通过")
	pj.check("projector-zh")
	if txt := pj.text("#pj-live"); strings.Contains(txt, "赵居民") {
		t.Errorf("the projector shows a resident's name: %q", txt)
	}

	// An action from the decision: the property company, due in two weeks.
	f.visit(base + "/console?screen=vote")
	f.waitText("#vote", "通过")
	f.submit(`a[href^="/staff/actions/new"]`)
	f.check("staff-assign-zh")
	f.set("#owner", "unit|property|衡苑物业")
	f.set("#due", time.Now().AddDate(0, 0, 14).Format("2006-01-02"))
	f.submit(`form[action="/staff/actions"] button[type=submit]`)
	action := strings.TrimPrefix(eval[string](f, "location.pathname"), "/staff/actions/")

	// Progress with a photo from the site, then completion with evidence.
	f.submit(`form[action$="/start"] button`)
	f.set("#percent", "60")
	f.set("#progress-note", "西侧已划线")
	f.do("photo", chromedp.SetUploadFiles(chromedp.CSS("#progress-photos"), []string{mustPhoto(t, 10)}))
	f.submit(`form[action$="/progress"] button[type=submit]`)
	f.waitText("main", "现场照片 1 张")
	f.check("staff-action-zh")
	f.do("evidence", chromedp.SetUploadFiles(chromedp.CSS("#evidence"), []string{mustPhoto(t, 200)}))
	f.set("#complete-note", "全部划线完成")
	f.submit(`form[action$="/complete"] button[type=submit]`)
	f.waitText("main", "已完成")

	// The resident who reported it verifies the outcome; the loop closes.
	r := root.signedIn(story.residents[0], 390, 844)
	r.visit("/actions/" + action + "/verify")
	r.do("satisfied", chromedp.Click(chromedp.CSS(`input[name="satisfied"][value="yes"]`)))
	if !eval[bool](r, `document.querySelector('input[name="satisfied"][value="yes"]').checked`) {
		// A click that reached the page before it was ready to take it.
		r.do("satisfied, again", chromedp.Click(chromedp.CSS(`input[name="satisfied"][value="yes"]`)))
	}
	r.submit("#verify-submit")
	r.waitText("body", "您的评价已记录")
	f.visit("/staff/proposals/" + proposal)
	f.waitText("main", "居民已验收行动结果，可以办结")
	f.tap(`form[action$="/close"] button`)
	f.visit("/staff/proposals/" + proposal)
	f.waitText("main", "已办结")

	// After the meeting: adjourn, draft the minutes from the record,
	// publish them for 7 days, and print them on A4 (Chromium's print).
	f.visit(base + "/console?screen=close")
	f.tap(`form[action$="/adjourn"] button`)
	f.submit(`a[href$="/minutes"]`)
	f.waitText("#minutes-status", "尚未起草")
	f.check("staff-minutes-zh")
	f.set("#m-summary-field", "会议表决通过重新划线，并加宽消防通道。")
	f.set("#m-note-0", "物业负责联系施工队，两周内完成。")
	f.set("#m-remarks-field", "下次议事会讨论电动车充电。")
	f.submit("#draft-form button[type=submit]")
	f.waitText("#minutes-status", "第 1 稿")
	f.submit("#publish-form button[type=submit]")
	f.waitText("#minutes-status", "公示期 7 天")
	f.check("staff-minutes-published-zh")
	staffPrint := checkMinutesPDF(t, f, "西院停车议事会 会议纪要", "衡苑社区", "西院凉亭", "应到 16 人，亲自出席 12 人，委托出席 0 人", "亲自出席：赵居民",
		"同意 10 票", "投票 10 人，有表决权 15 人", "通过", "物业负责联系施工队", "重新划线", "衡苑物业", "主持人：", "记录人：", "参会代表：", "公示期 7 天")
	if !strings.Contains(staffPrint, "晚上车多") {
		t.Errorf("the staff's printed minutes lack the statement")
	}

	// Anyone reads them from the story's decision, masked: counts, no names.
	pub := root.signedIn("", 390, 844)
	pub.visit("/proposals/" + proposal)
	pub.submit(`a[href="/meetings/` + meeting + `/minutes"]`)
	pub.waitText("#minutes-attendance", "亲自出席 12 人")
	pub.check("public-minutes-zh")
	for _, name := range append(names, "王网格长") {
		if strings.Contains(pub.text("main"), name) {
			t.Errorf("the public minutes show %s", name)
		}
	}

	// The overdue list and the queue, and the pages in English.
	f.visit("/staff/actions")
	f.check("staff-actions-zh")
	f.visit("/staff?status=all")
	f.check("staff-queue-zh")
	for _, p := range []struct{ path, name string }{
		{"/staff?lang=en", "staff-queue-en"}, {"/staff/intake", "staff-intake-en"},
		{base + "/console?screen=attendance", "console-attendance-en"}, {base + "/console?screen=vote", "console-vote-en"},
		{"/staff/actions/" + action, "staff-action-en"}, {"/staff/people", "staff-people-en"}, {base + "/console?screen=close", "console-close-en"},
		{base + "/console?screen=discussion", "console-discussion-en"}, {base + "/console?screen=motion", "console-motion-en"},
		{base + "/minutes", "staff-minutes-en"}, {"/meetings/" + meeting + "/minutes", "public-minutes-en"},
		{base, "staff-meeting-en"}, {"/staff/proposals/" + proposal, "staff-proposal-en"},
	} {
		f.visit(p.path)
		f.check(p.name)
	}
	pj.visit(base + "/projector?lang=en")
	pj.check("projector-en")
}
