package web

import (
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/demo"
)

// personal finds what a public page must never show: the demo's person
// ids, residents' and grid workers' full names, phone numbers (as a whole
// number: a fingerprint's hex digits may hold eleven digits in a row).
var personal = regexp.MustCompile(`hy-(?:r|w|co)\d+|hy-prop-rep|米秀兰|徐建国|张明|李华|杨洁|黄涛|朱红|马超|胡玲|郭勇|何平|高峰|王芳|赵磊|孙丽|周强|吴静|郑伟|陈敏|\b1[3-9]\d{9}\b`)

// publicPage fetches a public page anonymously and checks it shows no
// personal data; with YISHI_PAGES=<dir> it keeps the HTML there.
func publicPage(t *testing.T, s *server, path string, header ...string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	res, body := fetch(t, &http.Client{Jar: jar}, s.url+path, header...)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, body)
	}
	if found := personal.FindAllString(body, -1); len(found) > 0 {
		t.Errorf("GET %s shows personal data to the public: %q", path, found)
	}
	if dir := os.Getenv("YISHI_PAGES"); dir != "" {
		name := strings.NewReplacer("/", "_", "?", "_", "&", "_", "=", "_").Replace(strings.TrimPrefix(path, "/"))
		if err := os.WriteFile(filepath.Join(dir, name+".html"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return body
}

func TestPublicPagesFindTheParkingLineDecision(t *testing.T) {
	s := mustServe(t, true)
	home := publicPage(t, s, "/")
	if !strings.Contains(home, `href="/?community=hengyuan"`) || !strings.Contains(home, "衡苑社区") {
		t.Fatalf("home has no link to 衡苑社区:\n%s", home)
	}
	hy := publicPage(t, s, "/?community=hengyuan")
	for _, want := range []string{"西院停车秩序楼院议事", "通过", "重新划定停车位", "同意 8 票，不同意 1 票", `href="/proposals/` + demo.ID("hy/parking") + `"`,
		"衡苑社区2027年第一次居民议事会", "衡苑第2网格", `aria-current="true">衡苑社区</a>`} {
		if !strings.Contains(hy, want) {
			t.Errorf("衡苑's home lacks %q", want)
		}
	}
	story := publicPage(t, s, "/proposals/"+demo.ID("hy/parking"))
	for _, want := range []string{"院内道路窄，车辆经常剐蹭", "会车困难", "杨*", `<th scope="row">同意</th><td>8 票 (通过的选项)</td>`,
		"简单多数", "出席人数不少于 50%", "西院重新划线", "居民满意", `role="progressbar"`} {
		if !strings.Contains(story, want) {
			t.Errorf("the parking story lacks %q", want)
		}
	}
	if n := strings.Count(story, `<img src="/v1/attachments/`); n != 3 {
		t.Errorf("the parking story shows %d photos, want the report's, the progress photo and the evidence", n)
	}
	// Its photos are served to the public.
	m := regexp.MustCompile(`<img src="(/v1/attachments/[0-9a-f]{64}\?item=[a-z]+-[0-9a-f-]{36})"`).FindStringSubmatch(story)
	if m == nil {
		t.Fatal("no photo")
	}
	if res, _ := fetch(t, &http.Client{}, s.url+m[1]); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("photo %s: %d %s", m[1], res.StatusCode, res.Header.Get("Content-Type"))
	}

	en := publicPage(t, s, "/proposals/"+demo.ID("hy/parking")+"?lang=en")
	for _, want := range []string{`<html lang="en">`, "Simple majority", "8 votes", "Residents satisfied"} {
		if !strings.Contains(en, want) {
			t.Errorf("the English story lacks %q", want)
		}
	}
}

func TestPublicRegisterShowsOwnersSharesNotCounts(t *testing.T) {
	s := mustServe(t, true)
	reg := publicPage(t, s, "/register?community=hengyuan")
	for _, want := range []string{"3号院业主大会：使用维修资金修缮屋面", "民法典第二百七十八条", "（五）使用维修资金", "参与表决的专有面积", "≥ 2/3", "&gt; 1/2", `class="chart-threshold"`,
		"协商一致", "邻里小饭桌"} {
		if !strings.Contains(reg, want) {
			t.Errorf("the register lacks %q", want)
		}
	}
	// The owners' vote shows no option's count: its chart is shares only.
	i := strings.Index(reg, "3号院业主大会")
	j := strings.Index(reg[i:], "</article>")
	if owners := reg[i : i+j]; strings.Contains(owners, " 票") {
		t.Errorf("the owners' vote shows votes:\n%s", owners)
	}
}

func TestPublicBoardOutcomesAndStats(t *testing.T) {
	s := mustServe(t, true)
	board := publicPage(t, s, "/board?community=hengyuan")
	for _, want := range []string{"下一步：", "衡苑社区2027年第一次居民议事会", "人附议", "已提出", `<option value="facilities">设施维修</option>`} {
		if !strings.Contains(board, want) {
			t.Errorf("the board lacks %q", want)
		}
	}
	filtered := publicPage(t, s, "/board?community=hengyuan&category=facilities&min_age_days=30")
	if strings.Contains(filtered, "交通停车</span>") || !strings.Contains(filtered, "设施维修</span>") {
		t.Errorf("the category filter does not filter")
	}
	out := publicPage(t, s, "/outcomes?community=hengyuan&show=overdue")
	if !strings.Contains(out, "已逾期") || !strings.Contains(out, `role="progressbar"`) {
		t.Errorf("overdue outcomes lack their marks")
	}
	stats := publicPage(t, s, "/stats?community=hengyuan")
	for _, want := range []string{"每月收集和解决的件数", "各地闭环率", "衡苑第1网格", "按渠道收集的件数", "会上收集", `<table class="chart-table">`} {
		if !strings.Contains(stats, want) {
			t.Errorf("the statistics lack %q", want)
		}
	}
	all := publicPage(t, s, "/stats?community=")
	if !strings.Contains(all, "阳光社区") {
		t.Errorf("the statistics of every community do not name them")
	}
	if res, _ := fetch(t, &http.Client{}, s.url+"/proposals/not-a-uuid"); res.StatusCode != 404 {
		t.Errorf("a malformed proposal id answers %d, want 404", res.StatusCode)
	}
}
