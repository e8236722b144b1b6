package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/projections"
)

// parkingLine is the parking-line story's organisation: 衡苑社区 with one
// grid, a compound of 15 units (one owner each) and its property company.
type parkingLine struct {
	facilitator, worker string // session secrets
	residents           []string
	residentIDs         []string
}

// mustParkingLine registers the organisation and issues the tokens the
// story needs: a facilitator and a grid worker of the community, and a
// resident token for each of the 15 owners.
func mustParkingLine(t testing.TB, s *server) parkingLine {
	t.Helper()
	ctx := context.Background()
	admin := ledger.Actor{ID: "operator", Role: "admin"}
	cmds := []domain.Command{
		domain.RegisterCommunity{CommunityID: "hengyuan", Name: "衡苑社区", Kind: domain.CommunityUrban, Street: "衡水路街道"},
		domain.CreateGrid{CommunityID: "hengyuan", GridID: "g3", Name: "第三网格", Kind: domain.GridResidential},
		domain.AppointGridHead{CommunityID: "hengyuan", GridID: "g3", PersonID: "head-wang", Name: "王网格长"},
		domain.AssignGridWorker{CommunityID: "hengyuan", GridID: "g3", PersonID: "worker-li", Name: "李网格员", Employment: domain.FullTime},
		domain.RegisterCompound{CommunityID: "hengyuan", CompoundID: "west", GridID: "g3", Name: "西院"},
		domain.RegisterPartner{CommunityID: "hengyuan", PartnerID: "property", Name: "衡苑物业", Kind: domain.UnitPropertyManagement, Contact: "物业服务中心"},
	}
	var p parkingLine
	surnames := []rune("赵钱孙李周吴郑王冯陈褚卫蒋沈韩")
	for i := range 15 {
		id := fmt.Sprintf("r%02d", i+1)
		name := string(surnames[i]) + "居民"
		p.residentIDs = append(p.residentIDs, id)
		cmds = append(cmds, domain.RegisterUnit{CommunityID: "hengyuan", CompoundID: "west", UnitID: fmt.Sprintf("w-%d", i+1),
			Label: fmt.Sprintf("%d号楼", i+1), AreaDM2: int64(8000 + 100*i), Owners: []domain.Voter{{PersonID: id, Name: name}}})
	}
	for _, c := range cmds {
		if _, err := s.ledger.Execute(ctx, c, admin, ledger.Options{}); err != nil {
			t.Fatalf("%T: %v", c, err)
		}
	}
	scope := auth.Scope{Community: "hengyuan"}
	_, p.facilitator = s.mustToken(t, auth.IssueRequest{Role: auth.RoleFacilitator, Scope: scope, Name: "王网格长", Subject: "head-wang"})
	_, p.worker = s.mustToken(t, auth.IssueRequest{Role: auth.RoleGridWorker, Scope: auth.Scope{Community: "hengyuan", Grid: "g3"}, Name: "李网格员", Subject: "worker-li"})
	for i, id := range p.residentIDs {
		_, sec := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: "hengyuan", Grid: "g3"},
			Name: string(surnames[i]) + "居民", Subject: id})
		p.residents = append(p.residents, sec)
	}
	return p
}

// staffClient is a signed-in browser without JavaScript: it keeps cookies
// (session, CSRF) and follows redirects.
type staffClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newStaffClient(t *testing.T, s *server, secret string) *staffClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s.url)
	jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: secret, Path: "/"}})
	return &staffClient{t: t, base: s.url, c: &http.Client{Jar: jar}}
}

// get reads a page and fails unless it answers want.
func (sc *staffClient) get(path string, want int) string {
	sc.t.Helper()
	res, err := sc.c.Get(sc.base + path)
	if err != nil {
		sc.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		sc.t.Fatalf("GET %s: %d, want %d:\n%s", path, res.StatusCode, want, b)
	}
	return string(b)
}

// post posts a form as the page's form would (with the page's CSRF token,
// read from page) and returns the page it lands on and its address.
func (sc *staffClient) post(page, path string, form url.Values) (string, string) {
	sc.t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		sc.t.Fatalf("no CSRF field on the page before POST %s", path)
	}
	form.Set("csrf", m[1])
	res, err := sc.c.PostForm(sc.base+path, form)
	if err != nil {
		sc.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		sc.t.Fatalf("POST %s: %d:\n%s", path, res.StatusCode, b)
	}
	return string(b), res.Request.URL.String()
}

