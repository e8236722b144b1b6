package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// decideMeeting decides a meeting command: one function per command,
// below in the order of a meeting's phases (preparing, in the room,
// motions and consensus, voting, mediation, after the meeting).
func decideMeeting(s MeetingState, cmd Command, now time.Time) ([]Event, error) {
	if c, ok := cmd.(ScheduleMeeting); ok {
		return scheduleMeeting(s, c, now)
	}
	if !s.Exists {
		return nil, refuse(CodeNotFound, "meeting_not_found", "there is no such meeting", "没有这次会议")
	}
	switch c := cmd.(type) {
	case AddAgendaItem:
		return addAgendaItem(s, c, now)
	case InviteParticipant:
		return inviteParticipant(s, c, now)
	case OpenMeeting:
		return openMeeting(s, now)
	case RecordAttendance:
		return recordAttendance(s, c, now)
	case RecordStatement:
		return recordStatement(s, c, now)
	case TableMotion:
		return tableMotion(s, c, now)
	case AmendMotion:
		return amendMotion(s, c, now)
	case RaiseMotionObjection:
		return raiseMotionObjection(s, c, now)
	case WithdrawMotionObjection:
		return withdrawMotionObjection(s, c, now)
	case RecordConsensus:
		return recordConsensus(s, c, now)
	case OpenVoting:
		return openVoting(s, c, now)
	case CastVote:
		return castVote(s, c, now)
	case RecordBallots:
		return recordBallots(s, c, now)
	case CloseVoting:
		return closeVoting(s, c, now)
	case OfferMediation:
		return offerMediation(s, c, now)
	case AgreeMediation:
		return agreeMediation(s, c, now)
	case AdjournMeeting:
		return adjournMeeting(s, c, now)
	case DraftMinutes:
		return draftMinutes(s, c, now)
	case PublishMinutes:
		return publishMinutes(s, c, now)
	case ObjectToMinutes:
		return objectToMinutes(s, c, now)
	}
	return nil, unknownCommand(cmd)
}

// Preparing: schedule, agenda, invitations, opening.

// scheduleMeeting decides a ScheduleMeeting. That an owners' assembly's
// compound lies in the meeting's grid is checked by the application layer,
// which reads the organisation.
func scheduleMeeting(s MeetingState, c ScheduleMeeting, now time.Time) ([]Event, error) {
	if s.Exists {
		return nil, refuse(CodeConflict, "meeting_exists", "this meeting was already scheduled", "该会议已经安排过")
	}
	if err := firstError(id("meeting_id", c.MeetingID), id("community_id", c.CommunityID), id("grid_id", c.GridID), optionalID("compound_id", c.CompoundID),
		text("title", "the title", "会议名称", c.Title, maxShort), text("place", "the place", "地点", c.Place, maxShort),
		instant("starts_at", "the start time", "开始时间", c.StartsAt),
		oneOf("format", c.Format, FormatCourtyard, FormatSummerEvening, FormatCouncil, FormatOwners, FormatTalk, FormatActivity), voter("facilitator", c.Facilitator)); err != nil {
		return nil, err
	}
	if c.Format == FormatOwners && c.CompoundID == "" {
		return nil, invalid("compound_id", "compound_required", "an owners' assembly belongs to one compound", "业主大会须写明楼院/小区")
	}
	return []Event{MeetingScheduled{MeetingID: c.MeetingID, CommunityID: c.CommunityID, GridID: c.GridID, CompoundID: c.CompoundID,
		Title: c.Title, Place: c.Place, StartsAt: c.StartsAt, Format: c.Format, Facilitator: c.Facilitator, At: now}}, nil
}

// addAgendaItem decides an AddAgendaItem.
func addAgendaItem(s MeetingState, c AddAgendaItem, now time.Time) ([]Event, error) {
	if err := firstError(id("item_id", c.ItemID), text("title", "the item's title", "议程项标题", c.Title, maxShort), optionalID("proposal_id", c.ProposalID),
		s.meetingIn("add an agenda item", "增加议程", StatusScheduled, StatusOpen)); err != nil {
		return nil, err
	}
	if _, ok := s.item(c.ItemID); ok {
		return nil, refuse(CodeConflict, "item_exists", "this agenda item already exists", "该议程项已经存在")
	}
	return []Event{AgendaItemAdded{MeetingID: s.MeetingID, ItemID: c.ItemID, Title: c.Title, ProposalID: c.ProposalID, MeetingTitle: s.Title, StartsAt: s.StartsAt, At: now}}, nil
}

