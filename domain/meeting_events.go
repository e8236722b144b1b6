package domain

import "time"

// Meeting formats (议事形式).
const (
	// FormatCourtyard is a 楼院议事: residents of one compound in its yard.
	FormatCourtyard = "courtyard"
	// FormatSummerEvening is a 纳凉议事: an informal evening gathering.
	FormatSummerEvening = "summer_evening"
	// FormatCouncil is a 议事会 of resident representatives and units.
	FormatCouncil = "council"
	// FormatOwners is an owners' assembly (业主大会) deciding under art. 278.
	FormatOwners = "owners_assembly"
	// FormatTalk is a policy talk or forum (政策宣讲, 座谈), such as a
	// 网格之家's: the opinions collected there are proposals naming it.
	FormatTalk = "talk"
	// FormatActivity is an activity held for residents (a free clinic 义诊,
	// photos for elders, a police station's safety lecture): counted apart
	// from the talks, so that "6 talks" is not "30 activities".
	FormatActivity = "activity"
)

// Participant kinds.
const (
	// ParticipantResident is a resident.
	ParticipantResident = "resident"
	// ParticipantRepresentative is a resident representative (居民代表).
	ParticipantRepresentative = "representative"
	// ParticipantUnit is a participating unit's representative.
	ParticipantUnit = "unit"
	// ParticipantOfficial is a community worker, grid head or grid worker.
	ParticipantOfficial = "official"
)

// Attendance values.
const (
	// Present: the person attends.
	Present = "present"
	// Absent: the person does not attend and nobody holds their proxy.
	Absent = "absent"
	// Proxy: the person does not attend; a present person holds their
	// written proxy (委托书) and may vote for them.
	Proxy = "proxy"
)

// How a proposal was decided (ProposalDecided.How).
const (
	// DecidedByVote: a motion's voting closed.
	DecidedByVote = "vote"
	// DecidedByConsensus: consensus was recorded without a vote.
	DecidedByConsensus = "consensus"
	// DecidedByMediation: the parties agreed on one mediation option.
	DecidedByMediation = "mediation"
)

// How staff learnt what they record for someone else (RecordedBy set).
const (
	// RecordedSpoken: the person said it aloud in the meeting, where they
	// are recorded present.
	RecordedSpoken = "spoken"
	// RecordedInWriting: the person handed it in writing.
	RecordedInWriting = "in_writing"
)

// How a ballot recorded by staff was cast (VoteCast.Method).
const (
	// MethodShowOfHands: the person raised their hand in the room, where
	// they are recorded present; never on a secret motion.
	MethodShowOfHands = "show_of_hands"
	// MethodPaper: a written ballot (书面表决) handed in; the person need
	// not attend.
	MethodPaper = "paper"
)

// Participant is someone invited to a meeting.
type Participant struct {
	PersonID string `json:"person_id"`
	Name     string `json:"name" pii:"name,person=PersonID"`
	Kind     string `json:"kind"`
	// PartnerID is the participating unit the person speaks for, if any.
	PartnerID string `json:"partner_id,omitempty"`
}

// MeetingScheduled starts a meeting (议事会) stream.
type MeetingScheduled struct {
	MeetingID   string `json:"meeting_id"`
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	CompoundID  string `json:"compound_id,omitempty"`
	Title       string `json:"title"`
	Place       string `json:"place"`
	// StartsAt is when the meeting is to start.
	StartsAt time.Time `json:"starts_at"`
	// Format is one of the Format* constants.
	Format      string    `json:"format"`
	Facilitator Voter     `json:"facilitator"`
	At          time.Time `json:"at"`
}

// AgendaItemAdded adds an item, optionally linked to a proposal. It
// repeats the meeting's title and start so that a proposal's timeline needs
// no other event.
type AgendaItemAdded struct {
	MeetingID    string    `json:"meeting_id"`
	ItemID       string    `json:"item_id"`
	Title        string    `json:"title"`
	ProposalID   string    `json:"proposal_id,omitempty"`
	MeetingTitle string    `json:"meeting_title"`
	StartsAt     time.Time `json:"starts_at"`
	At           time.Time `json:"at"`
}

// ParticipantInvited invites a person to the meeting.
type ParticipantInvited struct {
	MeetingID   string      `json:"meeting_id"`
	Participant Participant `json:"participant"`
	At          time.Time   `json:"at"`
}

// MeetingOpened records that the meeting started.
type MeetingOpened struct {
	MeetingID string    `json:"meeting_id"`
	At        time.Time `json:"at"`
}

