package web

import (
	"cmp"
	nethttp "net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/projections"
)

// The staff's side of the volunteer service: the dispatch queue (派单), an
// order's page with its dispatches, declines and expiries and the
// volunteers and teams who can do it, ordering for a resident, and the
// points accounts with the station's redemption form (积分兑换). Each
// write is one API command through doCommand.

// staffServicesData is the dispatch queue.
type staffServicesData struct {
	// ToDispatch wait for a dispatch (new, declined or expired); Waiting
	// wait for the volunteer's answer; Underway are accepted or done,
	// waiting for the resident; Settled are confirmed or cancelled.
	ToDispatch, Waiting, Underway, Settled []projections.ServiceItem
}

// staffServices is the dispatch queue of the session's scope.
func (w *Web) staffServices(c echo.Context, s *Session) error {
	orders, err := w.serviceOrders(c)
	if err != nil {
		return err
	}
	var d staffServicesData
	for _, o := range orders {
		switch o.Status {
		case domain.ServiceStatusOrdered:
			d.ToDispatch = append(d.ToDispatch, o)
		case domain.ServiceStatusDispatched:
			d.Waiting = append(d.Waiting, o)
		case domain.ServiceStatusAccepted, domain.ServiceStatusDone:
			d.Underway = append(d.Underway, o)
		default:
			d.Settled = append(d.Settled, o)
		}
	}
	return w.render(c, nethttp.StatusOK, "staff_services", w.staffPageOf(c, "services.staff.title", "staff-services", d))
}

// newServiceData is the form that orders a service for a resident.
type newServiceData struct {
	Org        domain.OrganisationState
	Grids      []domain.Grid
	Owners     []registerPerson
	Categories []string
	Form       staffForm
}

// newService is the form a grid worker orders a service with for a
// resident (by phone, on a visit).
func (w *Web) newService(c echo.Context, s *Session) error {
	org, err := w.organisation(c, s, c.QueryParam("community"))
	if err != nil {
		return err
	}
	d := newServiceData{Org: org, Grids: grids(org, s), Owners: owners(org, s, ""), Categories: serviceCategories, Form: newStaffForm(c)}
	return w.render(c, nethttp.StatusOK, "staff_service_new", w.staffPageOf(c, "services.order.title", "staff-services", d))
}

// serviceStep is one step of an order's history.
type serviceStep struct {
	At time.Time
	// Key names the step in the catalogue (services.step.<type>).
	Key     string
	Attempt int
	Who     string
	Note    string
}

// staffServiceData is an order's page.
type staffServiceData struct {
	S     domain.ServiceState
	Steps []serviceStep
	// Candidates are who can do it, from the resource map: volunteers
	// and teams with the skill (or the category) asked for, those who
	// declined it left out; Matched is false when none has it and every
	// volunteer and team of the community is offered.
	Candidates []projections.Resource
	Matched    bool
	// Answerers are who may answer the current dispatch, for staff to
	// record their answer given by phone or on the spot: the volunteer,
	// or the team's members.
	Answerers []domain.Voter
	Overdue   bool
	AnswerBy  string
	Form      staffForm
}

// staffService is an order's page: its history, the dispatch form
// choosing from who can help, expiring an unanswered dispatch, recording
// the resident's confirmation, cancelling.
func (w *Web) staffService(c echo.Context, s *Session) error {
	id, err := pathUUID(c)
	if err != nil {
		return err
	}
	evs, err := w.aggregate(c, "/v1/services/"+id)
	if err != nil {
		return err
	}
	st := domain.FoldService(evs)
	now := w.now()
	d := staffServiceData{S: st, Form: newStaffForm(c), Overdue: st.Status == domain.ServiceStatusDispatched && now.After(st.AnswerBy),
		AnswerBy: now.Add(24 * time.Hour).In(time.Local).Format("2006-01-02T15:04")}
	for _, ev := range evs {
		d.Steps = append(d.Steps, stepOf(ev))
	}
	slices.Reverse(d.Steps)
	switch st.Status {
	case domain.ServiceStatusOrdered:
		if d.Candidates, d.Matched, err = w.candidates(c, st); err != nil {
			return err
		}
	case domain.ServiceStatusDispatched:
		if d.Answerers, err = w.answerers(c, s, st); err != nil {
			return err
		}
	}
	page := w.staffPageOf(c, "services.staff.order", "staff-services", d)
	page.Title = st.Title
	return w.render(c, nethttp.StatusOK, "staff_service", page)
}

// stepOf is an order's event as a step of its history.
func stepOf(ev domain.Event) serviceStep {
	switch e := ev.(type) {
	case domain.ServiceOrdered:
		return serviceStep{At: e.At, Key: "ordered", Who: e.Resident.Name, Note: e.Need}
	case domain.ServiceDispatched:
		return serviceStep{At: e.At, Key: "dispatched", Attempt: e.Attempt, Who: e.Assignee.Name}
	case domain.ServiceAccepted:
		return serviceStep{At: e.At, Key: "accepted", Attempt: e.Attempt, Who: e.Volunteer.Name}
	case domain.ServiceDeclined:
		return serviceStep{At: e.At, Key: "declined", Attempt: e.Attempt, Who: e.Volunteer.Name, Note: e.Reason}
	case domain.ServiceDispatchExpired:
		return serviceStep{At: e.At, Key: "expired", Attempt: e.Attempt, Who: e.Assignee.Name}
	case domain.ServiceDone:
		return serviceStep{At: e.At, Key: "done", Who: e.Volunteer.Name, Note: e.Note}
	case domain.ServiceConfirmed:
		if e.Satisfied {
			return serviceStep{At: e.At, Key: "confirmed", Who: e.Confirmer.Name}
		}
		return serviceStep{At: e.At, Key: "unsatisfied", Who: e.Confirmer.Name, Note: e.Reason}
	case domain.ServiceCancelled:
		return serviceStep{At: e.At, Key: "cancelled", Note: e.Reason}
	}
	return serviceStep{Key: "other"}
}

