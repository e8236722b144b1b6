package http

import (
	"encoding/json"
	"slices"
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

// ruleRequest is a motion's decision rule; Matter is the art. 278 item
// (1–9) of an owners' motion, from which the domain derives the threshold.
type ruleRequest struct {
	Kind          string `json:"kind"`
	QuorumPercent int    `json:"quorum_percent"`
	Matter        int    `json:"matter"`
}

func (r ruleRequest) rule() domain.Rule {
	return domain.Rule{Kind: r.Kind, QuorumPercent: r.QuorumPercent, Matter: r.Matter}
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
	// openVotingRequest may name the electorate; without one the domain
	// locks the meeting's invited participants (all but officials). For
	// the owners' rules the ledger locks the register of the meeting's
	// compound and refuses an electorate; Units is read only to refuse it.
	openVotingRequest struct {
		Electorate []voterRequest  `json:"electorate"`
		Units      json.RawMessage `json:"units"`
	}
	// ballotsRequest records the same choice for several people without a
	// token: hands raised in the room, or paper ballots.
	ballotsRequest struct {
		OptionID string   `json:"option_id"`
		VoterIDs []string `json:"voter_ids"`
		Method   string   `json:"method"`
	}
	// objectionRequest raises an objection: a resident's own (reason
	// only), or staff recording someone else's, naming the person and how.
	objectionRequest struct {
		Reason   string `json:"reason"`
		PersonID string `json:"person_id"`
		Name     string `json:"name"`
		How      string `json:"how"`
	}
	// withdrawalRequest withdraws an objection: the principal's own, or
	// (staff) the named person's.
	withdrawalRequest struct {
		PersonID string `json:"person_id"`
		How      string `json:"how"`
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
	// minutesDraftRequest is the words the recorder adds to the record.
	minutesDraftRequest struct {
		Summary string               `json:"summary"`
		Notes   []minutesNoteRequest `json:"notes"`
		Remarks string               `json:"remarks"`
	}
	minutesNoteRequest struct {
		ItemID string `json:"item_id"`
		Text   string `json:"text"`
	}
	// minutesRequest publishes the minutes: the latest draft (naming its
	// number in draft, if the caller wants to be sure it is the one they
	// read) or, without a draft, the summary; the objection period as its
	// end or in days.
	minutesRequest struct {
		Summary        string    `json:"summary"`
		Document       string    `json:"document"`
		ObjectionUntil time.Time `json:"objection_until"`
		ObjectionDays  int       `json:"objection_days"`
		Draft          int       `json:"draft"`
	}
	minutesObjectionRequest struct {
		Text string `json:"text"`
	}
)

// scheduleMeeting: in the principal's scope; the principal facilitates it
// unless another facilitator is named.
func scheduleMeeting(_ *Server, c echo.Context, p principal, _ ref, r *scheduleMeetingRequest) (domain.Command, string, error) {
	if err := requirePlace(p, r.CommunityID, r.GridID); err != nil {
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

// openVoting: the register of an owners' vote is never the caller's
// (the ledger builds it from the organisation).
func openVoting(_ *Server, c echo.Context, _ principal, t ref, r *openVotingRequest) (domain.Command, string, error) {
	if len(r.Units) > 0 && string(r.Units) != "null" {
		return nil, "", fieldErr(kindValidation, "units", text{"房屋登记由系统根据组织登记生成，不能在开启表决时提供",
			"the register of units is built by the server from the organisation's records; it cannot be supplied"})
	}
	return domain.OpenVoting{MeetingID: t.id, MotionID: c.Param("motion"), Electorate: voters(r.Electorate)}, "", nil
}

// recordBallots: staff record hands raised or paper ballots handed in.
func recordBallots(_ *Server, c echo.Context, p principal, t ref, r *ballotsRequest) (domain.Command, string, error) {
	return domain.RecordBallots{MeetingID: t.id, MotionID: c.Param("motion"), OptionID: r.OptionID, VoterIDs: r.VoterIDs, Method: r.Method, RecordedBy: p.token.Actor()}, "", nil
}

// recordsForOthers reports whether the principal records for other
// people (staff) rather than acting for themselves.
func recordsForOthers(p principal) bool {
	return !slices.Contains(rolesVoters, p.token.Role)
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

// raiseMotionObjection: a resident objects for themselves; staff record
// the objection of the person named, saying how it reached them.
func raiseMotionObjection(_ *Server, c echo.Context, p principal, t ref, r *objectionRequest) (domain.Command, string, error) {
	cmd := domain.RaiseMotionObjection{MeetingID: t.id, MotionID: c.Param("motion"), PersonID: p.token.Actor(), Name: p.token.Name, Reason: r.Reason}
	if recordsForOthers(p) {
		cmd.PersonID, cmd.Name, cmd.RecordedBy, cmd.How = r.PersonID, r.Name, p.token.Actor(), r.How
	} else if err := ownOnly(r.PersonID, r.Name, r.How); err != nil {
		return nil, "", err
	}
	return cmd, "", nil
}

// withdrawMotionObjection: as raiseMotionObjection.
func withdrawMotionObjection(_ *Server, c echo.Context, p principal, t ref, r *withdrawalRequest) (domain.Command, string, error) {
	cmd := domain.WithdrawMotionObjection{MeetingID: t.id, MotionID: c.Param("motion"), PersonID: p.token.Actor()}
	if recordsForOthers(p) {
		cmd.PersonID, cmd.RecordedBy, cmd.How = r.PersonID, p.token.Actor(), r.How
	} else if err := ownOnly(r.PersonID, "", r.How); err != nil {
		return nil, "", err
	}
	return cmd, "", nil
}

// ownOnly refuses, from a resident, the fields with which staff record for
// someone else.
func ownOnly(personID, name, how string) error {
	for _, f := range []struct{ name, v string }{{"person_id", personID}, {"name", name}, {"how", how}} {
		if f.v != "" {
			return fieldErr(kindValidation, f.name, text{"居民只能以本人名义提出或撤回异议；代为记录由工作人员进行",
				"a resident objects for themselves only; staff record objections for others"})
		}
	}
	return nil
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

// draftMinutes: the principal is the recorder (记录人) of the draft.
func draftMinutes(_ *Server, _ echo.Context, p principal, t ref, r *minutesDraftRequest) (domain.Command, string, error) {
	notes := make([]domain.MinutesNote, len(r.Notes))
	for i, n := range r.Notes {
		notes[i] = domain.MinutesNote{ItemID: n.ItemID, Text: n.Text}
	}
	return domain.DraftMinutes{MeetingID: t.id, Summary: r.Summary, Notes: notes, Remarks: r.Remarks,
		Recorder: domain.Voter{PersonID: p.token.Actor(), Name: p.token.Name}}, "", nil
}

func publishMinutes(_ *Server, _ echo.Context, _ principal, t ref, r *minutesRequest) (domain.Command, string, error) {
	return domain.PublishMinutes{MeetingID: t.id, Summary: r.Summary, Document: r.Document, ObjectionUntil: r.ObjectionUntil,
		ObjectionDays: r.ObjectionDays, Draft: r.Draft}, "", nil
}

func objectToMinutes(_ *Server, _ echo.Context, p principal, t ref, r *minutesObjectionRequest) (domain.Command, string, error) {
	return domain.ObjectToMinutes{MeetingID: t.id, PersonID: p.token.Actor(), Name: p.token.Name, Text: r.Text}, "", nil
}
