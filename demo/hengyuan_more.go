package demo

import (
	"fmt"
	"time"

	"github.com/yishi-civic/yishi/domain"
)

// neighbourDinner: 邻里小饭桌 decided by consensus at a 纳凉议事 after
// consulting everyone, then run as a recurring action: 70+ dinners held.
func (d *loader) neighbourDinner() error {
	pid, mid, motion, aid := ID("hy/dinner"), ID("hy/dinner/meeting"), "motion-1", ID("hy/dinner/action")
	worker := hyWorkers[2]
	fac := actorOf(worker, "facilitator")
	d.later(5 * 24 * time.Hour)
	cmds := []domain.Command{
		domain.SubmitProposal{ProposalID: pid, CommunityID: Hengyuan, GridID: hyGrid(3), Title: "办一个邻里小饭桌",
			Text: "院里老人多，很多人一个人吃饭。能不能定期大家一起做饭吃饭，互相照应？", Category: "neighbourhood",
			Place: "网格之家", Channel: domain.ChannelVisit, Author: partyOf(hyResidents[1]), RecordedBy: worker.PersonID},
		domain.AcceptProposal{ProposalID: pid, Owner: partyOf(worker), By: worker.PersonID},
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: Hengyuan, GridID: hyGrid(3), Title: "邻里小饭桌纳凉议事", Place: "衡苑社区网格之家院内",
			StartsAt: d.now.Add(2 * 24 * time.Hour), Format: domain.FormatSummerEvening, Facilitator: worker},
		domain.AddAgendaItem{MeetingID: mid, ItemID: "item-1", Title: "邻里小饭桌怎么办", ProposalID: pid},
	}
	for _, r := range hyResidents[:8] {
		cmds = append(cmds, domain.InviteParticipant{MeetingID: mid, Participant: domain.Participant{PersonID: r.PersonID, Name: r.Name, Kind: domain.ParticipantResident}})
	}
	if err := d.all(fac, cmds...); err != nil {
		return err
	}
	d.later(2 * 24 * time.Hour)
	cmds = []domain.Command{domain.OpenMeeting{MeetingID: mid}}
	for _, r := range hyResidents[:8] {
		cmds = append(cmds, domain.RecordAttendance{MeetingID: mid, PersonID: r.PersonID, Name: r.Name, Attendance: domain.Present})
	}
	cmds = append(cmds,
		domain.RecordStatement{MeetingID: mid, ItemID: "item-1", Speaker: hyResidents[1], Summary: "提前报名，费用平摊，每家出一个拿手菜。"},
		domain.RecordStatement{MeetingID: mid, ItemID: "item-1", Speaker: hyResidents[5], Summary: "场地用网格之家的厨房，网格员帮忙统计人数。"},
		domain.TableMotion{MeetingID: mid, MotionID: motion, ItemID: "item-1", Text: "每周五晚在网格之家办邻里小饭桌：提前报名、费用平摊、人人动手",
			Options: []domain.Option{{ID: "weekly", Label: "每周五晚"}, {ID: "monthly", Label: "每月一次"}}, Rule: domain.Rule{Kind: domain.RuleConsensus}},
		domain.RecordConsensus{MeetingID: mid, MotionID: motion, OptionID: "weekly", Note: "征求各方意见，无人反对"},
		domain.AdjournMeeting{MeetingID: mid},
		domain.PublishMinutes{MeetingID: mid, Summary: "协商一致：每周五晚办邻里小饭桌，提前报名、费用平摊、人人动手。", ObjectionUntil: d.now.Add(3 * 24 * time.Hour)},
		domain.AssignAction{ActionID: aid, CommunityID: Hengyuan, GridID: hyGrid(3), ProposalID: pid, MeetingID: mid, MotionID: motion, Title: "邻里小饭桌",
			Owner: partyOf(worker), Due: d.now.Add(30 * 24 * time.Hour), Recurrence: "每周五晚", By: worker.PersonID},
		domain.StartAction{ActionID: aid},
	)
	if err := d.all(fac, cmds...); err != nil {
		return err
	}
	held := d.now
	for n := 1; n <= 72; n++ {
		held = held.Add(7 * 24 * time.Hour)
		if held.After(d.now.Add(120 * 24 * time.Hour)) {
			held = d.now.Add(time.Duration(n) * 24 * time.Hour) // catch up: the dinners became twice weekly
		}
		// Each dinner is recorded on its evening (an occurrence cannot be
		// dated in the future); the other stories go on from the loader's
		// own clock.
		saved := d.now
		d.now = held.Add(3 * time.Hour)
		err := d.do(fac, domain.RecordOccurrence{ActionID: aid, HeldOn: held, Participants: 12 + n%9, Note: fmt.Sprintf("第%d次邻里小饭桌", n)})
		d.now = saved
		if err != nil {
			return err
		}
	}
	return nil
}