// inviteParticipant decides an InviteParticipant.
func inviteParticipant(s MeetingState, c InviteParticipant, now time.Time) ([]Event, error) {
	p := c.Participant
	if err := firstError(voter("participant", Voter{PersonID: p.PersonID, Name: p.Name}),
		oneOf("participant.kind", p.Kind, ParticipantResident, ParticipantRepresentative, ParticipantUnit, ParticipantOfficial),
		optionalID("participant.partner_id", p.PartnerID), s.meetingIn("invite", "邀请参会人", StatusScheduled, StatusOpen)); err != nil {
		return nil, err
	}
	if p.Kind == ParticipantUnit && p.PartnerID == "" {
		return nil, invalid("participant.partner_id", "partner_required", "a unit's representative names the unit", "单位代表须写明所属单位")
	}
	for _, q := range s.Participants {
		if q.PersonID == p.PersonID {
			return nil, refuse(CodeConflict, "already_invited", p.Name+" is already invited", p.Name+" 已经在邀请名单中")
		}
	}
	return []Event{ParticipantInvited{MeetingID: s.MeetingID, Participant: p, At: now}}, nil
}

// openMeeting decides an OpenMeeting.
func openMeeting(s MeetingState, now time.Time) ([]Event, error) {
	if err := firstError(s.meetingIn("open the meeting", "开会", StatusScheduled)); err != nil {
		return nil, err
	}
	return []Event{MeetingOpened{MeetingID: s.MeetingID, At: now}}, nil
}

// In the room: attendance and statements.

// recordAttendance decides a RecordAttendance.
func recordAttendance(s MeetingState, c RecordAttendance, now time.Time) ([]Event, error) {
	if err := firstError(voter("person", Voter{PersonID: c.PersonID, Name: c.Name}), oneOf("attendance", c.Attendance, Present, Absent, Proxy),
		s.meetingIn("record attendance", "登记出席", StatusOpen)); err != nil {
		return nil, err
	}
	if c.Attendance == Proxy {
		if err := firstError(id("holder_id", c.HolderID), text("authority", "the proxy's written authority", "授权委托书", c.Authority, maxShort)); err != nil {
			return nil, err
		}
		if c.HolderID == c.PersonID {
			return nil, invalid("holder_id", "proxy_for_self", "a person cannot hold their own proxy", "不能委托自己")
		}
		if s.Attendance[c.HolderID].Attendance != Present {
			return nil, refuse(CodeConflict, "proxy_holder_not_present", "the proxy holder must be recorded present first", "受托人须先登记为出席")
		}
	} else if c.HolderID != "" || c.Authority != "" {
		return nil, invalid("holder_id", "holder_without_proxy", "a proxy holder is named only for attendance by proxy", "只有委托出席才填写受托人")
	}
	if prev, ok := s.Attendance[c.PersonID]; ok && prev.Attendance == c.Attendance && prev.HolderID == c.HolderID && prev.Authority == c.Authority {
		return nil, refuse(CodeConflict, "attendance_unchanged", c.Name+"'s attendance is already recorded as "+c.Attendance, c.Name+" 的出席情况已登记，没有变化")
	}
	return []Event{AttendanceRecorded{MeetingID: s.MeetingID, PersonID: c.PersonID, Name: c.Name, Attendance: c.Attendance, HolderID: c.HolderID, Authority: c.Authority, At: now}}, nil
}

// recordStatement decides a RecordStatement.
func recordStatement(s MeetingState, c RecordStatement, now time.Time) ([]Event, error) {
	if err := firstError(id("item_id", c.ItemID), voter("speaker", c.Speaker), text("summary", "the summary", "发言摘要", c.Summary, maxLong),
		s.meetingIn("record a statement", "记录发言", StatusOpen)); err != nil {
		return nil, err
	}
	if _, ok := s.item(c.ItemID); !ok {
		return nil, errItemNotFound
	}
	return []Event{StatementRecorded{MeetingID: s.MeetingID, ItemID: c.ItemID, Speaker: c.Speaker, Summary: c.Summary, At: now}}, nil
}

// present reports whether the person is recorded present in the room.
func (s *MeetingState) present(personID string) bool {
	return s.Attendance[personID].Attendance == Present
}

// anyonePresent reports whether anybody is recorded present.
func (s *MeetingState) anyonePresent() bool {
	for _, a := range s.Attendance {
		if a.Attendance == Present {
			return true
		}
	}
	return false
}

// recordedFor checks who records something said or done in the room for
// another person: nobody (the person acts through their own token), or
// staff saying how they learnt it. A spoken record needs the person in
// the room.
func (s *MeetingState) recordedFor(personID, recordedBy, how string) *Error {
	if recordedBy == "" {
		if how != "" {
			return invalid("how", "how_without_recorder", "how is said only when staff record for someone else", "只有工作人员代为记录时才填写记录方式")
		}
		return nil
	}
	if e := firstErr(id("recorded_by", recordedBy), oneOf("how", how, RecordedSpoken, RecordedInWriting)); e != nil {
		return e
	}
	if recordedBy == personID {
		return invalid("person_id", "recorded_for_self", "staff record for someone else; for yourself, act directly", "代为记录的对象应是他人")
	}
	if how == RecordedSpoken && !s.present(personID) {
		return refuse(CodeConflict, "speaker_not_present", "something said aloud in the meeting is recorded only for a person recorded present", "只有登记为出席的人才可能当场口头表达，请先登记出席")
	}
	return nil
}

