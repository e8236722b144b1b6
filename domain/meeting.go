package domain

import (
	"fmt"
	"slices"
	"time"
)

// MeetingState is a meeting folded from its stream.
type MeetingState struct {
	// Exists is false until the meeting is scheduled.
	Exists      bool      `json:"exists"`
	MeetingID   string    `json:"meeting_id"`
	CommunityID string    `json:"community_id"`
	GridID      string    `json:"grid_id"`
	CompoundID  string    `json:"compound_id,omitempty"`
	Title       string    `json:"title"`
	Place       string    `json:"place"`
	StartsAt    time.Time `json:"starts_at"`
	Format      string    `json:"format"`
	Facilitator Voter     `json:"facilitator"`
	// Status is StatusScheduled, StatusOpen, StatusAdjourned or
	// StatusPublished.
	Status       string                `json:"status"`
	Items        []AgendaItemAdded     `json:"items"`
	Participants []Participant         `json:"participants"`
	Attendance   map[string]Attendance `json:"attendance"`
	Statements   []StatementRecorded   `json:"statements"`
	Motions      []Motion              `json:"motions"`
	Mediations   []Mediation           `json:"mediations"`
	// Minutes is set once the minutes are published.
	Minutes           *MinutesPublished        `json:"minutes,omitempty"`
	MinutesObjections []MinutesObjectionRaised `json:"minutes_objections,omitempty"`
}

// Attendance is one person's latest attendance record.
type Attendance struct {
	PersonID   string `json:"person_id"`
	Name       string `json:"name"`
	Attendance string `json:"attendance"`
	HolderID   string `json:"holder_id,omitempty"`
	Authority  string `json:"authority,omitempty"`
}

// Motion is one motion with its ballots. For a secret motion the doors
// must not show Ballots' choices to anyone but an auditor: the ledger keeps
// them so that the tally can be recomputed.
type Motion struct {
	MotionID   string   `json:"motion_id"`
	ItemID     string   `json:"item_id"`
	ProposalID string   `json:"proposal_id,omitempty"`
	Text       string   `json:"text"`
	Options    []Option `json:"options"`
	Rule       Rule     `json:"rule"`
	Secret     bool     `json:"secret"`
	// Status is StatusTabled, StatusVoting, StatusClosed or StatusAgreed.
	Status string `json:"status"`
	// Electorate and Units are locked when voting opens.
	Electorate []Voter     `json:"electorate,omitempty"`
	Units      []OwnedUnit `json:"units,omitempty"`
	Ballots    []Ballot    `json:"ballots,omitempty"`
	Objections []Objection `json:"objections,omitempty"`
	Tally      *Tally      `json:"tally,omitempty"`
	Consensus  *Option     `json:"consensus,omitempty"`
}

// Ballot is a voter's current ballot; OptionID is empty for an abstention.
type Ballot struct {
	VoterID  string `json:"voter_id"`
	CastBy   string `json:"cast_by"`
	OptionID string `json:"option_id,omitempty"`
}

// Objection is a standing objection to a consensus motion.
type Objection struct {
	PersonID string `json:"person_id"`
	Name     string `json:"name"`
	Reason   string `json:"reason"`
}

// Mediation is a dispute's mediation on an agenda item.
type Mediation struct {
	MediationID string   `json:"mediation_id"`
	ItemID      string   `json:"item_id"`
	ProposalID  string   `json:"proposal_id,omitempty"`
	Dispute     string   `json:"dispute"`
	Parties     []Party  `json:"parties"`
	Options     []Option `json:"options"`
	// Agreed is the option the parties agreed to, once they did.
	Agreed *Option `json:"agreed,omitempty"`
}

// FoldMeeting folds a meeting stream's events, oldest first.
func FoldMeeting(events []Event) MeetingState {
	return foldEvents[MeetingState](events)
}

// motion returns a pointer to the motion with the id, or nil.
func (s *MeetingState) motion(id string) *Motion {
	for i := range s.Motions {
		if s.Motions[i].MotionID == id {
			return &s.Motions[i]
		}
	}
	return nil
}

// mediation returns a pointer to the mediation with the id, or nil.
func (s *MeetingState) mediation(id string) *Mediation {
	for i := range s.Mediations {
		if s.Mediations[i].MediationID == id {
			return &s.Mediations[i]
		}
	}
	return nil
}

