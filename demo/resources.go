package demo

import (
	"fmt"

	"github.com/yishi-civic/yishi/domain"
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
