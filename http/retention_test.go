package http

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// TestRetentionThroughAPI lists what the retention rules would erase
// (a dry run that erases nothing, now or as of a later time), and then
// runs them: the due erasures are recorded, the data reads as erased, and
// a second run finds nothing due. Only an admin without a community scope
// may do either.
func TestRetentionThroughAPI(t *testing.T) {
	var skew atomic.Int64 // how far the server's clock runs ahead
	e := mustServe(t, func(cfg *Config) {
		cfg.Retention = ledger.Retention{ProposalText: 24 * time.Hour}
		cfg.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	c := newCast(e)
	organise(t, e, c)
	root := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "root", "系统管理员")
	sub := e.write(t, c.r1, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "楼道灯不亮",
		"text": "我家门口5号楼3单元楼道灯坏了", "category": "设施", "place": "5号楼3单元", "channel": "online",
	}, 201)
	e.write(t, c.facilitator, "/v1/proposals/"+sub.ID+"/reject", map[string]string{"reason": "已由物业处理"}, 200)

	for _, tok := range []string{c.admin, c.facilitator, c.r1, c.auditor} {
		e.do(req{method: "GET", path: "/v1/retention", token: tok}).wantProblem(t, 403, "forbidden")
		e.do(req{method: "POST", path: "/v1/retention", token: tok}).wantProblem(t, 403, "forbidden")
	}
	e.do(req{method: "GET", path: "/v1/retention"}).wantProblem(t, 401, "unauthorized")
	e.do(req{method: "GET", path: "/v1/retention?at=tomorrow", token: root}).wantProblem(t, 400, "bad-request")

	var rep RetentionReport
	e.do(req{method: "GET", path: "/v1/retention", token: root}).want(t, 200).decode(t, &rep)
	if len(rep.Due) != 0 || rep.Rules.ProposalTextDays != 1 || rep.Rules.InactivePersonDays != 0 {
		t.Fatalf("a proposal rejected a moment ago is due already: %+v", rep)
	}
	later := time.Now().Add(49 * time.Hour).UTC().Format(time.RFC3339)
	e.do(req{method: "GET", path: "/v1/retention?at=" + later, token: root}).want(t, 200).decode(t, &rep)
	if len(rep.Due) != 1 || rep.Due[0].Rule != ledger.RuleProposalText || rep.Due[0].ID != "proposal-"+sub.ID {
		t.Fatalf("as of two days later, want the rejected proposal's text due: %+v", rep)
	}
	// The dry run erased nothing.
	story := e.do(req{method: "GET", path: "/v1/proposals/" + sub.ID, token: c.facilitator}).want(t, 200).body
	if !bytes.Contains(story, []byte("5号楼3单元")) {
		t.Fatalf("the dry run erased the text: %s", story)
	}

	skew.Store(int64(49 * time.Hour))
	var run RetentionRun
	e.do(req{method: "POST", path: "/v1/retention", token: root}).want(t, 200).decode(t, &run)
	if run.Due != 1 || len(run.Erased) != 1 || run.Erased[0].ID != "proposal-"+sub.ID {
		t.Fatalf("retention run %+v", run)
	}
	story = e.do(req{method: "GET", path: "/v1/proposals/" + sub.ID, token: c.facilitator}).want(t, 200).body
	if bytes.Contains(story, []byte("5号楼3单元")) || !bytes.Contains(story, []byte(privacy.ErasedText)) {
		t.Fatalf("the proposal's text survived its retention: %s", story)
	}
	if !bytes.Contains(story, []byte("楼道灯不亮")) {
		t.Fatalf("the title (public record) went with the text: %s", story)
	}
	e.do(req{method: "POST", path: "/v1/retention", token: root}).want(t, 200).decode(t, &run)
	if run.Due != 0 || len(run.Erased) != 0 {
		t.Fatalf("a second run erased again: %+v", run)
	}
}
