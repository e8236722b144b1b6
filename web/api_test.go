package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/i18n"
)

// TestCallRunsTheAPIAsTheVisitor checks that a page's in-process call is
// the API's own answer for the visitor: anonymous visitors are refused
// what needs a token, in their language, and a session's token is used.
func TestCallRunsTheAPIAsTheVisitor(t *testing.T) {
	s := mustServe(t, true)
	w, err := New(Config{API: s.api, Tokens: s.api.Tokens()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := func(l i18n.Lang, sess *Session) echo.Context {
		c := echo.New().NewContext(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())
		c.Set(langKey, l)
		if sess != nil {
			c.Set(sessionKey, sess)
		}
		return c
	}
	board := "/v1/meetings/" + demo.ID("hy/parking/meeting")
	var q map[string][]string

	err = w.get(ctx(i18n.EN, nil), board, q, nil)
	var ae *apiError
	if !errors.As(err, &ae) || ae.Problem.Status != http.StatusUnauthorized || ae.Problem.Title != "A valid access token is required" {
		t.Fatalf("anonymous meeting read: %v, want the API's 401 in English", err)
	}
	if err := w.get(ctx(i18n.ZH, nil), board, q, nil); !errors.As(err, &ae) || ae.Problem.Title != "需要有效的访问令牌" {
		t.Fatalf("anonymous meeting read in Chinese: %v", err)
	}

	tok, secret := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "张明", Subject: "hy-r3"})
	var out map[string]any
	if err := w.get(ctx(i18n.ZH, &Session{Token: tok, secret: secret}), board, q, &out); err != nil {
		t.Fatalf("meeting as a resident: %v", err)
	}
	if len(out) == 0 {
		t.Fatal("meeting as a resident: empty answer")
	}
	// A write the role may not make is refused by the API's own rule.
	err = w.call(ctx(i18n.EN, &Session{Token: tok, secret: secret}), apiRequest{method: "POST", path: "/v1/meetings", body: map[string]string{}}, nil)
	if !errors.As(err, &ae) || ae.Problem.Status != http.StatusForbidden {
		t.Fatalf("a resident scheduling a meeting: %v, want 403", err)
	}
}
