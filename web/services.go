package web

import (
	"errors"
	"fmt"
	nethttp "net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/projections"
)

// The volunteer service (点单—派单—接单) as residents and volunteers see
// it: a resident orders a service; a volunteer answers the orders
// dispatched to them or their team (accept or decline), reports the work
// done; the resident confirms it; the volunteer reads their points
// ledger. The staff's side (the dispatch queue, an order's page, the
// station's redemptions) is in staff_services.go. Every write is the API's
// command with the visitor's session.

// myService is the visitor's part in the volunteer service, from their own
// data (GET /v1/me/export): the orders placed for them, the dispatches made
// to them, the orders they accepted, their teams and their community as a
// volunteer. The list of orders a resident reads is masked (a person's id
// is hidden, theirs too), so what is theirs is read here.
type myService struct {
	// Community is where they volunteer, empty when they do not.
	Community string
	teams     map[string]bool
	ordered   map[string]bool
	// dispatched[service] are the attempts dispatched to them.
	dispatched map[string][]int
	accepted   map[string]bool
}

// myServicePart reads the visitor's part in the volunteer service.
func (w *Web) myServicePart(c echo.Context) (myService, error) {
	ms := myService{teams: map[string]bool{}, ordered: map[string]bool{}, dispatched: map[string][]int{}, accepted: map[string]bool{}}
	var exp ledger.PersonExport
	if err := w.get(c, "/v1/me/export", nil, &exp); err != nil {
		return ms, err
	}
	me := sessionOf(c).Token.Actor()
	for _, ev := range exp.Events {
		e, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			continue // not a domain event
		}
		switch e := e.(type) {
		case domain.VolunteerRegistered:
			if e.PersonID == me {
				ms.Community = e.CommunityID
			}
		case domain.VolunteerJoinedTeam:
			if e.PersonID == me {
				ms.teams[e.TeamID] = true
			}
		case domain.ServiceOrdered:
			if e.Resident.PersonID == me {
				ms.ordered[e.ServiceID] = true
			}
		case domain.ServiceDispatched:
			if e.Assignee.Kind == domain.PartyPerson && e.Assignee.ID == me {
				ms.dispatched[e.ServiceID] = append(ms.dispatched[e.ServiceID], e.Attempt)
			}
		case domain.ServiceAccepted:
			if e.Volunteer.PersonID == me {
				ms.accepted[e.ServiceID] = true
			}
		}
	}
	return ms, nil
}

// offered reports whether order o waits for the visitor's answer: its
// current dispatch is to them or to a team of theirs.
func (ms myService) offered(o projections.ServiceItem) bool {
	if o.Status != domain.ServiceStatusDispatched {
		return false
	}
	if o.Assignee.Kind == domain.PartyTeam {
		return ms.teams[o.Assignee.ID]
	}
	return slices.Contains(ms.dispatched[o.ServiceID], o.Attempt)
}

// servicesData is the visitor's volunteer service page.
type servicesData struct {
	// Offered wait for their answer, Doing are accepted by them, Mine
	// were ordered for them.
	Offered, Doing, Mine []projections.ServiceItem
	Volunteer            bool
	Form                 form
}

// servicesPage is the visitor's volunteer service page.
func (w *Web) servicesPage(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	return w.showServices(c, nethttp.StatusOK, newForm(c))
}

func (w *Web) showServices(c echo.Context, status int, f form) error {
	ms, err := w.myServicePart(c)
	if err != nil {
		return err
	}
	orders, err := w.serviceOrders(c)
	if err != nil {
		return err
	}
	d := servicesData{Volunteer: ms.Community != "", Form: f}
	for _, o := range orders {
		switch {
		case ms.offered(o):
			d.Offered = append(d.Offered, o)
		case ms.accepted[o.ServiceID] && o.Status == domain.ServiceStatusAccepted:
			d.Doing = append(d.Doing, o)
		}
		if ms.ordered[o.ServiceID] {
			d.Mine = append(d.Mine, o)
		}
	}
	return w.render(c, status, "services", Page{Title: w.lang(c).T("services.title"), Nav: "services", Data: d})
}

