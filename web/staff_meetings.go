package web

import (
	nethttp "net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/projections"
)

// meetingFormats are the formats a facilitator schedules.
var meetingFormats = []string{domain.FormatCourtyard, domain.FormatSummerEvening, domain.FormatCouncil, domain.FormatOwners, domain.FormatTalk, domain.FormatActivity}

// scheduleData is the page that schedules a meeting.
type scheduleData struct {
	Org       domain.OrganisationState
	Grids     []domain.Grid
	Compounds []domain.Compound
	Formats   []string
	// Proposal is the accepted proposal the meeting is for, if the page
	// was opened from one: its title and grid are suggested.
	Proposal domain.ProposalState
	Form     staffForm
}

// newMeeting is the form that schedules a meeting: format, place, time,
// compound.
func (w *Web) newMeeting(c echo.Context, s *Session) error {
	org, err := w.organisation(c, s, c.QueryParam("community"))
	if err != nil {
		return err
	}
	d := scheduleData{Org: org, Grids: grids(org, s), Compounds: compounds(org, s), Formats: meetingFormats, Form: newStaffForm(c)}
	if pid, err := uuid.Parse(c.QueryParam("proposal")); err == nil {
		evs, err := w.aggregate(c, "/v1/proposals/"+pid.String())
		if err != nil {
			return err
		}
		d.Proposal = domain.FoldProposal(evs)
	}
	return w.render(c, nethttp.StatusOK, "staff_schedule", w.staffPageOf(c, "staff.schedule.title", "meetings", d))
}

// setupData is a meeting's page before and around the console: agenda
// from accepted proposals, invitations from the registers.
type setupData struct {
	M        domain.MeetingState
	Accepted []projections.BoardItem
	Owners   []registerPerson
	Partners []domain.Partner
	Convenes bool
	Form     staffForm
}

// meeting is a meeting's page: its agenda (add accepted proposals of its
// grid), its invitations (residents from the compound's owners' register,
// units concerned from the community's partners), and the way to open it
// and into its console.
func (w *Web) meeting(c echo.Context, s *Session) error {
	m, err := w.meetingRecord(c)
	if err != nil {
		return err
	}
	org, err := w.organisation(c, s, m.CommunityID)
	if err != nil {
		return err
	}
	accepted, err := w.board(c, domain.StatusAccepted)
	if err != nil {
		return err
	}
	d := setupData{M: m, Convenes: convenes(s), Form: newStaffForm(c)}
	onAgenda := map[string]bool{}
	for _, it := range m.Items {
		onAgenda[it.ProposalID] = true
	}
	for _, it := range accepted {
		if it.GridID == m.GridID && !onAgenda[it.ProposalID] {
			d.Accepted = append(d.Accepted, it)
		}
	}
	invited := map[string]bool{}
	for _, p := range m.Participants {
		invited[p.PersonID] = true
	}
	scope := &Session{Token: s.Token}
	scope.Token.Scope.Grid = m.GridID
	for _, o := range owners(org, scope, m.CompoundID) {
		if !invited[o.PersonID] {
			d.Owners = append(d.Owners, o)
		}
	}
	for _, p := range inScope(nil, org.Partners, nil) {
		if !invited[p.PartnerID] {
			d.Partners = append(d.Partners, p)
		}
	}
	page := w.staffPageOf(c, "staff.meeting.title", "meetings", d)
	page.Title = m.Title
	return w.render(c, nethttp.StatusOK, "staff_meeting", page)
}

// meetingRecord reads the meeting the path names, whole, as the session
// may see it.
func (w *Web) meetingRecord(c echo.Context) (domain.MeetingState, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return domain.MeetingState{}, echo.ErrNotFound
	}
	evs, err := w.aggregate(c, "/v1/meetings/"+id.String())
	if err != nil {
		return domain.MeetingState{}, err
	}
	return domain.FoldMeeting(evs), nil
}
