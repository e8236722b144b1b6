package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
)

// Personal data typed into free text of a meeting, as issue 10 found it.
const (
	piiPhone     = "13912345678"
	piiWidePhone = "１３７００００１１１１"
	piiDoor      = "7-2-1503"
	piiDoorCN    = "3号楼2单元1502"
	piiIDNumber  = "11010519900307123X"
	piiEmail     = "zhangsan@example.com"
)

var piiLeaks = []string{piiPhone, piiWidePhone, "37000011111", piiDoor, "单元1502", "2-1503", piiIDNumber, piiEmail}

// secretMeeting is a meeting of grid g1 with personal data in every free
// text and a secret vote: r1 votes yes, then changes to no; r2 votes yes.
type secretMeeting struct {
	pid, mid, motion, base string
	// votingPos is the position of the last ballot, while voting is open;
	// lastPos of the minutes.
	votingPos, lastPos uint64
}

func holdSecretVote(t *testing.T, e *env, c cast, closeIt bool) secretMeeting {
	t.Helper()
	var sm secretMeeting
	sm.pid = e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "楼道堆物 " + piiDoor,
		"text": "请联系 " + piiPhone + " 或 " + piiEmail, "category": "环境", "place": piiDoorCN, "channel": "visit"}, 201).ID
	e.write(t, c.facilitator, "/v1/proposals/"+sm.pid+"/accept", map[string]string{"note": "电话 " + piiWidePhone}, 200)
	m := e.write(t, c.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g1",
		"title": "选举楼长（联系 " + piiPhone + "）", "place": piiDoorCN, "starts_at": soon(time.Hour), "format": "courtyard"}, 201)
	sm.mid, sm.base = m.ID, "/v1/meetings/"+m.ID
	item := e.write(t, c.facilitator, sm.base+"/agenda", map[string]string{"title": "身份证 " + piiIDNumber, "proposal_id": sm.pid}, 201).ID
	for _, r := range []struct{ id, name string }{{"r1", "张三"}, {"r2", "李四"}} {
		e.write(t, c.worker, sm.base+"/participants", map[string]string{"person_id": r.id, "name": r.name, "kind": "resident"}, 200)
	}
	e.write(t, c.facilitator, sm.base+"/open", nil, 200)
	for _, r := range []struct{ id, name string }{{"r1", "张三"}, {"r2", "李四"}} {
		e.write(t, c.worker, sm.base+"/attendance", map[string]string{"person_id": r.id, "name": r.name, "attendance": "present"}, 200)
	}
	e.write(t, c.worker, sm.base+"/statements", map[string]any{"item_id": item, "speaker": map[string]string{"person_id": "r1", "name": "张三"}, "summary": "我住 " + piiDoor}, 200)
	sm.motion = e.write(t, c.facilitator, sm.base+"/motions", map[string]any{"item_id": item, "text": "由 " + piiDoorCN + " 的住户担任楼长", "secret": true,
		"options": []map[string]string{{"id": "yes", "label": "同意（" + piiPhone + "）"}, {"id": "no", "label": "反对"}}, "rule": map[string]any{"kind": "simple_majority"}}, 201).ID
	mbase := sm.base + "/motions/" + sm.motion
	e.write(t, c.facilitator, mbase+"/voting", nil, 200)
	e.write(t, c.r1, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	e.write(t, c.r1, mbase+"/votes", map[string]string{"option_id": "no"}, 200)
	sm.votingPos = e.write(t, c.r2, mbase+"/votes", map[string]string{"option_id": "yes"}, 200).Position
	sm.lastPos = sm.votingPos
	if !closeIt {
		return sm
	}
	e.write(t, c.facilitator, mbase+"/voting/close", nil, 200)
	e.write(t, c.facilitator, sm.base+"/adjourn", nil, 200)
	sm.lastPos = e.write(t, c.facilitator, sm.base+"/minutes", map[string]string{"summary": "纪要：联系 " + piiPhone, "objection_until": soon(7 * 24 * time.Hour)}, 200).Position
	return sm
}

