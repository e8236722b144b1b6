package web

import (
	"fmt"
	"html/template"
	nethttp "net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/skip2/go-qrcode"
	yhttp "github.com/yishi-civic/yishi/http"
)

// codeData is the staff sign-in-code page's data.
type codeData struct {
	Form form
	// Issued is the code just issued: its link, QR code and expiry.
	Issued *issuedCode
}

// issuedCode is a sign-in code as the page shows it.
type issuedCode struct {
	Name, Link string
	QR         template.HTML
	Expires    time.Time
}

// codeFields are the form's fields, named as the API's.
var codeFields = []string{"name", "subject", "grid", "role"}

// codesPage shows the form with which a grid worker or facilitator issues
// a sign-in link for a resident.
func (w *Web) codesPage(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	if err := w.requireStaff(c); err != nil {
		return err
	}
	return w.render(c, nethttp.StatusOK, "codes", Page{Title: w.lang(c).T("codes.title"), Data: codeData{Form: newForm(c)}})
}

// issueCode issues the code (POST /v1/signin-codes) and shows it as a link
// and a QR code to scan from the worker's phone or to print.
func (w *Web) issueCode(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	if err := w.requireStaff(c); err != nil {
		return err
	}
	f := newForm(c)
	body := map[string]string{}
	for _, k := range codeFields {
		if v := strings.TrimSpace(f.Value(k)); v != "" {
			body[k] = v
		}
	}
	title := w.lang(c).T("codes.title")
	var code yhttp.SignInCode
	err := w.call(c, apiRequest{method: nethttp.MethodPost, path: "/v1/signin-codes", body: body}, &code)
	if f.refused(err, codeFields...) {
		return w.render(c, nethttp.StatusUnprocessableEntity, "codes", Page{Title: title, Data: codeData{Form: f}})
	}
	if err != nil {
		return err
	}
	link := baseURL(c) + code.Path
	qr, err := qrSVG(link, w.lang(c).T("codes.qr", code.Name))
	if err != nil {
		return err
	}
	return w.render(c, nethttp.StatusCreated, "codes", Page{Title: title, Data: codeData{Form: form{Errors: map[string]string{}},
		Issued: &issuedCode{Name: code.Name, Link: link, QR: qr, Expires: code.Expires}}})
}

// requireStaff refuses a signed-in visitor who is not a grid worker,
// facilitator or admin (the API would refuse them anyway).
func (w *Web) requireStaff(c echo.Context) error {
	if sessionOf(c).Staff() {
		return nil
	}
	return echo.NewHTTPError(nethttp.StatusForbidden)
}

// baseURL is the address the visitor reached the service at.
func baseURL(c echo.Context) string {
	return c.Scheme() + "://" + c.Request().Host
}

// qrSVG renders link as a QR code in SVG (black modules on white with the
// standard quiet zone), labelled for screen readers.
func qrSVG(link, label string) (template.HTML, error) {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("web: QR code: %w", err)
	}
	bits := q.Bitmap() // includes the quiet zone
	n := len(bits)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges">`,
		n, n, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1 // one rectangle per run of dark modules: a smaller page
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil // #nosec: built from numbers and an escaped label
}
