package http

import (
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
)

// voterRequest names a person by id and display name.
type voterRequest struct {
	PersonID string `json:"person_id"`
	Name     string `json:"name"`
}

func (v voterRequest) voter() domain.Voter { return domain.Voter{PersonID: v.PersonID, Name: v.Name} }

// optionRequest is one option of a motion or a mediation.
type optionRequest struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

func options(in []optionRequest) []domain.Option {
	out := make([]domain.Option, len(in))
	for i, o := range in {
		out[i] = domain.Option{ID: o.ID, Label: o.Label}
	}
	return out
}

// ruleRequest is a motion's decision rule.
type ruleRequest struct {
	Kind          string `json:"kind"`
	QuorumPercent int    `json:"quorum_percent"`
}

func (r ruleRequest) rule() domain.Rule {
	return domain.Rule{Kind: r.Kind, QuorumPercent: r.QuorumPercent}
}

// scheduleMeetingRequest is the body of POST /v1/meetings.
type scheduleMeetingRequest struct {
	MeetingID   string        `json:"meeting_id"`
	CommunityID string        `json:"community_id"`
	GridID      string        `json:"grid_id"`
	CompoundID  string        `json:"compound_id"`
	Title       string        `json:"title"`
	Place       string        `json:"place"`
	StartsAt    time.Time     `json:"starts_at"`
	Format      string        `json:"format"`
	Facilitator *voterRequest `json:"facilitator"`
}

// postMeeting schedules a meeting in the principal's scope; the principal
// facilitates it unless another facilitator is named.
func (s *Server) postMeeting(c echo.Context) error {
	var r scheduleMeetingRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	if err := requireScope(p, r.CommunityID, r.GridID); err != nil {
		return err
	}
	id, err := newID(c, p, "meeting_id", r.MeetingID)
	if err != nil {
		return err
	}
	facilitator := domain.Voter{PersonID: p.token.Actor(), Name: p.token.Name}
	if r.Facilitator != nil {
		facilitator = r.Facilitator.voter()
	}
	return s.execute(c, domain.ScheduleMeeting{
		MeetingID: id, CommunityID: r.CommunityID, GridID: r.GridID, CompoundID: r.CompoundID,
		Title: r.Title, Place: r.Place, StartsAt: r.StartsAt, Format: r.Format, Facilitator: facilitator,
	}, id)
}

// meetingTarget reads the path's meeting id and checks the scope.
func (s *Server) meetingTarget(c echo.Context, p principal) (string, aggregate, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return "", aggregate{}, err
	}
	a, err := s.authorize(c, p, domain.MeetingStream(id.String()))
	return id.String(), a, err
}

// agendaItemRequest is the body of POST /v1/meetings/{id}/agenda.
type agendaItemRequest struct {
	ItemID     string `json:"item_id"`
	Title      string `json:"title"`
	ProposalID string `json:"proposal_id"`
}

// postAgendaItem adds an agenda item, linked to a proposal of the same
// scope when one is named.
func (s *Server) postAgendaItem(c echo.Context) error {
	var r agendaItemRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	if r.ProposalID != "" {
		pid, err := parseID("proposal_id", r.ProposalID)
		if err != nil {
			return err
		}
		if _, err := s.authorize(c, p, domain.ProposalStream(pid.String())); err != nil {
			return err
		}
		r.ProposalID = pid.String()
	}
	item, err := newID(c, p, "item_id", r.ItemID)
	if err != nil {
		return err
	}
	return s.execute(c, domain.AddAgendaItem{MeetingID: mid, ItemID: item, Title: r.Title, ProposalID: r.ProposalID}, item)
}

