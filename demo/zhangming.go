package demo

import (
	"time"

	"github.com/yishi-civic/yishi/domain"
)

// zhangMingTakesPart leaves the printed demo resident 张明 something to
// do without a facilitator: his report of a dark stairwell was handled,
// the light replaced and the work completed, waiting for his verdict; and
// a 楼院 meeting on the west courtyard's bins has voting open with him in
// the electorate.
func (d *loader) zhangMingTakesPart() error {
	pid, aid := ID("hy/stairwell-light"), ID("hy/stairwell-light/replace")
	mid, item, motion := ID("hy/bins/meeting"), "item-1", "motion-1"
	zhang, worker, head := hyResidents[2], hyWorkers[0], hyWorkers[1]
	d.later(24 * time.Hour)
	if err := d.do(actorOf(zhang, "resident"), domain.SubmitProposal{ProposalID: pid, CommunityID: Hengyuan, GridID: hyGrid(2), CompoundID: hyWestCompound,
		Title: "2号楼楼道灯不亮", Text: "2号楼三单元楼道灯坏了一个多星期，晚上上下楼看不见台阶。",
		Category: "facilities", Place: "衡苑西院2号楼三单元", Channel: domain.ChannelOnline, Author: partyOf(zhang)}); err != nil {
		return err
	}
	d.later(5 * time.Hour)
	if err := d.all(actorOf(worker, "facilitator"),
		domain.HandleDirectly{ProposalID: pid, Handler: partyOf(worker), Note: "网格员联系物业电工更换", By: worker.PersonID},
		domain.AssignAction{ActionID: aid, CommunityID: Hengyuan, GridID: hyGrid(2), ProposalID: pid, Title: "更换2号楼三单元楼道灯",
			Owner: partyOf(worker), Due: d.now.Add(48 * time.Hour), By: worker.PersonID},
		domain.StartAction{ActionID: aid},
	); err != nil {
		return err
	}
	d.later(20 * time.Hour)
	lit, err := d.snapshot("2号楼 楼道灯已更换")
	if err != nil {
		return err
	}
	if err := d.do(actorOf(worker, "grid_worker"), domain.CompleteAction{ActionID: aid, Evidence: []string{lit}, Note: "已换成声控LED灯"}); err != nil {
		return err
	}
	electorate := hyResidents[:8]
	cmds := []domain.Command{
		domain.ScheduleMeeting{MeetingID: mid, CommunityID: Hengyuan, GridID: hyGrid(2), CompoundID: hyWestCompound, Title: "西院垃圾桶位置楼院议事",
			Place: "衡苑西院小广场", StartsAt: d.now.Add(2 * time.Hour), Format: domain.FormatCourtyard, Facilitator: head},
		domain.AddAgendaItem{MeetingID: mid, ItemID: item, Title: "垃圾桶挪到北侧空地"},
	}
	for _, r := range electorate {
		cmds = append(cmds, domain.InviteParticipant{MeetingID: mid, Participant: domain.Participant{PersonID: r.PersonID, Name: r.Name, Kind: domain.ParticipantResident}})
	}
	if err := d.all(actorOf(head, "facilitator"), cmds...); err != nil {
		return err
	}
	d.later(2 * time.Hour)
	cmds = []domain.Command{domain.OpenMeeting{MeetingID: mid}}
	for _, r := range electorate {
		cmds = append(cmds, domain.RecordAttendance{MeetingID: mid, PersonID: r.PersonID, Name: r.Name, Attendance: domain.Present})
	}
	cmds = append(cmds,
		domain.RecordStatement{MeetingID: mid, ItemID: item, Speaker: head, Summary: "垃圾桶现在紧挨2号楼窗户，夏天气味大，建议挪到北侧空地。"},
		domain.TableMotion{MeetingID: mid, MotionID: motion, ItemID: item, Text: "西院垃圾桶挪到北侧空地",
			Options: []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "不同意"}}, Rule: domain.Rule{Kind: domain.RuleSimpleMajority, QuorumPercent: 50}},
		domain.OpenVoting{MeetingID: mid, MotionID: motion, Electorate: electorate},
	)
	if err := d.all(actorOf(head, "facilitator"), cmds...); err != nil {
		return err
	}
	// Some have voted; 张明 has not.
	for _, r := range electorate[4:7] {
		if err := d.do(actorOf(r, "resident"), domain.CastVote{MeetingID: mid, MotionID: motion, VoterID: r.PersonID, CastBy: r.PersonID, OptionID: "yes"}); err != nil {
			return err
		}
		d.later(time.Minute)
	}
	return nil
}
