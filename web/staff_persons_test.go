package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// status answers path's status and body for a client, without following
// redirects, and the redirect's target.
func status(t *testing.T, c *http.Client, method, u string, form url.Values) (int, string, string) {
	t.Helper()
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var res *http.Response
	var err error
	if method == "POST" {
		res, err = nc.PostForm(u, form)
	} else {
		res, err = nc.Get(u)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Location")
}

// TestPersonalDataPages finds a demo resident from the people list, reads
// what the ledger holds about her, downloads her own data, is refused an
// erasure without the acknowledgment, erases her, and sees the erased
// state; nobody but an admin without a community scope gets in.
func TestPersonalDataPages(t *testing.T) {
	s := mustServe(t, true)
	_, root := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Name: "系统管理员", Subject: "root"})
	_, local := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "社区管理员", Subject: "hy-admin"})
	_, fac := s.mustToken(t, auth.IssueRequest{Role: auth.RoleFacilitator, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "赵磊", Subject: "hy-w2"})
	_, resident := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "杨洁", Subject: "hy-r5"})

	// Anonymous visitors sign in first; everyone else but such an admin is refused.
	jar, _ := cookiejar.New(nil)
	for _, path := range []string{"/staff/persons", "/staff/persons/hy-r5", "/staff/persons/hy-r5/export", "/staff/retention"} {
		if code, _, at := status(t, &http.Client{Jar: jar}, "GET", s.url+path, nil); code != http.StatusSeeOther || !strings.HasPrefix(at, "/signin") {
			t.Errorf("anonymous GET %s: %d to %q, want a redirect to sign in", path, code, at)
		}
	}
	for name, secret := range map[string]string{"community admin": local, "facilitator": fac, "resident": resident} {
		sc := newStaffClient(t, s, secret)
		for _, path := range []string{"/staff/persons", "/staff/persons/hy-r5", "/staff/persons/hy-r5/export", "/staff/persons/hy-r5/erase", "/staff/retention"} {
			// (The resident's own name is in her page's header.)
			if code, body, _ := status(t, sc.c, "GET", s.url+path, nil); code != http.StatusForbidden || strings.Contains(body, "提出建议") {
				t.Errorf("%s GET %s: %d, want 403 without her data", name, path, code)
			}
		}
		if name == "resident" {
			continue // a resident's session cannot read a staff page's form
		}
		page := sc.get("/staff", 200)
		form := url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}, "ground": {"request"}, "reason": {"本人申请"}, "confirm": {"yes"}}
		if code, _, _ := status(t, sc.c, "POST", s.url+"/staff/persons/hy-r5/erasure", form); code != http.StatusForbidden {
			t.Errorf("%s POST erasure: %d, want 403", name, code)
		}
		if code, _, _ := status(t, sc.c, "POST", s.url+"/staff/retention", form); code != http.StatusForbidden {
			t.Errorf("%s POST retention: %d, want 403", name, code)
		}
		if strings.Contains(page, `href="/staff/persons"`) {
			t.Errorf("%s is offered the personal-data pages", name)
		}
	}

	a := newStaffClient(t, s, root)
	people := a.get("/staff/people?community="+demo.Hengyuan, 200)
	if !strings.Contains(people, `<a href="/staff/persons/hy-r5">杨洁</a>`) {
		t.Fatalf("the people list does not link 杨洁 to her data:\n%s", people)
	}
	if find := a.get("/staff/persons", 200); !strings.Contains(find, `name="person"`) {
		t.Error("the find page has no id field")
	}
	if code, _, _ := status(t, a.c, "GET", s.url+"/staff/persons?person=a%20b", nil); code != http.StatusBadRequest {
		t.Errorf("a malformed id: %d, want 400", code)
	}
	res, err := a.c.Get(s.url + "/staff/persons?person=hy-r5")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	page := string(b)
	if res.Request.URL.Path != "/staff/persons/hy-r5" {
		t.Fatalf("looking up hy-r5 landed on %s", res.Request.URL)
	}
	for _, want := range []string{"杨洁", "提出建议 3 件", "在 3 次会议上投票", "在 1 个社区拥有房屋", "meeting.vote_cast.v1", "proposal.submitted.v1", `href="/staff/persons/hy-r5/erase"`} {
		if !strings.Contains(page, want) {
			t.Errorf("her page lacks %q:\n%s", want, page)
		}
	}

	// Her own data, as a file.
	res, err = a.c.Get(s.url + "/staff/persons/hy-r5/export")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	var exp ledger.PersonExport
	if err := json.Unmarshal(b, &exp); err != nil || exp.PersonID != "hy-r5" || exp.Erased || len(exp.Events) == 0 || !strings.Contains(string(b), "杨洁") {
		t.Fatalf("export: %v %+v", err, exp)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the export is not a private download: %q %q", cd, res.Header.Get("Cache-Control"))
	}

	confirm := a.get("/staff/persons/hy-r5/erase", 200)
	for _, want := range []string{"无法撤销", `name="confirm"`, `value="consent_withdrawn"`, `value="unlawful"`, "永久删除"} {
		if !strings.Contains(confirm, want) {
			t.Errorf("the confirmation lacks %q:\n%s", want, confirm)
		}
	}
	// Without the tick nothing is erased, and the form keeps the reason.
	page, at := a.post(confirm, "/staff/persons/hy-r5/erasure", url.Values{"ground": {"request"}, "reason": {"本人来电申请删除"}, "back": {"/staff/persons/hy-r5"}})
	if !strings.Contains(page, "请勾选确认") {
		t.Fatalf("an erasure without the tick was not refused at %s:\n%s", at, page)
	}
	a.get("/staff/persons/hy-r5/export", 200)
	// The API's refusal of a bad ground comes back to the form.
	confirm = a.get("/staff/persons/hy-r5/erase", 200)
	page, _ = a.post(confirm, "/staff/persons/hy-r5/erasure", url.Values{"ground": {"because"}, "reason": {"x"}, "confirm": {"yes"}, "back": {"/staff/persons/hy-r5/erase"}})
	if !strings.Contains(page, "field-error") || !strings.Contains(page, "永久删除") {
		t.Fatalf("a bad ground is not shown next to its field:\n%s", page)
	}
	page, at = a.post(page, "/staff/persons/hy-r5/erasure", url.Values{"ground": {"request"}, "reason": {"本人来电申请删除"}, "confirm": {"yes"}, "back": {"/staff/persons/hy-r5"}})
	if !strings.Contains(at, "/staff/persons/hy-r5?") || !strings.Contains(page, "已删除。") || !strings.Contains(page, "本人申请") ||
		!strings.Contains(page, privacy.ErasedName) || strings.Contains(page, "杨洁") || strings.Contains(page, `href="/staff/persons/hy-r5/erase"`) {
		t.Fatalf("after the erasure at %s:\n%s", at, page)
	}
	if people := a.get("/staff/people?community="+demo.Hengyuan, 200); strings.Contains(people, "杨洁") {
		t.Error("the people list still names her")
	}
	var after ledger.PersonExport
	if err := json.Unmarshal([]byte(a.get("/staff/persons/hy-r5/export", 200)), &after); err != nil || !after.Erased {
		t.Fatalf("export after: %v %+v", err, after.Erased)
	}
	if b, _ := json.Marshal(after); strings.Contains(string(b), "杨洁") {
		t.Error("her export still holds her name")
	}
	// Her session ended with her data.
	if code, _, _ := status(t, newStaffClient(t, s, resident).c, "GET", s.url+"/mine", nil); code == http.StatusOK {
		t.Error("the erased resident's session still opens her page")
	}
}

