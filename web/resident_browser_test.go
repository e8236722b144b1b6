package web

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/domain"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/i18n"
)

// TestBrowserResidentTakesPart is the residents' door in a real browser:
// 张明 signs in through a sign-in link, submits a proposal with a photo
// taken by the phone's camera (resized in the browser), supports a
// neighbour's, votes and changes his vote, and verifies the outcome of his
// proposal as not satisfied, which reopens it; a refused form keeps what
// he typed. Every page is checked (axe-core, console errors) in zh-CN,
// and the main ones again in English after the language switch.
func TestBrowserResidentTakesPart(t *testing.T) {
	s := mustServe(t, true)
	b := mustBrowser(t, s.url)
	grid := auth.Scope{Community: demo.Hengyuan, Grid: "hy-grid-2"}
	_, facilitator := s.mustToken(t, auth.IssueRequest{Role: auth.RoleFacilitator, Scope: grid, Name: "赵磊", Subject: "hy-w2"})
	_, neighbour := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: grid, Name: "杨洁", Subject: "hy-r5"})
	code := s.mustCode(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "张明", Subject: "hy-r3"})

	// Signing in.
	b.visit("/signin?code=" + code)
	b.check("signin-zh")
	b.submit("#signin-confirm")
	if got := b.text(".who span"); !strings.Contains(got, "张明") {
		t.Fatalf("after signing in the header says %q", got)
	}
	b.check("mine-first-zh")

	// A proposal with a photo; first refused (a 随身拍 report without a
	// photo), which keeps what was typed.
	b.visit("/propose")
	b.check("propose-zh")
	b.do("fill the proposal",
		chromedp.SendKeys(chromedp.CSS("#title"), "2号楼门口路灯不亮"),
		chromedp.SendKeys(chromedp.CSS("#text"), "晚上很黑，老人出门不方便，请尽快修好。"),
		chromedp.SetValue(chromedp.CSS("#grid_id"), "hy-grid-2"),
		chromedp.SetValue(chromedp.CSS("#category"), "safety"),
		chromedp.SendKeys(chromedp.CSS("#place"), "2号楼单元门口"),
		chromedp.Click(chromedp.CSS(`input[name=channel][value=photo_report]`)),
	)
	b.submit("#propose-submit")
	if msg := b.text("#photos-error"); msg == "" {
		t.Fatal("a photo report without a photo: no message next to the photo")
	}
	if v := eval[string](b, `document.getElementById("title").value`); v != "2号楼门口路灯不亮" {
		t.Errorf("the refused form lost the title: %q", v)
	}
	b.check("propose-refused-zh")
	photo := filepath.Join(t.TempDir(), "camera.jpg")
	writeCameraPhoto(t, photo, 3000, 2000)
	takePhoto(b, photo)
	b.submit("#propose-submit")
	if n := eval[int](b, `document.querySelectorAll(".cards .card").length`); n == 0 {
		t.Fatal("my items lists nothing after proposing")
	}
	if notice := b.text(".notice"); notice == "" {
		t.Error("no confirmation after proposing")
	}
	// The demo leaves 张明 items of his own: find this one by its title.
	pid := eval[string](b, `(function () { var a = Array.from(document.querySelectorAll('.card h3 a[href^="/proposals/"]')).find(function (a) { return a.textContent.indexOf("门口路灯") >= 0; }); return a ? a.getAttribute("href").split("/")[2] : ""; })()`)
	var agg yhttp.Aggregate
	s.read(t, facilitator, "/v1/proposals/"+pid, &agg)
	if len(agg.Events) == 0 || !strings.Contains(string(agg.Events[0].Data), "路灯") {
		t.Fatalf("the proposal %q is not in the ledger: %+v", pid, agg)
	}
	var submitted domain.ProposalSubmitted
	mustDecode(t, agg.Events[0], &submitted)
	if len(submitted.Photos) != 1 || submitted.Channel != "photo_report" || submitted.GridID != "hy-grid-2" {
		t.Fatalf("submitted: %+v", submitted)
	}
	if w := photoWidth(t, s, submitted.Photos[0], "proposal-"+pid); w > 1600 {
		t.Errorf("the photo was uploaded %d pixels wide; the browser should have resized it to 1600", w)
	}
	b.check("mine-proposed-zh")

	// Supporting a neighbour's proposal.
	other := s.write(t, neighbour, "/v1/proposals", map[string]any{"community_id": demo.Hengyuan, "grid_id": "hy-grid-2",
		"title": "小区东门积水", "text": "下雨后东门积水很深", "category": "facilities", "place": "东门", "channel": "online"})
	b.visit("/proposals/" + other.ID + "/support")
	b.check("support-zh")
	b.submit("#support-submit")
	if b.text("#supported") == "" {
		t.Fatal("no confirmation of the support")
	}
	b.submit("#follow-submit")
	if b.text("#followed") == "" {
		t.Fatal("no confirmation of following")
	}
	b.check("followed-zh")

	// A vote: the facilitator convenes, invites 张明 and opens voting.
	m := s.write(t, facilitator, "/v1/meetings", map[string]any{"community_id": demo.Hengyuan, "grid_id": "hy-grid-2",
		"title": "2号楼路灯议事会", "place": "2号楼前", "starts_at": time.Now().Add(time.Hour).Format(time.RFC3339), "format": "courtyard"})
	mb := "/v1/meetings/" + m.ID
	item := s.write(t, facilitator, mb+"/agenda", map[string]string{"title": "路灯维修"})
	s.write(t, facilitator, mb+"/participants", map[string]string{"person_id": "hy-r3", "name": "张明", "kind": "resident"})
	s.write(t, facilitator, mb+"/open", nil)
	motion := s.write(t, facilitator, mb+"/motions", map[string]any{"item_id": item.ID, "text": "由物业本周内更换路灯",
		"options": []map[string]string{{"id": "yes", "label": "同意"}, {"id": "no", "label": "不同意"}}, "rule": map[string]any{"kind": "simple_majority"}})
	s.write(t, facilitator, mb+"/motions/"+motion.ID+"/voting", nil)
	b.visit("/mine")
	b.submit(`a[href="/meetings/` + m.ID + `/vote"]`)
	b.check("vote-zh")
	b.do("choose yes", chromedp.Click(chromedp.CSS(`input[name=option_id][value=yes]`)))
	b.submit(".vote-submit")
	if got := b.text(".ballot"); !strings.Contains(got, "同意") {
		t.Fatalf("after voting the page says %q", got)
	}
	b.check("vote-cast-zh")
	b.do("change to no", chromedp.Click(chromedp.CSS(`input[name=option_id][value=no]`)))
	b.submit(".vote-submit")
	if got := b.text(".ballot"); !strings.Contains(got, "不同意") {
		t.Fatalf("after changing the vote the page says %q", got)
	}
	var ma yhttp.Aggregate
	s.read(t, facilitator, mb, &ma)
	if last := ma.Events[len(ma.Events)-1]; last.Type != "meeting.vote_changed.v1" || !strings.Contains(string(last.Data), `"no"`) {
		t.Errorf("the ledger's last meeting event: %s %s", last.Type, last.Data)
	}

	// The outcome of his proposal: accepted, acted on, completed; 张明 is
	// not satisfied, which reopens it.
	s.write(t, facilitator, "/v1/proposals/"+pid+"/accept", map[string]string{"note": "联系物业"})
	act := s.write(t, facilitator, "/v1/actions", map[string]any{"community_id": demo.Hengyuan, "grid_id": "hy-grid-2", "proposal_id": pid,
		"title": "更换2号楼门口路灯", "owner": map[string]string{"kind": "person", "id": "hy-w2", "name": "赵磊"}, "due": time.Now().Add(72 * time.Hour).Format(time.RFC3339)})
	s.write(t, facilitator, "/v1/actions/"+act.ID+"/start", nil)
	s.write(t, facilitator, "/v1/actions/"+act.ID+"/complete", map[string]any{"evidence": []string{submitted.Photos[0]}, "note": "已更换灯泡"})
	b.visit("/mine")
	b.submit(`a[href="/actions/` + act.ID + `/verify"]`)
	b.check("verify-zh")
	b.do("not satisfied, no reason", chromedp.Click(chromedp.CSS(`input[name=satisfied][value=no]`)))
	b.submit("#verify-submit")
	if msg := b.text("#reason-error"); msg == "" {
		t.Fatal("not satisfied without a reason: no message next to the comment")
	}
	if !eval[bool](b, `document.querySelector('input[name=satisfied][value=no]').checked`) {
		t.Error("the refused form lost the verdict")
	}
	b.check("verify-refused-zh")
	b.do("say why", chromedp.SendKeys(chromedp.CSS("#reason"), "灯还是不亮"))
	takePhoto(b, photo)
	b.submit("#verify-submit")
	var va yhttp.Aggregate
	s.read(t, facilitator, "/v1/actions/"+act.ID, &va)
	var verdict domain.ActionVerified
	if last := va.Events[len(va.Events)-1]; last.Type != "action.verified.v1" || json.Unmarshal(last.Data, &verdict) != nil || len(verdict.Photos) != 1 {
		t.Fatalf("the ledger's last action event: %s %s, want a verdict with one photo", last.Type, last.Data)
	}
	if w := photoWidth(t, s, verdict.Photos[0], "action-"+act.ID); w > 1600 {
		t.Errorf("the verdict's photo was uploaded %d pixels wide; the browser should have resized it to 1600", w)
	}
	var p yhttp.Aggregate
	s.read(t, facilitator, "/v1/proposals/"+pid, &p)
	if st := foldProposal(t, p).Status; st != domain.StatusReopened {
		t.Fatalf("after an unsatisfied verdict the proposal is %q, want reopened", st)
	}
	if got := b.text("#p-" + pid + " .badge"); got != i18n.ZH.T("status.reopened") {
		t.Errorf("my items shows the proposal as %q", got)
	}
	b.check("mine-reopened-zh")

	// The same pages in English.
	b.submit(`.lang a[hreflang="en"]`)
	if h1 := b.text("h1"); h1 != "My items" {
		t.Errorf("after the switch to English the title is %q", h1)
	}
	b.check("mine-en")
	for _, pg := range []struct{ path, name string }{
		{"/propose", "propose-en"}, {"/meetings/" + m.ID + "/vote", "vote-en"}, {"/proposals/" + other.ID + "/support", "support-en"},
		{"/actions/" + act.ID + "/verify", "verify-en"},
	} {
		b.visit(pg.path)
		if lang := eval[string](b, "document.documentElement.lang"); lang != "en" {
			t.Errorf("%s is in %q after the switch", pg.path, lang)
		}
		b.check(pg.name)
	}
}

