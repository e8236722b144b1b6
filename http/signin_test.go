package http

import (
	"strings"
	"testing"
)

// TestSignInCodeToSessionToSignOut follows a resident's sign-in: a grid
// worker issues a one-time code (which authenticates nothing by itself),
// the browser exchanges it once for a session with the code's role and
// scope, a second exchange is refused, a second code for someone who holds
// a session is refused, and signing out revokes the session.
func TestSignInCodeToSessionToSignOut(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)

	// Residents and auditors cannot issue codes; a worker may not go
	// wider than its grid nor issue a facilitator's.
	e.do(req{method: "POST", path: "/v1/signin-codes", token: c.r1, body: map[string]string{"subject": "r9"}}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "POST", path: "/v1/signin-codes", token: c.worker, body: map[string]string{"subject": "r9", "community": "hengyuan"}}).wantProblem(t, 403, "forbidden")
	if p := e.do(req{method: "POST", path: "/v1/signin-codes", token: c.worker, body: map[string]string{"subject": "r9", "role": "facilitator"}}).wantProblem(t, 422, "validation"); p.Field != "role" {
		t.Errorf("a facilitator's code: field %q, want role", p.Field)
	}
	if p := e.do(req{method: "POST", path: "/v1/signin-codes", token: c.worker, body: map[string]string{"name": "陈大爷"}}).wantProblem(t, 422, "validation"); p.Field != "subject" {
		t.Errorf("a code for nobody: field %q, want subject", p.Field)
	}
	// A resident code may not borrow staff's identity.
	e.do(req{method: "POST", path: "/v1/signin-codes", token: c.worker, body: map[string]string{"subject": "head-1"}}).wantProblem(t, 422, "validation")

	var first SignInCode
	e.do(req{method: "POST", path: "/v1/signin-codes", token: c.worker, body: map[string]string{"subject": "r9", "name": "陈大爷"}}).want(t, 201).decode(t, &first)
	var code SignInCode
	e.do(req{method: "POST", path: "/v1/signin-codes", token: c.worker, body: map[string]string{"subject": "r9", "name": "陈大爷"}}).want(t, 201).decode(t, &code)
	if code.Kind != "signin" || code.Role != "resident" || code.Community != "hengyuan" || code.Grid != "g1" || !strings.HasPrefix(code.Path, "/signin?code=") {
		t.Fatalf("code: %+v", code)
	}
	// The code is no bearer token.
	e.do(req{method: "GET", path: "/v1/board?community=hengyuan", token: code.Code}).wantProblem(t, 401, "unauthorized")
	// The second code withdrew the first.
	e.do(req{method: "POST", path: "/v1/sessions", body: map[string]string{"code": first.Code}}).wantProblem(t, 409, "conflict")

	var sess IssuedToken
	e.do(req{method: "POST", path: "/v1/sessions", body: map[string]string{"code": code.Code}}).want(t, 201).decode(t, &sess)
	if sess.Kind != "session" || sess.Role != "resident" || sess.Grid != "g1" || sess.Subject != "r9" || sess.Name != "陈大爷" {
		t.Fatalf("session: %+v", sess.TokenView)
	}
	e.do(req{method: "GET", path: "/v1/board?community=hengyuan&grid=g1", token: sess.Secret}).want(t, 200)
	// One use only, and nonsense is a field error.
	if p := e.do(req{method: "POST", path: "/v1/sessions", body: map[string]string{"code": code.Code}}).wantProblem(t, 409, "conflict"); p.Field != "code" {
		t.Errorf("second exchange: field %q", p.Field)
	}
	e.do(req{method: "POST", path: "/v1/sessions", body: map[string]string{"code": "yst_nonsense"}}).wantProblem(t, 422, "validation")
	// While the session is valid, the worker cannot mint another one.
	if p := e.do(req{method: "POST", path: "/v1/signin-codes", token: c.worker, body: map[string]string{"subject": "r9"}}).wantProblem(t, 409, "conflict"); p.Reason != "subject_has_token" {
		t.Errorf("a code for someone signed in: reason %q", p.Reason)
	}

	// Signing out revokes the session, as an admin's revocation would.
	e.do(req{method: "DELETE", path: "/v1/me/token", token: sess.Secret}).want(t, 200)
	e.do(req{method: "GET", path: "/v1/board?community=hengyuan&grid=g1", token: sess.Secret}).wantProblem(t, 401, "unauthorized")
	var list struct {
		Tokens []TokenView `json:"tokens"`
	}
	e.do(req{method: "GET", path: "/v1/tokens", token: c.admin}).want(t, 200).decode(t, &list)
	kinds := map[string]int{}
	for _, tv := range list.Tokens {
		if tv.Subject == "r9" && tv.Revoked != nil {
			kinds[tv.Kind]++
		}
	}
	if kinds["signin"] != 2 || kinds["session"] != 1 {
		t.Errorf("revoked tokens of r9 by kind: %v, want 2 codes and 1 session", kinds)
	}
}