// item returns the agenda item with the id.
func (s *MeetingState) item(id string) (AgendaItemAdded, bool) {
	for _, it := range s.Items {
		if it.ItemID == id {
			return it, true
		}
	}
	return AgendaItemAdded{}, false
}

// setBallot records a voter's ballot, replacing an earlier one: Ballots
// stay in the order of their latest casting, which decides between
// co-owners of a unit (the latest ballot speaks for the unit).
func (m *Motion) setBallot(b Ballot) {
	m.Ballots = slices.DeleteFunc(m.Ballots, func(x Ballot) bool { return x.VoterID == b.VoterID })
	m.Ballots = append(m.Ballots, b)
}

// ballot returns the voter's current ballot.
func (m *Motion) ballot(voterID string) (Ballot, bool) {
	for _, b := range m.Ballots {
		if b.VoterID == voterID {
			return b, true
		}
	}
	return Ballot{}, false
}

// evolve applies one event to the state.
func (s *MeetingState) evolve(e Event) {
	switch e := e.(type) {
	case MeetingScheduled:
		*s = MeetingState{Exists: true, MeetingID: e.MeetingID, CommunityID: e.CommunityID, GridID: e.GridID, CompoundID: e.CompoundID,
			Title: e.Title, Place: e.Place, StartsAt: e.StartsAt, Format: e.Format, Facilitator: e.Facilitator,
			Status: StatusScheduled, Attendance: map[string]Attendance{}}
	case AgendaItemAdded:
		s.Items = append(s.Items, e)
	case ParticipantInvited:
		s.Participants = append(s.Participants, e.Participant)
	case MeetingOpened:
		s.Status = StatusOpen
	case AttendanceRecorded:
		s.Attendance[e.PersonID] = Attendance{PersonID: e.PersonID, Name: e.Name, Attendance: e.Attendance, HolderID: e.HolderID, Authority: e.Authority}
	case StatementRecorded:
		s.Statements = append(s.Statements, e)
	case MotionTabled:
		s.Motions = append(s.Motions, Motion{MotionID: e.MotionID, ItemID: e.ItemID, ProposalID: e.ProposalID, Text: e.Text,
			Options: e.Options, Rule: e.Rule, Secret: e.Secret, Status: StatusTabled})
	case MotionAmended:
		m := s.motion(e.MotionID)
		m.Text, m.Options, m.Rule, m.Secret = e.Text, e.Options, e.Rule, e.Secret
	case VotingOpened:
		m := s.motion(e.MotionID)
		m.Status, m.Options, m.Rule, m.Secret, m.Electorate, m.Units = StatusVoting, e.Options, e.Rule, e.Secret, e.Electorate, e.Units
	case VoteCast:
		s.motion(e.MotionID).setBallot(Ballot{VoterID: e.VoterID, CastBy: e.CastBy, OptionID: e.OptionID})
	case VoteChanged:
		s.motion(e.MotionID).setBallot(Ballot{VoterID: e.VoterID, CastBy: e.CastBy, OptionID: e.OptionID})
	case VotingClosed:
		m := s.motion(e.MotionID)
		t := e.Tally
		m.Status, m.Tally = StatusClosed, &t
	case MotionObjectionRaised:
		m := s.motion(e.MotionID)
		m.Objections = append(m.Objections, Objection{PersonID: e.PersonID, Name: e.Name, Reason: e.Reason})
	case MotionObjectionWithdrawn:
		m := s.motion(e.MotionID)
		for i, o := range m.Objections {
			if o.PersonID == e.PersonID {
				m.Objections = append(m.Objections[:i:i], m.Objections[i+1:]...)
				break
			}
		}
	case ConsensusReached:
		m := s.motion(e.MotionID)
		m.Status, m.Consensus = StatusAgreed, &Option{ID: e.OptionID, Label: e.Label}
	case MediationOffered:
		s.Mediations = append(s.Mediations, Mediation{MediationID: e.MediationID, ItemID: e.ItemID, ProposalID: e.ProposalID,
			Dispute: e.Dispute, Parties: e.Parties, Options: e.Options})
	case MediationAgreed:
		s.mediation(e.MediationID).Agreed = &Option{ID: e.OptionID, Label: e.Label}
	case MeetingAdjourned:
		s.Status = StatusAdjourned
	case MinutesPublished:
		s.Status, s.Minutes = StatusPublished, &e
	case MinutesObjectionRaised:
		s.MinutesObjections = append(s.MinutesObjections, e)
	}
}

