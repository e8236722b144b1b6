package web

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
)

// signedInClient is a client whose session cookie holds secret.
func signedInClient(t *testing.T, s *server, secret string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: secret, Path: "/"}})
	return &http.Client{Jar: jar}
}

// TestWishFormsWithoutJavaScript posts the wishes' forms as a browser
// without JavaScript would: a claim from a list read before a neighbour
// claimed the same wish is refused on the wish's own card (409) and
// nothing is recorded; a wish without its title comes back with the
// message next to the title and what was typed kept; the list a resident
// reads names no wish-maker, the grid worker's does.
func TestWishFormsWithoutJavaScript(t *testing.T) {
	s := mustServe(t, true)
	hy := auth.Scope{Community: demo.Hengyuan}
	_, zhang := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: hy, Name: "张明", Subject: "hy-r3"})
	_, yang := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: hy, Name: "杨洁", Subject: "hy-r5"})
	_, worker := s.mustToken(t, auth.IssueRequest{Role: auth.RoleGridWorker, Scope: hy, Name: "王芳", Subject: "hy-w1"})
	zc, yc := signedInClient(t, s, zhang), signedInClient(t, s, yang)
	coat := demo.ID("hy/wish/coat")

	_, yangPage := fetch(t, yc, s.url+"/wishes?show=open")
	if !strings.Contains(yangPage, `action="/wishes/`+coat+`/claim"`) {
		t.Fatalf("the open coat wish offers no claim to 杨洁:\n%.2000s", yangPage)
	}
	_, zhangPage := fetch(t, zc, s.url+"/wishes?show=open")
	res, page := post(t, zc, s.url+"/wishes/"+coat+"/claim", zhangPage, url.Values{"as": {"party_member"}, "key": {newKey()}})
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "您已认领这个心愿") {
		t.Fatalf("张明's claim: %d\n%.2000s", res.StatusCode, page)
	}
	res, page = post(t, yc, s.url+"/wishes/"+coat+"/claim", yangPage, url.Values{"as": {"neighbour"}, "key": {newKey()}})
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("a second claim: %d, want 409", res.StatusCode)
	}
	card := page[strings.Index(page, `id="w-`+coat+`"`):]
	card = card[:strings.Index(card, "</li>")]
	if !strings.Contains(card, `class="problem"`) || !strings.Contains(card, "张*") {
		t.Errorf("the refused claim's card shows no problem, or not who holds the claim:\n%s", card)
	}
	for _, m := range wishMakers {
		if strings.Contains(page, m) {
			t.Errorf("杨洁's list names the wish-maker %q", m)
		}
	}

	_, form := fetch(t, yc, s.url+"/wishes/new")
	res, page = post(t, yc, s.url+"/wishes", form, url.Values{"title": {" "}, "category": {"daily"}, "story": {"家里的暖气片漏水"}, "grid_id": {"hy-grid-2"}, "key": {newKey()}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="title-error"`) || !strings.Contains(page, "家里的暖气片漏水") {
		t.Errorf("a wish without its title: %d\n%.3000s", res.StatusCode, page)
	}

	_, staffPage := fetch(t, signedInClient(t, s, worker), s.url+"/wishes?community=hengyuan")
	for _, m := range []string{"何平", "朱红", "徐建国"} {
		if !strings.Contains(staffPage, m) {
			t.Errorf("the grid worker's list does not name the wish-maker %s", m)
		}
	}
}
