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

// TestErasureEndsTheSession: a browser session stands for a session token;
// erasing the person it acts as revokes the token in the registry, so the
// next page drops the session (the cookie is deleted) and greets nobody.
func TestErasureEndsTheSession(t *testing.T) {
	s := mustServe(t, true)
	code := s.mustCode(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "张明", Subject: "hy-r3"})
	_, root := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Name: "街道管理员", Subject: "street-admin"})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, page := fetch(t, c, s.url+"/signin?code="+code)
	if _, home := post(t, c, s.url+"/signin", page, url.Values{"code": {code}}); !strings.Contains(home, "张明") {
		t.Fatalf("the page after signing in does not greet 张明:\n%s", home)
	}

	req, err := http.NewRequest("POST", s.url+"/v1/persons/hy-r3/erasure", strings.NewReader(`{"ground":"request","reason":"本人申请删除"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+root)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("erasure answered %d", res.StatusCode)
	}

	res, home := fetch(t, c, s.url+"/")
	if strings.Contains(home, "张明") {
		t.Fatalf("the page still greets the erased resident:\n%s", home)
	}
	dropped := false
	for _, ck := range res.Cookies() {
		dropped = dropped || (ck.Name == sessionCookie && ck.MaxAge < 0)
	}
	if !dropped {
		t.Fatalf("the session cookie was not deleted: %v", res.Header.Values("Set-Cookie"))
	}
}
