package projections

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/yishi-civic/yishi/domain"
)

// ServiceItem is one volunteer service order (点单—派单—接单) as lists show
// it. The resident's and the volunteer's names are personal data, masked
// by the read policy for readers outside the order's scope; the resident's
// own words (the need) are not in the view.
type ServiceItem struct {
	ServiceID   string    `json:"service_id"`
	CommunityID string    `json:"community_id"`
	GridID      string    `json:"grid_id"`
	Title       string    `json:"title"`
	Category    string    `json:"category"`
	Skill       string    `json:"skill,omitempty"`
	Status      string    `json:"status"`
	Resident    Person    `json:"resident"`
	OrderedAt   time.Time `json:"ordered_at"`
	// Attempt counts dispatches; Assignee and AnswerBy are the current
	// (last) one's; Overdue is set when it is past AnswerBy unanswered.
	Attempt  int          `json:"attempt"`
	Assignee domain.Party `json:"assignee"`
	AnswerBy time.Time    `json:"answer_by,omitempty"`
	Overdue  bool         `json:"overdue,omitempty"`
	// Declines and Expiries count the dispatches declined and expired.
	Declines  int       `json:"declines"`
	Expiries  int       `json:"expiries"`
	Volunteer *Person   `json:"volunteer,omitempty"`
	Minutes   int       `json:"minutes,omitempty"`
	Points    int       `json:"points,omitempty"`
	Updated   time.Time `json:"updated"`
}

// Person is a person named in a view: id and name, masked together by
// the read policy.
type Person struct {
	PersonID string `json:"person_id"`
	Name     string `json:"name"`
}

// PointsAccount is a volunteer's points (积分) in a community, as the
// account's events left it.
type PointsAccount struct {
	CommunityID string `json:"community_id"`
	PersonID    string `json:"person_id"`
	Name        string `json:"name"`
	Earned      int    `json:"earned"`
	Redeemed    int    `json:"redeemed"`
	Balance     int    `json:"balance"`
	Minutes     int    `json:"minutes"`
	Services    int    `json:"services"`
}

// serviceBucket holds a grid's service figures in one month.
type serviceBucket struct {
	Community string `json:"c"`
	Grid      string `json:"g"`
	Month     string `json:"m"`
	Ordered   int    `json:"o,omitempty"`
	Confirmed int    `json:"cf,omitempty"`
	Minutes   int    `json:"mi,omitempty"`
	Points    int    `json:"p,omitempty"`
	Redeemed  int    `json:"r,omitempty"`
}

// ServiceFigures are the volunteer service's figures of a set of grids
// over a period: orders placed, services confirmed, volunteer hours and
// points awarded on confirmation, points redeemed (a redemption counts in
// its community, not a grid).
type ServiceFigures struct {
	Ordered   int     `json:"ordered"`
	Confirmed int     `json:"confirmed"`
	Hours     float64 `json:"hours"`
	Points    int     `json:"points"`
	Redeemed  int     `json:"redeemed"`
}

type servicesState struct {
	Orders   map[string]*ServiceItem   `json:"orders"`
	Accounts map[string]*PointsAccount `json:"accounts"`
	Buckets  map[string]*serviceBucket `json:"buckets"`
}

// Services holds every service order, every volunteer's points account
// and the service figures per grid and month.
type Services struct {
	mu *sync.RWMutex
	st servicesState
}

func newServices(mu *sync.RWMutex) *Services {
	return &Services{mu: mu, st: servicesState{Orders: map[string]*ServiceItem{}, Accounts: map[string]*PointsAccount{}, Buckets: map[string]*serviceBucket{}}}
}

// Name implements View.
func (s *Services) Name() string { return "services" }

// Version implements View.
func (s *Services) Version() int { return 1 }

// MarshalSnapshot implements View.
func (s *Services) MarshalSnapshot() ([]byte, error) { return gojson.Marshal(&s.st) }

// UnmarshalSnapshot implements View.
func (s *Services) UnmarshalSnapshot(r io.Reader) error {
	var st servicesState
	if err := decodeSnapshot(r, &st); err != nil {
		return fmt.Errorf("services snapshot: %w", err)
	}
	if st.Orders == nil || st.Accounts == nil || st.Buckets == nil {
		return fmt.Errorf("services snapshot: missing maps")
	}
	s.st = st
	return nil
}

func (s *Services) bucket(community, grid string, at time.Time) *serviceBucket {
	k := community + "\x00" + grid + "\x00" + monthOf(at)
	b := s.st.Buckets[k]
	if b == nil {
		b = &serviceBucket{Community: community, Grid: grid, Month: monthOf(at)}
		s.st.Buckets[k] = b
	}
	return b
}

func (s *Services) account(community, person string) *PointsAccount {
	k := community + "\x00" + person
	a := s.st.Accounts[k]
	if a == nil {
		a = &PointsAccount{CommunityID: community, PersonID: person}
		s.st.Accounts[k] = a
	}
	return a
}

