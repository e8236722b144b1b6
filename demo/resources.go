package demo

import (
	"fmt"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/ledger"
)

// 衡苑's resource map (资源图谱): the five 小红李 volunteer teams, their
// volunteers, the 网格之家 and what the property company offers. The
// bicycle-shed cleanup goes to the environment team and its volunteers
// accept it.

// hyTeams are the five 小红李 volunteer service teams, for the whole
// community.
var hyTeams = []struct {
	id, name   string
	skills     []string
	categories []string
}{
	{"hy-xhl-elders", "小红李·关爱老人服务队", []string{"助老", "做饭", "陪同就医"}, []string{"elderly"}},
	{"hy-xhl-youth", "小红李·青少年服务队", []string{"作业辅导", "手工"}, []string{"youth"}},
	{"hy-xhl-environment", "小红李·环境卫生服务队", []string{"清扫", "清运"}, []string{"environment"}},
	{"hy-xhl-repair", "小红李·便民维修服务队", []string{"维修", "疏通下水"}, []string{"facilities"}},
	{"hy-xhl-publicity", "小红李·文明宣传服务队", []string{"宣传", "劝导停车"}, []string{"traffic", "safety"}},
}

// hyVolunteers are 衡苑's registered volunteers, each in a grid and a team.
var hyVolunteers = []struct {
	who          domain.Voter
	grid         int
	team         string
	skills       []string
	availability string
}{
	{person("hy-v1", "刘春燕"), 1, "hy-xhl-environment", []string{"清扫", "清运"}, "周末"},
	{person("hy-v2", "韩志强"), 1, "hy-xhl-environment", []string{"清运", "驾驶"}, "工作日晚上、周末"},
	{person("hy-v3", "邓淑芬"), 1, "hy-xhl-environment", []string{"清扫"}, "每天上午"},
	{person("hy-v4", "曹建华"), 2, "hy-xhl-repair", []string{"维修", "疏通下水"}, "周末"},
	{person("hy-v5", "彭丽"), 2, "hy-xhl-elders", []string{"做饭", "助老"}, "工作日白天"},
	{person("hy-v6", "曾国平"), 3, "hy-xhl-elders", []string{"陪同就医", "驾驶"}, "随叫随到"},
	{person("hy-v7", "萧晓燕"), 4, "hy-xhl-youth", []string{"作业辅导"}, "工作日放学后"},
	{person("hy-v8", "田志明"), 5, "hy-xhl-publicity", []string{"宣传", "劝导停车"}, "周末"},
}

const (
	hyGridHome = "hy-grid-home"
	hyStation  = "hy-volunteer-station"
)

func (d *loader) hengyuanResources() error {
	var cmds []domain.Command
	for _, t := range hyTeams {
		cmds = append(cmds, domain.FormVolunteerTeam{CommunityID: Hengyuan, TeamID: t.id, Name: t.name, Skills: t.skills, Categories: t.categories})
	}
	for i, v := range hyVolunteers {
		var categories []string
		for _, t := range hyTeams {
			if t.id == v.team {
				categories = t.categories
			}
		}
		cmds = append(cmds,
			domain.RegisterVolunteer{CommunityID: Hengyuan, GridID: hyGrid(v.grid), PersonID: v.who.PersonID, Name: v.who.Name,
				Phone: fmt.Sprintf("1390391%04d", i+1), Skills: v.skills, Categories: categories, Availability: v.availability},
			domain.JoinVolunteerTeam{CommunityID: Hengyuan, TeamID: v.team, PersonID: v.who.PersonID},
		)
	}
	cmds = append(cmds,
		domain.RegisterStation{CommunityID: Hengyuan, StationID: hyGridHome, GridID: hyGrid(1), Name: "衡苑网格之家", Kind: domain.StationGridHome,
			Services: []string{"政策宣讲", "座谈", "义诊", "为老人拍照", "安全知识讲座", "骑手休息"}, Categories: []string{"elderly", "safety"}},
		domain.RegisterStation{CommunityID: Hengyuan, StationID: hyStation, GridID: hyGrid(1), Name: "衡苑志愿服务站", Kind: domain.StationVolunteerService,
			Services: []string{"点单派单", "积分兑换"}},
		domain.RecordPartnerOffer{CommunityID: Hengyuan, PartnerID: hyProperty, Offer: "清运车辆、维修工具和两名维修工", Skills: []string{"清运", "维修"},
			Categories: []string{"environment", "facilities"}},
	)
	return d.all(hyAdmin, cmds...)
}

