package http

import (
	"encoding/json"
	nethttp "net/http"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// Request types of the resource map (资源图谱) routes.
type (
	volunteerRequest struct {
		GridID       string   `json:"grid_id"`
		PersonID     string   `json:"person_id"`
		Name         string   `json:"name"`
		Phone        string   `json:"phone"`
		Skills       []string `json:"skills"`
		Categories   []string `json:"categories"`
		Availability string   `json:"availability"`
	}
	teamRequest struct {
		TeamID     string   `json:"team_id"`
		GridID     string   `json:"grid_id"`
		Name       string   `json:"name"`
		Skills     []string `json:"skills"`
		Categories []string `json:"categories"`
	}
	memberRequest struct {
		PersonID string `json:"person_id"`
	}
	stationRequest struct {
		StationID  string   `json:"station_id"`
		GridID     string   `json:"grid_id"`
		Name       string   `json:"name"`
		Kind       string   `json:"kind"`
		Services   []string `json:"services"`
		Categories []string `json:"categories"`
	}
	offerRequest struct {
		Offer      string   `json:"offer"`
		Skills     []string `json:"skills"`
		Categories []string `json:"categories"`
	}
	acceptRequest struct {
		// Volunteer: staff recording a volunteer's acceptance (by phone, on
		// the spot) name the volunteer.
		Volunteer *voterRequest `json:"volunteer"`
	}
)

func registerVolunteer(_ *Server, _ echo.Context, _ principal, t ref, r *volunteerRequest) (domain.Command, string, error) {
	return domain.RegisterVolunteer{CommunityID: t.id, GridID: r.GridID, PersonID: r.PersonID, Name: r.Name, Phone: r.Phone,
		Skills: r.Skills, Categories: r.Categories, Availability: r.Availability}, r.PersonID, nil
}

func formVolunteerTeam(_ *Server, _ echo.Context, _ principal, t ref, r *teamRequest) (domain.Command, string, error) {
	return domain.FormVolunteerTeam{CommunityID: t.id, TeamID: r.TeamID, GridID: r.GridID, Name: r.Name, Skills: r.Skills, Categories: r.Categories}, r.TeamID, nil
}

func joinVolunteerTeam(_ *Server, c echo.Context, _ principal, t ref, r *memberRequest) (domain.Command, string, error) {
	return domain.JoinVolunteerTeam{CommunityID: t.id, TeamID: c.Param("team"), PersonID: r.PersonID}, "", nil
}

func registerStation(_ *Server, _ echo.Context, _ principal, t ref, r *stationRequest) (domain.Command, string, error) {
	return domain.RegisterStation{CommunityID: t.id, StationID: r.StationID, GridID: r.GridID, Name: r.Name, Kind: r.Kind,
		Services: r.Services, Categories: r.Categories}, r.StationID, nil
}

func recordPartnerOffer(_ *Server, c echo.Context, _ principal, t ref, r *offerRequest) (domain.Command, string, error) {
	return domain.RecordPartnerOffer{CommunityID: t.id, PartnerID: c.Param("partner"), Offer: r.Offer, Skills: r.Skills, Categories: r.Categories}, "", nil
}

// acceptAction: a volunteer takes on (接单) an action assigned to them or
// their team; staff record a volunteer's acceptance naming the volunteer.
// The ledger checks that a team's volunteer is a member.
func acceptAction(_ *Server, _ echo.Context, p principal, t ref, r *acceptRequest) (domain.Command, string, error) {
	cmd := domain.AcceptAction{ActionID: t.id, Volunteer: domain.Voter{PersonID: p.token.Actor(), Name: p.token.Name}}
	if r.Volunteer != nil {
		if !p.staff() {
			return nil, "", fieldErr(kindForbidden, "volunteer", text{"只有工作人员可以代志愿者记录接单", "only staff may record someone else's acceptance"})
		}
		cmd.Volunteer, cmd.RecordedBy = r.Volunteer.voter(), p.token.Actor()
	}
	return cmd, "", nil
}

// resourcesAnswer is the body of GET /v1/resources and
// GET /v1/resources/helpers.
type resourcesAnswer struct {
	// For names the proposal or action the helpers were found for.
	For      *helpSubject      `json:"for,omitempty"`
	Items    []json.RawMessage `json:"items"`
	Counts   map[string]int    `json:"counts,omitempty"`
	Position uint64            `json:"position"`
}

// helpSubject is what "who can help" was asked about.
type helpSubject struct {
	ProposalID  string `json:"proposal_id,omitempty"`
	ActionID    string `json:"action_id,omitempty"`
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	Category    string `json:"category,omitempty"`
}

// getResources lists a community's resource map (资源图谱), filtered by
// grid, category, skill and kind: public, with volunteers' names masked
// and their phones and ids dropped for readers outside their scope.
func (s *Server) getResources(c echo.Context) error {
	community, grid := publicScoped(c)
	if community == "" {
		return fieldErr(kindBadRequest, "community", text{"请指定社区", "name the community"})
	}
	q := projections.HelpQuery{CommunityID: community, GridID: grid, Category: c.QueryParam("category"), Skill: c.QueryParam("skill")}
	if err := helpKind(c, &q); err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	return s.renderResources(c, views, nil, views.Resources.Helpers(q), views.Resources.ResourceCounts(community))
}

// getHelpers answers "who can help with this" for a proposal or an action
// (its community, grid and category; an action takes its proposal's
// category), optionally for one skill or kind of resource.
func (s *Server) getHelpers(c echo.Context) error {
	subject := &helpSubject{}
	var stream string
	switch {
	case c.QueryParam("proposal") != "" && c.QueryParam("action") == "":
		id, err := parseID("proposal", c.QueryParam("proposal"))
		if err != nil {
			return err
		}
		subject.ProposalID, stream = id.String(), domain.ProposalStream(id.String())
	case c.QueryParam("action") != "" && c.QueryParam("proposal") == "":
		id, err := parseID("action", c.QueryParam("action"))
		if err != nil {
			return err
		}
		subject.ActionID, stream = id.String(), domain.ActionStream(id.String())
	default:
		return fieldErr(kindBadRequest, "proposal", text{"请指定一个议题（proposal）或一项行动（action）", "name one proposal or one action"})
	}
	ctx := c.Request().Context()
	a, err := s.loadAggregate(ctx, stream)
	if err != nil {
		return err
	}
	subject.CommunityID, subject.GridID = a.community, a.grid
	proposalEvents := a.events
	if subject.ActionID != "" {
		proposalEvents = nil
		if pid := domain.FoldAction(a.events).ProposalID; pid != "" {
			p, err := s.loadAggregate(ctx, domain.ProposalStream(pid))
			if err != nil {
				return err
			}
			proposalEvents = p.events
		}
	}
	if proposalEvents != nil {
		subject.Category = domain.FoldProposal(proposalEvents).Category
	}
	q := projections.HelpQuery{CommunityID: subject.CommunityID, GridID: subject.GridID, Category: subject.Category, Skill: c.QueryParam("skill")}
	if q.Skill != "" {
		// A skill asked for narrows by what people can do, not by the
		// item's category, which volunteers may not have listed.
		q.Category = ""
	}
	if err := helpKind(c, &q); err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	return s.renderResources(c, views, subject, views.Resources.Helpers(q), nil)
}

// helpKind reads the optional kind filter.
func helpKind(c echo.Context, q *projections.HelpQuery) error {
	switch k := c.QueryParam("kind"); k {
	case "", projections.ResourceVolunteer, projections.ResourceTeam, projections.ResourceStation, projections.ResourcePartner:
		q.Kind = k
		return nil
	}
	return fieldErr(kindBadRequest, "kind", text{"应为 volunteer、team、station 或 partner", "want volunteer, team, station or partner"})
}

// renderResources answers resources through the read policy, each by its
// own community and grid.
func (s *Server) renderResources(c echo.Context, views *projections.Views, subject *helpSubject, items []projections.Resource, counts map[string]int) error {
	out, err := policy.Items(readerOf(c), items, func(r projections.Resource) (string, string) { return r.CommunityID, r.GridID })
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, resourcesAnswer{For: subject, Items: out, Counts: counts, Position: uint64(views.Position())})
}