// Apply implements View.
func (s *Services) Apply(e Event) error {
	if d, ok := e.Data.(domain.ServiceOrdered); ok {
		s.st.Orders[d.ServiceID] = &ServiceItem{ServiceID: d.ServiceID, CommunityID: d.CommunityID, GridID: d.GridID, Title: d.Title,
			Category: d.Category, Skill: d.Skill, Status: domain.ServiceStatusOrdered, Resident: Person{d.Resident.PersonID, d.Resident.Name},
			OrderedAt: d.At, Updated: d.At}
		s.bucket(d.CommunityID, d.GridID, d.At).Ordered++
		return nil
	}
	switch d := e.Data.(type) {
	case domain.PointsAwarded:
		a := s.account(d.CommunityID, d.PersonID)
		a.Earned, a.Balance, a.Minutes, a.Services = a.Earned+d.Points, d.Balance, a.Minutes+d.Minutes, a.Services+1
		return nil
	case domain.PointsRedeemed:
		a := s.account(d.CommunityID, d.PersonID)
		a.Redeemed, a.Balance = a.Redeemed+d.Points, d.Balance
		s.bucket(d.CommunityID, "", d.At).Redeemed += d.Points
		return nil
	}
	o := s.order(e.Data)
	if o == nil {
		return nil
	}
	switch d := e.Data.(type) {
	case domain.ServiceDispatched:
		o.Status, o.Attempt, o.Assignee, o.AnswerBy, o.Updated = domain.ServiceStatusDispatched, d.Attempt, d.Assignee, d.AnswerBy, d.At
	case domain.ServiceAccepted:
		o.Status, o.Volunteer, o.Updated = domain.ServiceStatusAccepted, &Person{d.Volunteer.PersonID, d.Volunteer.Name}, d.At
	case domain.ServiceDeclined:
		o.Status, o.Declines, o.Updated = domain.ServiceStatusOrdered, o.Declines+1, d.At
	case domain.ServiceDispatchExpired:
		o.Status, o.Expiries, o.Updated = domain.ServiceStatusOrdered, o.Expiries+1, d.At
	case domain.ServiceDone:
		o.Status, o.Minutes, o.Updated = domain.ServiceStatusDone, d.Minutes, d.At
		s.account(o.CommunityID, d.Volunteer.PersonID).Name = d.Volunteer.Name
	case domain.ServiceConfirmed:
		o.Updated = d.At
		if !d.Satisfied {
			o.Status = domain.ServiceStatusAccepted
			return nil
		}
		o.Status, o.Points = domain.ServiceStatusConfirmed, d.Points
		b := s.bucket(o.CommunityID, o.GridID, d.At)
		b.Confirmed++
		b.Minutes += d.Minutes
		b.Points += d.Points
	case domain.ServiceCancelled:
		o.Status, o.Updated = domain.ServiceStatusCancelled, d.At
	}
	return nil
}

// order returns the order a service event is about, nil for other events.
func (s *Services) order(ev domain.Event) *ServiceItem {
	var id string
	switch d := ev.(type) {
	case domain.ServiceDispatched:
		id = d.ServiceID
	case domain.ServiceAccepted:
		id = d.ServiceID
	case domain.ServiceDeclined:
		id = d.ServiceID
	case domain.ServiceDispatchExpired:
		id = d.ServiceID
	case domain.ServiceDone:
		id = d.ServiceID
	case domain.ServiceConfirmed:
		id = d.ServiceID
	case domain.ServiceCancelled:
		id = d.ServiceID
	default:
		return nil
	}
	return s.st.Orders[id]
}

// ServiceQuery selects orders: of a community and grid, in a status, or
// only those whose dispatch is overdue at Now.
type ServiceQuery struct {
	CommunityID string
	GridID      string
	Status      string
	Now         time.Time
	OverdueOnly bool
}

// Orders lists the orders q selects, the oldest waiting first: orders to
// dispatch, then dispatched, accepted, done, and the settled last, each
// by order time.
func (s *Services) Orders(q ServiceQuery) []ServiceItem {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rank := map[string]int{domain.ServiceStatusOrdered: 0, domain.ServiceStatusDispatched: 1, domain.ServiceStatusAccepted: 2, domain.ServiceStatusDone: 3}
	var out []ServiceItem
	for _, o := range s.st.Orders {
		if (q.CommunityID != "" && o.CommunityID != q.CommunityID) || (q.GridID != "" && o.GridID != q.GridID) || (q.Status != "" && o.Status != q.Status) {
			continue
		}
		c := *o
		if c.Volunteer != nil {
			v := *c.Volunteer
			c.Volunteer = &v
		}
		c.Overdue = c.Status == domain.ServiceStatusDispatched && !q.Now.IsZero() && q.Now.After(c.AnswerBy)
		if q.OverdueOnly && !c.Overdue {
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b ServiceItem) int {
		return cmp.Or(cmp.Compare(rankOf(rank, a.Status), rankOf(rank, b.Status)), a.OrderedAt.Compare(b.OrderedAt), cmp.Compare(a.ServiceID, b.ServiceID))
	})
	return out
}

// Accounts lists the points accounts of a community (all when empty),
// the highest balance first.
func (s *Services) Accounts(communityID string) []PointsAccount {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []PointsAccount
	for _, a := range s.st.Accounts {
		if communityID == "" || a.CommunityID == communityID {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b PointsAccount) int {
		return cmp.Or(cmp.Compare(b.Balance, a.Balance), cmp.Compare(a.CommunityID, b.CommunityID), cmp.Compare(a.PersonID, b.PersonID))
	})
	return out
}

// Figures sums the service figures of the grids and months q selects;
// redemptions count for a community (and for no single grid).
func (s *Services) Figures(q StatsQuery) ServiceFigures {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var f ServiceFigures
	minutes := 0
	for _, b := range s.st.Buckets {
		if !q.selects(b.Community, b.Grid, b.Month) {
			continue
		}
		f.Ordered += b.Ordered
		f.Confirmed += b.Confirmed
		minutes += b.Minutes
		f.Points += b.Points
		f.Redeemed += b.Redeemed
	}
	f.Hours = float64(minutes*10/60) / 10
	return f
}