// meetingIn refuses a command unless the meeting is in one of statuses.
func (s *MeetingState) meetingIn(what, whatZH string, statuses ...string) *Error {
	for _, st := range statuses {
		if s.Status == st {
			return nil
		}
	}
	en, zh := StatusLabel(s.Status)
	return refuse(CodeConflict, "meeting_not_"+statuses[0], fmt.Sprintf("cannot %s: the meeting is %s", what, en), fmt.Sprintf("不能%s：会议当前状态为“%s”", whatZH, zh))
}

// motionIn finds a motion and refuses unless it is in one of statuses.
func (s *MeetingState) motionIn(motionID, what, whatZH string, statuses ...string) (*Motion, *Error) {
	m := s.motion(motionID)
	if m == nil {
		return nil, &Error{Code: CodeNotFound, Reason: "motion_not_found", Field: "motion_id", Message: "there is no such motion in this meeting", MessageZH: "本次会议没有这项动议"}
	}
	for _, st := range statuses {
		if m.Status == st {
			return m, nil
		}
	}
	reason := map[string]string{StatusTabled: "voting_already_opened", StatusVoting: "motion_not_open"}[statuses[0]]
	if statuses[0] == StatusTabled && m.Status == StatusAgreed {
		reason = "motion_already_decided"
	}
	en, zh := StatusLabel(m.Status)
	return nil, refuse(CodeConflict, reason, fmt.Sprintf("cannot %s: the motion is %s", what, en), fmt.Sprintf("不能%s：该动议当前状态为“%s”", whatZH, zh))
}

var errItemNotFound = &Error{Code: CodeNotFound, Reason: "item_not_found", Field: "item_id", Message: "there is no such agenda item in this meeting", MessageZH: "本次会议没有这个议程项"}