// choicesOf returns the choices the ballot events of a meeting's history
// show, as "voter:option".
func choicesOf(t *testing.T, body []byte) []string {
	t.Helper()
	var agg Aggregate
	if err := json.Unmarshal(body, &agg); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range agg.Events {
		if !strings.HasPrefix(ev.Type, "meeting.vote_") {
			continue
		}
		var b struct {
			VoterID  string  `json:"voter_id"`
			OptionID *string `json:"option_id"`
			Previous *string `json:"previous_option"`
		}
		if err := json.Unmarshal(ev.Data, &b); err != nil {
			t.Fatal(err)
		}
		if b.OptionID != nil {
			out = append(out, b.VoterID+":"+*b.OptionID)
		}
		if b.Previous != nil {
			out = append(out, b.VoterID+":was "+*b.Previous)
		}
	}
	return out
}

// TestSecretBallotsStaySecret (issue 9.1): who chose what on a secret
// motion reaches an auditor and nobody else, on every read path.
func TestSecretBallotsStaySecret(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	sm := holdSecretVote(t, e, c, false)

	// The live view while voting: no running tally but for the auditor.
	wait := fmt.Sprintf("?wait_for=%d", sm.votingPos)
	for _, tok := range []string{c.r1, c.facilitator, c.worker, c.admin} {
		live := e.do(req{method: "GET", path: sm.base + "/live" + wait, token: tok}).want(t, 200)
		if bytes.Contains(live.body, []byte(`"votes"`)) || !bytes.Contains(live.body, []byte(`"tally_hidden":true`)) || !bytes.Contains(live.body, []byte(`"ballots":2`)) {
			t.Errorf("live view during a secret vote: %s", live.body)
		}
	}
	live := e.do(req{method: "GET", path: sm.base + "/live" + wait, token: c.auditor}).want(t, 200)
	if !bytes.Contains(live.body, []byte(`"votes":1`)) {
		t.Errorf("the auditor's live view lacks the tally: %s", live.body)
	}
	// The live stream's first state, as the facilitator's console reads it.
	st := next(t, e.openSSE(sm.base+"/live/stream", c.facilitator, nil), "state")
	if strings.Contains(st.data, `"votes"`) {
		t.Errorf("live stream during a secret vote: %s", st.data)
	}

	// The meeting's history.
	for name, tok := range map[string]string{"resident": c.r1, "facilitator": c.facilitator, "worker": c.worker, "admin": c.admin} {
		agg := e.do(req{method: "GET", path: sm.base, token: tok}).want(t, 200)
		if got := choicesOf(t, agg.body); len(got) != 0 {
			t.Errorf("%s reads secret choices %v", name, got)
		}
	}
	agg := e.do(req{method: "GET", path: sm.base, token: c.auditor}).want(t, 200)
	if got := strings.Join(choicesOf(t, agg.body), " "); got != "r1:yes r1:no r1:was yes r2:yes" {
		t.Errorf("the auditor reads %q", got)
	}

	// The raw log: a community admin's feed has the ballots without their
	// choices and without the hashes that would let one try each option.
	feed := readFeed(t, e, c.admin)
	var ballots int
	for _, fe := range feed {
		if strings.HasPrefix(fe.Type, "meeting.vote_") {
			ballots++
			if bytes.Contains(fe.Data, []byte("option")) {
				t.Errorf("admin's feed shows a secret choice: %s", fe.Data)
			}
		}
		if md, _ := json.Marshal(fe.Metadata); bytes.Contains(md, []byte(`"hash":`)) || bytes.Contains(md, []byte(`"prev_hash":`)) {
			t.Errorf("admin's feed shows the hash chain: %s", md)
		}
	}
	if ballots != 3 {
		t.Errorf("admin's feed has %d ballots, want 3", ballots)
	}
	var choices int
	for _, fe := range readFeed(t, e, c.auditor) {
		if strings.HasPrefix(fe.Type, "meeting.vote_") && bytes.Contains(fe.Data, []byte(`"option_id"`)) {
			choices++
		}
	}
	if choices != 3 {
		t.Errorf("the auditor's feed has %d choices, want 3", choices)
	}
}

