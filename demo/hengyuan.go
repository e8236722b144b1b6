package demo

import (
	"fmt"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/ledger"
)

// People of 衡苑社区 the stories need.
var (
	hyAdmin   = ledger.Actor{ID: "hy-admin", Role: "admin"}
	hyWorkers = []domain.Voter{
		person("hy-w1", "王芳"), person("hy-w2", "赵磊"), person("hy-w3", "孙丽"), person("hy-w4", "周强"),
		person("hy-w5", "吴静"), person("hy-w6", "郑伟"), person("hy-w7", "陈敏"),
	}
	hyResidents = []domain.Voter{
		person("hy-r1", "米秀兰"), person("hy-r2", "徐建国"), person("hy-r3", "张明"), person("hy-r4", "李华"),
		person("hy-r5", "杨洁"), person("hy-r6", "黄涛"), person("hy-r7", "朱红"), person("hy-r8", "马超"),
		person("hy-r9", "胡玲"), person("hy-r10", "郭勇"), person("hy-r11", "何平"), person("hy-r12", "高峰"),
	}
)

func person(id, name string) domain.Voter { return domain.Voter{PersonID: id, Name: name} }

func actorOf(v domain.Voter, role string) ledger.Actor {
	return ledger.Actor{ID: v.PersonID, Role: role}
}

func partyOf(v domain.Voter) domain.Party {
	return domain.Party{Kind: domain.PartyPerson, ID: v.PersonID, Name: v.Name}
}

func hyGrid(n int) string { return fmt.Sprintf("hy-grid-%d", n) }

// Compounds of 衡苑社区.
const (
	hyEastCompound = "hy-east-3"
	hyWestCompound = "hy-west-yard"
	hyProperty     = "hy-property"
	hyPainter      = "hy-line-crew"
)

func (d *loader) hengyuanOrganisation() error {
	cmds := []domain.Command{
		domain.RegisterCommunity{CommunityID: Hengyuan, Name: "衡苑社区", Kind: domain.CommunityUrban, Street: "中站区李封街道"},
	}
	for i := 1; i <= 7; i++ {
		w := hyWorkers[i-1]
		cmds = append(cmds,
			domain.CreateGrid{CommunityID: Hengyuan, GridID: hyGrid(i), Name: fmt.Sprintf("衡苑第%d网格", i), Kind: domain.GridResidential},
			domain.AppointGridHead{CommunityID: Hengyuan, GridID: hyGrid(i), PersonID: w.PersonID, Name: w.Name},
			domain.AssignGridWorker{CommunityID: Hengyuan, GridID: hyGrid(i), PersonID: w.PersonID, Name: w.Name, Employment: domain.FullTime},
		)
	}
	cmds = append(cmds,
		domain.RegisterCompound{CommunityID: Hengyuan, CompoundID: hyEastCompound, GridID: hyGrid(1), Name: "衡苑东街3号院"},
		domain.RegisterCompound{CommunityID: Hengyuan, CompoundID: hyWestCompound, GridID: hyGrid(2), Name: "衡苑西院"},
		domain.RegisterPartner{CommunityID: Hengyuan, PartnerID: hyProperty, Name: "衡苑物业服务中心", Kind: domain.UnitPropertyManagement, Contact: "物业前台"},
		domain.RegisterPartner{CommunityID: Hengyuan, PartnerID: hyPainter, Name: "焦作标线施工队", Kind: domain.UnitContractor, Contact: "施工负责人"},
	)
	for i, u := range eastUnits() {
		owners := []domain.Voter{hyResidents[i%len(hyResidents)]}
		if i%5 == 4 { // some flats have two co-owners
			owners = append(owners, person(fmt.Sprintf("hy-co%d", i), "共有人"+u.label))
		}
		cmds = append(cmds, domain.RegisterUnit{CommunityID: Hengyuan, CompoundID: hyEastCompound, UnitID: u.id, Label: u.label, AreaDM2: u.area, Owners: owners})
	}
	return d.all(hyAdmin, cmds...)
}