// TestRetentionPage shows what the rules would erase, refuses to run them
// without the acknowledgment, runs them and reports what they erased.
func TestRetentionPage(t *testing.T) {
	s := mustServeWith(t, true, "", func(cfg *yhttp.Config) {
		cfg.Retention = ledger.Retention{ProposalText: time.Nanosecond}
	})
	_, root := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Name: "系统管理员", Subject: "root"})
	a := newStaffClient(t, s, root)
	page := a.get("/staff/retention", 200)
	for _, want := range []string{"保存 1 天", "永久保存", "现已到期", "proposal-", "尚未删除"} {
		if !strings.Contains(page, want) {
			t.Errorf("the retention page lacks %q:\n%s", want, page)
		}
	}
	due := strings.Count(page, "<code>proposal-")
	if due == 0 {
		t.Fatalf("no ended demo proposal is due under a rule of one nanosecond:\n%s", page)
	}
	page, _ = a.post(page, "/staff/retention", url.Values{"back": {"/staff/retention"}})
	if !strings.Contains(page, "请勾选确认") || !strings.Contains(page, "尚未删除") {
		t.Fatalf("retention ran without the tick:\n%s", page)
	}
	page, _ = a.post(page, "/staff/retention", url.Values{"confirm": {"yes"}, "back": {"/staff/retention"}})
	if !strings.Contains(page, "规则删除的内容") || strings.Count(page, "<code>proposal-") != due {
		t.Fatalf("the run's report does not list the %d erased:\n%s", due, page)
	}
	if page := a.get("/staff/retention", 200); !strings.Contains(page, "没有到期的内容") {
		t.Fatalf("after the run something is still due:\n%s", page)
	}
}