// TestExportsCarryNoSecretChoice (issue 9.1, exports served over HTTP): a
// person's export (PIPL art. 45) holds their ballots on a secret motion
// without the choice, for the person and for the admin who hands it over:
// a receipt would let anyone buy or coerce a vote.
func TestExportsCarryNoSecretChoice(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	holdSecretVote(t, e, c, true)
	root := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "street-admin", "街道管理员")
	for name, r := range map[string]req{
		"own":   {method: "GET", path: "/v1/me/export", token: c.r1},
		"admin": {method: "GET", path: "/v1/persons/r1/export", token: root},
	} {
		res := e.do(r).want(t, 200)
		var exp struct {
			Events []AggregateEvent `json:"events"`
		}
		res.decode(t, &exp)
		var ballots int
		for _, ev := range exp.Events {
			if strings.HasPrefix(ev.Type, "meeting.vote_") {
				ballots++
				if bytes.Contains(ev.Data, []byte("option")) {
					t.Errorf("%s export shows a secret choice: %s", name, ev.Data)
				}
			}
		}
		if ballots != 2 {
			t.Errorf("%s export holds %d ballots, want 2: %s", name, ballots, res.body)
		}
	}
}

// readFeed reads the raw log from the start up to "caught-up".
func readFeed(t *testing.T, e *env, token string) []FeedEvent {
	t.Helper()
	ch := e.openSSE("/v1/events/live", token, nil)
	var out []FeedEvent
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("the feed ended before caught-up")
			}
			switch ev.event {
			case "caught-up":
				return out
			case "event":
				var fe FeedEvent
				if err := json.Unmarshal([]byte(ev.data), &fe); err != nil {
					t.Fatal(err)
				}
				out = append(out, fe)
			}
		case <-deadline:
			t.Fatal("no caught-up within 10s")
		}
	}
}

// TestPublicViewsCarryNoPersonIDs (issue 9.2): the public register names
// electors as 张* and carries no ids that link one person across decisions.
func TestPublicViewsCarryNoPersonIDs(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	sm := holdSecretVote(t, e, c, true)
	wait := fmt.Sprintf("wait_for=%d", sm.lastPos)
	for _, path := range []string{"/v1/register?" + wait, "/v1/register/" + sm.mid + "/" + sm.motion + "?" + wait, "/v1/proposals/" + sm.pid + "/timeline?" + wait} {
		for _, tok := range []string{"", c.r2} {
			res := e.do(req{method: "GET", path: path, token: tok}).want(t, 200)
			for _, leak := range []string{"person_id", "voter_id", `"r1"`, `"r2"`, "张三", "李四"} {
				if bytes.Contains(res.body, []byte(leak)) {
					t.Errorf("GET %s shows %s: %s", path, leak, res.body)
				}
			}
		}
	}
	d := e.do(req{method: "GET", path: "/v1/register/" + sm.mid + "/" + sm.motion + "?" + wait}).want(t, 200)
	if !bytes.Contains(d.body, []byte(`"name":"张*"`)) {
		t.Errorf("the electorate is not named masked: %s", d.body)
	}
}

// TestOutOfScopeReadsGetThePublicAnswer (issues 9.3 and 10.5): a token
// reading outside its scope gets what the public gets, masked: not an
// empty list, not the unmasked names.
func TestOutOfScopeReadsGetThePublicAnswer(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	sm := holdSecretVote(t, e, c, true)
	g2resident := e.tokenNamed(auth.RoleResident, auth.Scope{Community: "hengyuan", Grid: "g2"}, "r9", "赵九")
	otherCommunity := e.tokenNamed(auth.RoleFacilitator, auth.Scope{Community: "ziling", Grid: "g1"}, "head-9", "网格长周九")
	wait := fmt.Sprintf("wait_for=%d", sm.lastPos)

	for _, tok := range []string{g2resident, c.otherFacilitator, otherCommunity} {
		for _, q := range []string{"community=hengyuan&grid=g1", "community=hengyuan"} {
			res := e.do(req{method: "GET", path: "/v1/register?" + q + "&" + wait, token: tok}).want(t, 200)
			if !bytes.Contains(res.body, []byte(sm.motion)) {
				t.Errorf("register?%s out of scope is empty: %s", q, res.body)
			}
			if bytes.Contains(res.body, []byte("张三")) {
				t.Errorf("register?%s out of scope is unmasked: %s", q, res.body)
			}
		}
		for _, path := range []string{"/v1/proposals/" + sm.pid + "/timeline?" + wait, "/v1/register/" + sm.mid + "/" + sm.motion + "?" + wait} {
			res := e.do(req{method: "GET", path: path, token: tok}).want(t, 200)
			if bytes.Contains(res.body, []byte("张三")) || bytes.Contains(res.body, []byte(piiPhone)) {
				t.Errorf("GET %s out of scope is unmasked: %s", path, res.body)
			}
			pub := e.do(req{method: "GET", path: path}).want(t, 200)
			if !bytes.Equal(res.body, pub.body) {
				t.Errorf("GET %s out of scope differs from the public answer:\n%s\n%s", path, res.body, pub.body)
			}
		}
	}
	// In scope, staff read it whole.
	full := e.do(req{method: "GET", path: "/v1/proposals/" + sm.pid + "/timeline?" + wait, token: c.facilitator}).want(t, 200)
	if !bytes.Contains(full.body, []byte("张三")) {
		t.Errorf("the grid's facilitator reads a masked timeline: %s", full.body)
	}
}

