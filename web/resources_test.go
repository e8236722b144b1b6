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
// written; a resident gets no staff page.
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
}