// Motions and consensus.

// tableMotion decides a TableMotion.
func tableMotion(s MeetingState, c TableMotion, now time.Time) ([]Event, error) {
	r, e := motionBody(c.Text, c.Options, c.Rule)
	if err := firstError(id("motion_id", c.MotionID), id("item_id", c.ItemID), e,
		s.meetingIn("table a motion", "提出动议", StatusScheduled, StatusOpen)); err != nil {
		return nil, err
	}
	it, ok := s.item(c.ItemID)
	if !ok {
		return nil, errItemNotFound
	}
	if s.motion(c.MotionID) != nil {
		return nil, refuse(CodeConflict, "motion_exists", "this motion already exists", "该动议已经存在")
	}
	return []Event{MotionTabled{MeetingID: s.MeetingID, MotionID: c.MotionID, ItemID: c.ItemID, ProposalID: it.ProposalID,
		Text: c.Text, Options: c.Options, Rule: r, Secret: c.Secret, At: now}}, nil
}

// amendMotion decides an AmendMotion.
func amendMotion(s MeetingState, c AmendMotion, now time.Time) ([]Event, error) {
	r, e := motionBody(c.Text, c.Options, c.Rule)
	if err := firstError(e, text("reason", "the reason", "修改原因", c.Reason, maxLong),
		s.meetingIn("amend a motion", "修改动议", StatusScheduled, StatusOpen)); err != nil {
		return nil, err
	}
	if _, err := s.motionIn(c.MotionID, "amend the motion", "修改动议", StatusTabled); err != nil {
		return nil, err
	}
	return []Event{MotionAmended{MeetingID: s.MeetingID, MotionID: c.MotionID, Text: c.Text, Options: c.Options, Rule: r, Secret: c.Secret, Reason: c.Reason, At: now}}, nil
}

// raiseMotionObjection decides a RaiseMotionObjection.
func raiseMotionObjection(s MeetingState, c RaiseMotionObjection, now time.Time) ([]Event, error) {
	if err := firstError(voter("objector", Voter{PersonID: c.PersonID, Name: c.Name}), text("reason", "the reason", "反对理由", c.Reason, maxLong),
		s.meetingIn("record an objection", "记录异议", StatusOpen), s.recordedFor(c.PersonID, c.RecordedBy, c.How)); err != nil {
		return nil, err
	}
	m, err := s.consensusMotion(c.MotionID, "record an objection", "记录异议")
	if err != nil {
		return nil, err
	}
	for _, o := range m.Objections {
		if o.PersonID == c.PersonID {
			return nil, refuse(CodeConflict, "already_objected", c.Name+" has already objected to this motion", c.Name+" 已经对该动议提出异议")
		}
	}
	return []Event{MotionObjectionRaised{MeetingID: s.MeetingID, MotionID: c.MotionID, PersonID: c.PersonID, Name: c.Name, Reason: c.Reason,
		RecordedBy: c.RecordedBy, How: c.How, At: now}}, nil
}

// withdrawMotionObjection decides a WithdrawMotionObjection: only while
// the meeting is open, since the consensus is decided there.
func withdrawMotionObjection(s MeetingState, c WithdrawMotionObjection, now time.Time) ([]Event, error) {
	if err := firstError(s.meetingIn("withdraw an objection", "撤回异议", StatusOpen), s.recordedFor(c.PersonID, c.RecordedBy, c.How)); err != nil {
		return nil, err
	}
	m, err := s.consensusMotion(c.MotionID, "withdraw an objection", "撤回异议")
	if err != nil {
		return nil, err
	}
	for _, o := range m.Objections {
		if o.PersonID == c.PersonID {
			return []Event{MotionObjectionWithdrawn{MeetingID: s.MeetingID, MotionID: c.MotionID, PersonID: c.PersonID, RecordedBy: c.RecordedBy, How: c.How, At: now}}, nil
		}
	}
	return nil, &Error{Code: CodeNotFound, Reason: "objection_not_found", Field: "person_id", Message: "this person has no standing objection to the motion", MessageZH: "此人对该动议没有未撤回的异议"}
}