// AttendanceRecorded records one person's attendance. For Proxy, HolderID
// is the present person holding the proxy and Authority describes the
// written authority (a reference to the stored 委托书).
type AttendanceRecorded struct {
	MeetingID string `json:"meeting_id"`
	PersonID  string `json:"person_id"`
	Name      string `json:"name" pii:"name,person=PersonID"`
	// Attendance is Present, Absent or Proxy.
	Attendance string `json:"attendance"`
	// HolderID is the present person holding the proxy.
	HolderID string `json:"holder_id,omitempty"`
	// Authority describes the written proxy (委托书), or references it.
	Authority string    `json:"authority,omitempty" pii:"text,person=PersonID,person=HolderID"`
	At        time.Time `json:"at"`
}

// StatementRecorded records what someone said on an agenda item.
type StatementRecorded struct {
	MeetingID string    `json:"meeting_id"`
	ItemID    string    `json:"item_id"`
	Speaker   Voter     `json:"speaker"`
	Summary   string    `json:"summary" pii:"text,person=Speaker.PersonID"`
	At        time.Time `json:"at"`
}

// MotionTabled puts a motion on an agenda item.
type MotionTabled struct {
	MeetingID string `json:"meeting_id"`
	MotionID  string `json:"motion_id"`
	ItemID    string `json:"item_id"`
	// ProposalID is the agenda item's proposal, if any.
	ProposalID string   `json:"proposal_id,omitempty"`
	Text       string   `json:"text"`
	Options    []Option `json:"options"`
	Rule       Rule     `json:"rule"`
	// Secret motions are voted by secret ballot; views hide who chose what.
	Secret bool      `json:"secret"`
	At     time.Time `json:"at"`
}