// serviceOrders lists the orders the visitor reads (GET /v1/services in
// their scope), as of the write a redirect names (wait_for).
func (w *Web) serviceOrders(c echo.Context) ([]projections.ServiceItem, error) {
	q := url.Values{}
	if wf := c.QueryParam("wait_for"); wf != "" {
		q.Set("wait_for", wf)
	}
	var orders list[projections.ServiceItem]
	err := w.get(c, "/v1/services", q, &orders)
	return orders.Items, err
}

// serviceAnswers are the visitor's commands on an order, by the path's
// last part: the API's route and the form's fields (a name, or name:int,
// name:bool).
var serviceAnswers = map[string]struct {
	route  string
	fields []string
	done   string
}{
	"accept":  {"accept", []string{"attempt:int"}, "service_accepted"},
	"decline": {"decline", []string{"attempt:int", "reason"}, "service_declined"},
	"done":    {"done", []string{"minutes:int", "note"}, "service_done"},
	"confirm": {"confirm", []string{"satisfied:bool", "reason"}, "service_confirmed"},
}

// answerService sends the visitor's answer on an order (POST
// /v1/services/{id}/accept, decline, done or confirm).
func (w *Web) answerService(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	id, err := pathUUID(c)
	if err != nil {
		return err
	}
	a, ok := serviceAnswers[c.Param("cmd")]
	if !ok {
		return echo.ErrNotFound
	}
	f := newForm(c)
	body := map[string]any{}
	for _, spec := range a.fields {
		name, kind, _ := strings.Cut(spec, ":")
		raw := f.Value(name)
		switch {
		case raw == "":
		case kind == "int":
			n, err := strconv.Atoi(raw)
			if err != nil {
				f.Errors[name] = w.lang(c).T("staff.error.number")
				return w.showServices(c, nethttp.StatusUnprocessableEntity, f)
			}
			body[name] = n
		case kind == "bool":
			body[name] = raw == "true"
		default:
			body[name] = raw
		}
	}
	var res yhttp.WriteResult
	err = w.call(c, apiRequest{method: nethttp.MethodPost, path: "/v1/services/" + id + "/" + a.route, body: body, idempotencyKey: f.Value("key")}, &res)
	if f.refused(err, "reason", "minutes", "satisfied") {
		f.Values.Set("service", id)
		return w.showServices(c, nethttp.StatusConflict, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(nethttp.StatusSeeOther, fmt.Sprintf("/services?done=%s&wait_for=%d", a.done, res.HeadPosition))
}

// orderData is the order form (点单).
type orderData struct {
	Community  string
	Grids      []projections.GridPlace
	Categories []string
	Form       form
	Key        string
}

// serviceCategories are the categories an order is placed under, in the
// words of proposals' categories, so that "who can help" finds the
// volunteers who help with them.
var serviceCategories = []string{"elderly", "facilities", "environment", "youth", "safety", "other"}

// orderPage is the form a resident orders a service with.
func (w *Web) orderPage(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	return w.showOrder(c, nethttp.StatusOK, newForm(c))
}

func (w *Web) showOrder(c echo.Context, status int, f form) error {
	s := sessionOf(c)
	d := orderData{Community: s.Token.Scope.Community, Categories: serviceCategories, Form: f, Key: newKey()}
	var pl struct {
		Places []projections.Place `json:"places"`
	}
	if err := w.get(c, "/v1/places", nil, &pl); err != nil {
		return err
	}
	for _, p := range pl.Places {
		if p.CommunityID == d.Community {
			for _, g := range p.Grids {
				if s.Token.Scope.Grid == "" || g.GridID == s.Token.Scope.Grid {
					d.Grids = append(d.Grids, g)
				}
			}
		}
	}
	return w.render(c, status, "service_order", Page{Title: w.lang(c).T("services.order.title"), Nav: "services", Data: d})
}

// order places the order (POST /v1/services) for the visitor.
func (w *Web) order(c echo.Context) error {
	s := sessionOf(c)
	if s == nil {
		return signInFirst(c)
	}
	f := newForm(c)
	body := map[string]string{"community_id": s.Token.Scope.Community}
	for _, k := range []string{"grid_id", "title", "need", "category", "skill"} {
		if v := f.Value(k); v != "" {
			body[k] = v
		}
	}
	var res yhttp.WriteResult
	err := w.call(c, apiRequest{method: nethttp.MethodPost, path: "/v1/services", body: body, idempotencyKey: f.Value("key")}, &res)
	if f.refused(err, "grid_id", "title", "need", "category", "skill") {
		return w.showOrder(c, nethttp.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(nethttp.StatusSeeOther, fmt.Sprintf("/services?done=service_ordered&wait_for=%d", res.HeadPosition))
}

// ledgerLine is one line of a points account: an award for a service
// (with the rule that computed it) or a redemption at a station.
type ledgerLine struct {
	// Award or Redemption, one of them.
	Award      *domain.PointsAwarded
	Redemption *domain.PointsRedeemed
	// What names the service or the station.
	What string
}

// pointsLedger is a volunteer's points account, event by event.
type pointsLedger struct {
	Lines                     []ledgerLine
	Earned, Redeemed, Balance int
	Minutes                   int
}

// readLedger reads the points account of person in community (GET
// /v1/communities/{c}/points/{person}), naming each award's service and
// each redemption's station. An account with no event yet is empty.
func (w *Web) readLedger(c echo.Context, community, person string) (pointsLedger, error) {
	var pl pointsLedger
	evs, err := w.aggregate(c, "/v1/communities/"+url.PathEscape(community)+"/points/"+url.PathEscape(person))
	var ae *apiError
	if errors.As(err, &ae) && ae.Problem.Status == nethttp.StatusNotFound {
		return pl, nil
	}
	if err != nil {
		return pl, err
	}
	titles := map[string]string{}
	var orders list[projections.ServiceItem]
	if err := w.get(c, "/v1/services", url.Values{"community": {community}}, &orders); err != nil {
		return pl, err
	}
	for _, o := range orders.Items {
		titles[o.ServiceID] = o.Title
	}
	stations := map[string]string{}
	var res resourcesAnswer
	if err := w.get(c, "/v1/resources", url.Values{"community": {community}, "kind": {projections.ResourceStation}}, &res); err != nil {
		return pl, err
	}
	for _, r := range res.Items {
		stations[r.StationID] = r.Name
	}
	for _, e := range evs {
		switch e := e.(type) {
		case domain.PointsAwarded:
			pl.Lines = append(pl.Lines, ledgerLine{Award: &e, What: titles[e.ServiceID]})
			pl.Earned += e.Points
			pl.Minutes += e.Minutes
			pl.Balance = e.Balance
		case domain.PointsRedeemed:
			pl.Lines = append(pl.Lines, ledgerLine{Redemption: &e, What: stations[e.StationID]})
			pl.Redeemed += e.Points
			pl.Balance = e.Balance
		}
	}
	slices.Reverse(pl.Lines) // the newest first
	return pl, nil
}

// pointsData is a volunteer's own points page.
type pointsData struct {
	Ledger    pointsLedger
	Volunteer bool
}

// myPoints is the visitor's own points ledger (积分): earned per service
// with the rule recorded on the award, redeemed at the station.
func (w *Web) myPoints(c echo.Context) error {
	s := sessionOf(c)
	if s == nil {
		return signInFirst(c)
	}
	ms, err := w.myServicePart(c)
	if err != nil {
		return err
	}
	d := pointsData{Volunteer: ms.Community != ""}
	if d.Volunteer {
		if d.Ledger, err = w.readLedger(c, ms.Community, s.Token.Actor()); err != nil {
			return err
		}
	}
	return w.render(c, nethttp.StatusOK, "points", Page{Title: w.lang(c).T("points.title"), Nav: "services", Data: d})
}
