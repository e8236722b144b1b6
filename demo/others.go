package demo

import (
	"fmt"
	"slices"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/ledger"
)

// yangguangFitnessArea: 阳光社区 collects residents' opinions on a rusty
// fitness area, a council decides to rebuild it, the rebuild finishes in
// July and residents confirm it.
func (d *loader) yangguangFitnessArea() error {
	admin := ledger.Actor{ID: "yg-admin", Role: "admin"}
	worker, secretary := person("yg-w1", "田晓燕"), person("yg-s", "韩书记")
	residents := []domain.Voter{person("yg-r1", "罗桂英"), person("yg-r2", "梁志刚"), person("yg-r3", "宋玉兰"), person("yg-r4", "唐建华"), person("yg-r5", "许春梅"), person("yg-r6", "邓文")}
	fac := actorOf(secretary, "facilitator")
	pid, mid, aid := ID("yg/fitness"), ID("yg/fitness/meeting"), ID("yg/fitness/rebuild")
	if err := d.all(admin,
		domain.RegisterCommunity{CommunityID: Yangguang, Name: "阳光社区", Kind: domain.CommunityUrban, Street: "山阳区太行街道"},
		domain.CreateGrid{CommunityID: Yangguang, GridID: "yg-grid-1", Name: "阳光第1网格", Kind: domain.GridResidential},
		domain.AppointGridHead{CommunityID: Yangguang, GridID: "yg-grid-1", PersonID: secretary.PersonID, Name: secretary.Name},
		domain.AssignGridWorker{CommunityID: Yangguang, GridID: "yg-grid-1", PersonID: worker.PersonID, Name: worker.Name, Employment: domain.FullTime},
		domain.RegisterPartner{CommunityID: Yangguang, PartnerID: "yg-builder", Name: "阳光社区改造施工单位", Kind: domain.UnitContractor, Contact: "项目经理"},
	); err != nil {
		return err
	}
	rusty, err := d.snapshot("健身区 器材锈蚀")
	if err != nil {
		return err
	}
	if err := d.all(actorOf(worker, "grid_worker"),
		domain.SubmitProposal{ProposalID: pid, CommunityID: Yangguang, GridID: "yg-grid-1", Title: "健身区器材锈蚀，存在安全隐患",
			Text: "健身区的器材锈得厉害，有两件已经松动，老人孩子不敢用。", Category: "facilities", Place: "阳光社区中心健身区",
			Photos: []string{rusty}, Channel: domain.ChannelVisit, Author: partyOf(residents[0]), RecordedBy: worker.PersonID},
	); err != nil {
		return err
	}
	for _, r := range residents[1:] {
		if err := d.do(actorOf(r, "resident"), domain.SupportProposal{ProposalID: pid, PersonID: r.PersonID, Name: r.Name}); err != nil {
			return err
		}
	}
	d.later(3 * 24 * time.Hour)
	cmds := []domain.Command{
		domain.AcceptProposal{ProposalID: pid, Owner: partyOf(secretary), By: secretary.PersonID},
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: Yangguang, GridID: "yg-grid-1", Title: "健身区改造议事会", Place: "阳光社区党群服务中心",
			StartsAt: d.now.Add(5 * 24 * time.Hour), Format: domain.FormatCouncil, Facilitator: secretary},
		domain.AddAgendaItem{MeetingID: mid, ItemID: "item-1", Title: "健身区改造方案", ProposalID: pid},
	}
	if err := d.all(fac, cmds...); err != nil {
		return err
	}
	d.later(5 * 24 * time.Hour)
	cmds = []domain.Command{domain.OpenMeeting{MeetingID: mid}}
	for _, r := range residents {
		cmds = append(cmds, domain.RecordAttendance{MeetingID: mid, PersonID: r.PersonID, Name: r.Name, Attendance: domain.Present})
	}
	cmds = append(cmds,
		domain.RecordStatement{MeetingID: mid, ItemID: "item-1", Speaker: residents[2], Summary: "希望铺塑胶地面，增加适合老人的器材。"},
		domain.TableMotion{MeetingID: mid, MotionID: "motion-1", ItemID: "item-1", Text: "拆除旧器材，铺设塑胶地面，新装12件健身器材",
			Options: []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "不同意"}}, Rule: domain.Rule{Kind: domain.RuleTwoThirds, QuorumPercent: 60}},
		domain.OpenVoting{MeetingID: mid, MotionID: "motion-1", Electorate: residents},
	)
	if err := d.all(fac, cmds...); err != nil {
		return err
	}
	for i, r := range residents {
		choice := "yes"
		if i == 5 {
			choice = "no"
		}
		if err := d.do(actorOf(r, "resident"), domain.CastVote{MeetingID: mid, MotionID: "motion-1", VoterID: r.PersonID, CastBy: r.PersonID, OptionID: choice}); err != nil {
			return err
		}
	}
	if err := d.all(fac,
		domain.CloseVoting{MeetingID: mid, MotionID: "motion-1"},
		domain.AdjournMeeting{MeetingID: mid},
		domain.PublishMinutes{MeetingID: mid, Summary: "通过健身区改造方案。", ObjectionUntil: d.now.Add(5 * 24 * time.Hour)},
		domain.AssignAction{ActionID: aid, CommunityID: Yangguang, GridID: "yg-grid-1", ProposalID: pid, MeetingID: mid, MotionID: "motion-1",
			Title: "健身区改造", Owner: domain.Party{Kind: domain.PartyUnit, ID: "yg-builder", Name: "阳光社区改造施工单位"},
			Due: d.now.Add(40 * 24 * time.Hour), By: secretary.PersonID},
		domain.StartAction{ActionID: aid},
	); err != nil {
		return err
	}
	for _, pct := range []int{30, 70} {
		d.later(10 * 24 * time.Hour)
		if err := d.do(fac, domain.ReportProgress{ActionID: aid, Percent: pct, Note: fmt.Sprintf("施工进度%d%%", pct)}); err != nil {
			return err
		}
	}
	done, err := d.snapshot("健身区 改造完成")
	if err != nil {
		return err
	}
	if d.now.Before(time.Date(2026, 7, 10, 10, 0, 0, 0, time.UTC)) {
		d.now = time.Date(2026, 7, 10, 10, 0, 0, 0, time.UTC)
	}
	if err := d.do(fac, domain.CompleteAction{ActionID: aid, Evidence: []string{done}, Note: "7月完工，新装器材12件"}); err != nil {
		return err
	}
	d.later(2 * 24 * time.Hour)
	if err := d.do(actorOf(residents[0], "resident"), domain.VerifyAction{ActionID: aid, Verifier: residents[0], Satisfied: true}); err != nil {
		return err
	}
	return d.do(fac, domain.CloseProposal{ProposalID: pid, By: secretary.PersonID})
}

