package web

import (
	"cmp"
	nethttp "net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/projections"
)

// The resource map (资源图谱): a public page per community or grid, the
// staff's page that registers volunteers, teams, stations and what units
// offer, and "who can help" on a proposal's and an action's staff page.
// Every page reads GET /v1/resources or /v1/resources/helpers as the
// visitor, so a volunteer's name, id and phone are what the read policy
// lets the visitor see, never more (docs/pages.md).

// resourcesAnswer is the body of GET /v1/resources and /v1/resources/helpers.
type resourcesAnswer struct {
	Items  []projections.Resource `json:"items"`
	Counts map[string]int         `json:"counts"`
}

// skillCount is how many volunteers have one skill.
type skillCount struct {
	Skill string
	Count int
}

// resourcesData is the public resource map's data.
type resourcesData struct {
	Place                      string
	Stations, Teams, Partners  []projections.Resource
	Volunteers                 int
	Skills                     []skillCount
	StationsOnly, PartnersOnly bool
}

// publicResources is the resource map of the picked community, or of one
// of its grids: stations and venues, volunteer teams, participating units
// with what they offer, and how many volunteers have each skill.
func (w *Web) publicResources(c echo.Context) error {
	l := w.lang(c)
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	d := resourcesData{Place: wh.name()}
	if wh.Community != "" {
		var ans resourcesAnswer
		if err := w.get(c, "/v1/resources", wh.query(), &ans); err != nil {
			return err
		}
		counts := map[string]int{}
		for _, r := range ans.Items {
			// With a grid picked, the API ranks the other grids' resources
			// last and says nothing matched them: they are not this grid's.
			if len(r.Matched) == 0 {
				continue
			}
			switch r.Kind {
			case projections.ResourceStation:
				d.Stations = append(d.Stations, r)
			case projections.ResourceTeam:
				d.Teams = append(d.Teams, r)
			case projections.ResourcePartner:
				d.Partners = append(d.Partners, r)
			case projections.ResourceVolunteer:
				d.Volunteers++
				for _, s := range r.Skills {
					counts[s]++
				}
			}
		}
		for s, n := range counts {
			d.Skills = append(d.Skills, skillCount{s, n})
		}
		slices.SortFunc(d.Skills, func(a, b skillCount) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Skill, b.Skill)) })
	}
	return w.render(c, nethttp.StatusOK, "resources", Page{Title: l.T("resources.title"), Nav: "resources", Place: wh.name(), Data: d})
}

// helpersData is "who can help" on a proposal's or an action's staff
// page, from GET /v1/resources/helpers.
type helpersData struct {
	Items []projections.Resource
	// ProposalID is the proposal an action may be assigned for (to a
	// helper, on the assign form); empty when the visitor may not assign.
	ProposalID string
	// ActionID, Owner and Accepted: on an action's page, the volunteers
	// who may accept it (its owner, or the owning team's members) and
	// those who did.
	ActionID string
	Owner    domain.Party
	Accepted []string
}

// AssignHref is the assign form with helper r chosen as the action's
// owner; none for the owner of the action the page is about.
func (d helpersData) AssignHref(r projections.Resource) string {
	owner := ownerOf(r)
	if d.ProposalID == "" || owner == "" || strings.HasPrefix(owner, d.Owner.Kind+"|"+d.Owner.ID+"|") {
		return ""
	}
	return "/staff/actions/new?" + url.Values{"proposal": {d.ProposalID}, "owner": {owner}}.Encode()
}

// MayAccept reports whether volunteer r may take on the action: it is
// assigned to them or to a team of theirs, and they have not yet.
func (d helpersData) MayAccept(r projections.Resource) bool {
	if d.ActionID == "" || r.Kind != projections.ResourceVolunteer || r.PersonID == "" || slices.Contains(d.Accepted, r.PersonID) {
		return false
	}
	switch d.Owner.Kind {
	case domain.PartyTeam:
		return slices.Contains(r.Teams, d.Owner.ID)
	case domain.PartyPerson:
		return d.Owner.ID == r.PersonID
	}
	return false
}

// HasAccepted reports whether volunteer r accepted the action.
func (d helpersData) HasAccepted(r projections.Resource) bool {
	return r.PersonID != "" && slices.Contains(d.Accepted, r.PersonID)
}

// ownerOf is resource r as an action's owner ("kind|id|name"), empty for a
// station or a volunteer whose id the visitor does not see.
func ownerOf(r projections.Resource) string {
	switch {
	case r.Kind == projections.ResourceVolunteer && r.PersonID != "":
		return domain.PartyPerson + "|" + r.PersonID + "|" + r.Name
	case r.Kind == projections.ResourceTeam:
		return domain.PartyTeam + "|" + r.TeamID + "|" + r.Name
	case r.Kind == projections.ResourcePartner:
		return domain.PartyUnit + "|" + r.PartnerID + "|" + r.Name
	}
	return ""
}

// helpers asks who can help with a proposal or an action (query
// "proposal" or "action"), leaving out stations, which carry out nothing.
func (w *Web) helpers(c echo.Context, param, id string) ([]projections.Resource, error) {
	var ans resourcesAnswer
	if err := w.get(c, "/v1/resources/helpers", url.Values{param: {id}}, &ans); err != nil {
		return nil, err
	}
	var out []projections.Resource
	for _, r := range ans.Items {
		if r.Kind != projections.ResourceStation {
			out = append(out, r)
		}
	}
	return out, nil
}

// staffResourcesData is the staff's resource map page.
type staffResourcesData struct {
	Org      domain.OrganisationState
	Grids    []domain.Grid
	Teams    []domain.Team
	Stations []domain.Station
	Partners []domain.Partner
	// Volunteers are the community's volunteers in the session's grid
	// (all for a community-wide session), with their points accounts
	// linked.
	Volunteers []domain.Volunteer
	Kinds      []string
	Form       staffForm
}

// stationKinds are the kinds of station, in the order the form offers them.
var stationKinds = []string{domain.StationGridHome, domain.StationDeliberationSpace, domain.StationChildrenHome, domain.StationRiderRest,
	domain.StationCanteen, domain.StationVolunteerService, domain.StationOther}

// staffResources is the staff's resource map: the community's volunteers,
// teams, stations and units, with forms to register each (and to record
// what a unit offers, which replaces what it offered before).
func (w *Web) staffResources(c echo.Context, s *Session) error {
	org, err := w.organisation(c, s, c.QueryParam("community"))
	if err != nil {
		return err
	}
	d := staffResourcesData{Org: org, Grids: grids(org, s), Kinds: stationKinds, Form: newStaffForm(c),
		Teams:      inScope(nil, org.Teams, nil),
		Stations:   inScope(s, org.Stations, func(st domain.Station) string { return st.GridID }),
		Partners:   inScope(nil, org.Partners, nil),
		Volunteers: inScope(s, org.Volunteers, func(v domain.Volunteer) string { return v.GridID }),
	}
	return w.render(c, nethttp.StatusOK, "staff_resources", w.staffPageOf(c, "resources.staff.title", "staff-resources", d))
}

// TeamName names a team of the page's community, or returns its id.
func (d staffResourcesData) TeamName(id string) string {
	if t, ok := d.Org.Teams[id]; ok {
		return t.Name
	}
	return id
}

// joinWords writes a list of skills or categories as one line.
func joinWords(vs []string) string { return strings.Join(vs, "、") }
