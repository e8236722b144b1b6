package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
)

// printPDF prints the page b shows as the browser's print does (the page's
// print stylesheet, its @page size) and returns the PDF.
func (b *browser) printPDF() []byte {
	b.t.Helper()
	// Printing lays the page out again and embeds its fonts' glyphs: on
	// a loaded machine that takes a while.
	ctx, cancel := context.WithTimeout(b.ctx, 4*time.Minute)
	defer cancel()
	yes := true
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
	if err != nil {
		b.t.Fatalf("print to PDF: %v", err)
	}
	return res.Data
}

// pdfPage is one page of a PDF: its size in points and its text.
type pdfPage struct {
	Width, Height float64
	Text          string
}

// pdfPages reads a PDF's pages with PDFium (go-pdfium, compiled to
// WebAssembly: no cgo). Chromium embeds the CJK font of a .ttc collection
// (Noto CJK) as Type 3 fonts whose glyphs are named, not encoded; only
// their ToUnicode maps say which character each one is, and PDFium reads
// them as a PDF viewer does (docs/facilitator.md).
func pdfPages(t *testing.T, pdf []byte) []pdfPage {
	t.Helper()
	pool, err := webassembly.Init(webassembly.Config{MinIdle: 1, MaxIdle: 1, MaxTotal: 1})
	if err != nil {
		t.Fatalf("start PDFium: %v", err)
	}
	defer pool.Close()
	inst, err := pool.GetInstance(5 * time.Minute)
	if err != nil {
		t.Fatalf("start PDFium: %v", err)
	}
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &pdf})
	if err != nil {
		t.Fatalf("open the PDF: %v", err)
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	n, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		t.Fatalf("count the PDF's pages: %v", err)
	}
	var out []pdfPage
	for i := range n.PageCount {
		size, err := inst.FPDF_GetPageSizeByIndex(&requests.FPDF_GetPageSizeByIndex{Document: doc.Document, Index: i})
		if err != nil {
			t.Fatalf("page %d's size: %v", i+1, err)
		}
		txt, err := inst.GetPageText(&requests.GetPageText{Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: i}}})
		if err != nil {
			t.Fatalf("page %d's text: %v", i+1, err)
		}
		out = append(out, pdfPage{Width: size.Width, Height: size.Height, Text: txt.Text})
	}
	return out
}

// checkMinutesPDF prints the minutes b shows and checks the PDF: A4 pages
// holding the Chinese text, the attendance, the tally and the signature
// lines, and none of the site's navigation. It returns the PDF's text.
func checkMinutesPDF(t *testing.T, b *browser, want ...string) string {
	t.Helper()
	pdf := b.printPDF()
	t0 := time.Now()
	pages := pdfPages(t, pdf)
	t.Logf("the minutes printed to a PDF of %d bytes, %d page(s); PDFium read it in %v", len(pdf), len(pages), time.Since(t0).Round(time.Millisecond))
	var all strings.Builder
	for i, p := range pages {
		// A4 is 595 x 842 points.
		if p.Width < 594 || p.Width > 596 || p.Height < 841 || p.Height > 843 {
			t.Errorf("page %d is %.1f x %.1f points, not A4", i+1, p.Width, p.Height)
		}
		all.WriteString(p.Text)
		all.WriteString("\n")
	}
	text := all.String()
	// PDFium breaks lines where the page does: compare without them.
	flat := strings.NewReplacer("\r", "", "\n", "", " ", "").Replace(text)
	for _, w := range want {
		if !strings.Contains(flat, strings.ReplaceAll(w, " ", "")) {
			t.Errorf("the printed minutes lack %q; their text:\n%s", w, text)
		}
	}
	for _, nav := range []string{"工作台", "登录", "退出"} {
		if strings.Contains(flat, nav) {
			t.Errorf("the printed minutes show the site's %q", nav)
		}
	}
	return flat
}

// TestBrowserMinutesCarryTheirCheck reads published minutes as a resident
// holding the printout would: each decision shows the fingerprint the
// proofs API gives, the printed PDF carries it (the public page's and the
// staff page's), and its link opens the check page, which verifies it in
// the browser.
func TestBrowserMinutesCarryTheirCheck(t *testing.T) {
	s := mustServe(t, true)
	m := minutesHref.FindStringSubmatch(publicPage(t, s, "/proposals/"+demo.ID("hy/parking")))
	if m == nil {
		t.Fatal("the parking story links to no minutes")
	}
	b := mustBrowser(t, s.url)
	b.visit(m[1])
	fp := b.text(".minutes-decision .seal code.fp")
	href := eval[string](b, `document.querySelector(".minutes-decision .seal a").getAttribute("href")`)
	p := decisionProof(t, s, href)
	if strings.ReplaceAll(fp, " ", "") != p.Fingerprint[:12] {
		t.Errorf("the minutes show fingerprint %q, the proofs API gives %s", fp, p.Fingerprint)
	}
	if eval[int](b, `document.querySelectorAll(".minutes-decision .seal svg").length`) != eval[int](b, `document.querySelectorAll(".minutes-decision").length`) {
		t.Error("a decision of the minutes has no QR code")
	}
	b.check("minutes-seal-zh")
	checkMinutesPDF(t, b, "停车", fp, "用手机扫描二维码")

	// The staff page, the one staff print and sign, carries the same.
	_, admin := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Name: "管理员", Subject: "admin-1"})
	staff := b.signedIn(admin, 390, 844)
	staff.visit("/staff" + m[1])
	if got := staff.text(".minutes-decision .seal code.fp"); got != fp {
		t.Errorf("the staff's minutes show fingerprint %q, the public ones %q", got, fp)
	}
	staff.check("minutes-seal-staff-zh")
	checkMinutesPDF(t, staff, fp)

	b.visit(href)
	state := eval[string](b, `new Promise(r => { const f = () => { const s = document.getElementById("check").dataset.state; s ? r(s) : setTimeout(f, 50); }; f(); })`)
	if state != "ok" || !strings.Contains(b.text(`[data-result="ok"]`), "已核对") {
		t.Fatalf("the check of the minutes' decision says %q: %s", state, b.text("#check"))
	}
	b.check("minutes-seal-check-zh")
}
