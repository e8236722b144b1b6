package web

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
)

// mustCode issues a sign-in code as the operator would, and returns its
// secret.
func (s *server) mustCode(tb testing.TB, req auth.IssueRequest) string {
	tb.Helper()
	req.Kind = auth.KindSignIn
	_, secret := s.mustToken(tb, req)
	return secret
}

// csrfField finds the CSRF token of the page's first form.
var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// post posts a form the way a browser does (same-origin fetch metadata),
// with the CSRF token of the page it came from.
func post(t *testing.T, c *http.Client, u string, page string, vals url.Values) (*http.Response, string) {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%s", page)
	}
	vals.Set("csrf", m[1])
	req, err := http.NewRequest("POST", u, strings.NewReader(vals.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
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

func TestSignInLinkGivesASessionCookieOnce(t *testing.T) {
	s := mustServe(t, true)
	code := s.mustCode(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "张明", Subject: "hy-r3"})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	// Following the link only asks: the code is still unused.
	_, page := fetch(t, c, s.url+"/signin?code="+code, "Accept-Language", "en")
	if !strings.Contains(page, "This sign-in link is for 张明") {
		t.Fatalf("sign-in page:\n%s", page)
	}
	if _, err := s.api.Tokens().Code(code); err != nil {
		t.Fatalf("showing the page used the code up: %v", err)
	}
	// A post without the CSRF token is refused.
	res, err := c.PostForm(s.url+"/signin", url.Values{"code": {code}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without CSRF token: %d, want 403", res.StatusCode)
	}

	res, body := post(t, c, s.url+"/signin", page, url.Values{"code": {code}})
	if res.StatusCode != 200 || res.Request.URL.Path != "/mine" {
		t.Fatalf("sign-in: %d at %s", res.StatusCode, res.Request.URL)
	}
	var session *http.Cookie
	for _, ck := range jar.Cookies(res.Request.URL) {
		if ck.Name == sessionCookie {
			session = ck
		}
	}
	if session == nil {
		t.Fatalf("no session cookie after signing in:\n%s", body)
	}
	tok, err := s.api.Tokens().Authenticate(session.Value)
	if err != nil || tok.Kind != auth.KindSession || tok.Subject != "hy-r3" || tok.Scope.Community != demo.Hengyuan {
		t.Fatalf("the cookie stands for %+v (%v), want a session of hy-r3", tok, err)
	}
	if !strings.Contains(body, "张明") {
		t.Errorf("the page after signing in does not greet 张明")
	}

	// The link works once.
	other := &http.Client{}
	_, page = fetch(t, other, s.url+"/signin?code="+code, "Accept-Language", "en")
	if !strings.Contains(page, "already used or withdrawn") {
		t.Errorf("a used link's page:\n%s", page)
	}

	// Signing out revokes the session.
	_, home := fetch(t, c, s.url+"/")
	res, _ = post(t, c, s.url+"/signout", home, url.Values{})
	if res.Request.URL.Path != "/" {
		t.Errorf("sign-out lands on %s", res.Request.URL)
	}
	if _, err := s.api.Tokens().Authenticate(session.Value); err == nil {
		t.Error("the session still authenticates after signing out")
	}
}

func TestStaffIssueSignInLinksWithAQRCode(t *testing.T) {
	s := mustServe(t, true)
	_, worker := s.mustToken(t, auth.IssueRequest{Role: auth.RoleGridWorker, Scope: auth.Scope{Community: demo.Hengyuan, Grid: "hy-grid-3"}, Name: "孙丽", Subject: "hy-w3"})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	// Anonymous visitors are sent to sign in.
	res, _ := fetch(t, c, s.url+"/staff/signin-codes")
	if res.Request.URL.Path != "/signin" {
		t.Fatalf("anonymous staff page ends at %s", res.Request.URL)
	}
	_, page := fetch(t, c, s.url+"/signin", "Accept-Language", "en")
	res, _ = post(t, c, s.url+"/signin", page, url.Values{"token": {worker}})
	if res.Request.URL.Path != "/mine" {
		t.Fatalf("staff sign-in ends at %s", res.Request.URL)
	}
	_, page = fetch(t, c, s.url+"/staff/signin-codes", "Accept-Language", "en")
	// A refusal shows next to its field and keeps what was typed.
	res, body := post(t, c, s.url+"/staff/signin-codes", page, url.Values{"name": {"陈大爷"}, "subject": {"hy-w3"}, "role": {"resident"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="subject-error"`) || !strings.Contains(body, `value="陈大爷"`) {
		t.Fatalf("a code for staff's own id: %d\n%s", res.StatusCode, body)
	}
	res, body = post(t, c, s.url+"/staff/signin-codes", page, url.Values{"name": {"陈大爷"}, "subject": {"hy-r20"}, "role": {"resident"}})
	if res.StatusCode != http.StatusCreated || !strings.Contains(body, `<svg class="qr"`) {
		t.Fatalf("issue a code: %d\n%s", res.StatusCode, body)
	}
	link := regexp.MustCompile(`id="signin-link" class="break" href="([^"]+)"`).FindStringSubmatch(body)
	if link == nil || !strings.HasPrefix(link[1], s.url+"/signin?code=yst_") {
		t.Fatalf("no sign-in link in:\n%s", body)
	}
	u, _ := url.Parse(link[1])
	tok, err := s.api.Tokens().Code(u.Query().Get("code"))
	if err != nil || tok.Scope.Grid != "hy-grid-3" || tok.Subject != "hy-r20" {
		t.Fatalf("the link's code: %+v, %v", tok, err)
	}
}