var (
	dzxWorker = person("dzx-w1", "冯晓东")
	dzxHead   = person("dzx-h1", "曹网格长")
	dzxReps   = []domain.Voter{person("dzx-r1", "彭秀珍"), person("dzx-r2", "曾国庆"), person("dzx-r3", "蒋丽娟"), person("dzx-r4", "蔡永刚"), person("dzx-r5", "贾淑芬")}
)

func (d *loader) dongzhongxuOrganisation() error {
	return d.all(ledger.Actor{ID: "dzx-admin", Role: "admin"},
		domain.RegisterCommunity{CommunityID: Dongzhongxu, Name: "东仲许社区", Kind: domain.CommunityUrban, Street: "武陟县龙源街道"},
		domain.CreateGrid{CommunityID: Dongzhongxu, GridID: "dzx-grid-1", Name: "东仲许第1网格", Kind: domain.GridResidential},
		domain.AppointGridHead{CommunityID: Dongzhongxu, GridID: "dzx-grid-1", PersonID: dzxHead.PersonID, Name: dzxHead.Name},
		domain.AssignGridWorker{CommunityID: Dongzhongxu, GridID: "dzx-grid-1", PersonID: dzxWorker.PersonID, Name: dzxWorker.Name, Employment: domain.FullTime},
		domain.RegisterPartner{CommunityID: Dongzhongxu, PartnerID: "dzx-heating", Name: "中站热力公司", Kind: domain.UnitHeatingCompany, Contact: "客服热线"},
		domain.RegisterPartner{CommunityID: Dongzhongxu, PartnerID: "dzx-developer", Name: "东仲许置业开发公司", Kind: domain.UnitDeveloper, Contact: "项目部"},
		domain.RegisterPartner{CommunityID: Dongzhongxu, PartnerID: "dzx-police", Name: "东仲许派出所", Kind: domain.UnitPoliceStation, Contact: "社区民警"},
	)
}