// TestEventFeedIsScoped (issue 10.6): a community admin's raw log holds its
// own community's events only and no token events; an unscoped admin's
// holds the token events.
func TestEventFeedIsScoped(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	root := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "street-admin", "街道管理员")
	e.write(t, root, "/v1/communities", map[string]string{"community_id": "ziling", "name": "紫陵村", "kind": "village", "street": "紫陵镇"}, 201)
	e.write(t, root, "/v1/communities/ziling/grids", map[string]string{"grid_id": "v1", "name": "一村", "kind": "residential"}, 201)
	e.write(t, root, "/v1/proposals", map[string]any{"community_id": "ziling", "grid_id": "v1", "title": "村道照明",
		"text": "路灯坏了", "category": "设施", "place": "村口", "channel": "visit"}, 201)
	e.write(t, c.r1, "/v1/proposals", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "楼道照明",
		"text": "灯坏了", "category": "设施", "place": "3号院", "channel": "visit"}, 201)

	streams := func(feed []FeedEvent) map[string]bool {
		m := map[string]bool{}
		for _, fe := range feed {
			m[strings.SplitN(fe.Stream, "-", 2)[0]+":"+communityOf(t, fe)] = true
		}
		return m
	}
	got := streams(readFeed(t, e, c.admin))
	if got["organisation:ziling"] || got["proposal:ziling"] || got["token:"] {
		t.Errorf("a hengyuan admin's feed holds %v", got)
	}
	if !got["proposal:hengyuan"] || !got["organisation:hengyuan"] {
		t.Errorf("a hengyuan admin's feed lacks its own community: %v", got)
	}
	got = streams(readFeed(t, e, c.auditor))
	if got["token:"] || !got["proposal:ziling"] {
		t.Errorf("an unscoped auditor's feed holds %v", got)
	}
	got = streams(readFeed(t, e, root))
	if !got["token:"] || !got["proposal:ziling"] || !got["proposal:hengyuan"] {
		t.Errorf("an unscoped admin's feed holds %v", got)
	}
}

// communityOf reads the community_id of a feed event's data, "" if none.
func communityOf(t *testing.T, fe FeedEvent) string {
	t.Helper()
	var d struct {
		CommunityID string `json:"community_id"`
	}
	if err := json.Unmarshal(fe.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d.CommunityID
}

// TestRevokedTokenStreamsEnd (issue 10.7): revoking a token closes its
// open streams, which receive nothing after the revocation.
func TestRevokedTokenStreamsEnd(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	root := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "street-admin", "街道管理员")
	base, item := convene(t, e, c, "courtyard", "", "楼道照明", map[string]string{"r1": "张三"}, "")
	watcher := e.tokenNamed(auth.RoleResident, auth.Scope{Community: "hengyuan", Grid: "g1"}, "r1", "张三")
	feeder := e.tokenNamed(auth.RoleAuditor, auth.Scope{Community: "hengyuan"}, "aud-2", "督查")
	live := e.openSSE(base+"/live/stream", watcher, nil)
	next(t, live, "state")
	feed := e.openSSE("/v1/events/live", feeder, nil)
	next(t, feed, "caught-up")

	for _, secret := range []string{watcher, feeder} {
		tok, err := e.srv.tokens.Authenticate(secret)
		if err != nil {
			t.Fatal(err)
		}
		e.do(req{method: "DELETE", path: "/v1/tokens/" + tok.ID.String(), token: root}).want(t, 200)
	}
	after := e.write(t, c.worker, base+"/statements", map[string]any{"item_id": item, "speaker": map[string]string{"person_id": "r1", "name": "张三"}, "summary": "撤销之后的发言"}, 200)
	for name, ch := range map[string]<-chan sseEvent{"live": live, "feed": feed} {
		deadline := time.After(10 * time.Second)
	drain:
		for {
			select {
			case ev, ok := <-ch:
				if !ok {
					break drain
				}
				if ev.id == fmt.Sprint(after.Position) || strings.Contains(ev.data, "撤销之后") {
					t.Errorf("%s stream received %s after its token was revoked", name, ev.event)
				}
			case <-deadline:
				t.Fatalf("%s stream still open 10s after its token was revoked", name)
			}
		}
	}
}