// TestStaffPagesWithoutJavaScript runs the parking-line meeting through the
// staff pages' plain forms: every post is one API command, answered with a
// redirect to the page it came from or to what it created.
func TestStaffPagesWithoutJavaScript(t *testing.T) {
	s := mustServe(t, false)
	p := mustParkingLine(t, s)
	f := newStaffClient(t, s, p.facilitator)

	page := f.get("/staff/intake", 200)
	page, at := f.post(page, "/staff/intake", url.Values{"community_id": {"hengyuan"}, "grid_id": {"g3"}, "compound_id": {"west"},
		"author": {"person|r01|赵居民"}, "title": {"西院车位线重新划线"}, "text": {"西院道路窄，车位线看不清，常有剐蹭。"},
		"category": {"停车"}, "place": {"西院停车场"}, "channel": {"visit"}})
	if !strings.Contains(at, "/staff/proposals/") || !strings.Contains(page, "西院车位线重新划线") || !strings.Contains(page, "议题已登记") {
		t.Fatalf("after intake at %s:\n%s", at, page)
	}
	proposal := strings.TrimPrefix(strings.Split(at, "?")[0], s.url+"/staff/proposals/")

	// A refusal comes back to the form with the API's reason and what was typed.
	page, _ = f.post(page, "/staff/proposals/"+proposal+"/reject", url.Values{"reason": {""}, "back": {"/staff/proposals/" + proposal}})
	if !strings.Contains(page, `role="alert"`) || !strings.Contains(page, "field-error") {
		t.Errorf("a rejection without a reason shows no refusal:\n%s", page)
	}
	page, _ = f.post(page, "/staff/proposals/"+proposal+"/accept", url.Values{"back": {"/staff/proposals/" + proposal}})
	if !strings.Contains(page, "已受理") {
		t.Fatalf("after accept:\n%s", page)
	}

	page = f.get("/staff/meetings/new?proposal="+proposal, 200)
	page, at = f.post(page, "/staff/meetings", url.Values{"community_id": {"hengyuan"}, "grid_id": {"g3"}, "compound_id": {"west"},
		"title": {"西院停车议事会"}, "format": {"courtyard"}, "place": {"西院凉亭"}, "starts_at": {"2026-12-05T19:00"}})
	meeting := strings.TrimPrefix(strings.Split(at, "?")[0], s.url+"/staff/meetings/")
	if !strings.Contains(page, "西院车位线重新划线") || !strings.Contains(page, "衡苑物业") || !strings.Contains(page, "赵居民") {
		t.Fatalf("the meeting page offers neither the accepted proposal nor the registers:\n%s", page)
	}
	base := "/staff/meetings/" + meeting
	page, _ = f.post(page, base+"/agenda", url.Values{"proposal_id": {proposal}, "title": {"西院车位线重新划线"}, "back": {base}})
	for i, id := range p.residentIDs {
		page, _ = f.post(page, base+"/invite", url.Values{"person_id": {id}, "name": {string([]rune("赵钱孙李周吴郑王冯陈褚卫蒋沈韩")[i]) + "居民"}, "kind": {"resident"}, "back": {base}})
	}
	page, _ = f.post(page, base+"/invite", url.Values{"person_id": {"property"}, "partner_id": {"property"}, "name": {"衡苑物业"}, "kind": {"unit"}, "back": {base}})
	if !strings.Contains(page, "已邀请 16 人") {
		t.Fatalf("after the invitations:\n%s", page)
	}
	page, at = f.post(page, base+"/open", url.Values{"back": {base + "/console"}})
	if !strings.Contains(at, "/console") || !strings.Contains(page, "进行中") {
		t.Fatalf("after open at %s:\n%s", at, page)
	}
	for _, id := range p.residentIDs[:12] {
		page, _ = f.post(page, base+"/attendance", url.Values{"person_id": {id}, "name": {id}, "attendance": {"present"}, "back": {base + "/console"}})
	}
	if !strings.Contains(page, "出席 12 · 委托 0 · 应到 16") {
		t.Fatalf("attendance count:\n%s", page)
	}
	for _, screen := range consoleScreens {
		f.get(base+"/console?screen="+screen, 200)
	}
	f.get(base+"/projector", 200)
	f.get("/staff", 200)
	f.get("/staff/actions", 200)
	page = f.get("/staff/people", 200)
	if strings.Contains(page, " 、") {
		t.Error("the people page starts a list with a separator")
	}
	for _, want := range []string{"王网格长", "李网格员", "西院", "15 户", "12号楼", "80.00", "韩居民", "衡苑物业"} {
		if !strings.Contains(page, want) {
			t.Errorf("the people page lacks %q", want)
		}
	}

	// The minutes: nothing public before publication; a refused draft
	// keeps what was typed; the published minutes are public, in counts.
	anon := newStaffClient(t, s, "")
	anon.get("/meetings/"+meeting+"/minutes", 404)
	f.post(f.get(base+"/console?screen=close", 200), base+"/adjourn", url.Values{"back": {base + "/console?screen=close"}})
	page = f.get(base+"/minutes", 200)
	item := regexp.MustCompile(`name="notes.item_id" value="([^"]+)"`).FindStringSubmatch(page)
	if item == nil || !strings.Contains(page, "应到 16 人，亲自出席 12 人") || !strings.Contains(page, "亲自出席：赵居民") {
		t.Fatalf("the minutes page before the draft:\n%s", page)
	}
	draft := url.Values{"summary": {""}, "notes.item_id": {item[1]}, "notes.text": {"物业两周内施工"}, "back": {base + "/minutes"}}
	page, _ = f.post(page, base+"/draft-minutes", draft)
	if !strings.Contains(page, `role="alert"`) || !strings.Contains(page, "物业两周内施工") {
		t.Errorf("a draft without a summary shows no refusal or loses the note:\n%s", page)
	}
	draft.Set("summary", "通过重新划线。")
	page, _ = f.post(page, base+"/draft-minutes", draft)
	page, _ = f.post(page, base+"/publish-minutes", url.Values{"objection_days": {"5"}, "draft": {"1"}, "back": {base + "/minutes"}})
	if !strings.Contains(page, "纪要已公示") || !strings.Contains(page, "公示期 5 天") {
		t.Fatalf("after publishing:\n%s", page)
	}
	page = anon.get("/meetings/"+meeting+"/minutes", 200)
	if !strings.Contains(page, "应到 16 人，亲自出席 12 人") || !strings.Contains(page, "物业两周内施工") || strings.Contains(page, "赵居民") {
		t.Errorf("the public minutes:\n%s", page)
	}
}