// heatingMeeting: a heating problem settled by a 议事会 of the heating
// company and resident representatives.
func (d *loader) heatingMeeting() error {
	pid, mid, aid := ID("dzx/heating"), ID("dzx/heating/meeting"), ID("dzx/heating/fix")
	fac := actorOf(dzxHead, "facilitator")
	heatingRep := domain.Voter{PersonID: "dzx-heating-rep", Name: "热力公司片区经理"}
	cmds := []domain.Command{
		domain.SubmitProposal{ProposalID: pid, CommunityID: Dongzhongxu, GridID: "dzx-grid-1", Title: "5号楼暖气不热",
			Text: "5号楼高层室温只有14度，反映多次没有解决。", Category: "heating", Place: "东仲许社区5号楼", Channel: domain.ChannelWindow, Author: partyOf(dzxReps[0])},
		domain.AcceptProposal{ProposalID: pid, Owner: partyOf(dzxHead), By: dzxHead.PersonID},
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: Dongzhongxu, GridID: "dzx-grid-1", Title: "供暖问题议事会", Place: "东仲许社区议事厅",
			StartsAt: d.now.Add(2 * 24 * time.Hour), Format: domain.FormatCouncil, Facilitator: dzxHead},
		domain.AddAgendaItem{MeetingID: mid, ItemID: "item-1", Title: "5号楼供暖不达标", ProposalID: pid},
		domain.InviteParticipant{MeetingID: mid, Participant: domain.Participant{PersonID: heatingRep.PersonID, Name: heatingRep.Name, Kind: domain.ParticipantUnit, PartnerID: "dzx-heating"}},
	}
	for _, r := range dzxReps {
		cmds = append(cmds, domain.InviteParticipant{MeetingID: mid, Participant: domain.Participant{PersonID: r.PersonID, Name: r.Name, Kind: domain.ParticipantRepresentative}})
	}
	if err := d.all(fac, cmds...); err != nil {
		return err
	}
	d.later(2 * 24 * time.Hour)
	cmds = []domain.Command{domain.OpenMeeting{MeetingID: mid}, domain.RecordAttendance{MeetingID: mid, PersonID: heatingRep.PersonID, Name: heatingRep.Name, Attendance: domain.Present}}
	for _, r := range dzxReps {
		cmds = append(cmds, domain.RecordAttendance{MeetingID: mid, PersonID: r.PersonID, Name: r.Name, Attendance: domain.Present})
	}
	cmds = append(cmds,
		domain.RecordStatement{MeetingID: mid, ItemID: "item-1", Speaker: dzxReps[0], Summary: "高层住户室温长期偏低，老人孩子受不了。"},
		domain.RecordStatement{MeetingID: mid, ItemID: "item-1", Speaker: heatingRep, Summary: "经检测为5号楼管网末端压力不足，可加装管道泵并清洗管网。"},
		domain.TableMotion{MeetingID: mid, MotionID: "motion-1", ItemID: "item-1", Text: "热力公司一周内为5号楼加装管道泵、清洗管网，完成后入户测温",
			Options: []domain.Option{{ID: "agree", Label: "按此方案办"}}, Rule: domain.Rule{Kind: domain.RuleConsensus}},
		domain.RecordConsensus{MeetingID: mid, MotionID: "motion-1", OptionID: "agree", Note: "热力公司与居民代表协商一致"},
		domain.AdjournMeeting{MeetingID: mid},
		domain.AssignAction{ActionID: aid, CommunityID: Dongzhongxu, GridID: "dzx-grid-1", ProposalID: pid, MeetingID: mid, MotionID: "motion-1",
			Title: "5号楼加装管道泵并清洗管网", Owner: domain.Party{Kind: domain.PartyUnit, ID: "dzx-heating", Name: "中站热力公司"}, Due: d.now.Add(7 * 24 * time.Hour), By: dzxHead.PersonID},
		domain.StartAction{ActionID: aid},
	)
	if err := d.all(fac, cmds...); err != nil {
		return err
	}
	d.later(5 * 24 * time.Hour)
	temp, err := d.snapshot("5号楼 入户测温 20度")
	if err != nil {
		return err
	}
	if err := d.do(fac, domain.CompleteAction{ActionID: aid, Evidence: []string{temp}, Note: "入户测温20度"}); err != nil {
		return err
	}
	d.later(24 * time.Hour)
	if err := d.do(actorOf(dzxReps[0], "resident"), domain.VerifyAction{ActionID: aid, Verifier: dzxReps[0], Satisfied: true}); err != nil {
		return err
	}
	return d.do(fac, domain.CloseProposal{ProposalID: pid, By: dzxHead.PersonID})
}

