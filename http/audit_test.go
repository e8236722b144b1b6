package http

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
)

// TestEventExplorerSearch: the explorer's search filters by stream, type,
// actor, correlation and position, pages oldest or newest first, gives
// auditors the hash chain and admins not, and refuses everyone else.
func TestEventExplorerSearch(t *testing.T) {
	e := mustServe(t, withSeal(t))
	c := newCast(e)
	organise(t, e, c)
	pid := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "楼道灯不亮",
		"category": "环境", "channel": "online", "text": "三楼楼道灯坏了", "place": "3号楼"}, 201).ID
	sup := e.write(t, c.r2, "/v1/proposals/"+pid+"/support", nil, 200)
	e.waitSealed(t, eventstore.Position(sup.HeadPosition))

	page := func(token, query string) EventPage {
		t.Helper()
		var p EventPage
		e.do(req{method: "GET", path: "/v1/events?" + query, token: token}).want(t, 200).decode(t, &p)
		return p
	}
	// The proposal's stream, oldest first: its submission then the support,
	// with hashes chained for the auditor.
	p := page(c.auditor, "stream=proposal-"+pid)
	require.Len(t, p.Events, 2)
	assert.Equal(t, "proposal.submitted.v1", p.Events[0].Type)
	assert.Equal(t, "proposal.supported.v1", p.Events[1].Type)
	meta := func(fe FeedEvent) map[string]any {
		b, err := json.Marshal(fe.Metadata)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	m0, m1 := meta(p.Events[0]), meta(p.Events[1])
	assert.NotEmpty(t, m0["hash"])
	assert.Equal(t, m0["hash"], m1["prev_hash"], "the support's previous hash is the submission's hash")
	assert.Zero(t, p.NextFrom, "the end of the log")

	// Newest first, one a page, following next_from.
	p = page(c.auditor, "stream=proposal-"+pid+"&order=newest&limit=1")
	require.Len(t, p.Events, 1)
	assert.Equal(t, "proposal.supported.v1", p.Events[0].Type)
	require.NotZero(t, p.NextFrom)
	p = page(c.auditor, fmt.Sprintf("stream=proposal-%s&order=newest&limit=1&from=%d", pid, p.NextFrom))
	require.Len(t, p.Events, 1)
	assert.Equal(t, "proposal.submitted.v1", p.Events[0].Type)

	// By type, actor and position.
	p = page(c.auditor, "type=proposal.supported")
	require.Len(t, p.Events, 1)
	assert.Equal(t, sup.Position, p.Events[0].Position)
	p = page(c.auditor, "actor=r2")
	require.Len(t, p.Events, 1)
	assert.Equal(t, "proposal.supported.v1", p.Events[0].Type)
	p = page(c.auditor, fmt.Sprintf("from=%d&limit=1", sup.Position))
	require.Len(t, p.Events, 1)
	assert.Equal(t, sup.Position, p.Events[0].Position)

	// A correlation id across streams: every event of one command.
	corr, _ := m0["correlation_id"].(string)
	require.NotEmpty(t, corr)
	p = page(c.auditor, "correlation="+corr)
	require.NotEmpty(t, p.Events)
	for _, fe := range p.Events {
		assert.Equal(t, corr, meta(fe)["correlation_id"])
	}

	// Time: nothing recorded before 2000, everything since.
	assert.Empty(t, page(c.auditor, "until=2000-01-01").Events)
	assert.Len(t, page(c.auditor, "since=2000-01-01&stream=proposal-"+pid).Events, 2)

	// An admin reads the events without the hash chain.
	p = page(c.admin, "stream=proposal-"+pid)
	require.Len(t, p.Events, 2)
	assert.Empty(t, meta(p.Events[0])["hash"])
	assert.Empty(t, meta(p.Events[0])["salt"])

	// Everyone else is refused; bad parameters are named, all of them.
	e.do(req{method: "GET", path: "/v1/events"}).wantProblem(t, 401, "unauthorized")
	e.do(req{method: "GET", path: "/v1/events", token: c.r1}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: "/v1/events", token: c.facilitator}).wantProblem(t, 403, "forbidden")
	bad := e.do(req{method: "GET", path: "/v1/events?order=sideways&from=x&since=yesterday&limit=501", token: c.auditor}).wantProblem(t, 400, "bad-request")
	var fields []string
	for _, f := range bad.Errors {
		fields = append(fields, f.Field)
	}
	assert.ElementsMatch(t, []string{"order", "from", "since", "limit"}, fields)
}

// TestVerificationFromThePage: the verification runs on the live server
// and streams its progress and a result that passes; a second run while
// one runs is refused, and only unscoped auditors and admins may start it.
func TestVerificationFromThePage(t *testing.T) {
	e := mustServe(t, withSeal(t))
	c := newCast(e)
	organise(t, e, c)
	w := e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "楼道灯不亮",
		"category": "环境", "channel": "online", "text": "三楼楼道灯坏了", "place": "3号楼"}, 201)
	e.waitSealed(t, eventstore.Position(w.Position))

	res := e.do(req{method: "GET", path: "/v1/verification/stream", token: c.auditor}).want(t, 200)
	assert.Equal(t, "text/event-stream", res.header.Get("Content-Type"))
	var result Verification
	var events []string
	sc := bufio.NewScanner(bytes.NewReader(res.body))
	var name string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
			events = append(events, name)
		case strings.HasPrefix(line, "data: ") && name == "result":
			require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &result))
		}
	}
	require.NotEmpty(t, events)
	assert.Equal(t, "result", events[len(events)-1], "the stream ends with the result")
	assert.True(t, result.Finished)
	assert.True(t, result.OK, "failure: %s", result.Failure)
	assert.Equal(t, w.Position, result.Head)
	assert.Equal(t, w.Position, result.Events, "the embedded store's positions are dense")
	assert.Equal(t, int64(w.Position), result.Checkpoint, "the tree was checked against the latest checkpoint")
	assert.NotEmpty(t, result.Root)

	// One run at a time.
	e.srv.verifying.running.Store(true)
	e.do(req{method: "GET", path: "/v1/verification/stream", token: c.auditor}).wantProblem(t, 409, "conflict")
	e.srv.verifying.running.Store(false)

	// Scoped readers and everyone but auditors and admins are refused.
	e.do(req{method: "GET", path: "/v1/verification/stream", token: c.admin}).wantProblem(t, 403, "forbidden")
	scoped := e.tokenNamed(auth.RoleAuditor, auth.Scope{Community: "hengyuan"}, "auditor-2", "社区督查")
	e.do(req{method: "GET", path: "/v1/verification/stream", token: scoped}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: "/v1/verification/stream", token: c.r1}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: "/v1/verification/stream"}).wantProblem(t, 401, "unauthorized")
}