// recordConsensus decides a RecordConsensus: no objection may stand, and
// somebody must be in the room to consent.
func recordConsensus(s MeetingState, c RecordConsensus, now time.Time) ([]Event, error) {
	if err := firstError(optionalText("note", "the note", "说明", c.Note, maxLong), s.meetingIn("record consensus", "记录协商一致", StatusOpen)); err != nil {
		return nil, err
	}
	m, err := s.consensusMotion(c.MotionID, "record consensus", "记录协商一致")
	if err != nil {
		return nil, err
	}
	label, ok := optionLabel(m.Options, c.OptionID)
	if !ok {
		return nil, errUnknownOption
	}
	if n := len(m.Objections); n > 0 {
		return nil, refuse(CodeConflict, "objection_standing", fmt.Sprintf("there is no consensus: %d objection(s) stand, first by %s", n, m.Objections[0].Name),
			fmt.Sprintf("尚未协商一致：还有 %d 条异议，首先由 %s 提出", n, m.Objections[0].Name))
	}
	if !s.anyonePresent() {
		return nil, refuse(CodeConflict, "nobody_present", "there is no consensus in an empty room: record who is present first", "无人出席，谈不上协商一致：请先登记出席人员")
	}
	return []Event{ConsensusReached{MeetingID: s.MeetingID, MotionID: m.MotionID, ItemID: m.ItemID, ProposalID: m.ProposalID, Text: m.Text,
		OptionID: c.OptionID, Label: label, Note: c.Note, At: now}}, nil
}

// Voting.

// openVoting decides an OpenVoting: the motion's rule and options and the
// electorate are locked into the event. Without an electorate in the
// command it is the invited participants other than officials; for the
// owners' rules it is every owner of the register in Units, which the
// application layer reads from the organisation.
func openVoting(s MeetingState, c OpenVoting, now time.Time) ([]Event, error) {
	if err := firstError(s.meetingIn("open voting", "开始表决", StatusOpen)); err != nil {
		return nil, err
	}
	m, err := s.motionIn(c.MotionID, "open voting", "开始表决", StatusTabled)
	if err != nil {
		return nil, err
	}
	if m.Rule.Kind == RuleConsensus {
		return nil, refuse(CodeConflict, "consensus_needs_no_vote", "this motion is decided by consensus: record the consensus or objections instead of a vote", "该动议以协商一致决定，无需表决")
	}
	electorate := c.Electorate
	var units []OwnedUnit
	if ownersRule(m.Rule.Kind) {
		var e *Error
		if electorate, e = ownersElectorate(c.Units, c.Electorate); e != nil {
			return nil, e
		}
		units = c.Units
	} else if len(c.Units) > 0 {
		return nil, invalid("units", "units_without_owners_rule", "a unit register is only locked for the owners' rules (art. 278)", "只有业主共同决定（民法典第278条）才需要房屋登记")
	} else if len(electorate) == 0 {
		for _, p := range s.Participants {
			if p.Kind != ParticipantOfficial {
				electorate = append(electorate, Voter{PersonID: p.PersonID, Name: p.Name})
			}
		}
	}
	if len(electorate) == 0 {
		return nil, invalid("electorate", "electorate_required", "voting needs an electorate: who may vote", "表决须确定有表决权的人员名单")
	}
	seen := map[string]bool{}
	for i, v := range electorate {
		if e := voter(fmt.Sprintf("electorate[%d]", i), v); e != nil {
			return nil, e
		}
		if seen[v.PersonID] {
			return nil, invalid("electorate", "duplicate_voter", v.Name+" is in the electorate twice", v.Name+" 在表决名单中重复")
		}
		seen[v.PersonID] = true
	}
	return []Event{VotingOpened{MeetingID: s.MeetingID, MotionID: m.MotionID, ItemID: m.ItemID, ProposalID: m.ProposalID, Text: m.Text,
		Options: m.Options, Rule: m.Rule, Secret: m.Secret, Electorate: electorate, Units: units, RegisterRevision: c.RegisterRevision, At: now}}, nil
}

// ownersElectorate checks a register and derives the electorate: every
// owner in it, named from names where given, in order of first appearance.
func ownersElectorate(units []OwnedUnit, names []Voter) ([]Voter, *Error) {
	if len(units) == 0 {
		return nil, invalid("units", "register_required", "the owners' rules need the compound's unit register", "业主共同决定须有房屋登记（专有部分面积与业主）")
	}
	name := map[string]string{}
	for _, v := range names {
		name[v.PersonID] = v.Name
	}
	seenUnit := map[string]bool{}
	seen := map[string]bool{}
	owner := map[string]bool{}
	for _, u := range units {
		for _, o := range u.Owners {
			owner[o] = true
		}
	}
	for i, v := range names {
		if !owner[v.PersonID] {
			return nil, invalid(fmt.Sprintf("electorate[%d]", i), "not_an_owner", v.Name+" owns no unit in the register: under art. 278 only owners vote", v.Name+" 在房屋登记中没有房屋：业主共同决定只有业主才能表决")
		}
	}
	var electorate []Voter
	for i, u := range units {
		f := fmt.Sprintf("units[%d]", i)
		if e := firstErr(id(f+".unit_id", u.UnitID), area(u.AreaDM2)); e != nil {
			return nil, e
		}
		if seenUnit[u.UnitID] {
			return nil, invalid(f+".unit_id", "duplicate_unit", "unit "+u.UnitID+" is in the register twice", "房屋 "+u.UnitID+" 重复登记")
		}
		seenUnit[u.UnitID] = true
		if len(u.Owners) == 0 {
			return nil, invalid(f+".owners", "owners_required", "a unit needs at least one owner", "房屋至少要有一位业主")
		}
		for _, o := range u.Owners {
			if e := id(f+".owners", o); e != nil {
				return nil, e
			}
			if !seen[o] {
				seen[o] = true
				n := name[o]
				if n == "" {
					n = o
				}
				electorate = append(electorate, Voter{PersonID: o, Name: n})
			}
		}
	}
	return electorate, nil
}