// developerDispute: a dispute with the developer settled in 3 days by
// mediation: several solutions offered, one agreed.
func (d *loader) developerDispute() error {
	pid, mid, aid := ID("dzx/developer"), ID("dzx/developer/mediation"), ID("dzx/developer/settle")
	fac := actorOf(dzxHead, "facilitator")
	d.later(10 * 24 * time.Hour)
	if err := d.all(fac,
		domain.SubmitProposal{ProposalID: pid, CommunityID: Dongzhongxu, GridID: "dzx-grid-1", Title: "开发商未按约定交付地下储藏室",
			Text: "12户业主的储藏室交付时面积缩水、渗水，与开发商多次交涉无果。", Category: "dispute", Place: "东仲许社区7号楼",
			Channel: domain.ChannelWindow, Author: partyOf(dzxReps[1])},
		domain.AcceptProposal{ProposalID: pid, Owner: partyOf(dzxHead), By: dzxHead.PersonID},
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: Dongzhongxu, GridID: "dzx-grid-1", Title: "储藏室纠纷调解会", Place: "东仲许社区调解室",
			StartsAt: d.now.Add(24 * time.Hour), Format: domain.FormatCouncil, Facilitator: dzxHead},
		domain.AddAgendaItem{MeetingID: mid, ItemID: "item-1", Title: "储藏室交付纠纷", ProposalID: pid},
	); err != nil {
		return err
	}
	d.later(24 * time.Hour)
	if err := d.all(fac,
		domain.OpenMeeting{MeetingID: mid},
		domain.RecordStatement{MeetingID: mid, ItemID: "item-1", Speaker: dzxReps[1], Summary: "要求开发商整改渗水并按缩水面积补偿。"},
		domain.OfferMediation{MeetingID: mid, MediationID: "mediation-1", ItemID: "item-1", Dispute: "地下储藏室交付纠纷",
			Parties: []domain.Party{partyOf(dzxReps[1]), {Kind: domain.PartyUnit, ID: "dzx-developer", Name: "东仲许置业开发公司"}},
			Options: []domain.Option{
				{ID: "repair", Label: "开发商30日内整改渗水，按缩水面积每平方米补偿800元"},
				{ID: "refund", Label: "开发商回购储藏室，全额退款"},
				{ID: "swap", Label: "置换为同楼层其他储藏室"},
			}},
	); err != nil {
		return err
	}
	d.later(2 * 24 * time.Hour) // settled on the third day
	return d.all(fac,
		domain.AgreeMediation{MeetingID: mid, MediationID: "mediation-1", OptionID: "repair", Note: "双方签署调解协议"},
		domain.AdjournMeeting{MeetingID: mid},
		domain.AssignAction{ActionID: aid, CommunityID: Dongzhongxu, GridID: "dzx-grid-1", ProposalID: pid, MeetingID: mid, MotionID: "mediation-1",
			Title: "储藏室整改并补偿", Owner: domain.Party{Kind: domain.PartyUnit, ID: "dzx-developer", Name: "东仲许置业开发公司"}, Due: d.now.Add(30 * 24 * time.Hour), By: dzxHead.PersonID},
	)
}