// writeCameraPhoto writes a w×h JPEG, as a phone's camera would.
func writeCameraPhoto(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xff), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// takePhoto chooses the photo file in the page's #photo and waits until
// the page has made it smaller.
func takePhoto(b *browser, file string) {
	b.do("take the photo", chromedp.SetUploadFiles(chromedp.CSS("#photo"), []string{file}))
	b.do("wait for the resize", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](`(function () { var s = document.getElementById("photo-status"); return s.textContent === s.dataset.ready; })()`)(ctx, tg)
		return err
	}))
}

// photoWidth reads a stored photo's width through the API.
func photoWidth(t *testing.T, s *server, sum, item string) int {
	t.Helper()
	res, err := http.Get(s.url + "/v1/attachments/" + sum + "?item=" + item)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET the photo: %d", res.StatusCode)
	}
	cfg, _, err := image.DecodeConfig(res.Body)
	if err != nil {
		t.Fatalf("decode the photo: %v", err)
	}
	return cfg.Width
}

// mustDecode decodes an aggregate's event into v.
func mustDecode(t *testing.T, ev yhttp.AggregateEvent, v any) {
	t.Helper()
	e, err := domain.Decode(ev.Type, ev.Data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// foldProposal folds an aggregate read into the proposal's state.
func foldProposal(t *testing.T, a yhttp.Aggregate) domain.ProposalState {
	t.Helper()
	var events []domain.Event
	for _, ev := range a.Events {
		e, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return domain.FoldProposal(events)
}