type unit struct {
	id, label string
	area      int64
}

// eastUnits is the register of 衡苑东街3号院: 2 buildings × 3 floors × 2
// flats, 68-112 m².
func eastUnits() []unit {
	var out []unit
	for b := 1; b <= 2; b++ {
		for f := 1; f <= 3; f++ {
			for n := 1; n <= 2; n++ {
				area := int64(6800 + (b*7+f*13+n*11)%45*100)
				out = append(out, unit{id: fmt.Sprintf("hy-e3-%d-%d0%d", b, f, n), label: fmt.Sprintf("%d号楼%d0%d", b, f, n), area: area})
			}
		}
	}
	return out
}

// bicycleShed: residents report junk in the bicycle shed's passage at a
// 楼院 deliberation; the grid worker and volunteers clear it at once.
func (d *loader) bicycleShed() error {
	pid, aid := ID("hy/bicycle-shed"), ID("hy/bicycle-shed/clear")
	worker, reporter := hyWorkers[0], hyResidents[0]
	if err := d.all(actorOf(worker, "grid_worker"),
		domain.SubmitProposal{ProposalID: pid, CommunityID: Hengyuan, GridID: hyGrid(1), CompoundID: hyEastCompound,
			Title: "停车棚夹道乱堆乱放", Text: "自行车棚旁边的夹道堆满了旧家具和纸箱，推车进出很难，也有火灾隐患。",
			Category: "environment", Place: "衡苑东街3号院自行车棚夹道", Channel: domain.ChannelMeeting,
			Author: partyOf(reporter), RecordedBy: worker.PersonID},
	); err != nil {
		return err
	}
	for _, r := range hyResidents[1:4] {
		if err := d.do(actorOf(r, "resident"), domain.SupportProposal{ProposalID: pid, PersonID: r.PersonID, Name: r.Name}); err != nil {
			return err
		}
	}
	d.later(20 * time.Hour)
	if err := d.all(actorOf(worker, "facilitator"),
		domain.HandleDirectly{ProposalID: pid, Handler: partyOf(worker), Note: "组织网格员和志愿者集中清理", By: worker.PersonID},
		domain.AssignAction{ActionID: aid, CommunityID: Hengyuan, GridID: hyGrid(1), ProposalID: pid, Title: "清理停车棚夹道",
			Description: "网格员带领“小红李”环境卫生服务队清运杂物，与住户确认无主物品后处理。",
			Owner:       domain.Party{Kind: domain.PartyTeam, ID: hyTeams[2].id, Name: hyTeams[2].name}, Due: d.now.Add(72 * time.Hour), By: worker.PersonID},
	); err != nil {
		return err
	}
	// The team's volunteers in the grid accept (接单) the cleanup.
	for _, v := range hyVolunteers[:3] {
		if err := d.do(actorOf(v.who, "resident"), domain.AcceptAction{ActionID: aid, Volunteer: v.who}); err != nil {
			return err
		}
		d.later(10 * time.Minute)
	}
	if err := d.do(actorOf(worker, "grid_worker"), domain.StartAction{ActionID: aid}); err != nil {
		return err
	}
	d.later(26 * time.Hour)
	before, err := d.snapshot("车棚夹道 清理中")
	if err != nil {
		return err
	}
	after, err := d.snapshot("车棚夹道 清理后")
	if err != nil {
		return err
	}
	if err := d.all(actorOf(worker, "grid_worker"),
		domain.ReportProgress{ActionID: aid, Percent: 60, Note: "已清运两车杂物", Photos: []string{before}},
	); err != nil {
		return err
	}
	d.later(20 * time.Hour)
	if err := d.all(actorOf(worker, "grid_worker"),
		domain.CompleteAction{ActionID: aid, Evidence: []string{after}, Note: "夹道已清空，划出自行车停放区"},
	); err != nil {
		return err
	}
	d.later(30 * time.Hour)
	if err := d.do(actorOf(reporter, "resident"), domain.VerifyAction{ActionID: aid, Verifier: reporter, Satisfied: true}); err != nil {
		return err
	}
	d.later(time.Hour)
	return d.do(actorOf(worker, "facilitator"), domain.CloseProposal{ProposalID: pid, Note: "居民验收满意", By: worker.PersonID})
}

