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

// Request types of the meeting routes.
type (
	scheduleMeetingRequest struct {
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
	agendaItemRequest struct {
		ItemID     string `json:"item_id"`
		Title      string `json:"title"`
		ProposalID string `json:"proposal_id"`
	}
	participantRequest struct {
		PersonID  string `json:"person_id"`
		Name      string `json:"name"`
		Kind      string `json:"kind"`
		PartnerID string `json:"partner_id"`
	}
	attendanceRequest struct {
		PersonID   string `json:"person_id"`
		Name       string `json:"name"`
		Attendance string `json:"attendance"`
		HolderID   string `json:"holder_id"`
		Authority  string `json:"authority"`
	}
	statementRequest struct {
		ItemID  string       `json:"item_id"`
		Speaker voterRequest `json:"speaker"`
		Summary string       `json:"summary"`
	}
	// motionRequest tables a motion, or (PUT, with a reason and without
	// the ids) amends one.
	motionRequest struct {
		MotionID string          `json:"motion_id"`
		ItemID   string          `json:"item_id"`
		Text     string          `json:"text"`
		Options  []optionRequest `json:"options"`
		Rule     ruleRequest     `json:"rule"`
		Secret   bool            `json:"secret"`
		Reason   string          `json:"reason"`
	}
	ownedUnitRequest struct {
		UnitID  string   `json:"unit_id"`
		AreaDM2 int64    `json:"area_dm2"`
		Owners  []string `json:"owners"`
	}
	// openVotingRequest may name the electorate; without one the server
	// locks the meeting's invited participants (all but officials), or for
	// the owners' rules the register of the meeting's compound.
	openVotingRequest struct {
		Electorate []voterRequest     `json:"electorate"`
		Units      []ownedUnitRequest `json:"units"`
	}
	// voteRequest: VoterID is the principal unless it casts the vote of
	// someone whose recorded proxy it holds.
	voteRequest struct {
		OptionID string `json:"option_id"`
		VoterID  string `json:"voter_id"`
	}
	choiceRequest struct {
		OptionID string `json:"option_id"`
		Note     string `json:"note"`
	}
	mediationRequest struct {
		MediationID string          `json:"mediation_id"`
		ItemID      string          `json:"item_id"`
		Dispute     string          `json:"dispute"`
		Parties     []partyRequest  `json:"parties"`
		Options     []optionRequest `json:"options"`
	}
	minutesRequest struct {
		Summary        string    `json:"summary"`
		Document       string    `json:"document"`
		ObjectionUntil time.Time `json:"objection_until"`
	}
	minutesObjectionRequest struct {
		Text string `json:"text"`
	}
)

// scheduleMeeting: in the principal's scope; the principal facilitates it
// unless another facilitator is named.
func scheduleMeeting(_ *Server, c echo.Context, p principal, _ ref, r *scheduleMeetingRequest) (domain.Command, string, error) {
	if err := requireScope(p, r.CommunityID, r.GridID); err != nil {
		return nil, "", err
	}
	id, err := newID(c, p, "meeting_id", r.MeetingID)
	if err != nil {
		return nil, "", err
	}
	facilitator := domain.Voter{PersonID: p.token.Actor(), Name: p.token.Name}
	if r.Facilitator != nil {
		facilitator = r.Facilitator.voter()
	}
	return domain.ScheduleMeeting{
		MeetingID: id, CommunityID: r.CommunityID, GridID: r.GridID, CompoundID: r.CompoundID,
		Title: r.Title, Place: r.Place, StartsAt: r.StartsAt, Format: r.Format, Facilitator: facilitator,
	}, id, nil
}

// addAgendaItem: a linked proposal must lie in the principal's scope too.
func addAgendaItem(s *Server, c echo.Context, p principal, t ref, r *agendaItemRequest) (domain.Command, string, error) {
	if r.ProposalID != "" {
		pid, err := parseID("proposal_id", r.ProposalID)
		if err != nil {
			return nil, "", err
		}
		if err := s.authorize(c, p, domain.ProposalStream(pid.String())); err != nil {
			return nil, "", err
		}
		r.ProposalID = pid.String()
	}
	item, err := newID(c, p, "item_id", r.ItemID)
	if err != nil {
		return nil, "", err
	}
	return domain.AddAgendaItem{MeetingID: t.id, ItemID: item, Title: r.Title, ProposalID: r.ProposalID}, item, nil
}

func inviteParticipant(_ *Server, _ echo.Context, _ principal, t ref, r *participantRequest) (domain.Command, string, error) {
	return domain.InviteParticipant{MeetingID: t.id, Participant: domain.Participant{
		PersonID: r.PersonID, Name: r.Name, Kind: r.Kind, PartnerID: r.PartnerID,
	}}, "", nil
}

func openMeeting(_ *Server, _ echo.Context, _ principal, t ref, _ *emptyRequest) (domain.Command, string, error) {
	return domain.OpenMeeting{MeetingID: t.id}, "", nil
}

func recordAttendance(_ *Server, _ echo.Context, _ principal, t ref, r *attendanceRequest) (domain.Command, string, error) {
	return domain.RecordAttendance{
		MeetingID: t.id, PersonID: r.PersonID, Name: r.Name, Attendance: r.Attendance, HolderID: r.HolderID, Authority: r.Authority,
	}, "", nil
}

func recordStatement(_ *Server, _ echo.Context, _ principal, t ref, r *statementRequest) (domain.Command, string, error) {
	return domain.RecordStatement{MeetingID: t.id, ItemID: r.ItemID, Speaker: r.Speaker.voter(), Summary: r.Summary}, "", nil
}

func tableMotion(_ *Server, c echo.Context, p principal, t ref, r *motionRequest) (domain.Command, string, error) {
	if r.Reason != "" {
		return nil, "", fieldErr(kindValidation, "reason", text{"提出动议时不需要理由；修改动议时才需要", "a reason belongs to an amendment, not to a new motion"})
	}
	motion, err := newID(c, p, "motion_id", r.MotionID)
	if err != nil {
		return nil, "", err
	}
	return domain.TableMotion{
		MeetingID: t.id, MotionID: motion, ItemID: r.ItemID, Text: r.Text, Options: options(r.Options), Rule: r.Rule.rule(), Secret: r.Secret,
	}, motion, nil
}

func amendMotion(_ *Server, c echo.Context, _ principal, t ref, r *motionRequest) (domain.Command, string, error) {
	if r.MotionID != "" || r.ItemID != "" {
		return nil, "", fieldErr(kindValidation, "motion_id", text{"修改动议时不能更改动议或议程项", "an amendment cannot change the motion or its agenda item"})
	}
	return domain.AmendMotion{
		MeetingID: t.id, MotionID: c.Param("motion"), Text: r.Text, Options: options(r.Options), Rule: r.Rule.rule(), Secret: r.Secret, Reason: r.Reason,
	}, "", nil
}

func openVoting(s *Server, c echo.Context, _ principal, t ref, r *openVotingRequest) (domain.Command, string, error) {
	cmd := domain.OpenVoting{MeetingID: t.id, MotionID: c.Param("motion"), Electorate: voters(r.Electorate)}
	for _, u := range r.Units {
		cmd.Units = append(cmd.Units, domain.OwnedUnit{UnitID: u.UnitID, AreaDM2: u.AreaDM2, Owners: u.Owners})
	}
	if len(cmd.Electorate) == 0 && len(cmd.Units) == 0 {
		var err error
		if cmd.Electorate, cmd.Units, err = s.electorate(c, domain.MeetingStream(t.id), cmd.MotionID); err != nil {
			return nil, "", err
		}
	}
	return cmd, "", nil
}

// electorate derives the voters of a motion from the ledger: the
// compound's owners for the art. 278 rules, the invited participants
// other than officials otherwise.
func (s *Server) electorate(c echo.Context, stream, motionID string) ([]domain.Voter, []domain.OwnedUnit, error) {
	meeting, err := s.loadAggregate(c.Request().Context(), stream)
	if err != nil {
		return nil, nil, err
	}
	var rule, compound string
	var invited []domain.Voter
	for _, ev := range meeting.events {
		switch e := ev.(type) {
		case domain.MeetingScheduled:
			compound = e.CompoundID
		case domain.ParticipantInvited:
			if e.Participant.Kind != domain.ParticipantOfficial {
				invited = append(invited, domain.Voter{PersonID: e.Participant.PersonID, Name: e.Participant.Name})
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
		return invited, nil, nil
	}
	org, err := s.loadAggregate(c.Request().Context(), domain.OrganisationStream(meeting.community))
	if err != nil {
		return nil, nil, err
	}
	voters, units := ownersRegister(org.events, compound)
	return voters, units, nil
}

// ownersRegister folds a compound's unit register from the organisation's
// events: its units with their areas and owners, and every owner once.
func ownersRegister(events []domain.Event, compound string) ([]domain.Voter, []domain.OwnedUnit) {
	type unit struct {
		area   int64
		owners []domain.Voter
	}
	var order []string
	units := map[string]*unit{}
	for _, ev := range events {
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
	var voters []domain.Voter
	seen := map[string]bool{}
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
	return voters, owned
}

// castVote casts or changes the principal's ballot, or the ballot of
// someone whose proxy it holds: the domain checks the proxy and the
// electorate.
func castVote(_ *Server, c echo.Context, p principal, t ref, r *voteRequest) (domain.Command, string, error) {
	voter := p.token.Actor()
	if r.VoterID != "" {
		voter = r.VoterID
	}
	return domain.CastVote{MeetingID: t.id, MotionID: c.Param("motion"), VoterID: voter, CastBy: p.token.Actor(), OptionID: r.OptionID}, "", nil
}

func closeVoting(_ *Server, c echo.Context, _ principal, t ref, _ *emptyRequest) (domain.Command, string, error) {
	return domain.CloseVoting{MeetingID: t.id, MotionID: c.Param("motion")}, "", nil
}

func raiseMotionObjection(_ *Server, c echo.Context, p principal, t ref, r *reasonRequest) (domain.Command, string, error) {
	return domain.RaiseMotionObjection{MeetingID: t.id, MotionID: c.Param("motion"), PersonID: p.token.Actor(), Name: p.token.Name, Reason: r.Reason}, "", nil
}

func withdrawMotionObjection(_ *Server, c echo.Context, p principal, t ref, _ *emptyRequest) (domain.Command, string, error) {
	return domain.WithdrawMotionObjection{MeetingID: t.id, MotionID: c.Param("motion"), PersonID: p.token.Actor()}, "", nil
}

func recordConsensus(_ *Server, c echo.Context, _ principal, t ref, r *choiceRequest) (domain.Command, string, error) {
	return domain.RecordConsensus{MeetingID: t.id, MotionID: c.Param("motion"), OptionID: r.OptionID, Note: r.Note}, "", nil
}

func offerMediation(_ *Server, c echo.Context, p principal, t ref, r *mediationRequest) (domain.Command, string, error) {
	id, err := newID(c, p, "mediation_id", r.MediationID)
	if err != nil {
		return nil, "", err
	}
	parties := make([]domain.Party, len(r.Parties))
	for i, pr := range r.Parties {
		parties[i] = pr.party()
	}
	return domain.OfferMediation{MeetingID: t.id, MediationID: id, ItemID: r.ItemID, Dispute: r.Dispute, Parties: parties, Options: options(r.Options)}, id, nil
}

func agreeMediation(_ *Server, c echo.Context, _ principal, t ref, r *choiceRequest) (domain.Command, string, error) {
	return domain.AgreeMediation{MeetingID: t.id, MediationID: c.Param("mediation"), OptionID: r.OptionID, Note: r.Note}, "", nil
}

func adjournMeeting(_ *Server, _ echo.Context, _ principal, t ref, r *noteRequest) (domain.Command, string, error) {
	return domain.AdjournMeeting{MeetingID: t.id, Note: r.Note}, "", nil
}

func publishMinutes(_ *Server, _ echo.Context, _ principal, t ref, r *minutesRequest) (domain.Command, string, error) {
	return domain.PublishMinutes{MeetingID: t.id, Summary: r.Summary, Document: r.Document, ObjectionUntil: r.ObjectionUntil}, "", nil
}

func objectToMinutes(_ *Server, _ echo.Context, p principal, t ref, r *minutesObjectionRequest) (domain.Command, string, error) {
	return domain.ObjectToMinutes{MeetingID: t.id, PersonID: p.token.Actor(), Name: p.token.Name, Text: r.Text}, "", nil
}