// TestPublicAnswersMaskEveryFreeText (issue 10.10): phone numbers (ASCII
// and full-width), ID numbers, door numbers and e-mail addresses typed
// into titles, texts, labels, notes and minutes reach no public or masked
// answer; the writer is warned when the text will be public.
func TestPublicAnswersMaskEveryFreeText(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	sm := holdSecretVote(t, e, c, true)
	wait := fmt.Sprintf("wait_for=%d", sm.lastPos)
	reads := []req{
		{method: "GET", path: "/v1/register?" + wait},
		{method: "GET", path: "/v1/register/" + sm.mid + "/" + sm.motion + "?" + wait},
		{method: "GET", path: "/v1/proposals/" + sm.pid + "/timeline?" + wait},
		{method: "GET", path: "/v1/board?" + wait, token: c.r2},
		{method: "GET", path: "/v1/outcomes?" + wait, token: c.r2},
		{method: "GET", path: sm.base + "/live?" + wait, token: c.r2},
		{method: "GET", path: sm.base, token: c.r2},
		{method: "GET", path: "/v1/proposals/" + sm.pid, token: c.unit},
	}
	for _, r := range reads {
		res := e.do(r).want(t, 200)
		for _, leak := range piiLeaks {
			if bytes.Contains(res.body, []byte(leak)) {
				t.Errorf("%s %s (token %t) shows %s: %s", r.method, r.path, r.token != "", leak, res.body)
			}
		}
	}
	board := e.do(req{method: "GET", path: "/v1/board?" + wait, token: c.r2}).want(t, 200)
	if !bytes.Contains(board.body, []byte("*号楼*单元****")) || !bytes.Contains(board.body, []byte("*-*-****")) {
		t.Errorf("the board does not show where the text was masked: %s", board.body)
	}

	var w, clean WriteResult
	e.do(req{method: "POST", path: "/v1/proposals", token: c.r1, body: map[string]any{"community_id": "hengyuan", "grid_id": "g1",
		"title": "噪音扰民", "text": "楼上 " + piiDoor + " 深夜装修，电话 " + piiPhone, "category": "邻里", "place": "3号院", "channel": "visit"}}).want(t, 201).decode(t, &w)
	if len(w.Warnings) != 1 || w.Warnings[0].Field != "text" || len(w.Warnings[0].Kinds) != 2 || w.Warnings[0].Detail == "" {
		t.Errorf("warnings %+v", w.Warnings)
	}
	e.do(req{method: "POST", path: "/v1/proposals", token: c.r1, body: map[string]any{"community_id": "hengyuan", "grid_id": "g1",
		"title": "噪音扰民", "text": "2026年12月2日深夜装修，持续3小时", "category": "邻里", "place": "3号院", "channel": "visit"}}).want(t, 201).decode(t, &clean)
	if len(clean.Warnings) != 0 {
		t.Errorf("warnings for text without personal data: %+v", clean.Warnings)
	}
}