// gridHomeTalks: 网格之家 hosted 6 policy talks this year and collected 24
// items of public opinion (收集社情民意24条).
func (d *loader) gridHomeTalks() error {
	topics := []string{"养老服务政策宣讲", "医保缴费政策解读", "垃圾分类新规", "防范电信诈骗", "老旧小区改造政策", "就业帮扶政策"}
	opinions := []struct{ title, category string }{
		{"楼道灯不亮", "facilities"}, {"希望增设休息座椅", "facilities"}, {"下水管道经常堵", "facilities"}, {"电动车乱停", "traffic"},
		{"希望开设老年食堂", "services"}, {"快递堆放在门口", "environment"}, {"绿化带有垃圾", "environment"}, {"希望增加义诊", "services"},
		{"广场舞音量太大", "neighbourhood"}, {"单元门禁损坏", "facilities"}, {"希望办书法班", "services"}, {"小区路面坑洼", "facilities"},
		{"流浪猫太多", "environment"}, {"希望安装充电桩", "facilities"}, {"楼顶漏水", "facilities"}, {"车棚照明不足", "facilities"},
		{"希望开展青少年暑期活动", "services"}, {"垃圾桶不够", "environment"}, {"外墙瓷砖脱落", "safety"}, {"消防通道被占", "safety"},
		{"希望增设健身器材", "facilities"}, {"树枝遮挡路灯", "environment"}, {"噪音扰民", "neighbourhood"}, {"希望开设智能手机课", "services"},
	}
	for i, topic := range topics {
		worker := hyWorkers[i%len(hyWorkers)]
		fac := actorOf(worker, "facilitator")
		mid := ID(fmt.Sprintf("hy/talk/%d", i))
		d.later(9 * 24 * time.Hour)
		if err := d.all(fac,
			domain.ScheduleMeeting{MeetingID: mid, CommunityID: Hengyuan, GridID: hyGrid(i%7 + 1), Title: topic, Place: "衡苑社区网格之家",
				StartsAt: d.now.Add(24 * time.Hour), Format: domain.FormatTalk, Facilitator: worker},
			domain.AddAgendaItem{MeetingID: mid, ItemID: "item-1", Title: topic},
		); err != nil {
			return err
		}
		d.later(24 * time.Hour)
		if err := d.do(fac, domain.OpenMeeting{MeetingID: mid}); err != nil {
			return err
		}
		for j := range 4 {
			n := i*4 + j
			op := opinions[n]
			author := hyResidents[n%len(hyResidents)]
			pid := ID(fmt.Sprintf("hy/opinion/%d", n))
			if err := d.all(fac,
				domain.SubmitProposal{ProposalID: pid, CommunityID: Hengyuan, GridID: hyGrid(n%7 + 1), Title: op.title, Text: op.title + "，在" + topic + "会上提出。",
					Category: op.category, Place: "衡苑社区", Channel: domain.ChannelMeeting, Author: partyOf(author), RecordedBy: worker.PersonID, MeetingID: mid},
			); err != nil {
				return err
			}
			if err := d.resolveOpinion(n, pid, op.title, worker); err != nil {
				return err
			}
		}
		if err := d.do(fac, domain.AdjournMeeting{MeetingID: mid}); err != nil {
			return err
		}
	}
	return nil
}