// parkingLines: narrow roads and scraped cars; the grid head inspects, a
// 楼院 meeting votes to repaint the parking lines, a contractor repaints
// them and residents confirm.
func (d *loader) parkingLines() error {
	pid, mid, item, motion, aid := ID("hy/parking"), ID("hy/parking/meeting"), "item-1", "motion-1", ID("hy/parking/repaint")
	head := hyWorkers[1]
	fac := actorOf(head, "facilitator")
	author := hyResidents[4]
	d.later(10 * 24 * time.Hour)
	road, err := d.snapshot("西院主路 两侧停车")
	if err != nil {
		return err
	}
	if err := d.do(actorOf(author, "resident"), domain.SubmitProposal{ProposalID: pid, CommunityID: Hengyuan, GridID: hyGrid(2), CompoundID: hyWestCompound,
		Title: "院内道路窄，车辆经常剐蹭", Text: "西院主路两边都停车，会车困难，上个月有三辆车被剐蹭。希望重新规划停车位。",
		Category: "traffic", Place: "衡苑西院主路", Channel: domain.ChannelOnline, Photos: []string{road}, Author: partyOf(author)}); err != nil {
		return err
	}
	for _, r := range hyResidents[5:9] {
		if err := d.do(actorOf(r, "resident"), domain.SupportProposal{ProposalID: pid, PersonID: r.PersonID, Name: r.Name}); err != nil {
			return err
		}
	}
	d.later(24 * time.Hour)
	electorate := hyResidents[2:12]
	cmds := []domain.Command{
		domain.AcceptProposal{ProposalID: pid, Owner: partyOf(head), Note: "网格长已实地查看", By: head.PersonID},
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: Hengyuan, GridID: hyGrid(2), CompoundID: hyWestCompound, Title: "西院停车秩序楼院议事",
			Place: "衡苑西院小广场", StartsAt: d.now.Add(3 * 24 * time.Hour), Format: domain.FormatCourtyard, Facilitator: head},
		domain.AddAgendaItem{MeetingID: mid, ItemID: item, Title: "重新划定停车位", ProposalID: pid},
		domain.InviteParticipant{MeetingID: mid, Participant: domain.Participant{PersonID: "hy-prop-rep", Name: "物业经理", Kind: domain.ParticipantUnit, PartnerID: hyProperty}},
	}
	for _, r := range electorate {
		cmds = append(cmds, domain.InviteParticipant{MeetingID: mid, Participant: domain.Participant{PersonID: r.PersonID, Name: r.Name, Kind: domain.ParticipantResident}})
	}
	if err := d.all(fac, cmds...); err != nil {
		return err
	}
	d.later(3 * 24 * time.Hour)
	cmds = []domain.Command{domain.OpenMeeting{MeetingID: mid}}
	for i, r := range electorate {
		switch {
		case i == 8:
			cmds = append(cmds, domain.RecordAttendance{MeetingID: mid, PersonID: r.PersonID, Name: r.Name, Attendance: domain.Proxy, HolderID: electorate[0].PersonID, Authority: "书面委托书"})
		case i == 9:
			cmds = append(cmds, domain.RecordAttendance{MeetingID: mid, PersonID: r.PersonID, Name: r.Name, Attendance: domain.Absent})
		default:
			cmds = append(cmds, domain.RecordAttendance{MeetingID: mid, PersonID: r.PersonID, Name: r.Name, Attendance: domain.Present})
		}
	}
	cmds = append(cmds,
		domain.RecordStatement{MeetingID: mid, ItemID: item, Speaker: head, Summary: "实地查看后建议主路单侧停车，另在北侧空地划12个车位。"},
		domain.RecordStatement{MeetingID: mid, ItemID: item, Speaker: electorate[1], Summary: "同意单侧停车，希望给电动车也留出位置。"},
		domain.RecordStatement{MeetingID: mid, ItemID: item, Speaker: domain.Voter{PersonID: "hy-prop-rep", Name: "物业经理"}, Summary: "物业负责联系施工队并承担划线费用。"},
		domain.TableMotion{MeetingID: mid, MotionID: motion, ItemID: item, Text: "主路改为单侧停车，北侧空地重新划线12个车位",
			Options: []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "不同意"}}, Rule: domain.Rule{Kind: domain.RuleSimpleMajority, QuorumPercent: 50}},
		domain.OpenVoting{MeetingID: mid, MotionID: motion, Electorate: electorate},
	)
	if err := d.all(fac, cmds...); err != nil {
		return err
	}
	for i, r := range electorate[:9] {
		choice, castBy := "yes", r.PersonID
		if i == 3 || i == 6 {
			choice = "no"
		}
		if i == 8 {
			castBy = electorate[0].PersonID // the proxy holder votes
		}
		if err := d.do(ledger.Actor{ID: castBy, Role: "resident"}, domain.CastVote{MeetingID: mid, MotionID: motion, VoterID: r.PersonID, CastBy: castBy, OptionID: choice}); err != nil {
			return err
		}
		d.later(time.Minute)
	}
	// One resident changes her mind while voting is open.
	if err := d.do(actorOf(electorate[6], "resident"), domain.CastVote{MeetingID: mid, MotionID: motion, VoterID: electorate[6].PersonID, CastBy: electorate[6].PersonID, OptionID: "yes"}); err != nil {
		return err
	}
	if err := d.all(fac,
		domain.CloseVoting{MeetingID: mid, MotionID: motion},
		domain.AdjournMeeting{MeetingID: mid, Note: "议事完毕"},
		domain.PublishMinutes{MeetingID: mid, Summary: "表决通过：主路单侧停车，北侧空地划线12个车位，物业负责实施。", ObjectionUntil: d.now.Add(5 * 24 * time.Hour)},
		domain.AssignAction{ActionID: aid, CommunityID: Hengyuan, GridID: hyGrid(2), ProposalID: pid, MeetingID: mid, MotionID: motion,
			Title: "西院重新划线", Owner: domain.Party{Kind: domain.PartyUnit, ID: hyPainter, Name: "焦作标线施工队"}, Due: d.now.Add(14 * 24 * time.Hour), By: head.PersonID},
	); err != nil {
		return err
	}
	d.later(6 * 24 * time.Hour)
	halfway, err := d.snapshot("西院 单侧禁停线")
	if err != nil {
		return err
	}
	lines, err := d.snapshot("西院 新划停车线")
	if err != nil {
		return err
	}
	if err := d.all(fac,
		domain.StartAction{ActionID: aid},
		domain.ReportProgress{ActionID: aid, Percent: 50, Note: "主路单侧禁停线已划", Photos: []string{halfway}},
	); err != nil {
		return err
	}
	d.later(2 * 24 * time.Hour)
	if err := d.all(fac, domain.CompleteAction{ActionID: aid, Evidence: []string{lines}, Note: "12个车位划线完成，网格长引导居民规范停车"}); err != nil {
		return err
	}
	d.later(3 * 24 * time.Hour)
	if err := d.do(actorOf(author, "resident"), domain.VerifyAction{ActionID: aid, Verifier: author, Satisfied: true}); err != nil {
		return err
	}
	return d.do(fac, domain.CloseProposal{ProposalID: pid, Note: "划线完成，居民满意", By: head.PersonID})
}
