package web

import (
	"bytes"
	"io"
	nethttp "net/http"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/auth"
)

// TestErasureEndsTheSession: a browser session stands for a token; erasing
// the person the token acts as revokes it in the registry, so the next
// page drops the session (the cookie is deleted) and shows no name.
func TestErasureEndsTheSession(t *testing.T) {
	s := mustServe(t, false)
	_, resident := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Name: "张三", Subject: "r1"})
	_, root := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Name: "街道管理员", Subject: "root"})
	page := func() (*nethttp.Response, []byte) {
		t.Helper()
		r, err := nethttp.NewRequest("GET", s.url+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.AddCookie(&nethttp.Cookie{Name: sessionCookie, Value: resident})
		resp, err := nethttp.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	if _, body := page(); !bytes.Contains(body, []byte("张三")) {
		t.Fatalf("the signed-in page does not greet the resident: %s", body)
	}
	r, err := nethttp.NewRequest("POST", s.url+"/v1/persons/r1/erasure", strings.NewReader(`{"ground":"request","reason":"本人申请删除"}`))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+root)
	r.Header.Set("Content-Type", "application/json")
	resp, err := nethttp.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("erasure answered %d", resp.StatusCode)
	}
	resp, body := page()
	if bytes.Contains(body, []byte("张三")) {
		t.Fatalf("the page still greets the erased resident: %s", body)
	}
	dropped := false
	for _, c := range resp.Cookies() {
		dropped = dropped || (c.Name == sessionCookie && c.MaxAge < 0)
	}
	if !dropped {
		t.Fatalf("the session cookie was not deleted: %v", resp.Header.Values("Set-Cookie"))
	}
}