// riderReports: delivery riders report 飞线充电 (charging cables strung
// from windows) with the 随身拍 photo report; the grid worker handles them.
func (d *loader) riderReports() error {
	places := []string{"3号楼2单元北侧", "5号楼东山墙", "8号楼1单元", "2号楼南侧", "10号楼3单元"}
	for i, place := range places {
		rider := person(fmt.Sprintf("dzx-rider%d", i+1), fmt.Sprintf("骑手%c师傅", []rune("刘陈王赵孙")[i]))
		pid, aid := ID(fmt.Sprintf("dzx/wire/%d", i)), ID(fmt.Sprintf("dzx/wire/%d/fix", i))
		pic, err := d.snapshot("飞线充电 " + place)
		if err != nil {
			return err
		}
		d.later(time.Duration(3+i) * 24 * time.Hour)
		if err := d.do(actorOf(rider, "resident"), domain.SubmitProposal{ProposalID: pid, CommunityID: Dongzhongxu, GridID: "dzx-grid-1",
			Title: "飞线充电", Text: "送餐时看到电线从窗户拉下来给电动车充电，很危险。", Category: "safety", Place: place,
			Photos: []string{pic}, Channel: domain.ChannelPhotoReport, Author: partyOf(rider)}); err != nil {
			return err
		}
		if i == 4 {
			continue // just arrived, not yet triaged
		}
		fac := actorOf(dzxWorker, "facilitator")
		if err := d.all(fac,
			domain.HandleDirectly{ProposalID: pid, Handler: partyOf(dzxWorker), Note: "网格员入户劝导，引导到集中充电桩", By: dzxWorker.PersonID},
			domain.AssignAction{ActionID: aid, CommunityID: Dongzhongxu, GridID: "dzx-grid-1", ProposalID: pid, Title: "拆除飞线、引导集中充电",
				Owner: partyOf(dzxWorker), Due: d.now.Add(48 * time.Hour), By: dzxWorker.PersonID},
			domain.StartAction{ActionID: aid},
		); err != nil {
			return err
		}
		if i == 3 {
			continue
		}
		fixed, err := d.snapshot("飞线已拆除 " + place)
		if err != nil {
			return err
		}
		d.later(20 * time.Hour)
		if err := d.do(fac, domain.CompleteAction{ActionID: aid, Evidence: []string{fixed}}); err != nil {
			return err
		}
		if err := d.do(actorOf(rider, "resident"), domain.VerifyAction{ActionID: aid, Verifier: rider, Satisfied: true}); err != nil {
			return err
		}
		if err := d.do(fac, domain.CloseProposal{ProposalID: pid, By: dzxWorker.PersonID}); err != nil {
			return err
		}
	}
	return nil
}

// zilingVillages: 紫陵镇 has 92 grids (75 village grids, 17 dedicated),
// 43 grid heads, 75 full-time and 75 part-time grid workers.
func (d *loader) zilingVillages() error {
	admin := ledger.Actor{ID: "zl-admin", Role: "admin"}
	cmds := []domain.Command{domain.RegisterCommunity{CommunityID: Ziling, Name: "紫陵镇", Kind: domain.CommunityVillage, Street: ZilingStreet}}
	for _, u := range zilingUnits {
		cmds = append(cmds, domain.RegisterPartner{CommunityID: Ziling, PartnerID: u.PersonID, Name: u.Name, Kind: domain.UnitOther, Contact: u.Name + "值班电话"})
	}
	for g := 1; g <= 92; g++ {
		kind, name := domain.GridResidential, fmt.Sprintf("紫陵第%d村网格", g)
		switch {
		case g == zilingZhaozhai:
			name = "赵寨村网格"
		case g > 75:
			kind, name = domain.GridDedicated, fmt.Sprintf("紫陵第%d专属网格", g-75)
		}
		grid := zlGrid(g)
		cmds = append(cmds, domain.CreateGrid{CommunityID: Ziling, GridID: grid, Name: name, Kind: kind})
		if g <= 43 {
			cmds = append(cmds, domain.AppointGridHead{CommunityID: Ziling, GridID: grid, PersonID: zlHead(g).PersonID, Name: zlHead(g).Name})
		}
		if g <= 75 {
			cmds = append(cmds,
				domain.AssignGridWorker{CommunityID: Ziling, GridID: grid, PersonID: zlWorker(g).PersonID, Name: zlWorker(g).Name, Employment: domain.FullTime},
				domain.AssignGridWorker{CommunityID: Ziling, GridID: grid, PersonID: fmt.Sprintf("zl-p%d", g), Name: fmt.Sprintf("兼职网格员%d", g), Employment: domain.PartTime},
			)
		}
	}
	return d.all(admin, cmds...)
}

// The figures of 紫陵镇 the report gives and the demo reproduces.
const (
	// ZilingStreet is 紫陵镇 as a street office (街道/镇) names it.
	ZilingStreet = "沁阳市紫陵镇"
	// ZilingConvened is the 关键小事 solved by grid heads convening the
	// units concerned (解决村民各种诉求280多件).
	ZilingConvened = 280
	// ZilingClosedLoop is the problems 智慧赵寨 solved through its
	// 发现—处置—反馈 loop (累计解决群众反映的问题98件).
	ZilingClosedLoop = 98
	// zilingSpaces is the villages with a 议事空间 for 纳凉议事.
	zilingSpaces = 13
	// zilingZhaozhai is 赵寨村's grid.
	zilingZhaozhai = 14
	// zilingPerMeeting is the 关键小事 one 纳凉议事 settles.
	zilingPerMeeting = 10
)