// castVote decides a CastVote: a first ballot, or a change.
func castVote(s MeetingState, c CastVote, now time.Time) ([]Event, error) {
	if err := firstError(id("voter_id", c.VoterID), id("cast_by", c.CastBy)); err != nil {
		return nil, err
	}
	m, err := s.motionIn(c.MotionID, "vote", "投票", StatusVoting)
	if err != nil {
		return nil, err
	}
	if !m.inElectorate(c.VoterID) {
		return nil, errNotInElectorate("voter_id")
	}
	if c.CastBy != c.VoterID {
		a := s.Attendance[c.VoterID]
		if a.Attendance != Proxy || a.HolderID != c.CastBy || s.Attendance[c.CastBy].Attendance != Present {
			return nil, refuse(CodeForbidden, "no_proxy", "nobody may vote for another person without a recorded proxy held by someone present", "没有登记的授权委托（且受托人出席），不能代他人投票")
		}
	}
	if c.OptionID != "" {
		if _, ok := optionLabel(m.Options, c.OptionID); !ok {
			return nil, errUnknownOption
		}
	}
	e, berr := m.newBallot(s.MeetingID, Ballot{VoterID: c.VoterID, CastBy: c.CastBy, OptionID: c.OptionID}, "", "", now)
	if berr != nil {
		return nil, berr
	}
	return []Event{e}, nil
}

// recordBallots decides a RecordBallots: staff record the ballots of
// people without a token of their own, one event per person, each saying
// who recorded it and how.
func recordBallots(s MeetingState, c RecordBallots, now time.Time) ([]Event, error) {
	if err := firstError(id("recorded_by", c.RecordedBy), oneOf("method", c.Method, MethodShowOfHands, MethodPaper)); err != nil {
		return nil, err
	}
	m, err := s.motionIn(c.MotionID, "record ballots", "登记表决", StatusVoting)
	if err != nil {
		return nil, err
	}
	if c.Method == MethodShowOfHands && m.Secret {
		return nil, invalid("method", "secret_show_of_hands", "a secret motion is not voted by show of hands", "无记名表决不能举手表决")
	}
	if c.OptionID != "" {
		if _, ok := optionLabel(m.Options, c.OptionID); !ok {
			return nil, errUnknownOption
		}
	}
	if len(c.VoterIDs) == 0 {
		return nil, invalid("voter_ids", "voters_required", "name the people whose ballots are recorded", "请写明登记谁的表决")
	}
	seen := map[string]bool{}
	var events []Event
	for i, v := range c.VoterIDs {
		f := fmt.Sprintf("voter_ids[%d]", i)
		if e := id(f, v); e != nil {
			return nil, e
		}
		if seen[v] {
			return nil, invalid(f, "duplicate_voter", "a person is listed twice", "名单中有人重复")
		}
		seen[v] = true
		if !m.inElectorate(v) {
			return nil, errNotInElectorate(f)
		}
		if c.Method == MethodShowOfHands && !s.present(v) {
			return nil, &Error{Code: CodeConflict, Reason: "voter_not_present", Field: f, Message: "a raised hand is counted only for a person recorded present", MessageZH: "只有登记为出席的人才能举手表决"}
		}
		e, berr := m.newBallot(s.MeetingID, Ballot{VoterID: v, CastBy: v, OptionID: c.OptionID}, c.Method, c.RecordedBy, now)
		if berr != nil {
			berr.Field = f
			return nil, berr
		}
		events = append(events, e)
	}
	return events, nil
}

// inElectorate reports whether the person may vote on the motion.
func (m *Motion) inElectorate(personID string) bool {
	for _, v := range m.Electorate {
		if v.PersonID == personID {
			return true
		}
	}
	return false
}

func errNotInElectorate(field string) *Error {
	return &Error{Code: CodeForbidden, Reason: "not_in_electorate", Field: field, Message: "this person is not in the motion's electorate and cannot vote on it", MessageZH: "此人不在该动议的表决名单中，不能投票"}
}

