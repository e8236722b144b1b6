package web

import (
	"cmp"
	"html/template"
	nethttp "net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/web/chart"
)

// actionsData is the list of actions: overdue first, then the open ones.
type actionsData struct {
	Overdue, Open []actionRow
}

// actionRow is one action with its progress bar.
type actionRow struct {
	projections.ActionItem
	Bar template.HTML
}

// actions lists the open actions of the session's scope, the overdue ones
// first (行动清单).
func (w *Web) actions(c echo.Context, s *Session) error {
	q := url.Values{"open": {"true"}, "limit": {"200"}}
	if wf := c.QueryParam("wait_for"); wf != "" {
		q.Set("wait_for", wf)
	}
	var page struct {
		Items []projections.ActionItem `json:"items"`
	}
	if err := w.get(c, "/v1/outcomes", q, &page); err != nil {
		return err
	}
	l := w.lang(c)
	var d actionsData
	for _, a := range page.Items {
		text := l.T("staff.action.percent", a.Percent)
		if a.Overdue {
			text += " · " + l.T("staff.overdue")
		}
		bar, err := chart.Progress{Label: a.Title, Percent: a.Percent, Overdue: a.Overdue, Text: text}.HTML()
		if err != nil {
			return err
		}
		r := actionRow{ActionItem: a, Bar: bar}
		if a.Overdue {
			d.Overdue = append(d.Overdue, r)
		} else {
			d.Open = append(d.Open, r)
		}
	}
	return w.render(c, nethttp.StatusOK, "staff_actions", w.staffPageOf(c, "staff.actions.title", "actions", d))
}

// assignData is the form that assigns an action from a decision or a
// proposal.
type assignData struct {
	CommunityID, GridID string
	ProposalID          string
	MeetingID, MotionID string
	Title               string
	// Owners are who may carry it out: the grid's head and workers and the
	// community's partner units.
	Owners []ownerChoice
	// Owner is the owner chosen on "who can help" (?owner=kind|id|name).
	Owner string
	Form  staffForm
}

// ownerChoice is one possible owner, as "kind|id|name".
type ownerChoice struct {
	Value, Name string
}

// newAction is the form that assigns an action (owner, due date) from a
// meeting's decision (?meeting=&motion=) or a proposal (?proposal=).
func (w *Web) newAction(c echo.Context, s *Session) error {
	d := assignData{Form: newStaffForm(c)}
	if mid, err := uuid.Parse(c.QueryParam("meeting")); err == nil {
		evs, err := w.aggregate(c, "/v1/meetings/"+mid.String())
		if err != nil {
			return err
		}
		m := domain.FoldMeeting(evs)
		d.CommunityID, d.GridID, d.MeetingID = m.CommunityID, m.GridID, m.MeetingID
		for _, mo := range m.Motions {
			if mo.MotionID == c.QueryParam("motion") {
				d.MotionID, d.ProposalID, d.Title = mo.MotionID, mo.ProposalID, mo.Text
			}
		}
	}
	if pid, err := uuid.Parse(cmp.Or(c.QueryParam("proposal"), d.ProposalID)); err == nil {
		evs, err := w.aggregate(c, "/v1/proposals/"+pid.String())
		if err != nil {
			return err
		}
		p := domain.FoldProposal(evs)
		d.CommunityID, d.GridID, d.ProposalID = p.CommunityID, p.GridID, p.ProposalID
		d.Title = cmp.Or(d.Title, p.Title)
	}
	org, err := w.organisation(c, s, d.CommunityID)
	if err != nil {
		return err
	}
	if d.CommunityID == "" {
		d.CommunityID = org.CommunityID
	}
	for _, g := range grids(org, s) {
		if d.GridID != "" && g.GridID != d.GridID {
			continue
		}
		if g.Head.PersonID != "" {
			d.Owners = append(d.Owners, ownerChoice{"person|" + g.Head.PersonID + "|" + g.Head.Name, g.Head.Name})
		}
		for _, gw := range inScope(nil, g.Workers, nil) {
			d.Owners = append(d.Owners, ownerChoice{"person|" + gw.PersonID + "|" + gw.Name, gw.Name})
		}
		if d.GridID == "" {
			d.GridID = g.GridID
		}
	}
	for _, p := range inScope(nil, org.Partners, nil) {
		d.Owners = append(d.Owners, ownerChoice{"unit|" + p.PartnerID + "|" + p.Name, p.Name})
	}
	// A volunteer, team or unit chosen on "who can help" comes first; the
	// API checks it is one of the community's.
	if o := c.QueryParam("owner"); o != "" {
		parts := strings.SplitN(o, "|", 3)
		if len(parts) == 3 && slices.Contains([]string{domain.PartyPerson, domain.PartyTeam, domain.PartyUnit}, parts[0]) {
			d.Owner = o
			d.Owners = slices.DeleteFunc(d.Owners, func(oc ownerChoice) bool { return oc.Value == o })
			d.Owners = append([]ownerChoice{{o, parts[2]}}, d.Owners...)
		}
	}
	return w.render(c, nethttp.StatusOK, "staff_assign", w.staffPageOf(c, "staff.assign.title", "actions", d))
}

// actionData is an action's page: report progress with photos, complete
// with evidence, record a resident's verdict.
type actionData struct {
	A      domain.ActionState
	Bar    template.HTML
	Photos []string
	// Helpers are who can help with it (资源图谱), its volunteers to
	// record as accepting it.
	Helpers helpersData
	Form    staffForm
}

// action is an action's page.
func (w *Web) action(c echo.Context, s *Session) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return echo.ErrNotFound
	}
	evs, err := w.aggregate(c, "/v1/actions/"+id.String())
	if err != nil {
		return err
	}
	a := domain.FoldAction(evs)
	d := actionData{A: a, Form: newStaffForm(c)}
	for _, ev := range evs {
		if p, ok := ev.(domain.ActionProgressReported); ok {
			d.Photos = append(d.Photos, p.Photos...)
		}
	}
	d.Photos = append(d.Photos, a.Evidence...)
	d.Helpers = helpersData{ActionID: a.ActionID, Owner: a.Owner, Accepted: a.Accepted}
	if convenes(s) && a.ProposalID != "" {
		d.Helpers.ProposalID = a.ProposalID
	}
	if d.Helpers.Items, err = w.helpers(c, "action", a.ActionID); err != nil {
		return err
	}
	l := w.lang(c)
	overdue := a.Due.Before(w.now()) && a.Status != domain.StatusCompleted && a.Status != domain.StatusVerified && a.Status != domain.StatusCancelled
	text := l.T("staff.action.percent", a.Percent)
	if overdue {
		text += " · " + l.T("staff.overdue")
	}
	if d.Bar, err = (chart.Progress{Label: a.Title, Percent: a.Percent, Overdue: overdue, Text: text}).HTML(); err != nil {
		return err
	}
	page := w.staffPageOf(c, "staff.action.title", "actions", d)
	page.Title = a.Title
	return w.render(c, nethttp.StatusOK, "staff_action", page)
}