// zilingUnits are the units grid heads convene, each speaking through
// one representative (the partner's id).
var zilingUnits = []domain.Voter{person("zl-power", "紫陵供电所"), person("zl-water", "镇自来水厂"), person("zl-roads", "镇村建办")}

func zlGrid(g int) string { return fmt.Sprintf("zl-grid-%d", g) }

func zlHead(g int) domain.Voter {
	return person(fmt.Sprintf("zl-h%d", g), fmt.Sprintf("网格长%d", g))
}

func zlWorker(g int) domain.Voter {
	return person(fmt.Sprintf("zl-f%d", g), fmt.Sprintf("专职网格员%d", g))
}

// zilingMatters are the kinds of 关键小事 grid workers collect.
var zilingMatters = []string{"村口路灯不亮", "灌溉渠堵塞", "村道坑洼", "垃圾清运不及时", "自来水压力小", "文化广场缺少照明", "桥头护栏损坏", "排水沟淤积", "电线老化", "井盖缺失"}

// zilingKeyMatters: grid workers collect 关键小事 on their visits; each is
// proposed, and the grid head convenes the units concerned at a 纳凉议事 in
// one of the 13 villages' 议事空间, where it is settled by consensus and
// then done (280 solved). 智慧赵寨's platform closes its own loop of found
// → handled → fed back without a meeting (98 solved). Two more are still
// being handled. Every item is a proposal with its action, the villager's
// verdict and its close, so the figures come out of the statistics. The
// items are independent of one another, so each step runs for all of them
// at once (the store commits concurrent writers together), which keeps the
// demo's start quick.
func (d *loader) zilingKeyMatters() error {
	evidence, err := d.snapshot("紫陵镇 关键小事 已办结")
	if err != nil {
		return err
	}
	meetings := ZilingConvened / zilingPerMeeting
	total := ZilingClosedLoop + 2 + ZilingConvened
	// grid is the grid of matter n: 赵寨's for the platform's, then ten for
	// each meeting's village.
	grid := func(n int) int {
		if n < ZilingClosedLoop+2 {
			return zilingZhaozhai
		}
		return meetingOf(n)%zilingSpaces + 1
	}
	pid := func(n int) string { return ID(fmt.Sprintf("zl/matter/%d", n)) }
	aid := func(n int) string { return ID(fmt.Sprintf("zl/matter/%d/fix", n)) }
	villager := func(n int) domain.Voter { return person(fmt.Sprintf("zl-v%d", n), fmt.Sprintf("村民%d", n+1)) }
	matter := func(n int) string { return zilingMatters[n%len(zilingMatters)] }
	title := func(n int) string { return fmt.Sprintf("%s（第%d件）", matter(n), n+1) }

	if err := d.parallel(total, func(n int) error {
		g := grid(n)
		name := title(n)
		channel, via := domain.ChannelVisit, "网格员走访收集的关键小事："
		if n < ZilingClosedLoop+2 {
			channel, via = domain.ChannelOnline, "“智慧赵寨”平台反映："
		}
		return d.do(actorOf(zlWorker(g), "grid_worker"), domain.SubmitProposal{ProposalID: pid(n), CommunityID: Ziling, GridID: zlGrid(g), Title: name,
			Text: via + name, Category: "village", Place: fmt.Sprintf("紫陵第%d村", g), Channel: channel,
			Author: partyOf(villager(n)), RecordedBy: zlWorker(g).PersonID})
	}); err != nil {
		return err
	}
	d.later(24 * time.Hour)
	// 智慧赵寨: handled directly by 赵寨's grid head.
	head := zlHead(zilingZhaozhai)
	if err := d.parallel(ZilingClosedLoop+2, func(n int) error {
		return d.seq(actorOf(head, "facilitator"),
			domain.HandleDirectly{ProposalID: pid(n), Handler: partyOf(head), Note: "网格长现场处置", By: head.PersonID},
			domain.AssignAction{ActionID: aid(n), CommunityID: Ziling, GridID: zlGrid(zilingZhaozhai), ProposalID: pid(n), Title: "处置：" + matter(n),
				Owner: partyOf(head), Due: d.now.Add(7 * 24 * time.Hour), By: head.PersonID},
			domain.StartAction{ActionID: aid(n)})
	}); err != nil {
		return err
	}
	// 纳凉议事: each meeting settles ten 关键小事 with one unit convened.
	if err := d.parallel(meetings, func(k int) error {
		g := k%zilingSpaces + 1
		head, unit := zlHead(g), zilingUnits[k%len(zilingUnits)]
		mid := ID(fmt.Sprintf("zl/space/%d", k))
		first := ZilingClosedLoop + 2 + k*zilingPerMeeting
		cmds := []domain.Command{
			domain.ScheduleMeeting{MeetingID: mid, CommunityID: Ziling, GridID: zlGrid(g), Title: fmt.Sprintf("第%d村议事空间纳凉议事", g),
				Place: fmt.Sprintf("紫陵第%d村议事空间", g), StartsAt: d.now, Format: domain.FormatSummerEvening, Facilitator: head},
			domain.InviteParticipant{MeetingID: mid, Participant: domain.Participant{PersonID: unit.PersonID, Name: unit.Name, Kind: domain.ParticipantUnit, PartnerID: unit.PersonID}},
		}
		for j := range zilingPerMeeting {
			cmds = append(cmds, domain.AcceptProposal{ProposalID: pid(first + j), Owner: partyOf(head), By: head.PersonID},
				domain.AddAgendaItem{MeetingID: mid, ItemID: fmt.Sprintf("item-%d", j+1), Title: title(first + j), ProposalID: pid(first + j)})
		}
		cmds = append(cmds, domain.OpenMeeting{MeetingID: mid},
			domain.RecordAttendance{MeetingID: mid, PersonID: unit.PersonID, Name: unit.Name, Attendance: domain.Present})
		for j := range zilingPerMeeting {
			cmds = append(cmds,
				domain.TableMotion{MeetingID: mid, MotionID: fmt.Sprintf("motion-%d", j+1), ItemID: fmt.Sprintf("item-%d", j+1), Text: unit.Name + "负责办理",
					Options: []domain.Option{{ID: "ok", Label: "同意"}}, Rule: domain.Rule{Kind: domain.RuleConsensus}},
				domain.RecordConsensus{MeetingID: mid, MotionID: fmt.Sprintf("motion-%d", j+1), OptionID: "ok"})
		}
		cmds = append(cmds, domain.AdjournMeeting{MeetingID: mid})
		for j := range zilingPerMeeting {
			n := first + j
			cmds = append(cmds, domain.AssignAction{ActionID: aid(n), CommunityID: Ziling, GridID: zlGrid(g), ProposalID: pid(n), MeetingID: mid,
				MotionID: fmt.Sprintf("motion-%d", j+1), Title: "办理：" + matter(n), Owner: domain.Party{Kind: domain.PartyUnit, ID: unit.PersonID, Name: unit.Name},
				Due: d.now.Add(14 * 24 * time.Hour), By: head.PersonID},
				domain.StartAction{ActionID: aid(n)})
		}
		return d.seq(actorOf(head, "facilitator"), cmds...)
	}); err != nil {
		return err
	}
	// Done, confirmed by the villager who raised it, closed: a fifth of
	// them every two days.
	var solved []int
	for n := range total {
		if n != ZilingClosedLoop && n != ZilingClosedLoop+1 {
			solved = append(solved, n)
		}
	}
	for chunk := range slices.Chunk(solved, (len(solved)+4)/5) {
		d.later(2 * 24 * time.Hour)
		if err := d.parallel(len(chunk), func(i int) error {
			n := chunk[i]
			head := zlHead(grid(n))
			if err := d.seq(actorOf(head, "facilitator"), domain.CompleteAction{ActionID: aid(n), Evidence: []string{evidence}}); err != nil {
				return err
			}
			if err := d.seq(actorOf(villager(n), "resident"), domain.VerifyAction{ActionID: aid(n), Verifier: villager(n), Satisfied: true}); err != nil {
				return err
			}
			return d.seq(actorOf(head, "facilitator"), domain.CloseProposal{ProposalID: pid(n), By: head.PersonID})
		}); err != nil {
			return err
		}
	}
	return nil
}

// meetingOf is the 纳凉议事 that settles convened matter n.
func meetingOf(n int) int { return (n - ZilingClosedLoop - 2) / zilingPerMeeting }