// hengyuanServices: 点单—派单—接单 in 衡苑. 徐大爷's drain is blocked: the
// grid worker orders a repair for him and dispatches it to a repair
// volunteer, who accepts and fixes it; 米阿姨 needs meals cooked while her
// husband is away: the first volunteer declines, the elders' team takes it;
// a ride to the clinic waits unanswered past its time and is back in the
// queue. The volunteers' points are confirmed and one redeems some at the
// station.
func (d *loader) hengyuanServices() error {
	worker := hyWorkers[0]
	staff := actorOf(worker, "grid_worker")
	xu, mi := hyResidents[1], hyResidents[0]
	repair, cook, elders := hyVolunteers[3].who, hyVolunteers[4].who, hyVolunteers[5].who
	drain, meals, ride := ID("hy/service/drain"), ID("hy/service/meals"), ID("hy/service/ride")
	d.later(24 * time.Hour)
	steps := []step{
		{staff, domain.OrderService{ServiceID: drain, CommunityID: Hengyuan, GridID: hyGrid(1), Title: "下水管堵了", Need: "厨房下水管堵了，孩子们不在家。",
			Category: "facilities", Skill: "疏通下水", Resident: xu, OrderedBy: worker.PersonID}},
		{staff, domain.DispatchService{ServiceID: drain, Assignee: partyOf(repair), AnswerBy: d.now.Add(4 * time.Hour), By: worker.PersonID}},
		{actorOf(repair, "resident"), domain.AcceptService{ServiceID: drain, Attempt: 1, Volunteer: repair}},
		{actorOf(repair, "resident"), domain.ReportServiceDone{ServiceID: drain, Volunteer: repair, Minutes: 60, Note: "疏通完毕，更换了存水弯"}},
		{actorOf(xu, "resident"), domain.ConfirmService{ServiceID: drain, Confirmer: xu, Satisfied: true}},
		{staff, domain.OrderService{ServiceID: meals, CommunityID: Hengyuan, GridID: hyGrid(1), Title: "帮忙做饭", Need: "身体不好，丈夫外出几天，需要有人帮忙做饭。",
			Category: "elderly", Skill: "做饭", Resident: mi, OrderedBy: worker.PersonID}},
		{staff, domain.DispatchService{ServiceID: meals, Assignee: partyOf(cook), AnswerBy: d.now.Add(24 * time.Hour), By: worker.PersonID}},
		{actorOf(cook, "resident"), domain.DeclineService{ServiceID: meals, Attempt: 1, Volunteer: cook, Reason: "这几天在外地"}},
		{staff, domain.DispatchService{ServiceID: meals, Assignee: domain.Party{Kind: domain.PartyTeam, ID: hyTeams[0].id, Name: hyTeams[0].name},
			AnswerBy: d.now.Add(24 * time.Hour), By: worker.PersonID}},
		{actorOf(elders, "resident"), domain.AcceptService{ServiceID: meals, Attempt: 2, Volunteer: elders}},
		{actorOf(elders, "resident"), domain.ReportServiceDone{ServiceID: meals, Volunteer: elders, Minutes: 150, Note: "做了三天的午饭和晚饭"}},
		{staff, domain.ConfirmService{ServiceID: meals, Confirmer: mi, Satisfied: true, RecordedBy: worker.PersonID}},
		{staff, domain.OrderService{ServiceID: ride, CommunityID: Hengyuan, GridID: hyGrid(1), Title: "陪同去诊所复查", Need: "腿脚不便，周三上午去诊所复查。",
			Category: "elderly", Skill: "陪同就医", Resident: xu, OrderedBy: worker.PersonID}},
		{staff, domain.DispatchService{ServiceID: ride, Assignee: partyOf(elders), AnswerBy: d.now.Add(12 * time.Hour), By: worker.PersonID}},
	}
	if err := d.steps(50*time.Minute, steps); err != nil {
		return err
	}
	d.later(3 * time.Hour)
	return d.all(staff,
		domain.ExpireDispatch{ServiceID: ride, Attempt: 1},
		domain.RedeemPoints{CommunityID: Hengyuan, PersonID: repair.PersonID, StationID: hyStation, Points: 3, Item: "洗衣液一瓶", By: worker.PersonID},
	)
}