// newBallot returns the event of a ballot: a first VoteCast, or a
// VoteChanged replacing a different earlier choice.
func (m *Motion) newBallot(meetingID string, b Ballot, method, recordedBy string, now time.Time) (Event, *Error) {
	prev, voted := m.ballot(b.VoterID)
	if !voted {
		return VoteCast{MeetingID: meetingID, MotionID: m.MotionID, VoterID: b.VoterID, CastBy: b.CastBy, OptionID: b.OptionID, Secret: m.Secret,
			Method: method, RecordedBy: recordedBy, At: now}, nil
	}
	if prev.OptionID == b.OptionID {
		return nil, refuse(CodeConflict, "already_voted", "this ballot is already cast with the same choice; to change a vote, choose another option", "已经投过相同的票；如要改票，请选择其他选项")
	}
	return VoteChanged{MeetingID: meetingID, MotionID: m.MotionID, VoterID: b.VoterID, CastBy: b.CastBy, OptionID: b.OptionID, PreviousOption: prev.OptionID, Secret: m.Secret,
		Method: method, RecordedBy: recordedBy, At: now}, nil
}

// closeVoting decides a CloseVoting: the domain computes the tally.
func closeVoting(s MeetingState, c CloseVoting, now time.Time) ([]Event, error) {
	m, err := s.motionIn(c.MotionID, "close voting", "结束表决", StatusVoting)
	if err != nil {
		return nil, err
	}
	t := ComputeTally(m.Rule, m.Options, m.Electorate, m.Units, m.Ballots, s.Attendance)
	return []Event{VotingClosed{MeetingID: s.MeetingID, MotionID: m.MotionID, ItemID: m.ItemID, ProposalID: m.ProposalID, Text: m.Text, Tally: t, At: now}}, nil
}

// Mediation.

// offerMediation decides an OfferMediation.
func offerMediation(s MeetingState, c OfferMediation, now time.Time) ([]Event, error) {
	if err := firstError(id("mediation_id", c.MediationID), id("item_id", c.ItemID), text("dispute", "the dispute", "纠纷", c.Dispute, maxLong),
		options("options", c.Options, 2), s.meetingIn("offer mediation", "提出调解方案", StatusOpen)); err != nil {
		return nil, err
	}
	if len(c.Parties) < 2 {
		return nil, invalid("parties", "too_few_parties", "a dispute has at least two parties", "纠纷至少有两方")
	}
	for i, p := range c.Parties {
		if err := firstError(party(fmt.Sprintf("parties[%d]", i), p)); err != nil {
			return nil, err
		}
	}
	it, ok := s.item(c.ItemID)
	if !ok {
		return nil, errItemNotFound
	}
	if s.mediation(c.MediationID) != nil {
		return nil, refuse(CodeConflict, "mediation_exists", "this mediation already exists", "该调解已经存在")
	}
	return []Event{MediationOffered{MeetingID: s.MeetingID, MediationID: c.MediationID, ItemID: c.ItemID, ProposalID: it.ProposalID,
		Dispute: c.Dispute, Parties: c.Parties, Options: c.Options, At: now}}, nil
}

// agreeMediation decides an AgreeMediation.
func agreeMediation(s MeetingState, c AgreeMediation, now time.Time) ([]Event, error) {
	if err := firstError(optionalText("note", "the note", "说明", c.Note, maxLong), s.meetingIn("record an agreement", "记录调解结果", StatusOpen)); err != nil {
		return nil, err
	}
	md := s.mediation(c.MediationID)
	if md == nil {
		return nil, &Error{Code: CodeNotFound, Reason: "mediation_not_found", Field: "mediation_id", Message: "there is no such mediation in this meeting", MessageZH: "本次会议没有这项调解"}
	}
	if md.Agreed != nil {
		return nil, refuse(CodeConflict, "mediation_already_agreed", "the parties already agreed on "+md.Agreed.Label, "各方已经就“"+md.Agreed.Label+"”达成一致")
	}
	label, ok := optionLabel(md.Options, c.OptionID)
	if !ok {
		return nil, errUnknownOption
	}
	return []Event{MediationAgreed{MeetingID: s.MeetingID, MediationID: md.MediationID, ItemID: md.ItemID, ProposalID: md.ProposalID,
		Dispute: md.Dispute, OptionID: c.OptionID, Label: label, Parties: md.Parties, Note: c.Note, At: now}}, nil
}

// After the meeting: adjournment, minutes, objections to the minutes.

// adjournMeeting decides an AdjournMeeting.
func adjournMeeting(s MeetingState, c AdjournMeeting, now time.Time) ([]Event, error) {
	if err := firstError(optionalText("note", "the note", "说明", c.Note, maxLong), s.meetingIn("adjourn", "休会", StatusOpen)); err != nil {
		return nil, err
	}
	for _, m := range s.Motions {
		if m.Status == StatusVoting {
			return nil, refuse(CodeConflict, "voting_still_open", "close the voting on \""+m.Text+"\" before adjourning", "休会前请先结束动议“"+m.Text+"”的表决")
		}
	}
	return []Event{MeetingAdjourned{MeetingID: s.MeetingID, Note: c.Note, At: now}}, nil
}