// decideMeeting decides a meeting command.
func decideMeeting(s MeetingState, cmd Command, now time.Time) ([]Event, error) {
	if c, ok := cmd.(ScheduleMeeting); ok {
		return scheduleMeeting(s, c, now)
	}
	if !s.Exists {
		return nil, refuse(CodeNotFound, "meeting_not_found", "there is no such meeting", "没有这次会议")
	}
	switch c := cmd.(type) {
	case AddAgendaItem:
		if err := firstError(id("item_id", c.ItemID), text("title", "the item's title", "议程项标题", c.Title, maxShort), optionalID("proposal_id", c.ProposalID),
			s.meetingIn("add an agenda item", "增加议程", StatusScheduled, StatusOpen)); err != nil {
			return nil, err
		}
		if _, ok := s.item(c.ItemID); ok {
			return nil, refuse(CodeConflict, "item_exists", "this agenda item already exists", "该议程项已经存在")
		}
		return []Event{AgendaItemAdded{MeetingID: s.MeetingID, ItemID: c.ItemID, Title: c.Title, ProposalID: c.ProposalID, MeetingTitle: s.Title, StartsAt: s.StartsAt, At: now}}, nil
	case InviteParticipant:
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
	case OpenMeeting:
		if err := firstError(s.meetingIn("open the meeting", "开会", StatusScheduled)); err != nil {
			return nil, err
		}
		return []Event{MeetingOpened{MeetingID: s.MeetingID, At: now}}, nil
	case RecordAttendance:
		return recordAttendance(s, c, now)
	case RecordStatement:
		if err := firstError(id("item_id", c.ItemID), voter("speaker", c.Speaker), text("summary", "the summary", "发言摘要", c.Summary, maxLong),
			s.meetingIn("record a statement", "记录发言", StatusOpen)); err != nil {
			return nil, err
		}
		if _, ok := s.item(c.ItemID); !ok {
			return nil, errItemNotFound
		}
		return []Event{StatementRecorded{MeetingID: s.MeetingID, ItemID: c.ItemID, Speaker: c.Speaker, Summary: c.Summary, At: now}}, nil
	case TableMotion:
		if err := firstError(id("motion_id", c.MotionID), id("item_id", c.ItemID), motionBody(c.Text, c.Options, c.Rule),
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
			Text: c.Text, Options: c.Options, Rule: c.Rule, Secret: c.Secret, At: now}}, nil
	case AmendMotion:
		if err := firstError(motionBody(c.Text, c.Options, c.Rule), text("reason", "the reason", "修改原因", c.Reason, maxLong),
			s.meetingIn("amend a motion", "修改动议", StatusScheduled, StatusOpen)); err != nil {
			return nil, err
		}
		if _, err := s.motionIn(c.MotionID, "amend the motion", "修改动议", StatusTabled); err != nil {
			return nil, err
		}
		return []Event{MotionAmended{MeetingID: s.MeetingID, MotionID: c.MotionID, Text: c.Text, Options: c.Options, Rule: c.Rule, Secret: c.Secret, Reason: c.Reason, At: now}}, nil
	case OpenVoting:
		return openVoting(s, c, now)
	case CastVote:
		return castVote(s, c, now)
	case CloseVoting:
		m, err := s.motionIn(c.MotionID, "close voting", "结束表决", StatusVoting)
		if err != nil {
			return nil, err
		}
		t := ComputeTally(m.Rule, m.Options, m.Electorate, m.Units, m.Ballots, s.Attendance)
		return []Event{VotingClosed{MeetingID: s.MeetingID, MotionID: m.MotionID, ItemID: m.ItemID, ProposalID: m.ProposalID, Text: m.Text, Tally: t, At: now}}, nil
	case RaiseMotionObjection:
		if err := firstError(voter("objector", Voter{PersonID: c.PersonID, Name: c.Name}), text("reason", "the reason", "反对理由", c.Reason, maxLong),
			s.meetingIn("record an objection", "记录异议", StatusOpen)); err != nil {
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
		return []Event{MotionObjectionRaised{MeetingID: s.MeetingID, MotionID: c.MotionID, PersonID: c.PersonID, Name: c.Name, Reason: c.Reason, At: now}}, nil
	case WithdrawMotionObjection:
		m, err := s.consensusMotion(c.MotionID, "withdraw an objection", "撤回异议")
		if err != nil {
			return nil, err
		}
		for _, o := range m.Objections {
			if o.PersonID == c.PersonID {
				return []Event{MotionObjectionWithdrawn{MeetingID: s.MeetingID, MotionID: c.MotionID, PersonID: c.PersonID, At: now}}, nil
			}
		}
		return nil, &Error{Code: CodeNotFound, Reason: "objection_not_found", Field: "person_id", Message: "this person has no standing objection to the motion", MessageZH: "此人对该动议没有未撤回的异议"}
	case RecordConsensus:
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
		return []Event{ConsensusReached{MeetingID: s.MeetingID, MotionID: m.MotionID, ItemID: m.ItemID, ProposalID: m.ProposalID, Text: m.Text,
			OptionID: c.OptionID, Label: label, Note: c.Note, At: now}}, nil
	case OfferMediation:
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
	case AgreeMediation:
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
	case AdjournMeeting:
		if err := firstError(optionalText("note", "the note", "说明", c.Note, maxLong), s.meetingIn("adjourn", "休会", StatusOpen)); err != nil {
			return nil, err
		}
		for _, m := range s.Motions {
			if m.Status == StatusVoting {
				return nil, refuse(CodeConflict, "voting_still_open", "close the voting on \""+m.Text+"\" before adjourning", "休会前请先结束动议“"+m.Text+"”的表决")
			}
		}
		return []Event{MeetingAdjourned{MeetingID: s.MeetingID, Note: c.Note, At: now}}, nil
	case PublishMinutes:
		if err := firstError(text("summary", "the summary", "会议纪要", c.Summary, maxLong), photos("document", optionalRef(c.Document)),
			instant("objection_until", "the end of the objection period", "公示截止时间", c.ObjectionUntil), s.meetingIn("publish the minutes", "公示纪要", StatusAdjourned)); err != nil {
			return nil, err
		}
		if !c.ObjectionUntil.After(now) {
			return nil, invalid("objection_until", "objection_period_in_past", "the objection period must end in the future", "公示截止时间应晚于现在")
		}
		return []Event{MinutesPublished{MeetingID: s.MeetingID, Summary: c.Summary, Document: c.Document, ObjectionUntil: c.ObjectionUntil, At: now}}, nil
	case ObjectToMinutes:
		if err := firstError(voter("objector", Voter{PersonID: c.PersonID, Name: c.Name}), text("text", "the objection", "异议内容", c.Text, maxLong),
			s.meetingIn("object to the minutes", "对纪要提出异议", StatusPublished)); err != nil {
			return nil, err
		}
		if now.After(s.Minutes.ObjectionUntil) {
			return nil, refuse(CodeConflict, "objection_period_over", "the objection period ended on "+s.Minutes.ObjectionUntil.Format("2006-01-02 15:04"), "公示期已于 "+s.Minutes.ObjectionUntil.Format("2006-01-02 15:04")+" 结束")
		}
		return []Event{MinutesObjectionRaised{MeetingID: s.MeetingID, PersonID: c.PersonID, Name: c.Name, Text: c.Text, At: now}}, nil
	}
	return nil, unknownCommand(cmd)
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

// motionBody checks a motion's text, options and rule.
func motionBody(txt string, opts []Option, r Rule) *Error {
	min := 2
	if r.Kind == RuleConsensus {
		min = 1
	}
	return firstErr(text("text", "the motion's text", "动议内容", txt, maxLong), rule(r), options("options", opts, min))
}

// rule checks a decision rule.
func rule(r Rule) *Error {
	if e := oneOf("rule.kind", r.Kind, RuleConsensus, RuleSimpleMajority, RuleAbsoluteMajority, RuleTwoThirds, RuleOwnersOrdinary, RuleOwnersMajor); e != nil {
		return e
	}
	if r.QuorumPercent < 0 || r.QuorumPercent > 100 {
		return invalid("rule.quorum_percent", "bad_quorum", "the quorum is a percentage from 0 (none) to 100", "法定人数比例应为 0（不设）到 100")
	}
	return nil
}

// scheduleMeeting decides a ScheduleMeeting.
func scheduleMeeting(s MeetingState, c ScheduleMeeting, now time.Time) ([]Event, error) {
	if s.Exists {
		return nil, refuse(CodeConflict, "meeting_exists", "this meeting was already scheduled", "该会议已经安排过")
	}
	if err := firstError(id("meeting_id", c.MeetingID), id("community_id", c.CommunityID), id("grid_id", c.GridID), optionalID("compound_id", c.CompoundID),
		text("title", "the title", "会议名称", c.Title, maxShort), text("place", "the place", "地点", c.Place, maxShort),
		instant("starts_at", "the start time", "开始时间", c.StartsAt),
		oneOf("format", c.Format, FormatCourtyard, FormatSummerEvening, FormatCouncil, FormatOwners, FormatTalk), voter("facilitator", c.Facilitator)); err != nil {
		return nil, err
	}
	if c.Format == FormatOwners && c.CompoundID == "" {
		return nil, invalid("compound_id", "compound_required", "an owners' assembly belongs to one compound", "业主大会须写明楼院/小区")
	}
	return []Event{MeetingScheduled{MeetingID: c.MeetingID, CommunityID: c.CommunityID, GridID: c.GridID, CompoundID: c.CompoundID,
		Title: c.Title, Place: c.Place, StartsAt: c.StartsAt, Format: c.Format, Facilitator: c.Facilitator, At: now}}, nil
}

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

// openVoting decides an OpenVoting: the motion's rule and options and the
// electorate in the command are locked into the event.
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
		Options: m.Options, Rule: m.Rule, Secret: m.Secret, Electorate: electorate, Units: units, At: now}}, nil
}