// hengyuanServicesUnderway leaves an order at each stage for the pages:
// 徐大爷's door closer is dispatched to the repair volunteer 曹建华 (the
// volunteer whose sign-in link `serve --demo` prints) and waits for his
// answer; 米阿姨's groceries are accepted by 彭丽; 张明's old furniture was
// carried down by the environment team's 韩志强 and waits for 张明's
// confirmation.
func (d *loader) hengyuanServicesUnderway() error {
	worker := hyWorkers[0]
	staff := actorOf(worker, "grid_worker")
	xu, mi, zhang := hyResidents[1], hyResidents[0], hyResidents[2]
	repair, cook, carrier := hyVolunteers[3].who, hyVolunteers[4].who, hyVolunteers[1].who
	closer, groceries, furniture := ID("hy/service/door-closer"), ID("hy/service/groceries"), ID("hy/service/furniture")
	d.later(6 * time.Hour)
	steps := []step{
		{staff, domain.OrderService{ServiceID: furniture, CommunityID: Hengyuan, GridID: hyGrid(2), Title: "旧家具搬下楼", Need: "家里换了新柜子，旧衣柜太重，一个人搬不下楼。",
			Category: "environment", Skill: "清运", Resident: zhang, OrderedBy: worker.PersonID}},
		{staff, domain.DispatchService{ServiceID: furniture, Assignee: partyOf(carrier), AnswerBy: d.now.Add(24 * time.Hour), By: worker.PersonID}},
		{actorOf(carrier, "resident"), domain.AcceptService{ServiceID: furniture, Attempt: 1, Volunteer: carrier}},
		{actorOf(carrier, "resident"), domain.ReportServiceDone{ServiceID: furniture, Volunteer: carrier, Minutes: 40, Note: "和邻居一起抬下楼，放到了大件垃圾点"}},
		{staff, domain.OrderService{ServiceID: groceries, CommunityID: Hengyuan, GridID: hyGrid(1), Title: "代买一周的菜", Need: "丈夫还没回来，想请人帮忙买一周的菜。",
			Category: "elderly", Skill: "助老", Resident: mi, OrderedBy: worker.PersonID}},
		{staff, domain.DispatchService{ServiceID: groceries, Assignee: partyOf(cook), AnswerBy: d.now.Add(24 * time.Hour), By: worker.PersonID}},
		{actorOf(cook, "resident"), domain.AcceptService{ServiceID: groceries, Attempt: 1, Volunteer: cook}},
		{staff, domain.OrderService{ServiceID: closer, CommunityID: Hengyuan, GridID: hyGrid(1), Title: "单元门闭门器坏了", Need: "单元门关不上，风一吹就砰砰响，闭门器需要修。",
			Category: "facilities", Skill: "维修", Resident: xu, OrderedBy: worker.PersonID}},
		{staff, domain.DispatchService{ServiceID: closer, Assignee: partyOf(repair), AnswerBy: d.now.Add(48 * time.Hour), By: worker.PersonID}},
	}
	return d.steps(30*time.Minute, steps)
}

// step is one command of a story and who sends it.
type step struct {
	actor ledger.Actor
	cmd   domain.Command
}

// steps runs a story's steps in order, gap apart.
func (d *loader) steps(gap time.Duration, steps []step) error {
	for _, s := range steps {
		if err := d.do(s.actor, s.cmd); err != nil {
			return err
		}
		d.later(gap)
	}
	return nil
}