// gridHomeActivities: besides its talks, 网格之家 hosts activities: in
// April a dental clinic with the district Red Cross (义诊), free photos
// for residents of 55 and over (“留下美好时光，齐筑幸福晚年”), and the police
// station's safety lectures on pyramid schemes, illegal fund-raising and
// telephone fraud.
func (d *loader) gridHomeActivities() error {
	for i, title := range []string{"口腔义诊（区红十字会、口腔门诊）", "“留下美好时光，齐筑幸福晚年”老年人免费拍照", "安全知识讲座：远离传销和非法集资、识别电信诈骗"} {
		worker := hyWorkers[i%len(hyWorkers)]
		fac := actorOf(worker, "facilitator")
		mid := ID(fmt.Sprintf("hy/activity/%d", i))
		d.later(3 * 24 * time.Hour)
		cmds := []domain.Command{domain.ScheduleMeeting{MeetingID: mid, CommunityID: Hengyuan, GridID: hyGrid(1), Title: title, Place: "衡苑社区网格之家",
			StartsAt: d.now.Add(24 * time.Hour), Format: domain.FormatActivity, Facilitator: worker},
			domain.OpenMeeting{MeetingID: mid}, domain.AdjournMeeting{MeetingID: mid}}
		if err := d.all(fac, cmds...); err != nil {
			return err
		}
	}
	return nil
}

// resolveOpinion takes opinion n to one of the states real ledgers hold:
// most are handled and verified, some are in progress, one is rejected,
// one was not satisfactory and reopened.
func (d *loader) resolveOpinion(n int, pid, title string, worker domain.Voter) error {
	fac := actorOf(worker, "facilitator")
	owner := partyOf(worker)
	aid := ID(fmt.Sprintf("hy/opinion/%d/action", n))
	switch {
	case n == 8:
		return d.do(fac, domain.RejectProposal{ProposalID: pid, Reason: "属于邻里协商事项，已转交楼院自治小组协调", By: worker.PersonID})
	case n%6 == 5:
		return d.do(fac, domain.AcceptProposal{ProposalID: pid, Owner: owner, By: worker.PersonID}) // waiting for a meeting
	}
	if err := d.all(fac,
		domain.HandleDirectly{ProposalID: pid, Handler: owner, By: worker.PersonID},
		domain.AssignAction{ActionID: aid, CommunityID: Hengyuan, GridID: hyGrid(n%7 + 1), ProposalID: pid, Title: "处理：" + title, Owner: owner, Due: d.now.Add(10 * 24 * time.Hour), By: worker.PersonID},
		domain.StartAction{ActionID: aid},
	); err != nil {
		return err
	}
	if n%6 == 4 {
		return nil // still in progress
	}
	evidence, err := d.snapshot(fmt.Sprintf("意见%d 处理结果", n))
	if err != nil {
		return err
	}
	d.later(time.Duration(2+n%5) * 24 * time.Hour)
	if err := d.do(fac, domain.CompleteAction{ActionID: aid, Evidence: []string{evidence}}); err != nil {
		return err
	}
	author := hyResidents[n%len(hyResidents)]
	if n == 13 {
		// Not satisfied: the action and the proposal reopen.
		return d.do(actorOf(author, "resident"), domain.VerifyAction{ActionID: aid, Verifier: author, Satisfied: false, Reason: "只清理了一次，流浪猫还在楼道里"})
	}
	if err := d.do(actorOf(author, "resident"), domain.VerifyAction{ActionID: aid, Verifier: author, Satisfied: true}); err != nil {
		return err
	}
	return d.do(fac, domain.CloseProposal{ProposalID: pid, By: worker.PersonID})
}