// TestOwnersTallyPublishesShares (issue 10.12): the public register shows
// an owners' vote as shares against the thresholds, not the area and heads
// behind each option that would name a single dissenter.
func TestOwnersTallyPublishesShares(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	for _, u := range []struct {
		id, owner, name string
		area            int
	}{{"u101", "r1", "张三", 8956}, {"u102", "r2", "李四", 9000}, {"u201", "r3", "王五", 7000}} {
		e.write(t, c.admin, "/v1/communities/hengyuan/compounds/c1/units", map[string]any{"unit_id": u.id, "label": u.id, "area_dm2": u.area,
			"owners": []map[string]string{{"person_id": u.owner, "name": u.name}}}, 201)
	}
	base, item := convene(t, e, c, "owners_assembly", "c1", "维修资金使用", map[string]string{"r1": "张三", "r2": "李四", "r3": "王五"}, "")
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "使用维修资金更换电梯",
		"options": []map[string]string{{"id": "yes", "label": "同意"}, {"id": "no", "label": "反对"}}, "rule": map[string]any{"kind": "owners", "matter": 5}}, 201).ID
	mbase := base + "/motions/" + motion
	e.write(t, c.facilitator, mbase+"/voting", nil, 200)
	e.write(t, c.r1, mbase+"/votes", map[string]string{"option_id": "no"}, 200)
	e.write(t, c.r2, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	e.write(t, c.r3, mbase+"/votes", map[string]string{"option_id": "yes"}, 200)
	w := e.write(t, c.facilitator, mbase+"/voting/close", nil, 200)
	path := fmt.Sprintf("/v1/register/%s/%s?wait_for=%d", base[len("/v1/meetings/"):], motion, w.Position)
	for _, tok := range []string{"", c.r2} {
		res := e.do(req{method: "GET", path: path, token: tok}).want(t, 200)
		for _, leak := range []string{":8956", "area_dm2", `"heads"`, "total_heads", "participating"} {
			if bytes.Contains(res.body, []byte(leak)) {
				t.Errorf("the public tally shows %s: %s", leak, res.body)
			}
		}
		var d struct {
			Tally struct {
				Shares struct {
					Participation struct {
						AreaPercent int  `json:"area_percent"`
						Met         bool `json:"met"`
					} `json:"participation"`
					Options []struct {
						OptionID    string `json:"option_id"`
						AreaPercent int    `json:"area_percent"`
						Threshold   string `json:"threshold"`
						Met         bool   `json:"met"`
					} `json:"options"`
				} `json:"shares"`
			} `json:"tally"`
		}
		res.decode(t, &d)
		sh := d.Tally.Shares
		if sh.Participation.AreaPercent != 100 || !sh.Participation.Met || len(sh.Options) != 1 ||
			sh.Options[0].AreaPercent != 64 || !sh.Options[0].Met || sh.Options[0].Threshold != "> 1/2" {
			t.Errorf("shares %+v in %s", sh, res.body)
		}
	}
	// Nothing else a resident reads counts the losing side or gives a
	// unit's area or owners: the register list, the live view, the
	// organisation.
	for _, p := range []struct{ path, token string }{
		{"/v1/register", ""}, {"/v1/register", c.r2}, {base + "/live", c.r2}, {"/v1/communities/hengyuan", c.r2},
	} {
		res := e.do(req{method: "GET", path: p.path, token: p.token}).want(t, 200)
		// The areas are matched as whole numbers: a timestamp's nanoseconds
		// may hold the same digits.
		for _, leak := range []string{`\b8956\b`, `\b9000\b`, "area_dm2", `"votes"`, `"heads"`, `"abstentions"`, `"owners"`, `"area_percent":35`} {
			if regexp.MustCompile(leak).Match(res.body) {
				t.Errorf("%s shows %s: %s", p.path, leak, res.body)
			}
		}
	}
	// The meeting's record keeps its ballots, without their choices.
	if res := e.do(req{method: "GET", path: base, token: c.r2}).want(t, 200); bytes.Contains(res.body, []byte(`"option_id":"no","secret"`)) ||
		bytes.Contains(res.body, []byte(`"option_id":"yes","secret"`)) || bytes.Count(res.body, []byte("meeting.vote_cast.v1")) != 3 {
		t.Errorf("the meeting's ballots: %s", res.body)
	}
	// Staff in scope read the register of units and the ballots' choices.
	if res := e.do(req{method: "GET", path: base, token: c.facilitator}).want(t, 200); !bytes.Contains(res.body, []byte(`"option_id":"no","secret"`)) {
		t.Errorf("the facilitator's meeting lacks the choices: %s", res.body)
	}
	if res := e.do(req{method: "GET", path: "/v1/communities/hengyuan", token: c.admin}).want(t, 200); !bytes.Contains(res.body, []byte("8956")) {
		t.Errorf("the admin's organisation lacks the areas: %s", res.body)
	}
	// The auditor reads the figures.
	res := e.do(req{method: "GET", path: path, token: c.auditor}).want(t, 200)
	if !bytes.Contains(res.body, []byte("8956")) {
		t.Errorf("the auditor's tally lacks the areas: %s", res.body)
	}
}
