package web

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
)

// volunteers finds the demo's volunteers by id, name or phone.
var volunteers = regexp.MustCompile(`hy-v\d|刘春燕|韩志强|邓淑芬|曹建华|彭丽|曾国平|萧晓燕|田志明|1390391\d{4}`)

// TestResourceMapNamesNobody: the public resource map shows the stations,
// teams and units' offers of 衡苑 and counts its volunteers by skill,
// without a volunteer's name, id or phone; a grid's map counts that grid's.
func TestResourceMapNamesNobody(t *testing.T) {
	s := mustServe(t, true)
	body := publicPage(t, s, "/resources?community="+demo.Hengyuan)
	for _, want := range []string{"衡苑网格之家", "衡苑志愿服务站", "小红李·环境卫生服务队", "3 名成员", "清运车辆、维修工具和两名维修工", "志愿者：8 人",
		"<td>驾驶</td><td>2</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the resource map lacks %q", want)
		}
	}
	if found := volunteers.FindAllString(body, -1); len(found) > 0 {
		t.Errorf("the public resource map names volunteers: %q", found)
	}
	grid := publicPage(t, s, "/resources?community="+demo.Hengyuan+"&grid=hy-grid-2")
	if !strings.Contains(grid, "志愿者：2 人") || !strings.Contains(grid, "小红李·关爱老人服务队") {
		t.Errorf("grid 2's map does not count its 2 volunteers with the community's teams")
	}
}

// TestServicePagesRefuseAsTheAPIDoes: a volunteer answering an order
// dispatched to someone else sees the API's refusal and nothing is
// written; a resident gets no staff page; a grid worker records a
// volunteer's answer given by phone.
func TestServicePagesRefuseAsTheAPIDoes(t *testing.T) {
	s := mustServe(t, true)
	_, zeng := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "曾国平", Subject: "hy-v6"})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The door closer is dispatched to 曹建华 (demo/resources.go).
	closer := demo.ID("hy/service/door-closer")
	req, err := http.NewRequest("POST", s.url+"/services/"+closer+"/accept", strings.NewReader(url.Values{"attempt": {"1"}, "key": {"k1"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: zeng})
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b := new(strings.Builder)
	if _, err := io.Copy(b, res.Body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusConflict || !strings.Contains(b.String(), "该服务单已派给其他人") {
		t.Errorf("accepting another's dispatch: %d, want 409 with the API's refusal:\n%s", res.StatusCode, b)
	}
	var order struct {
		Events []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	s.read(t, zeng, "/v1/services/"+closer, &order)
	if last := order.Events[len(order.Events)-1].Type; last != "service.dispatched.v1" {
		t.Errorf("the order's last event is %s after a refused accept", last)
	}
	res, body := fetch(t, c, s.url+"/staff/services", "Cookie", sessionCookie+"="+zeng)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a resident's /staff/services: %d\n%s", res.StatusCode, body)
	}

	// A grid worker records 曹建华's decline given by phone: the order is
	// back in the queue, the decline recorded by the worker.
	_, worker := s.mustToken(t, auth.IssueRequest{Role: auth.RoleGridWorker, Scope: auth.Scope{Community: demo.Hengyuan, Grid: "hy-grid-1"}, Name: "王芳", Subject: "hy-w1"})
	res, body = fetch(t, c, s.url+"/staff/services/"+closer, "Cookie", sessionCookie+"="+worker)
	if res.StatusCode != 200 || !strings.Contains(body, `<option value="hy-v4|曹建华">`) {
		t.Fatalf("the order's staff page does not offer to record 曹建华's answer: %d\n%s", res.StatusCode, body)
	}
	form := url.Values{"attempt": {"1"}, "volunteer": {"hy-v4|曹建华"}, "reason": {"这周在外地"}, "idem": {"k2"}, "back": {"/staff/services/" + closer}}
	req, err = http.NewRequest("POST", s.url+"/staff/services/"+closer+"/decline", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: worker})
	if res, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "notice=services.decline") {
		t.Fatalf("recording the decline: %d to %s", res.StatusCode, loc)
	}
	var declined struct {
		Events []struct {
			Type string `json:"type"`
			Data struct {
				RecordedBy string `json:"recorded_by"`
				Reason     string `json:"reason"`
			} `json:"data"`
		} `json:"events"`
	}
	s.read(t, worker, "/v1/services/"+closer, &declined)
	last := declined.Events[len(declined.Events)-1]
	if last.Type != "service.declined.v1" || last.Data.RecordedBy != "hy-w1" || last.Data.Reason != "这周在外地" {
		t.Errorf("the order's last event is %+v, want the decline recorded by hy-w1", last)
	}

	// An admin of no community names one to list its points accounts.
	_, admin := s.mustToken(t, auth.IssueRequest{Role: auth.RoleAdmin, Name: "管理员", Subject: "admin"})
	if res, body = fetch(t, c, s.url+"/staff/points", "Cookie", sessionCookie+"="+admin); res.StatusCode != 200 || strings.Contains(body, "曹建华") {
		t.Errorf("an unscoped admin's /staff/points: %d", res.StatusCode)
	}
	if res, body = fetch(t, c, s.url+"/staff/points?community="+demo.Hengyuan, "Cookie", sessionCookie+"="+admin); res.StatusCode != 200 || !strings.Contains(body, "曹建华") {
		t.Errorf("/staff/points?community=hengyuan: %d, want 曹建华's account", res.StatusCode)
	}
}