// draftMinutes decides a DraftMinutes: after the meeting and before the
// minutes are published, the recorder writes the words the record lacks.
// A note names an agenda item of the meeting, once; an empty note is left
// out.
func draftMinutes(s MeetingState, c DraftMinutes, now time.Time) ([]Event, error) {
	if err := firstError(text("summary", "the summary", "会议概要", c.Summary, maxLong), optionalText("remarks", "the remarks", "其他事项", c.Remarks, maxLong),
		voter("recorder", c.Recorder), s.meetingIn("draft the minutes", "起草纪要", StatusAdjourned)); err != nil {
		return nil, err
	}
	var notes []MinutesNote
	seen := map[string]bool{}
	for i, n := range c.Notes {
		f := fmt.Sprintf("notes[%d]", i)
		if e := firstErr(id(f+".item_id", n.ItemID), optionalText(f+".text", "the note", "议程说明", n.Text, maxLong)); e != nil {
			return nil, e
		}
		if _, ok := s.item(n.ItemID); !ok {
			e := *errItemNotFound
			e.Field = f + ".item_id"
			return nil, &e
		}
		if seen[n.ItemID] {
			return nil, invalid(f+".item_id", "duplicate_note", "an agenda item has one note in the minutes", "每个议程项只有一段说明")
		}
		seen[n.ItemID] = true
		if strings.TrimFunc(n.Text, invisible) != "" {
			notes = append(notes, n)
		}
	}
	e := MinutesDrafted{MeetingID: s.MeetingID, Draft: 1, Summary: c.Summary, Notes: notes, Remarks: c.Remarks, Recorder: c.Recorder, At: now}
	if d := s.MinutesDraft; d != nil {
		if d.Summary == e.Summary && d.Remarks == e.Remarks && slices.Equal(d.Notes, e.Notes) && d.Recorder == e.Recorder {
			return nil, refuse(CodeConflict, "minutes_unchanged", "the draft is saved already, without a change", "纪要草稿已保存，没有改动")
		}
		e.Draft = d.Draft + 1
	}
	return []Event{e}, nil
}

// publishMinutes decides a PublishMinutes: the latest draft, or the
// command's summary when there is none, with the objection period.
func publishMinutes(s MeetingState, c PublishMinutes, now time.Time) ([]Event, error) {
	if err := firstError(photos("document", optionalRef(c.Document)), s.meetingIn("publish the minutes", "公示纪要", StatusAdjourned)); err != nil {
		return nil, err
	}
	until := c.ObjectionUntil
	switch {
	case c.ObjectionDays != 0 && !until.IsZero():
		return nil, invalid("objection_days", "objection_period_twice", "give the objection period in days or as its end, not both", "公示期请填写天数或截止时间，二选一")
	case c.ObjectionDays != 0:
		if c.ObjectionDays < 1 || c.ObjectionDays > maxObjectionDays {
			return nil, invalid("objection_days", "bad_objection_days", fmt.Sprintf("the objection period is 1 to %d days", maxObjectionDays), fmt.Sprintf("公示期应为 1 到 %d 天", maxObjectionDays))
		}
		until = now.AddDate(0, 0, c.ObjectionDays)
	default:
		if err := instant("objection_until", "the end of the objection period", "公示截止时间", until); err != nil {
			return nil, err
		}
	}
	if !until.After(now) {
		return nil, invalid("objection_until", "objection_period_in_past", "the objection period must end in the future", "公示截止时间应晚于现在")
	}
	e := MinutesPublished{MeetingID: s.MeetingID, Document: c.Document, ObjectionUntil: until, ObjectionDays: c.ObjectionDays, At: now}
	d := s.MinutesDraft
	switch {
	case d == nil:
		if err := text("summary", "the summary", "会议纪要", c.Summary, maxLong); err != nil {
			return nil, err
		}
		if c.Draft != 0 {
			return nil, refuse(CodeConflict, "draft_changed", "there is no draft of the minutes to publish", "纪要还没有草稿")
		}
		e.Summary = c.Summary
	case c.Summary != "":
		return nil, invalid("summary", "summary_in_draft", "the minutes have a draft, and the draft is published: change the draft instead", "纪要已有草稿，公示的是草稿：请修改草稿")
	case c.Draft != 0 && c.Draft != d.Draft:
		return nil, refuse(CodeConflict, "draft_changed", fmt.Sprintf("the draft was changed (draft %d, not %d): read it again before publishing", d.Draft, c.Draft),
			fmt.Sprintf("纪要草稿已被修改（现为第 %d 稿，不是第 %d 稿）：请重新阅读后再公示", d.Draft, c.Draft))
	default:
		e.Summary, e.Draft, e.Notes, e.Remarks, e.Recorder = d.Summary, d.Draft, d.Notes, d.Remarks, d.Recorder
	}
	return []Event{e}, nil
}