// TestLikelyDuplicatesByPlaceAndText checks the triage page's suggestion:
// the same place first, then similar titles, never the proposal itself, a
// merged one or another community's.
func TestLikelyDuplicatesByPlaceAndText(t *testing.T) {
	p := domain.ProposalState{ProposalID: "p0", CommunityID: "hy", CompoundID: "west", Title: "西院车位线重新划线", Place: "西院停车场"}
	open := []projections.BoardItem{
		{ProposalID: "p0", CommunityID: "hy", Title: "西院车位线重新划线", Place: "西院停车场"},
		{ProposalID: "p1", CommunityID: "hy", Title: "楼道灯坏了", Place: "3号楼"},
		{ProposalID: "p2", CommunityID: "hy", Title: "西院车位线看不清", Place: "西院"},
		{ProposalID: "p3", CommunityID: "hy", Title: "停车太乱", Place: "西院停车场"},
		{ProposalID: "p4", CommunityID: "other", Title: "西院车位线重新划线", Place: "西院停车场"},
		{ProposalID: "p5", CommunityID: "hy", Title: "西院车位线重新划线", Place: "西院停车场", MergedInto: "p0"},
	}
	var got []string
	for _, it := range likelyDuplicates(p, open, 3) {
		got = append(got, it.ProposalID)
	}
	if strings.Join(got, ",") != "p3,p2" {
		t.Errorf("likely duplicates %v, want p3 (same place) then p2 (similar text)", got)
	}
}

// TestCommandBodyMapsFormFields checks the form-to-JSON mapping of the one
// command handler.
func TestCommandBodyMapsFormFields(t *testing.T) {
	w := &Web{}
	form := url.Values{"item_id": {"i1"}, "text": {" 重新划线 "}, "options": {"同意\n\n不同意\n"}, "rule.kind": {"simple_majority"},
		"rule.quorum_percent": {"50"}, "secret": {""}, "speaker": {"r01|赵居民"}, "electorate": {"r01|赵居民", "r02|钱居民"}}
	body, err := w.commandBody(nil, []string{"item_id", "text", "options:options", "rule.kind", "rule.quorum_percent:int", "secret:bool",
		"speaker:voter", "electorate:voters", "missing"}, form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(body)
	want := `{"electorate":[{"name":"赵居民","person_id":"r01"},{"name":"钱居民","person_id":"r02"}],"item_id":"i1",` +
		`"options":[{"id":"o1","label":"同意"},{"id":"o2","label":"不同意"}],"rule":{"kind":"simple_majority","quorum_percent":50},` +
		`"speaker":{"name":"赵居民","person_id":"r01"},"text":"重新划线"}`
	if string(b) != want {
		t.Errorf("body\n%s\nwant\n%s", b, want)
	}
}