// maintenanceFund: an owners' assembly of 衡苑东街3号院 decides under PRC
// Civil Code art. 278 to use the maintenance fund for the leaking roof.
// Using (使用) the fund is item (五), an ordinary matter since 2021: more
// than 1/2 of the participating area and heads, with at least 2/3 of both
// taking part. The register is the organisation's (hengyuanOrganisation),
// locked by the server when voting opens.
func (d *loader) maintenanceFund() error {
	mid, motion := ID("hy/owners/roof"), "motion-1"
	head := hyWorkers[0]
	fac := actorOf(head, "facilitator")
	// The owners as hengyuanOrganisation registered them, for attendance
	// and ballots.
	var electorate []domain.Voter
	seen := map[string]bool{}
	for i, u := range eastUnits() {
		if o := hyResidents[i%len(hyResidents)]; !seen[o.PersonID] {
			electorate = append(electorate, o)
			seen[o.PersonID] = true
		}
		if i%5 == 4 {
			electorate = append(electorate, person(fmt.Sprintf("hy-co%d", i), "共有人"+u.label))
		}
	}
	d.later(4 * 24 * time.Hour)
	cmds := []domain.Command{
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: Hengyuan, GridID: hyGrid(1), CompoundID: hyEastCompound, Title: "3号院业主大会：使用维修资金修缮屋面",
			Place: "衡苑东街3号院", StartsAt: d.now.Add(7 * 24 * time.Hour), Format: domain.FormatOwners, Facilitator: head},
		domain.AddAgendaItem{MeetingID: mid, ItemID: "item-1", Title: "动用专项维修资金修缮1、2号楼屋面防水"},
	}
	if err := d.all(fac, cmds...); err != nil {
		return err
	}
	d.later(7 * 24 * time.Hour)
	cmds = []domain.Command{domain.OpenMeeting{MeetingID: mid}}
	for i, v := range electorate {
		att := domain.Present
		if i%7 == 6 {
			att = domain.Absent
		}
		cmds = append(cmds, domain.RecordAttendance{MeetingID: mid, PersonID: v.PersonID, Name: v.Name, Attendance: att})
	}
	cmds = append(cmds,
		domain.TableMotion{MeetingID: mid, MotionID: motion, ItemID: "item-1", Text: "动用专项维修资金约8.6万元修缮1、2号楼屋面防水",
			Options: []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "反对"}}, Rule: domain.Rule{Kind: domain.RuleOwners, Matter: domain.MatterFundUse}},
		domain.OpenVoting{MeetingID: mid, MotionID: motion},
	)
	if err := d.all(fac, cmds...); err != nil {
		return err
	}
	for i, v := range electorate {
		if i%7 == 6 {
			continue
		}
		choice := "yes"
		if i%9 == 8 {
			choice = "no"
		}
		if err := d.do(actorOf(v, "resident"), domain.CastVote{MeetingID: mid, MotionID: motion, VoterID: v.PersonID, CastBy: v.PersonID, OptionID: choice}); err != nil {
			return err
		}
	}
	return d.all(fac,
		domain.CloseVoting{MeetingID: mid, MotionID: motion},
		domain.AdjournMeeting{MeetingID: mid},
		domain.PublishMinutes{MeetingID: mid, Summary: "业主大会表决动用专项维修资金修缮屋面，结果见公示。", ObjectionUntil: d.now.Add(7 * 24 * time.Hour)},
	)
}

// winterCouncil: the opinions of the talks still waiting for a meeting go
// on the agenda of 衡苑's first council of 2027, so that the board shows
// what comes next and the home page a meeting coming up. Its date is
// fixed, like every date of the demo.
func (d *loader) winterCouncil() error {
	mid := ID("hy/council/2027-01")
	worker := hyWorkers[4]
	fac := actorOf(worker, "facilitator")
	cmds := []domain.Command{
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: Hengyuan, GridID: hyGrid(6), Title: "衡苑社区2027年第一次居民议事会", Place: "衡苑社区网格之家",
			StartsAt: time.Date(2027, 1, 16, 1, 30, 0, 0, time.UTC), Format: domain.FormatCouncil, Facilitator: worker},
	}
	for i, op := range []struct {
		n     int
		title string
	}{{5, "快递堆放在单元门口怎么办"}, {11, "小区路面坑洼的修补"}, {23, "开设老年人智能手机课"}} {
		cmds = append(cmds, domain.AddAgendaItem{MeetingID: mid, ItemID: fmt.Sprintf("item-%d", i+1), Title: op.title, ProposalID: ID(fmt.Sprintf("hy/opinion/%d", op.n))})
	}
	return d.all(fac, cmds...)
}
