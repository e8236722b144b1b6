package http

import (
	"encoding/json"
	nethttp "net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// Request types of the volunteer service routes (点单—派单—接单).
type (
	orderRequest struct {
		ServiceID   string `json:"service_id"`
		CommunityID string `json:"community_id"`
		GridID      string `json:"grid_id"`
		Title       string `json:"title"`
		Need        string `json:"need"`
		Category    string `json:"category"`
		Skill       string `json:"skill"`
		// Resident: staff ordering on a resident's behalf name them;
		// residents order for themselves.
		Resident *voterRequest `json:"resident"`
	}
	dispatchRequest struct {
		Assignee *partyRequest `json:"assignee"`
		AnswerBy time.Time     `json:"answer_by"`
	}
	answerRequest struct {
		Attempt int    `json:"attempt"`
		Reason  string `json:"reason"`
		// Volunteer: staff recording a volunteer's answer name them.
		Volunteer *voterRequest `json:"volunteer"`
	}
	attemptRequest struct {
		Attempt int `json:"attempt"`
	}
	serviceDoneRequest struct {
		Minutes   int           `json:"minutes"`
		Note      string        `json:"note"`
		Volunteer *voterRequest `json:"volunteer"`
	}
	confirmRequest struct {
		Satisfied *bool         `json:"satisfied"`
		Reason    string        `json:"reason"`
		Resident  *voterRequest `json:"resident"`
	}
	redeemRequest struct {
		StationID string `json:"station_id"`
		Points    int    `json:"points"`
		Item      string `json:"item"`
	}
)

// onBehalf returns the principal as a person, or the person staff name in
// field of the body (recordedBy is then the staff member's id); only staff
// may name someone else.
func onBehalf(p principal, named *voterRequest, field string) (who domain.Voter, recordedBy string, err error) {
	if named == nil {
		return domain.Voter{PersonID: p.token.Actor(), Name: p.token.Name}, "", nil
	}
	if !p.staff() {
		return domain.Voter{}, "", fieldErr(kindForbidden, field, text{"只有工作人员可以代他人记录", "only staff may record this for someone else"})
	}
	return named.voter(), p.token.Actor(), nil
}

// orderService: a resident orders for themselves; staff order for the
// resident they name, in their scope.
func orderService(_ *Server, c echo.Context, p principal, _ ref, r *orderRequest) (domain.Command, string, error) {
	if err := requirePlace(p, r.CommunityID, r.GridID); err != nil {
		return nil, "", err
	}
	resident, _, err := onBehalf(p, r.Resident, "resident")
	if err != nil {
		return nil, "", err
	}
	id, err := newID(c, p, "service_id", r.ServiceID)
	if err != nil {
		return nil, "", err
	}
	return domain.OrderService{ServiceID: id, CommunityID: r.CommunityID, GridID: r.GridID, Title: r.Title, Need: r.Need, Category: r.Category,
		Skill: r.Skill, Resident: resident, OrderedBy: p.token.Actor()}, id, nil
}

func dispatchService(_ *Server, _ echo.Context, p principal, t ref, r *dispatchRequest) (domain.Command, string, error) {
	if r.Assignee == nil {
		return nil, "", fieldErr(kindValidation, "assignee", text{"必须指定志愿者或服务队", "name a volunteer or a volunteer team"})
	}
	return domain.DispatchService{ServiceID: t.id, Assignee: r.Assignee.party(), AnswerBy: r.AnswerBy, By: p.token.Actor()}, "", nil
}

func acceptService(_ *Server, _ echo.Context, p principal, t ref, r *answerRequest) (domain.Command, string, error) {
	v, by, err := onBehalf(p, r.Volunteer, "volunteer")
	if err != nil {
		return nil, "", err
	}
	return domain.AcceptService{ServiceID: t.id, Attempt: r.Attempt, Volunteer: v, RecordedBy: by}, "", nil
}

func declineService(_ *Server, _ echo.Context, p principal, t ref, r *answerRequest) (domain.Command, string, error) {
	v, by, err := onBehalf(p, r.Volunteer, "volunteer")
	if err != nil {
		return nil, "", err
	}
	return domain.DeclineService{ServiceID: t.id, Attempt: r.Attempt, Volunteer: v, Reason: r.Reason, RecordedBy: by}, "", nil
}

func expireDispatch(_ *Server, _ echo.Context, _ principal, t ref, r *attemptRequest) (domain.Command, string, error) {
	return domain.ExpireDispatch{ServiceID: t.id, Attempt: r.Attempt}, "", nil
}

func reportServiceDone(_ *Server, _ echo.Context, p principal, t ref, r *serviceDoneRequest) (domain.Command, string, error) {
	v, _, err := onBehalf(p, r.Volunteer, "volunteer")
	if err != nil {
		return nil, "", err
	}
	return domain.ReportServiceDone{ServiceID: t.id, Volunteer: v, Minutes: r.Minutes, Note: r.Note}, "", nil
}

func confirmService(_ *Server, _ echo.Context, p principal, t ref, r *confirmRequest) (domain.Command, string, error) {
	if r.Satisfied == nil {
		return nil, "", fieldErr(kindValidation, "satisfied", text{"必须说明是否满意", "say whether you are satisfied"})
	}
	who, by, err := onBehalf(p, r.Resident, "resident")
	if err != nil {
		return nil, "", err
	}
	return domain.ConfirmService{ServiceID: t.id, Confirmer: who, Satisfied: *r.Satisfied, Reason: r.Reason, RecordedBy: by}, "", nil
}

func cancelService(_ *Server, _ echo.Context, p principal, t ref, r *reasonRequest) (domain.Command, string, error) {
	return domain.CancelService{ServiceID: t.id, Reason: r.Reason, By: p.token.Actor()}, "", nil
}

// redeemPoints records points exchanged at a station (积分兑换).
func redeemPoints(_ *Server, c echo.Context, p principal, t ref, r *redeemRequest) (domain.Command, string, error) {
	return domain.RedeemPoints{CommunityID: t.id, PersonID: c.Param("person"), StationID: r.StationID, Points: r.Points, Item: r.Item, By: p.token.Actor()}, "", nil
}

func (s *Server) getService(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.getAggregate(c, domain.ServiceStream(id.String()))
}

// getPointsAccount returns a volunteer's points account: every award and
// redemption with the balance after it, for an auditor to replay.
func (s *Server) getPointsAccount(c echo.Context) error {
	community, err := pathSlug(c, "community")
	if err != nil {
		return err
	}
	person, err := pathSlug(c, "person")
	if err != nil {
		return err
	}
	return s.getAggregate(c, domain.PointsStream(community, person))
}

// getServices lists service orders: the queue to dispatch first. Public,
// with residents' and volunteers' names masked outside the reader's scope.
func (s *Server) getServices(c echo.Context) error {
	community, grid, err := scoped(c)
	if err != nil {
		return err
	}
	q := projections.ServiceQuery{CommunityID: community, GridID: grid, Status: c.QueryParam("status"), OverdueOnly: c.QueryParam("overdue") == "true"}
	switch q.Status {
	case "", domain.ServiceStatusOrdered, domain.ServiceStatusDispatched, domain.ServiceStatusAccepted, domain.ServiceStatusDone, domain.ServiceStatusConfirmed, domain.ServiceStatusCancelled:
	default:
		return fieldErr(kindBadRequest, "status", text{"不是服务单的状态", "not a status of a service order"})
	}
	if q.Now, err = queryTime(c, "now", s.now()); err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	items, err := policy.Items(readerOf(c), views.Services.Orders(q), func(o projections.ServiceItem) (string, string) { return o.CommunityID, o.GridID })
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, listAnswer{Items: items, Position: uint64(views.Position())})
}

// getPoints lists the volunteers' points accounts of a community, the
// highest balance first; public, masked.
func (s *Server) getPoints(c echo.Context) error {
	community, _ := publicScoped(c)
	if community == "" {
		return fieldErr(kindBadRequest, "community", text{"请指定社区", "name the community"})
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	items, err := policy.Items(readerOf(c), views.Services.Accounts(community), func(a projections.PointsAccount) (string, string) { return a.CommunityID, "" })
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, listAnswer{Items: items, Position: uint64(views.Position())})
}

// listAnswer is a list read without paging.
type listAnswer struct {
	Items    []json.RawMessage `json:"items"`
	Position uint64            `json:"position"`
}
