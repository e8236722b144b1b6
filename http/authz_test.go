package http

import (
	"regexp"
	"slices"
	"testing"

	"github.com/yishi-civic/yishi/auth"
)

// pathParams fills a route's parameters with well-formed values.
var pathParams = regexp.MustCompile(`:[a-z0-9_]+`)

func samplePath(path string) string {
	return pathParams.ReplaceAllStringFunc(path, func(p string) string {
		if p == ":sha256" {
			return "0000000000000000000000000000000000000000000000000000000000000000"
		}
		if p == ":slug" {
			return "validation"
		}
		return "0190b7c1-0000-7000-8000-000000000001"
	})
}

// TestRoleMatrix sends every route that needs a token without one and with
// a token of every role: no token is 401, a role the route does not allow
// is 403, an allowed role gets past authorisation (whatever the handler
// then says about the empty request).
func TestRoleMatrix(t *testing.T) {
	e := mustServe(t)
	tokens := map[auth.Role]string{}
	for _, r := range auth.Roles {
		tokens[r] = e.token(r, auth.Scope{}, "")
	}
	checked := 0
	for _, rt := range api {
		if rt.roles == nil {
			continue
		}
		if rt.path == "/v1/events/live" {
			continue // a stream: covered by TestEventFeedDeliversAndResumes
		}
		if rt.path == "/v1/me/token" {
			continue // revokes the token it is sent with: covered by TestSignInCodeToSessionToSignOut
		}
		path := samplePath(rt.path)
		e.do(req{method: rt.method, path: path, body: "{}"}).wantProblem(t, 401, "unauthorized")
		for _, role := range auth.Roles {
			r := e.do(req{method: rt.method, path: path, token: tokens[role], body: "{}"})
			allowed := slices.Contains(rt.roles, role)
			switch {
			case !allowed:
				r.wantProblem(t, 403, "forbidden")
			case r.status == 401 || r.status == 403:
				t.Errorf("%s %s as %s: %d, want past authorisation: %s", rt.method, rt.path, role, r.status, r.body)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no route checked")
	}
}

// TestAuditorsWriteNothing checks the route table itself: no route that
// changes anything admits auditors.
func TestAuditorsWriteNothing(t *testing.T) {
	// These change only the caller's own access: exchanging a one-time
	// sign-in code for a session, giving up one's own token.
	// A witness's cosigned checkpoint is authenticated by the signature of
	// a key an admin registered, and writes nothing to the ledger.
	selfService := map[string]bool{"POST /v1/sessions": true, "DELETE /v1/me/token": true, "POST /v1/checkpoints/cosigned": true}
	for _, rt := range api {
		if selfService[rt.method+" "+rt.path] {
			continue
		}
		if rt.method != "GET" && (rt.roles == nil || slices.Contains(rt.roles, auth.RoleAuditor)) {
			t.Errorf("%s %s is open to auditors or to everyone", rt.method, rt.path)
		}
	}
}
