package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/projections"
)

// TestBrowserVolunteerService runs 点单—派单—接单 through the pages on the
// demo's resource map: a resident orders a ride, the grid worker
// dispatches it to a driver found among who can do it, the driver
// declines, the order is dispatched again (the decline and the second
// dispatch in its history, the driver no longer offered), the second
// volunteer accepts and reports it done, the resident confirms, and the
// volunteer's points ledger shows the award with its rule. Then a
// facilitator assigns an action from a proposal's "who can help" to a
// volunteer team and records a member's acceptance.
func TestBrowserVolunteerService(t *testing.T) {
	s := mustServe(t, true)
	scope := auth.Scope{Community: demo.Hengyuan}
	_, staff := s.mustToken(t, auth.IssueRequest{Role: auth.RoleFacilitator, Scope: scope, Name: "王芳", Subject: "hy-w1"})
	_, xu := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: scope, Name: "徐建国", Subject: "hy-r2"})
	_, han := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: scope, Name: "韩志强", Subject: "hy-v2"})
	_, zeng := s.mustToken(t, auth.IssueRequest{Role: auth.RoleResident, Scope: scope, Name: "曾国平", Subject: "hy-v6"})
	b := mustBrowser(t, s.url)
	resident := b.signedIn(xu, 390, 844)
	worker := b.signedIn(staff, 390, 844)

	// 点单: the resident orders a ride.
	const title = "周五去医院复查"
	resident.visit("/services/order")
	resident.check("service-order-zh")
	resident.set("#grid", "hy-grid-1")
	resident.set("#category", "elderly")
	resident.do("fill the order", chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.SendKeys(chromedp.CSS("#need"), "腿脚不便，需要有人开车送到医院再接回来。"), chromedp.SendKeys(chromedp.CSS("#skill"), "驾驶"))
	resident.submit(`form[action="/services/order"] button[type=submit]`)
	resident.waitText("#main", title)
	var orders struct {
		Items []projections.ServiceItem `json:"items"`
	}
	s.read(t, staff, "/v1/services?status=ordered", &orders)
	var id string
	for _, o := range orders.Items {
		if o.Title == title {
			id = o.ServiceID
		}
	}
	if id == "" {
		t.Fatalf("the order is not in the queue: %+v", orders.Items)
	}
	card := "#s-" + id

	// 派单: the grid worker picks a driver among who can do it.
	worker.visit("/staff/services")
	worker.waitText("#main", title)
	worker.check("staff-services-zh")
	worker.visit("/staff/services/" + id)
	worker.check("staff-service-order-zh")
	worker.do("choose 韩志强", chromedp.Click(chromedp.CSS(`input[name=assignee][value="person|hy-v2|韩志强"]`)))
	worker.submit(`form[action$="/dispatch"] button[type=submit]`)
	worker.waitText("#service-status", "待接单")

	// 接单 declined: 韩志强 cannot.
	driver := b.signedIn(han, 390, 844)
	driver.visit("/services")
	driver.waitText(card, title)
	driver.check("services-offered-zh")
	driver.do("say why", chromedp.SendKeys(chromedp.CSS(card+` input[name=reason]`), "周五要上班"))
	driver.submit(card + " button[data-act=decline]")
	driver.waitText(".notice", "退回")
	if n := eval[int](driver, `document.querySelectorAll("#s-`+id+`").length`); n != 0 {
		t.Errorf("the declined order is still offered to 韩志强")
	}

	// Re-dispatch: the decline is in the history, 韩志强 is no longer offered.
	worker.visit("/staff/services/" + id)
	worker.waitText(".steps", "周五要上班")
	if n := eval[int](worker, `document.querySelectorAll('input[name=assignee][value="person|hy-v2|韩志强"]').length`); n != 0 {
		t.Error("the volunteer who declined is offered again")
	}
	worker.do("choose 曾国平", chromedp.Click(chromedp.CSS(`input[name=assignee][value="person|hy-v6|曾国平"]`)))
	worker.submit(`form[action$="/dispatch"] button[type=submit]`)
	worker.waitText("#service-status", "待接单")
	if n := eval[int](worker, `document.querySelectorAll(".steps .step-dispatched").length`); n != 2 {
		t.Errorf("the history shows %d dispatches, want 2", n)
	}
	worker.waitText(".steps", "第 2 次派单")
	worker.check("staff-service-redispatched-zh")

	// 接单, done.
	volunteer := b.signedIn(zeng, 390, 844)
	volunteer.visit("/services")
	volunteer.waitText(card, "第 2 次派单")
	volunteer.submit(card + " button[data-act=accept]")
	volunteer.waitText(".notice", "已接单")
	volunteer.do("the time spent", chromedp.SendKeys(chromedp.CSS(card+` input[name=minutes]`), "45"))
	volunteer.submit(card + " button[data-act=done]")
	volunteer.waitText(".notice", "等待居民确认")
	volunteer.check("services-done-zh")

	// The resident confirms; the rule awards 2 + 1 per half hour begun.
	resident.visit("/services")
	resident.waitText(card, "45")
	resident.check("services-confirm-zh")
	resident.submit(card + " button[data-act=confirm]")
	resident.waitText(card+" .ok", "4 积分")

	// The volunteer's ledger shows the award, its service and its rule.
	volunteer.visit("/services/points")
	// 7 points from the demo's meals for 米阿姨, 4 for this ride.
	if got := volunteer.text("#points-balance"); got != "11" {
		t.Errorf("the balance reads %q, want 11", got)
	}
	volunteer.waitText(".ledger li", "+4 · "+title)
	volunteer.waitText(".ledger", title)
	volunteer.waitText(".ledger", "service-2026")
	volunteer.check("points-zh")
	volunteer.visit("/services/points?lang=en")
	volunteer.waitText(".ledger", "per half hour")
	volunteer.check("points-en")

	// The station redeems some of them (积分兑换).
	worker.visit("/staff/points/hy-v6")
	worker.check("staff-account-zh")
	worker.do("the redemption", chromedp.SendKeys(chromedp.CSS("#points"), "5"), chromedp.SendKeys(chromedp.CSS("#item"), "大米一袋"))
	worker.submit(`form[action$="/redeem"] button[type=submit]`)
	worker.waitText(".ledger li", "−5 · 大米一袋")
	if got := worker.text("#points-balance"); got != "6" {
		t.Errorf("after redeeming 5 the balance reads %q, want 6", got)
	}

	// Who can help: a proposal on junk in a stairwell finds the
	// environment team; the facilitator assigns an action to it from
	// there, and records a member taking it on (接单).
	p := s.write(t, xu, "/v1/proposals", map[string]any{"community_id": demo.Hengyuan, "grid_id": "hy-grid-1",
		"title": "3号楼楼道堆放杂物", "text": "楼道里堆了纸箱和旧自行车，影响通行。", "category": "environment", "place": "3号楼一单元", "channel": "online"})
	s.write(t, staff, "/v1/proposals/"+p.ID+"/accept", nil)
	worker.visit("/staff/proposals/" + p.ID)
	worker.waitText("#h-helpers", "谁能帮忙")
	worker.waitText(".helpers", "小红李·环境卫生服务队")
	worker.check("staff-proposal-helpers-zh")
	worker.submit(`.helpers [data-helper=team] a.button`)
	if got := eval[string](worker, `document.querySelector("#owner").selectedOptions[0].textContent`); got != "小红李·环境卫生服务队" {
		t.Fatalf("the assign form's owner is %q", got)
	}
	worker.set("#due", time.Now().Add(72*time.Hour).Format("2006-01-02"))
	worker.submit(`form[action="/staff/actions"] button[type=submit]`)
	worker.waitText(".meta", "小红李·环境卫生服务队")
	worker.waitText(".helpers", "刘春燕")
	worker.check("staff-action-helpers-zh")
	worker.tap(`.helpers form[action$="/accept"] button`)
	worker.waitText(".helpers", "已接单")
	if strings.Contains(worker.text(".helpers"), "记录 刘春燕 接单") {
		t.Error("刘春燕 can still be recorded as accepting")
	}

	// The resource map: a facilitator registers a volunteer; the public
	// map counts them and names nobody.
	worker.visit("/staff/resources")
	worker.do("open the volunteer form", chromedp.Click(chromedp.CSS(`#h-vols ~ details summary`)))
	worker.set("#v-grid", "hy-grid-1")
	worker.do("fill the volunteer", chromedp.SendKeys(chromedp.CSS("#v-name"), "石磊"), chromedp.SendKeys(chromedp.CSS("#v-skills"), "维修、驾驶"),
		chromedp.SendKeys(chromedp.CSS("#v-cats"), "facilities"))
	worker.submit(`form[action="/staff/resources/volunteer"] button[type=submit]`)
	worker.waitText(".notice", "志愿者已登记")
	worker.waitText("#h-vols + ul", "石磊")
	worker.check("staff-resources-zh")
	b.visit("/resources?community=" + demo.Hengyuan)
	b.waitText("#h-volunteers", "志愿者：9 人")
	if html := eval[string](b, "document.body.innerHTML"); strings.Contains(html, "石磊") || strings.Contains(html, "曾国平") {
		t.Error("the public resource map names a volunteer")
	}
	b.check("resources-zh")

	// The same pages in English.
	b.visit("/resources?lang=en")
	b.check("resources-en")
	resident.visit("/services?lang=en")
	resident.check("services-en")
	resident.visit("/services/order")
	resident.check("service-order-en")
	volunteer.visit("/services?lang=en")
	volunteer.check("services-volunteer-en")
	worker.visit("/staff/services?lang=en")
	worker.check("staff-services-en")
	worker.visit("/staff/services/" + id)
	worker.check("staff-service-en")
	worker.visit("/staff/resources")
	worker.check("staff-resources-en")
	worker.visit("/staff/points/hy-v6")
	worker.check("staff-account-en")
}
