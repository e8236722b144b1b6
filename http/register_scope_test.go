package http

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/yishi-civic/yishi/auth"
)

// TestRegisterOfOneRecordOutOfScope (issue 9.3): asking the public register
// for one meeting's or one proposal's decisions, a token of another grid or
// community gets the public (masked) answer, not an empty list narrowed to
// its own scope.
func TestRegisterOfOneRecordOutOfScope(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	sm := holdSecretVote(t, e, c, true)
	g2resident := e.tokenNamed(auth.RoleResident, auth.Scope{Community: "hengyuan", Grid: "g2"}, "r9", "赵九")
	otherCommunity := e.tokenNamed(auth.RoleFacilitator, auth.Scope{Community: "ziling", Grid: "g1"}, "head-9", "网格长周九")
	wait := fmt.Sprintf("wait_for=%d", sm.lastPos)

	for _, q := range []string{"meeting=" + sm.mid, "proposal=" + sm.pid} {
		pub := e.do(req{method: "GET", path: "/v1/register?" + q + "&" + wait}).want(t, 200)
		if !bytes.Contains(pub.body, []byte(sm.motion)) {
			t.Fatalf("the public register?%s lacks the decision: %s", q, pub.body)
		}
		for _, tok := range []string{g2resident, c.otherFacilitator, otherCommunity} {
			res := e.do(req{method: "GET", path: "/v1/register?" + q + "&" + wait, token: tok}).want(t, 200)
			if !bytes.Contains(res.body, []byte(sm.motion)) {
				t.Errorf("register?%s out of scope is empty: %s", q, res.body)
			}
			if bytes.Contains(res.body, []byte("张三")) {
				t.Errorf("register?%s out of scope is unmasked: %s", q, res.body)
			}
		}
	}
}