// maxObjectionDays bounds an objection period given in days.
const maxObjectionDays = 90

// objectToMinutes decides an ObjectToMinutes.
func objectToMinutes(s MeetingState, c ObjectToMinutes, now time.Time) ([]Event, error) {
	if err := firstError(voter("objector", Voter{PersonID: c.PersonID, Name: c.Name}), text("text", "the objection", "异议内容", c.Text, maxLong),
		s.meetingIn("object to the minutes", "对纪要提出异议", StatusPublished)); err != nil {
		return nil, err
	}
	if now.After(s.Minutes.ObjectionUntil) {
		return nil, refuse(CodeConflict, "objection_period_over", "the objection period ended on "+s.Minutes.ObjectionUntil.Format("2006-01-02 15:04"), "公示期已于 "+s.Minutes.ObjectionUntil.Format("2006-01-02 15:04")+" 结束")
	}
	return []Event{MinutesObjectionRaised{MeetingID: s.MeetingID, PersonID: c.PersonID, Name: c.Name, Text: c.Text, At: now}}, nil
}

// optionalRef turns an optional attachment reference into a list to check.
func optionalRef(ref string) []string {
	if ref == "" {
		return nil
	}
	return []string{ref}
}

var errUnknownOption = &Error{Code: CodeInvalid, Reason: "unknown_option", Field: "option_id", Message: "this option is not one of the motion's options", MessageZH: "该选项不在可选范围内"}

// consensusMotion finds a tabled motion decided by consensus.
func (s *MeetingState) consensusMotion(motionID, what, whatZH string) (*Motion, *Error) {
	m, err := s.motionIn(motionID, what, whatZH, StatusTabled)
	if err != nil {
		return nil, err
	}
	if m.Rule.Kind != RuleConsensus {
		return nil, refuse(CodeConflict, "not_consensus_motion", "this motion is decided by a vote ("+m.Rule.Kind+"), not by consensus", "该动议以表决（"+m.Rule.Kind+"）决定，不适用协商一致")
	}
	return m, nil
}

// motionBody checks a motion's text, options and rule, and returns the
// rule as the events record it (an owners' kind derived from its matter).
func motionBody(txt string, opts []Option, r Rule) (Rule, *Error) {
	min := 2
	if r.Kind == RuleConsensus {
		min = 1
	}
	r, e := rule(r)
	return r, firstErr(text("text", "the motion's text", "动议内容", txt, maxLong), e, options("options", opts, min))
}

// rule checks a decision rule. An owners' rule names its art. 278 matter
// and the kind is derived from it: RuleOwners takes the derived kind, an
// explicit owners' kind must agree with it.
func rule(r Rule) (Rule, *Error) {
	if e := oneOf("rule.kind", r.Kind, RuleConsensus, RuleSimpleMajority, RuleAbsoluteMajority, RuleTwoThirds, RuleOwners, RuleOwnersOrdinary, RuleOwnersMajor); e != nil {
		return r, e
	}
	if r.QuorumPercent < 0 || r.QuorumPercent > 100 {
		return r, invalid("rule.quorum_percent", "bad_quorum", "the quorum is a percentage from 0 (none) to 100", "法定人数比例应为 0（不设）到 100")
	}
	if r.Kind != RuleOwners && !ownersRule(r.Kind) {
		if r.Matter != 0 {
			return r, invalid("rule.matter", "matter_without_owners_rule", "an art. 278 matter belongs to the owners' rules only", "只有业主共同决定（民法典第278条）才写明表决事项")
		}
		return r, nil
	}
	if r.Matter < MatterRules || r.Matter > MatterOther {
		return r, invalid("rule.matter", "matter_required", "an owners' motion names its matter: the item of PRC Civil Code art. 278, 1 (一) to 9 (九)",
			"业主共同决定须写明表决事项：民法典第278条第一款的第1（一）至第9（九）项")
	}
	want := MatterRule(r.Matter)
	if r.Kind != RuleOwners && r.Kind != want {
		m := matterNames[r.Matter]
		return r, invalid("rule.kind", "rule_does_not_fit_matter",
			fmt.Sprintf("item %d of art. 278 (%s) is decided by %s, not %s: the matter decides the threshold", r.Matter, m.en, want, r.Kind),
			fmt.Sprintf("第278条第（%s）项“%s”适用 %s，而不是 %s：表决门槛由事项决定", m.numeral, m.zh, want, r.Kind))
	}
	r.Kind = want
	return r, nil
}