// participantRequest is the body of POST /v1/meetings/{id}/participants.
type participantRequest struct {
	PersonID  string `json:"person_id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	PartnerID string `json:"partner_id"`
}

// postParticipant invites a person.
func (s *Server) postParticipant(c echo.Context) error {
	var r participantRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.InviteParticipant{MeetingID: mid, Participant: domain.Participant{
		PersonID: r.PersonID, Name: r.Name, Kind: r.Kind, PartnerID: r.PartnerID,
	}}, "")
}

// postMeetingOpen opens the meeting.
func (s *Server) postMeetingOpen(c echo.Context) error {
	var r struct{}
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.OpenMeeting{MeetingID: mid}, "")
}

// attendanceRequest is the body of POST /v1/meetings/{id}/attendance.
type attendanceRequest struct {
	PersonID   string `json:"person_id"`
	Name       string `json:"name"`
	Attendance string `json:"attendance"`
	HolderID   string `json:"holder_id"`
	Authority  string `json:"authority"`
}

// postAttendance records one person's attendance, or their proxy.
func (s *Server) postAttendance(c echo.Context) error {
	var r attendanceRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.RecordAttendance{
		MeetingID: mid, PersonID: r.PersonID, Name: r.Name, Attendance: r.Attendance, HolderID: r.HolderID, Authority: r.Authority,
	}, "")
}

// statementRequest is the body of POST /v1/meetings/{id}/statements.
type statementRequest struct {
	ItemID  string       `json:"item_id"`
	Speaker voterRequest `json:"speaker"`
	Summary string       `json:"summary"`
}

// postStatement records a statement on an agenda item.
func (s *Server) postStatement(c echo.Context) error {
	var r statementRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.RecordStatement{MeetingID: mid, ItemID: r.ItemID, Speaker: r.Speaker.voter(), Summary: r.Summary}, "")
}

// motionRequest is the body of POST /v1/meetings/{id}/motions and of
// PUT /v1/meetings/{id}/motions/{motion} (which needs a reason).
type motionRequest struct {
	MotionID string          `json:"motion_id"`
	ItemID   string          `json:"item_id"`
	Text     string          `json:"text"`
	Options  []optionRequest `json:"options"`
	Rule     ruleRequest     `json:"rule"`
	Secret   bool            `json:"secret"`
	Reason   string          `json:"reason"`
}

// postMotion tables a motion on an agenda item.
func (s *Server) postMotion(c echo.Context) error {
	var r motionRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	if r.Reason != "" {
		return fieldErr(kindValidation, "reason", text{"提出动议时不需要理由；修改动议时才需要", "a reason belongs to an amendment, not to a new motion"})
	}
	motion, err := newID(c, p, "motion_id", r.MotionID)
	if err != nil {
		return err
	}
	return s.execute(c, domain.TableMotion{
		MeetingID: mid, MotionID: motion, ItemID: r.ItemID, Text: r.Text, Options: options(r.Options), Rule: r.Rule.rule(), Secret: r.Secret,
	}, motion)
}

// putMotion amends a motion before voting opens.
func (s *Server) putMotion(c echo.Context) error {
	var r motionRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	if r.MotionID != "" || r.ItemID != "" {
		return fieldErr(kindValidation, "motion_id", text{"修改动议时不能更改动议或议程项", "an amendment cannot change the motion or its agenda item"})
	}
	return s.execute(c, domain.AmendMotion{
		MeetingID: mid, MotionID: c.Param("motion"), Text: r.Text, Options: options(r.Options), Rule: r.Rule.rule(), Secret: r.Secret, Reason: r.Reason,
	}, "")
}

// ownedUnitRequest is one unit of a compound's register locked into an
// owners' vote.
type ownedUnitRequest struct {
	UnitID  string   `json:"unit_id"`
	AreaDM2 int64    `json:"area_dm2"`
	Owners  []string `json:"owners"`
}

// openVotingRequest is the body of POST /v1/meetings/{id}/motions/{motion}/voting.
// Without an electorate, the server locks the meeting's invited
// participants (all but officials), or for the owners' rules the register
// of the meeting's compound.
type openVotingRequest struct {
	Electorate []voterRequest     `json:"electorate"`
	Units      []ownedUnitRequest `json:"units"`
}

// postOpenVoting opens voting on a motion.
func (s *Server) postOpenVoting(c echo.Context) error {
	var r openVotingRequest
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, meeting, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	cmd := domain.OpenVoting{MeetingID: mid, MotionID: c.Param("motion")}
	for _, v := range r.Electorate {
		cmd.Electorate = append(cmd.Electorate, v.voter())
	}
	for _, u := range r.Units {
		cmd.Units = append(cmd.Units, domain.OwnedUnit{UnitID: u.UnitID, AreaDM2: u.AreaDM2, Owners: u.Owners})
	}
	if len(cmd.Electorate) == 0 && len(cmd.Units) == 0 {
		if cmd.Electorate, cmd.Units, err = s.electorate(c, meeting, cmd.MotionID); err != nil {
			return err
		}
	}
	return s.execute(c, cmd, "")
}

// electorate derives the voters of a motion from the ledger: the
// compound's owners for the art. 278 rules, the invited participants
// other than officials otherwise.
func (s *Server) electorate(c echo.Context, meeting aggregate, motionID string) ([]domain.Voter, []domain.OwnedUnit, error) {
	var rule, compound string
	var voters []domain.Voter
	for _, ev := range meeting.events {
		switch e := ev.(type) {
		case domain.MeetingScheduled:
			compound = e.CompoundID
		case domain.ParticipantInvited:
			if e.Participant.Kind != domain.ParticipantOfficial {
				voters = append(voters, domain.Voter{PersonID: e.Participant.PersonID, Name: e.Participant.Name})
			}
		case domain.MotionTabled:
			if e.MotionID == motionID {
				rule = e.Rule.Kind
			}
		case domain.MotionAmended:
			if e.MotionID == motionID {
				rule = e.Rule.Kind
			}
		}
	}
	if rule != domain.RuleOwnersOrdinary && rule != domain.RuleOwnersMajor {
		return voters, nil, nil
	}
	org, err := s.loadAggregate(c.Request().Context(), domain.OrganisationStream(meeting.community))
	if err != nil {
		return nil, nil, err
	}
	type unit struct {
		area   int64
		owners []domain.Voter
	}
	var order []string
	units := map[string]*unit{}
	for _, ev := range org.events {
		switch e := ev.(type) {
		case domain.UnitRegistered:
			if e.CompoundID == compound {
				units[e.UnitID] = &unit{area: e.AreaDM2, owners: e.Owners}
				order = append(order, e.UnitID)
			}
		case domain.UnitOwnersChanged:
			if u, ok := units[e.UnitID]; ok && e.CompoundID == compound {
				u.owners = e.Owners
			}
		}
	}
	var owned []domain.OwnedUnit
	seen := map[string]bool{}
	voters = nil
	for _, id := range order {
		u := units[id]
		ou := domain.OwnedUnit{UnitID: id, AreaDM2: u.area}
		for _, o := range u.owners {
			ou.Owners = append(ou.Owners, o.PersonID)
			if !seen[o.PersonID] {
				seen[o.PersonID] = true
				voters = append(voters, o)
			}
		}
		owned = append(owned, ou)
	}
	return voters, owned, nil
}

// voteRequest is the body of POST /v1/meetings/{id}/motions/{motion}/votes.
// VoterID is the principal unless it casts a recorded proxy's vote.
type voteRequest struct {
	OptionID string `json:"option_id"`
	VoterID  string `json:"voter_id"`
}

// postVote casts or changes the principal's ballot (or the ballot of
// someone whose proxy it holds: the domain checks the proxy and the
// electorate).
func (s *Server) postVote(c echo.Context) error {
	var r voteRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	voter := p.token.Actor()
	if r.VoterID != "" {
		voter = r.VoterID
	}
	return s.execute(c, domain.CastVote{MeetingID: mid, MotionID: c.Param("motion"), VoterID: voter, CastBy: p.token.Actor(), OptionID: r.OptionID}, "")
}

// postCloseVoting closes voting; the domain computes the tally.
func (s *Server) postCloseVoting(c echo.Context) error {
	var r struct{}
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.CloseVoting{MeetingID: mid, MotionID: c.Param("motion")}, "")
}

// postMotionObjection records the principal's objection to a consensus motion.
func (s *Server) postMotionObjection(c echo.Context) error {
	var r reasonRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.RaiseMotionObjection{MeetingID: mid, MotionID: c.Param("motion"), PersonID: p.token.Actor(), Name: p.token.Name, Reason: r.Reason}, "")
}

// postMotionObjectionWithdrawal withdraws the principal's objection.
func (s *Server) postMotionObjectionWithdrawal(c echo.Context) error {
	var r struct{}
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.WithdrawMotionObjection{MeetingID: mid, MotionID: c.Param("motion"), PersonID: p.token.Actor()}, "")
}

// choiceRequest is the body of commands that settle on one option.
type choiceRequest struct {
	OptionID string `json:"option_id"`
	Note     string `json:"note"`
}

// postConsensus records consensus on one option of a consensus motion.
func (s *Server) postConsensus(c echo.Context) error {
	var r choiceRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.RecordConsensus{MeetingID: mid, MotionID: c.Param("motion"), OptionID: r.OptionID, Note: r.Note}, "")
}

// mediationRequest is the body of POST /v1/meetings/{id}/mediations.
type mediationRequest struct {
	MediationID string          `json:"mediation_id"`
	ItemID      string          `json:"item_id"`
	Dispute     string          `json:"dispute"`
	Parties     []partyRequest  `json:"parties"`
	Options     []optionRequest `json:"options"`
}

// postMediation offers several options to the parties of a dispute.
func (s *Server) postMediation(c echo.Context) error {
	var r mediationRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	id, err := newID(c, p, "mediation_id", r.MediationID)
	if err != nil {
		return err
	}
	parties := make([]domain.Party, len(r.Parties))
	for i, pr := range r.Parties {
		parties[i] = pr.party()
	}
	return s.execute(c, domain.OfferMediation{MeetingID: mid, MediationID: id, ItemID: r.ItemID, Dispute: r.Dispute, Parties: parties, Options: options(r.Options)}, id)
}

// postMediationAgreement records the option the parties agreed to.
func (s *Server) postMediationAgreement(c echo.Context) error {
	var r choiceRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.AgreeMediation{MeetingID: mid, MediationID: c.Param("mediation"), OptionID: r.OptionID, Note: r.Note}, "")
}

// postAdjourn ends the meeting.
func (s *Server) postAdjourn(c echo.Context) error {
	var r noteRequest
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.AdjournMeeting{MeetingID: mid, Note: r.Note}, "")
}

// minutesRequest is the body of POST /v1/meetings/{id}/minutes.
type minutesRequest struct {
	Summary        string    `json:"summary"`
	Document       string    `json:"document"`
	ObjectionUntil time.Time `json:"objection_until"`
}

// postMinutes publishes the minutes with an objection period (公示).
func (s *Server) postMinutes(c echo.Context) error {
	var r minutesRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.PublishMinutes{MeetingID: mid, Summary: r.Summary, Document: r.Document, ObjectionUntil: r.ObjectionUntil}, "")
}

// minutesObjectionRequest is the body of POST /v1/meetings/{id}/minutes/objections.
type minutesObjectionRequest struct {
	Text string `json:"text"`
}

// postMinutesObjection records the principal's objection to the minutes.
func (s *Server) postMinutesObjection(c echo.Context) error {
	var r minutesObjectionRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	mid, _, err := s.meetingTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.ObjectToMinutes{MeetingID: mid, PersonID: p.token.Actor(), Name: p.token.Name, Text: r.Text}, "")
}
