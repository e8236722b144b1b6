package web

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/domain"
)

// hearBack signs 张明 in (a cookie jar client), and has a facilitator
// accept a proposal 张明 submitted, so that his bell has news; it returns
// the client and the acceptance's position.
func hearBack(t *testing.T, s *server) (*http.Client, string, uint64) {
	t.Helper()
	grid := auth.Scope{Community: demo.Hengyuan, Grid: "hy-grid-2"}
	_, facilitator := s.mustToken(t, auth.IssueRequest{Role: auth.RoleFacilitator, Scope: grid, Name: "赵磊", Subject: "hy-w2"})
	_, zhang := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: grid, Name: "张明", Subject: "hy-r3"})
	code := s.mustCode(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "张明", Subject: "hy-r3"})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, page := fetch(t, c, s.url+"/signin?code="+code)
	post(t, c, s.url+"/signin", page, url.Values{"code": {code}})
	id := uuid.NewString()
	s.write(t, zhang, "/v1/proposals", map[string]any{"proposal_id": id, "community_id": demo.Hengyuan, "grid_id": "hy-grid-2", "title": "2号楼门口路灯不亮",
		"text": "晚上很黑", "category": "safety", "place": "2号楼", "channel": domain.ChannelOnline})
	res := s.write(t, facilitator, "/v1/proposals/"+id+"/accept", nil)
	return c, id, res.HeadPosition
}

// TestBellOnEveryPage: the header of any page a signed-in person sees
// carries the unread count, which clears once they read their inbox; an
// anonymous visitor has no bell.
func TestBellOnEveryPage(t *testing.T) {
	s := mustServe(t, true)
	c, id, pos := hearBack(t, s)
	for _, path := range []string{"/mine", "/board", "/proposals/" + id} {
		_, page := fetch(t, c, fmt.Sprintf("%s%s?wait_for=%d", s.url, path, pos))
		if !strings.Contains(page, `id="bell-unread"`) {
			t.Fatalf("%s has no lit bell in its header:\n%s", path, page)
		}
	}
	_, page := fetch(t, c, s.url+"/notifications")
	post(t, c, s.url+"/notifications/seen", page, url.Values{})
	if _, page := fetch(t, c, s.url+"/mine"); strings.Contains(page, `id="bell-unread"`) || !strings.Contains(page, `id="nav-bell"`) {
		t.Fatalf("after reading the inbox the bell on /mine:\n%s", page)
	}
	if _, page := fetch(t, http.DefaultClient, s.url+"/board"); strings.Contains(page, `id="nav-bell"`) {
		t.Fatalf("an anonymous visitor has a bell:\n%s", page)
	}
}

func TestNotificationsPage(t *testing.T) {
	s := mustServe(t, true)
	c, id, pos := hearBack(t, s)
	_, page := fetch(t, c, fmt.Sprintf("%s/notifications?wait_for=%d", s.url, pos))
	for _, want := range []string{`id="unread"`, "“2号楼门口路灯不亮”已受理。", `href="/proposals/` + id + `"`, `id="settings"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the notifications page lacks %q:\n%s", want, page)
		}
	}
	_, page = post(t, c, s.url+"/notifications/seen", page, url.Values{})
	if strings.Contains(page, `id="unread"`) {
		t.Fatalf("after marking as read the bell still shows news:\n%s", page)
	}
	res, page := post(t, c, s.url+"/notifications/settings", page, url.Values{"channels": {"webhook"}, "contact": {"138 0013"}, "quiet_from": {"22:00"},
		"quiet_to": {"07:00"}, "digest": {"daily"}, "language": {"zh-CN"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="contact-error"`) {
		t.Fatalf("a contact with spaces: %d\n%s", res.StatusCode, page)
	}
	_, page = post(t, c, s.url+"/notifications/settings", page, url.Values{"channels": {"webhook"}, "contact": {"13800138000"}, "quiet_from": {"21:00"},
		"quiet_to": {"07:00"}, "digest": {"daily"}, "language": {"zh-CN"}})
	if !strings.Contains(page, `value="21:00"`) || !strings.Contains(page, `value="daily" selected`) || strings.Contains(page, "13800138000") {
		t.Fatalf("the saved settings (the number never shown again):\n%s", page)
	}
	if res, _ := fetch(t, http.DefaultClient, s.url+"/notifications"); res.Request.URL.Path != "/signin" {
		t.Fatalf("an anonymous visitor is not sent to sign in: %s", res.Request.URL)
	}
}

// vapidKey returns a fresh VAPID public key (an uncompressed P-256 point,
// base64url) for a server offering Web Push in the tests.
func vapidKey(t *testing.T) string {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes())
}

// TestPushOnTheNotificationsPage: the push block is on /notifications only
// when the service has VAPID keys; the service worker is served at /sw.js
// with a short cache; a posted subscription (with the CSRF header) reaches
// the API, and one without the header is refused.
func TestPushOnTheNotificationsPage(t *testing.T) {
	plain := mustServe(t, true)
	c, _, _ := hearBack(t, plain)
	if _, page := fetch(t, c, plain.url+"/notifications"); strings.Contains(page, `id="push"`) {
		t.Fatalf("a service without VAPID keys offers push:\n%s", page)
	}
	key := vapidKey(t)
	s := mustServeWith(t, true, key)
	c, _, _ = hearBack(t, s)
	_, page := fetch(t, c, s.url+"/notifications")
	if !strings.Contains(page, `data-key="`+key+`"`) || !strings.Contains(page, `id="push-subscribe"`) {
		t.Fatalf("the push block with the key is missing:\n%s", page)
	}
	res, sw := fetch(t, http.DefaultClient, s.url+"/sw.js")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "javascript") ||
		res.Header.Get("Cache-Control") != "public, max-age=300" || !strings.Contains(sw, "showNotification") {
		t.Fatalf("GET /sw.js: %d %v\n%s", res.StatusCode, res.Header, sw)
	}
	m := regexp.MustCompile(`data-csrf="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the push block:\n%s", page)
	}
	sub := `{"endpoint":"https://push.example.net/send/abc","keys":{"p256dh":"` + vapidKey(t) + `","auth":"c2VjcmV0c2VjcmV0MTIzNA"}}`
	for _, tc := range []struct {
		csrf string
		want int
	}{{"", http.StatusForbidden}, {m[1], http.StatusOK}} {
		req, _ := http.NewRequest(http.MethodPost, s.url+"/notifications/push", strings.NewReader(sub))
		req.Header.Set("Content-Type", "application/json")
		if tc.csrf != "" {
			req.Header.Set("X-CSRF-Token", tc.csrf)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Fatalf("POST /notifications/push (csrf %q): %d, want %d\n%s", tc.csrf, res.StatusCode, tc.want, body)
		}
	}
}