// MotionAmended replaces a motion's text, options, rule and secrecy before
// voting opens.
type MotionAmended struct {
	MeetingID string    `json:"meeting_id"`
	MotionID  string    `json:"motion_id"`
	Text      string    `json:"text"`
	Options   []Option  `json:"options"`
	Rule      Rule      `json:"rule"`
	Secret    bool      `json:"secret"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// VotingOpened locks a motion's rule, options and electorate. For the
// owners' rules Units is the compound's register at that moment, read by
// the server from the organisation's events (never from the caller), and
// RegisterRevision the revision of the organisation stream it was read
// at; the electorate is then every owner in it.
type VotingOpened struct {
	MeetingID  string   `json:"meeting_id"`
	MotionID   string   `json:"motion_id"`
	ItemID     string   `json:"item_id"`
	ProposalID string   `json:"proposal_id,omitempty"`
	Text       string   `json:"text"`
	Options    []Option `json:"options"`
	Rule       Rule     `json:"rule"`
	Secret     bool     `json:"secret"`
	// Electorate is who may vote, locked until voting closes.
	Electorate []Voter `json:"electorate"`
	// Units is the register locked for the owners' rules.
	Units []OwnedUnit `json:"units,omitempty"`
	// RegisterRevision is the revision of the organisation stream whose
	// events up to it give Units (owners' rules; absent on events recorded
	// before the server built the register).
	RegisterRevision *int64    `json:"register_revision,omitempty"`
	At               time.Time `json:"at"`
}

// VoteCast records a ballot. OptionID is empty for an abstention. CastBy
// differs from VoterID when a proxy holder votes. Method and RecordedBy
// are set when staff recorded the ballot of someone without a token (a
// raised hand, a paper ballot).
type VoteCast struct {
	MeetingID string `json:"meeting_id"`
	MotionID  string `json:"motion_id"`
	VoterID   string `json:"voter_id"`
	// CastBy is the voter, or the holder of the voter's recorded proxy.
	CastBy string `json:"cast_by"`
	// OptionID is the chosen option; empty is an abstention.
	OptionID string `json:"option_id,omitempty"`
	Secret   bool   `json:"secret"`
	// Method is MethodShowOfHands or MethodPaper when staff recorded the
	// ballot; empty when the voter or their proxy holder cast it.
	Method string `json:"method,omitempty"`
	// RecordedBy is the person id of the staff member who recorded it.
	RecordedBy string    `json:"recorded_by,omitempty"`
	At         time.Time `json:"at"`
}

// VoteChanged records that a voter changed their ballot while voting was
// open; the previous ballot stays in the ledger.
type VoteChanged struct {
	MeetingID string `json:"meeting_id"`
	MotionID  string `json:"motion_id"`
	VoterID   string `json:"voter_id"`
	// CastBy is the voter, or the holder of the voter's recorded proxy.
	CastBy string `json:"cast_by"`
	// OptionID is the new choice; empty is an abstention.
	OptionID string `json:"option_id,omitempty"`
	// PreviousOption is the option of the ballot replaced; empty was an abstention.
	PreviousOption string `json:"previous_option,omitempty"`
	Secret         bool   `json:"secret"`
	// Method and RecordedBy are as in VoteCast.
	Method     string    `json:"method,omitempty"`
	RecordedBy string    `json:"recorded_by,omitempty"`
	At         time.Time `json:"at"`
}

// VotingClosed records the end of voting and the tally the domain computed.
type VotingClosed struct {
	MeetingID  string    `json:"meeting_id"`
	MotionID   string    `json:"motion_id"`
	ItemID     string    `json:"item_id"`
	ProposalID string    `json:"proposal_id,omitempty"`
	Text       string    `json:"text"`
	Tally      Tally     `json:"tally"`
	At         time.Time `json:"at"`
}

// MotionObjectionRaised records an objection to a motion that is to be
// decided by consensus; consensus cannot be recorded while it stands.
// RecordedBy and How are set when staff recorded it for the objector.
type MotionObjectionRaised struct {
	MeetingID string `json:"meeting_id"`
	MotionID  string `json:"motion_id"`
	PersonID  string `json:"person_id"`
	Name      string `json:"name" pii:"name,person=PersonID"`
	Reason    string `json:"reason" pii:"text,person=PersonID"`
	// RecordedBy is the person id of the staff member who recorded the
	// objection; empty when the objector raised it themselves.
	RecordedBy string `json:"recorded_by,omitempty"`
	// How is RecordedSpoken or RecordedInWriting when RecordedBy is set.
	How string    `json:"how,omitempty"`
	At  time.Time `json:"at"`
}

// MotionObjectionWithdrawn records that an objector withdrew.
type MotionObjectionWithdrawn struct {
	MeetingID string `json:"meeting_id"`
	MotionID  string `json:"motion_id"`
	PersonID  string `json:"person_id"`
	// RecordedBy and How are as in MotionObjectionRaised.
	RecordedBy string    `json:"recorded_by,omitempty"`
	How        string    `json:"how,omitempty"`
	At         time.Time `json:"at"`
}

// ConsensusReached records agreement without a vote on one option of a
// consensus motion, with no objection standing.
type ConsensusReached struct {
	MeetingID  string `json:"meeting_id"`
	MotionID   string `json:"motion_id"`
	ItemID     string `json:"item_id"`
	ProposalID string `json:"proposal_id,omitempty"`
	Text       string `json:"text"`
	// OptionID is the option everyone consented to.
	OptionID string    `json:"option_id"`
	Label    string    `json:"label"`
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
}

// MediationOffered records the options a mediator put to the parties of a
// dispute on an agenda item.
type MediationOffered struct {
	MeetingID   string    `json:"meeting_id"`
	MediationID string    `json:"mediation_id"`
	ItemID      string    `json:"item_id"`
	ProposalID  string    `json:"proposal_id,omitempty"`
	Dispute     string    `json:"dispute"`
	Parties     []Party   `json:"parties"`
	Options     []Option  `json:"options"`
	At          time.Time `json:"at"`
}

// MediationAgreed records the option every party agreed to.
type MediationAgreed struct {
	MeetingID   string `json:"meeting_id"`
	MediationID string `json:"mediation_id"`
	ItemID      string `json:"item_id"`
	ProposalID  string `json:"proposal_id,omitempty"`
	Dispute     string `json:"dispute"`
	// OptionID is the option every party agreed to.
	OptionID string    `json:"option_id"`
	Label    string    `json:"label"`
	Parties  []Party   `json:"parties"`
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
}

// MeetingAdjourned records the end of the meeting.
type MeetingAdjourned struct {
	MeetingID string    `json:"meeting_id"`
	Note      string    `json:"note,omitempty"`
	At        time.Time `json:"at"`
}

// MinutesNote is what a person writes in the minutes about one agenda
// item, beside the statements and decisions the record holds.
type MinutesNote struct {
	ItemID string `json:"item_id"`
	Text   string `json:"text"`
}

// MinutesDrafted records a draft of the minutes (会议纪要): the words a
// person adds to the record after the meeting — a summary, a note per
// agenda item, remarks. Attendance, statements, motions, tallies,
// decisions and actions are not copied: the minutes are drawn from the
// meeting's events when they are read. Each draft replaces the one before.
type MinutesDrafted struct {
	MeetingID string `json:"meeting_id"`
	// Draft counts the drafts of the meeting's minutes, from 1.
	Draft   int           `json:"draft"`
	Summary string        `json:"summary"`
	Notes   []MinutesNote `json:"notes,omitempty"`
	Remarks string        `json:"remarks,omitempty"`
	// Recorder is the person who wrote this draft (记录人).
	Recorder Voter     `json:"recorder"`
	At       time.Time `json:"at"`
}

// MinutesPublished records the minutes' publication (公示) and the end of
// the period in which objections may be raised. When the minutes were
// drafted, it repeats the draft published (Draft, Summary, Notes, Remarks,
// Recorder) so that the published words need no other event.
type MinutesPublished struct {
	MeetingID string `json:"meeting_id"`
	Summary   string `json:"summary"`
	// Document is the SHA-256 reference of the minutes' file, if stored;
	// the tag attachment:"ref" lets the meeting's readers fetch it.
	Document string `json:"document,omitempty" attachment:"ref"`
	// ObjectionUntil ends the period in which objections are accepted.
	ObjectionUntil time.Time `json:"objection_until"`
	// ObjectionDays is the period in days, when it was given so.
	ObjectionDays int `json:"objection_days,omitempty"`
	// Draft is the number of the draft published; 0 when the minutes were
	// published without one (a summary only).
	Draft    int           `json:"draft,omitempty"`
	Notes    []MinutesNote `json:"notes,omitempty"`
	Remarks  string        `json:"remarks,omitempty"`
	Recorder Voter         `json:"recorder,omitzero"`
	At       time.Time     `json:"at"`
}

// MinutesObjectionRaised records an objection to the published minutes.
type MinutesObjectionRaised struct {
	MeetingID string    `json:"meeting_id"`
	PersonID  string    `json:"person_id"`
	Name      string    `json:"name" pii:"name,person=PersonID"`
	Text      string    `json:"text" pii:"text,person=PersonID"`
	At        time.Time `json:"at"`
}

// EventType implements Event.
func (MeetingScheduled) EventType() string { return "meeting.scheduled.v1" }

// EventType implements Event.
func (AgendaItemAdded) EventType() string { return "meeting.agenda_item_added.v1" }

// EventType implements Event.
func (ParticipantInvited) EventType() string { return "meeting.participant_invited.v1" }

// EventType implements Event.
func (MeetingOpened) EventType() string { return "meeting.opened.v1" }

// EventType implements Event.
func (AttendanceRecorded) EventType() string { return "meeting.attendance_recorded.v1" }

// EventType implements Event.
func (StatementRecorded) EventType() string { return "meeting.statement_recorded.v1" }

// EventType implements Event.
func (MotionTabled) EventType() string { return "meeting.motion_tabled.v1" }

// EventType implements Event.
func (MotionAmended) EventType() string { return "meeting.motion_amended.v1" }

// EventType implements Event.
func (VotingOpened) EventType() string { return "meeting.voting_opened.v1" }

// EventType implements Event.
func (VoteCast) EventType() string { return "meeting.vote_cast.v1" }

// EventType implements Event.
func (VoteChanged) EventType() string { return "meeting.vote_changed.v1" }

// EventType implements Event.
func (VotingClosed) EventType() string { return "meeting.voting_closed.v1" }

// EventType implements Event.
func (MotionObjectionRaised) EventType() string { return "meeting.motion_objection_raised.v1" }

// EventType implements Event.
func (MotionObjectionWithdrawn) EventType() string { return "meeting.motion_objection_withdrawn.v1" }

// EventType implements Event.
func (ConsensusReached) EventType() string { return "meeting.consensus_reached.v1" }

// EventType implements Event.
func (MediationOffered) EventType() string { return "meeting.mediation_offered.v1" }

// EventType implements Event.
func (MediationAgreed) EventType() string { return "meeting.mediation_agreed.v1" }

// EventType implements Event.
func (MeetingAdjourned) EventType() string { return "meeting.adjourned.v1" }

// EventType implements Event.
func (MinutesDrafted) EventType() string { return "meeting.minutes_drafted.v1" }

// EventType implements Event.
func (MinutesPublished) EventType() string { return "meeting.minutes_published.v1" }

// EventType implements Event.
func (MinutesObjectionRaised) EventType() string { return "meeting.minutes_objection_raised.v1" }

// ScheduleMeeting starts a meeting.
type ScheduleMeeting struct {
	MeetingID   string    `json:"meeting_id"`
	CommunityID string    `json:"community_id"`
	GridID      string    `json:"grid_id"`
	CompoundID  string    `json:"compound_id,omitempty"`
	Title       string    `json:"title"`
	Place       string    `json:"place"`
	StartsAt    time.Time `json:"starts_at"`
	Format      string    `json:"format"`
	Facilitator Voter     `json:"facilitator"`
}

// AddAgendaItem adds an agenda item, linked to a proposal when ProposalID
// is set (the proposal learns it through a follow-up).
type AddAgendaItem struct {
	MeetingID  string `json:"meeting_id"`
	ItemID     string `json:"item_id"`
	Title      string `json:"title"`
	ProposalID string `json:"proposal_id,omitempty"`
}

// InviteParticipant invites a person.
type InviteParticipant struct {
	MeetingID   string      `json:"meeting_id"`
	Participant Participant `json:"participant"`
}

// OpenMeeting starts the meeting.
type OpenMeeting struct {
	MeetingID string `json:"meeting_id"`
}

// RecordAttendance records one person's attendance (see AttendanceRecorded).
type RecordAttendance struct {
	MeetingID  string `json:"meeting_id"`
	PersonID   string `json:"person_id"`
	Name       string `json:"name"`
	Attendance string `json:"attendance"`
	HolderID   string `json:"holder_id,omitempty"`
	Authority  string `json:"authority,omitempty"`
}

// RecordStatement records a statement on an agenda item.
type RecordStatement struct {
	MeetingID string `json:"meeting_id"`
	ItemID    string `json:"item_id"`
	Speaker   Voter  `json:"speaker"`
	Summary   string `json:"summary"`
}

// TableMotion puts a motion on an agenda item.
type TableMotion struct {
	MeetingID string   `json:"meeting_id"`
	MotionID  string   `json:"motion_id"`
	ItemID    string   `json:"item_id"`
	Text      string   `json:"text"`
	Options   []Option `json:"options"`
	Rule      Rule     `json:"rule"`
	Secret    bool     `json:"secret"`
}

// AmendMotion replaces a motion's text, options, rule and secrecy; only
// before voting opens.
type AmendMotion struct {
	MeetingID string   `json:"meeting_id"`
	MotionID  string   `json:"motion_id"`
	Text      string   `json:"text"`
	Options   []Option `json:"options"`
	Rule      Rule     `json:"rule"`
	Secret    bool     `json:"secret"`
	Reason    string   `json:"reason"`
}

// OpenVoting locks the motion's rule and options and the electorate.
// Electorate may name who votes; when empty it is the invited participants
// other than officials. For the art. 278 rules the register is never the
// caller's: the application layer (ledger) refuses a command that brings
// Units or Electorate, reads the compound's register from the
// organisation's events and fills in Units, the owners' names as
// Electorate, and RegisterRevision.
type OpenVoting struct {
	MeetingID  string      `json:"meeting_id"`
	MotionID   string      `json:"motion_id"`
	Electorate []Voter     `json:"electorate"`
	Units      []OwnedUnit `json:"units,omitempty"`
	// RegisterRevision is the organisation stream's revision the register
	// was read at (set with Units by the application layer).
	RegisterRevision *int64 `json:"register_revision,omitempty"`
}

// CastVote casts (or changes) a ballot. OptionID empty is an abstention.
// CastBy is the person at the ballot box: the voter, or the present holder
// of the voter's recorded proxy. A voter's own ballot is accepted whatever
// their attendance, so that written ballots (书面表决) can be recorded;
// attendance counts only for the quorum.
type CastVote struct {
	MeetingID string `json:"meeting_id"`
	MotionID  string `json:"motion_id"`
	VoterID   string `json:"voter_id"`
	CastBy    string `json:"cast_by"`
	OptionID  string `json:"option_id,omitempty"`
}

// RecordBallots records, for people without a token of their own, the
// same choice for each of VoterIDs: hands raised for one option in the
// room (MethodShowOfHands: each person recorded present; not on a secret
// motion) or paper ballots handed in (MethodPaper). RecordedBy is the staff
// member recording them; each ballot's event says so.
type RecordBallots struct {
	MeetingID string `json:"meeting_id"`
	MotionID  string `json:"motion_id"`
	// OptionID is the choice; empty records abstentions.
	OptionID   string   `json:"option_id,omitempty"`
	VoterIDs   []string `json:"voter_ids"`
	Method     string   `json:"method"`
	RecordedBy string   `json:"recorded_by"`
}

// CloseVoting ends voting; the domain computes the tally.
type CloseVoting struct {
	MeetingID string `json:"meeting_id"`
	MotionID  string `json:"motion_id"`
}

// RaiseMotionObjection objects to a consensus motion: the objector's own,
// or recorded by staff (RecordedBy, How) for someone who said it aloud in
// the room or handed it in writing.
type RaiseMotionObjection struct {
	MeetingID  string `json:"meeting_id"`
	MotionID   string `json:"motion_id"`
	PersonID   string `json:"person_id"`
	Name       string `json:"name"`
	Reason     string `json:"reason"`
	RecordedBy string `json:"recorded_by,omitempty"`
	How        string `json:"how,omitempty"`
}

// WithdrawMotionObjection withdraws an objection, the objector's own or
// recorded by staff as in RaiseMotionObjection; only while the meeting is
// open.
type WithdrawMotionObjection struct {
	MeetingID  string `json:"meeting_id"`
	MotionID   string `json:"motion_id"`
	PersonID   string `json:"person_id"`
	RecordedBy string `json:"recorded_by,omitempty"`
	How        string `json:"how,omitempty"`
}

// RecordConsensus records agreement on one option of a consensus motion.
type RecordConsensus struct {
	MeetingID string `json:"meeting_id"`
	MotionID  string `json:"motion_id"`
	OptionID  string `json:"option_id"`
	Note      string `json:"note,omitempty"`
}

// OfferMediation puts several options to the parties of a dispute.
type OfferMediation struct {
	MeetingID   string   `json:"meeting_id"`
	MediationID string   `json:"mediation_id"`
	ItemID      string   `json:"item_id"`
	Dispute     string   `json:"dispute"`
	Parties     []Party  `json:"parties"`
	Options     []Option `json:"options"`
}

// AgreeMediation records the option the parties agreed to.
type AgreeMediation struct {
	MeetingID   string `json:"meeting_id"`
	MediationID string `json:"mediation_id"`
	OptionID    string `json:"option_id"`
	Note        string `json:"note,omitempty"`
}

// AdjournMeeting ends the meeting.
type AdjournMeeting struct {
	MeetingID string `json:"meeting_id"`
	Note      string `json:"note,omitempty"`
}

// DraftMinutes writes (or rewrites) the draft of the minutes once the
// meeting is adjourned; Recorder is the person writing it.
type DraftMinutes struct {
	MeetingID string        `json:"meeting_id"`
	Summary   string        `json:"summary"`
	Notes     []MinutesNote `json:"notes,omitempty"`
	Remarks   string        `json:"remarks,omitempty"`
	Recorder  Voter         `json:"recorder"`
}

// PublishMinutes publishes the minutes with an objection period, given
// as its end (ObjectionUntil) or in days from now (ObjectionDays). With a
// draft, the latest draft is published (Summary stays empty; Draft, when
// set, must name the latest draft, so that nobody publishes words they
// have not seen); without one, Summary is the minutes.
type PublishMinutes struct {
	MeetingID      string    `json:"meeting_id"`
	Summary        string    `json:"summary"`
	Document       string    `json:"document,omitempty"`
	ObjectionUntil time.Time `json:"objection_until"`
	ObjectionDays  int       `json:"objection_days,omitempty"`
	Draft          int       `json:"draft,omitempty"`
}

// ObjectToMinutes raises an objection to published minutes.
type ObjectToMinutes struct {
	MeetingID string `json:"meeting_id"`
	PersonID  string `json:"person_id"`
	Name      string `json:"name"`
	Text      string `json:"text"`
}

// MeetingStream is the stream of one meeting.
func MeetingStream(meetingID string) string { return "meeting-" + meetingID }

// Stream implements Command.
func (c ScheduleMeeting) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c AddAgendaItem) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c InviteParticipant) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c OpenMeeting) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c RecordAttendance) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c RecordStatement) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c TableMotion) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c AmendMotion) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c OpenVoting) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c CastVote) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c RecordBallots) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c CloseVoting) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c RaiseMotionObjection) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c WithdrawMotionObjection) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c RecordConsensus) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c OfferMediation) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c AgreeMediation) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c AdjournMeeting) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c DraftMinutes) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c PublishMinutes) Stream() string { return MeetingStream(c.MeetingID) }

// Stream implements Command.
func (c ObjectToMinutes) Stream() string { return MeetingStream(c.MeetingID) }
