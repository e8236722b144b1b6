package web

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// fetch GETs path with the given headers and returns the answer and body.
func fetch(t *testing.T, c *http.Client, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestPagesSpeakTheVisitorsLanguage(t *testing.T) {
	s := mustServe(t, false)
	c := &http.Client{}
	res, body := fetch(t, c, s.url+"/")
	if res.StatusCode != 200 || !strings.Contains(body, `<html lang="zh-CN">`) || !strings.Contains(body, "议事首页") {
		t.Fatalf("home without Accept-Language: %d, want zh-CN:\n%s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("home Content-Type %q", ct)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("home CSP %q", csp)
	}
	_, body = fetch(t, c, s.url+"/", "Accept-Language", "en-GB,en;q=0.8")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Yishi home") {
		t.Fatalf("home with Accept-Language en: want English:\n%s", body)
	}
	// ?lang= switches and is remembered by a cookie.
	res, body = fetch(t, c, s.url+"/?lang=en")
	if !strings.Contains(body, "Yishi home") {
		t.Fatalf("?lang=en: want English:\n%s", body)
	}
	var cookie string
	for _, ck := range res.Cookies() {
		if ck.Name == langCookie {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	if cookie != langCookie+"=en" {
		t.Fatalf("?lang=en set cookie %q", cookie)
	}
	_, body = fetch(t, c, s.url+"/", "Cookie", cookie, "Accept-Language", "zh-CN")
	if !strings.Contains(body, "Yishi home") {
		t.Errorf("the language cookie loses to Accept-Language:\n%s", body)
	}
	// The switch links to the other language, keeping the page.
	if !strings.Contains(body, `href="/?lang=zh-CN"`) {
		t.Errorf("no switch to zh-CN on an English page:\n%s", body)
	}
}

func TestAssetsAreFingerprintedAndCachedForAYear(t *testing.T) {
	s := mustServe(t, false)
	_, body := fetch(t, &http.Client{}, s.url+"/")
	m := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{8}\.css)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no fingerprinted stylesheet in:\n%s", body)
	}
	res, css := fetch(t, &http.Client{}, s.url+m[1])
	if res.StatusCode != 200 || !strings.Contains(css, "--brand") {
		t.Fatalf("GET %s: %d", m[1], res.StatusCode)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control %q", cc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type %q", ct)
	}
	if res, _ := fetch(t, &http.Client{}, s.url+"/static/app.00000000.css"); res.StatusCode != 404 {
		t.Errorf("a stale fingerprint answers %d, want 404", res.StatusCode)
	}
}

func TestUnknownPagesAreHTMLAndUnknownAPIPathsStayProblems(t *testing.T) {
	s := mustServe(t, false)
	res, body := fetch(t, &http.Client{}, s.url+"/no/such/page", "Accept-Language", "en")
	if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "There is no such page.") {
		t.Errorf("unknown page: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	res, body = fetch(t, &http.Client{}, s.url+"/v1/no-such-route")
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown API route: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}