// ownersElectorate checks a register and derives the electorate: every
// owner in it, named from names where given, in order of first appearance.
func ownersElectorate(units []OwnedUnit, names []Voter) ([]Voter, *Error) {
	if len(units) == 0 {
		return nil, invalid("units", "register_required", "the owners' rules need the compound's unit register", "业主共同决定须提供房屋登记（专有部分面积与业主）")
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
	inElectorate := false
	for _, v := range m.Electorate {
		inElectorate = inElectorate || v.PersonID == c.VoterID
	}
	if !inElectorate {
		return nil, refuse(CodeForbidden, "not_in_electorate", "this person is not in the motion's electorate and cannot vote on it", "此人不在该动议的表决名单中，不能投票")
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
	prev, voted := m.ballot(c.VoterID)
	if !voted {
		return []Event{VoteCast{MeetingID: s.MeetingID, MotionID: m.MotionID, VoterID: c.VoterID, CastBy: c.CastBy, OptionID: c.OptionID, Secret: m.Secret, At: now}}, nil
	}
	if prev.OptionID == c.OptionID {
		return nil, refuse(CodeConflict, "already_voted", "this ballot is already cast with the same choice; to change a vote, choose another option", "已经投过相同的票；如要改票，请选择其他选项")
	}
	return []Event{VoteChanged{MeetingID: s.MeetingID, MotionID: m.MotionID, VoterID: c.VoterID, CastBy: c.CastBy, OptionID: c.OptionID, PreviousOption: prev.OptionID, Secret: m.Secret, At: now}}, nil
}