// candidates are the volunteers and teams of the order's community who can
// do it (GET /v1/resources with its skill, or else its category, its grid's
// first), without those who declined it or whose id the session does not
// see. When none matches, every volunteer and team of the community.
func (w *Web) candidates(c echo.Context, st domain.ServiceState) ([]projections.Resource, bool, error) {
	ask := func(q url.Values) ([]projections.Resource, error) {
		q.Set("community", st.CommunityID)
		q.Set("grid", st.GridID)
		var ans resourcesAnswer
		if err := w.get(c, "/v1/resources", q, &ans); err != nil {
			return nil, err
		}
		var out []projections.Resource
		for _, r := range ans.Items {
			id := r.PersonID + r.TeamID
			if (r.Kind == projections.ResourceVolunteer && r.PersonID != "" || r.Kind == projections.ResourceTeam) && !slices.Contains(st.Declined, id) {
				out = append(out, r)
			}
		}
		return out, nil
	}
	q := url.Values{"category": {st.Category}}
	if st.Skill != "" {
		q = url.Values{"skill": {st.Skill}}
	}
	found, err := ask(q)
	if err != nil || len(found) > 0 {
		return found, true, err
	}
	found, err = ask(url.Values{})
	return found, false, err
}

// answerers are who may answer an order's current dispatch: its volunteer,
// or the members of its team (from the community's organisation).
func (w *Web) answerers(c echo.Context, s *Session, st domain.ServiceState) ([]domain.Voter, error) {
	if st.Assignee.Kind == domain.PartyPerson {
		return []domain.Voter{{PersonID: st.Assignee.ID, Name: st.Assignee.Name}}, nil
	}
	org, err := w.organisation(c, s, st.CommunityID)
	if err != nil {
		return nil, err
	}
	var out []domain.Voter
	for _, m := range org.Teams[st.Assignee.ID].Members {
		out = append(out, domain.Voter{PersonID: m, Name: org.Volunteers[m].Name})
	}
	return out, nil
}

// Assignee is resource r as a dispatch's assignee ("kind|id|name").
func (d staffServiceData) Assignee(r projections.Resource) string {
	if r.Kind == projections.ResourceTeam {
		return domain.PartyTeam + "|" + r.TeamID + "|" + r.Name
	}
	return domain.PartyPerson + "|" + r.PersonID + "|" + r.Name
}

// staffPointsData lists a community's points accounts.
type staffPointsData struct {
	Accounts []projections.PointsAccount
}

// staffPoints lists the points accounts of the session's community, the
// highest balance first, each linking to its ledger and redemption form.
func (w *Web) staffPoints(c echo.Context, s *Session) error {
	var accounts list[projections.PointsAccount]
	// A session of no community (an unscoped admin) names one with
	// ?community=; without it there is no account to list.
	if community := cmp.Or(s.Token.Scope.Community, c.QueryParam("community")); community != "" {
		if err := w.get(c, "/v1/points", url.Values{"community": {community}}, &accounts); err != nil {
			return err
		}
	}
	return w.render(c, nethttp.StatusOK, "staff_points", w.staffPageOf(c, "points.staff.title", "staff-services", staffPointsData{Accounts: accounts.Items}))
}

// staffAccountData is a volunteer's account with the redemption form.
type staffAccountData struct {
	Community, Person, Name string
	Ledger                  pointsLedger
	Stations                []domain.Station
	Form                    staffForm
}

// staffAccount is a volunteer's points account (GET
// /v1/communities/{c}/points/{person}) with the station's redemption form
// (POST …/redemptions).
func (w *Web) staffAccount(c echo.Context, s *Session) error {
	org, err := w.organisation(c, s, c.QueryParam("community"))
	if err != nil {
		return err
	}
	person := c.Param("person")
	d := staffAccountData{Community: org.CommunityID, Person: person, Name: org.Volunteers[person].Name, Form: newStaffForm(c),
		Stations: inScope(nil, org.Stations, nil)}
	// The volunteer service station first: points are redeemed there.
	slices.SortStableFunc(d.Stations, func(a, b domain.Station) int {
		return boolRank(a.Kind != domain.StationVolunteerService) - boolRank(b.Kind != domain.StationVolunteerService)
	})
	if d.Ledger, err = w.readLedger(c, org.CommunityID, person); err != nil {
		return err
	}
	page := w.staffPageOf(c, "points.staff.account", "staff-services", d)
	if d.Name != "" {
		page.Title = d.Name
	}
	return w.render(c, nethttp.StatusOK, "staff_account", page)
}

// boolRank is 1 for true, 0 for false.
func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
