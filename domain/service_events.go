package domain

import "time"

// Volunteer service: 点单 — 派单 — 接单. A resident, or a grid worker on
// their behalf, orders a service (点单: a ride to the clinic, a lamp
// fixed); staff dispatch it to a volunteer or a volunteer team (派单) with a
// time to answer by; the volunteer accepts or declines (接单). A decline or
// a dispatch left unanswered past its time (expired) puts the order back in
// the queue to be dispatched again, never to one who declined it. The
// volunteer reports it done with the time spent, and the resident confirms;
// a satisfied confirmation awards points (积分) by the rule it records, and
// a follow-up credits them to the volunteer's points account
// ("points-<community>:<person>"), where they are redeemed at the
// community's station. Each order lives in "service-<id>".

// Service statuses.
const (
	// ServiceStatusOrdered: waiting to be dispatched (again, after a decline or
	// an expired dispatch).
	ServiceStatusOrdered = "ordered"
	// ServiceStatusDispatched: waiting for the volunteer or team to answer.
	ServiceStatusDispatched = "dispatched"
	// ServiceStatusAccepted: a volunteer took it on.
	ServiceStatusAccepted = "accepted"
	// ServiceStatusDone: the volunteer reported it done; the resident confirms.
	ServiceStatusDone = "done"
	// ServiceStatusConfirmed: the resident confirmed it; points were awarded.
	ServiceStatusConfirmed = "confirmed"
	// ServiceStatusCancelled: it will not be done.
	ServiceStatusCancelled = "cancelled"
)

// PointsRule is how a confirmed service's points are computed, recorded on
// the event that awards them so that an auditor recomputes every award:
// Base points for the service, plus PerHalfHour for every half hour begun.
type PointsRule struct {
	ID          string `json:"id"`
	Base        int    `json:"base"`
	PerHalfHour int    `json:"per_half_hour"`
}

// ServicePointsRule is the rule in force: 2 points a service, 1 per half
// hour begun (每次服务 2 分，每半小时 1 分).
var ServicePointsRule = PointsRule{ID: "service-2026", Base: 2, PerHalfHour: 1}

// Points returns the points the rule awards for minutes of service.
func (r PointsRule) Points(minutes int) int {
	return r.Base + r.PerHalfHour*((minutes+29)/30)
}

// ServiceOrdered records an order (点单).
type ServiceOrdered struct {
	ServiceID   string `json:"service_id"`
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	Title       string `json:"title"`
	// Need says what is needed, in the resident's words.
	Need     string `json:"need" pii:"text,person=Resident.PersonID,item"`
	Category string `json:"category"`
	// Skill is the skill the service needs, if one (驾驶, 维修).
	Skill string `json:"skill,omitempty"`
	// Resident is the person served.
	Resident Voter `json:"resident"`
	// OrderedBy is who placed the order: the resident, or staff on their
	// behalf.
	OrderedBy string    `json:"ordered_by"`
	At        time.Time `json:"at"`
}

// ServiceDispatched records a dispatch (派单): attempt Attempt, to a
// volunteer (a person) or a volunteer team, to be answered by AnswerBy.
type ServiceDispatched struct {
	ServiceID string    `json:"service_id"`
	Attempt   int       `json:"attempt"`
	Assignee  Party     `json:"assignee"`
	AnswerBy  time.Time `json:"answer_by"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// ServiceAccepted records that a volunteer accepted the dispatch (接单).
type ServiceAccepted struct {
	ServiceID  string    `json:"service_id"`
	Attempt    int       `json:"attempt"`
	Volunteer  Voter     `json:"volunteer"`
	RecordedBy string    `json:"recorded_by,omitempty"`
	At         time.Time `json:"at"`
}

// ServiceDeclined records that the volunteer or team declined the
// dispatch; the order waits to be dispatched again.
type ServiceDeclined struct {
	ServiceID  string    `json:"service_id"`
	Attempt    int       `json:"attempt"`
	Assignee   Party     `json:"assignee"`
	Volunteer  Voter     `json:"volunteer"`
	Reason     string    `json:"reason,omitempty" pii:"text,person=Volunteer.PersonID"`
	RecordedBy string    `json:"recorded_by,omitempty"`
	At         time.Time `json:"at"`
}

// ServiceDispatchExpired records that a dispatch was not answered by its
// time; the order waits to be dispatched again.
type ServiceDispatchExpired struct {
	ServiceID string    `json:"service_id"`
	Attempt   int       `json:"attempt"`
	Assignee  Party     `json:"assignee"`
	At        time.Time `json:"at"`
}

// ServiceDone records that the volunteer did the service, and how long it
// took.
type ServiceDone struct {
	ServiceID   string    `json:"service_id"`
	CommunityID string    `json:"community_id"`
	Volunteer   Voter     `json:"volunteer"`
	Minutes     int       `json:"minutes"`
	Note        string    `json:"note,omitempty" pii:"text,person=Volunteer.PersonID,item"`
	At          time.Time `json:"at"`
}

// ServiceConfirmed records the resident's verdict. Satisfied awards
// Points to the volunteer by Rule for Minutes (a follow-up credits the
// volunteer's points account); not satisfied sends it back to the
// volunteer, with no points.
type ServiceConfirmed struct {
	ServiceID   string `json:"service_id"`
	CommunityID string `json:"community_id"`
	// VolunteerID is the volunteer credited.
	VolunteerID string     `json:"volunteer_id"`
	Confirmer   Voter      `json:"confirmer"`
	Satisfied   bool       `json:"satisfied"`
	Reason      string     `json:"reason,omitempty" pii:"text,person=Confirmer.PersonID"`
	Minutes     int        `json:"minutes"`
	Points      int        `json:"points"`
	Rule        PointsRule `json:"rule"`
	RecordedBy  string     `json:"recorded_by,omitempty"`
	At          time.Time  `json:"at"`
}

// ServiceCancelled records that the order will not be done.
type ServiceCancelled struct {
	ServiceID string    `json:"service_id"`
	Reason    string    `json:"reason"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// PointsAwarded credits a volunteer's points account for one confirmed
// service; Balance is the balance after it.
type PointsAwarded struct {
	CommunityID string     `json:"community_id"`
	PersonID    string     `json:"person_id"`
	ServiceID   string     `json:"service_id"`
	Minutes     int        `json:"minutes"`
	Points      int        `json:"points"`
	Rule        PointsRule `json:"rule"`
	Balance     int        `json:"balance"`
	At          time.Time  `json:"at"`
}

// PointsRedeemed debits a volunteer's points account for something
// exchanged at a station (积分兑换); Balance is the balance after it.
type PointsRedeemed struct {
	CommunityID string    `json:"community_id"`
	PersonID    string    `json:"person_id"`
	StationID   string    `json:"station_id"`
	Points      int       `json:"points"`
	Item        string    `json:"item"`
	Balance     int       `json:"balance"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// EventType implements Event.
func (ServiceOrdered) EventType() string { return "service.ordered.v1" }

// EventType implements Event.
func (ServiceDispatched) EventType() string { return "service.dispatched.v1" }

// EventType implements Event.
func (ServiceAccepted) EventType() string { return "service.accepted.v1" }

// EventType implements Event.
func (ServiceDeclined) EventType() string { return "service.declined.v1" }

// EventType implements Event.
func (ServiceDispatchExpired) EventType() string { return "service.dispatch_expired.v1" }

// EventType implements Event.
func (ServiceDone) EventType() string { return "service.done.v1" }

// EventType implements Event.
func (ServiceConfirmed) EventType() string { return "service.confirmed.v1" }

// EventType implements Event.
func (ServiceCancelled) EventType() string { return "service.cancelled.v1" }

// EventType implements Event.
func (PointsAwarded) EventType() string { return "points.awarded.v1" }

// EventType implements Event.
func (PointsRedeemed) EventType() string { return "points.redeemed.v1" }

// OrderService places an order.
type OrderService struct {
	ServiceID   string `json:"service_id"`
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	Title       string `json:"title"`
	Need        string `json:"need"`
	Category    string `json:"category"`
	Skill       string `json:"skill,omitempty"`
	Resident    Voter  `json:"resident"`
	OrderedBy   string `json:"ordered_by"`
}

// DispatchService dispatches an order waiting for it.
type DispatchService struct {
	ServiceID string    `json:"service_id"`
	Assignee  Party     `json:"assignee"`
	AnswerBy  time.Time `json:"answer_by"`
	By        string    `json:"by"`
}

// AcceptService accepts the current dispatch.
type AcceptService struct {
	ServiceID  string `json:"service_id"`
	Attempt    int    `json:"attempt"`
	Volunteer  Voter  `json:"volunteer"`
	RecordedBy string `json:"recorded_by,omitempty"`
}

// DeclineService declines the current dispatch.
type DeclineService struct {
	ServiceID  string `json:"service_id"`
	Attempt    int    `json:"attempt"`
	Volunteer  Voter  `json:"volunteer"`
	Reason     string `json:"reason,omitempty"`
	RecordedBy string `json:"recorded_by,omitempty"`
}

// ExpireDispatch records that the current dispatch was not answered in
// time.
type ExpireDispatch struct {
	ServiceID string `json:"service_id"`
	Attempt   int    `json:"attempt"`
}

// ReportServiceDone reports the accepted service done.
type ReportServiceDone struct {
	ServiceID string `json:"service_id"`
	Volunteer Voter  `json:"volunteer"`
	Minutes   int    `json:"minutes"`
	Note      string `json:"note,omitempty"`
}

// ConfirmService records the resident's verdict on a service done.
type ConfirmService struct {
	ServiceID  string `json:"service_id"`
	Confirmer  Voter  `json:"confirmer"`
	Satisfied  bool   `json:"satisfied"`
	Reason     string `json:"reason,omitempty"`
	RecordedBy string `json:"recorded_by,omitempty"`
}

// CancelService cancels an order not yet done.
type CancelService struct {
	ServiceID string `json:"service_id"`
	Reason    string `json:"reason"`
	By        string `json:"by"`
}

// AwardPoints credits a volunteer for a confirmed service (a follow-up of
// service.confirmed.v1; idempotent per service).
type AwardPoints struct {
	CommunityID string     `json:"community_id"`
	PersonID    string     `json:"person_id"`
	ServiceID   string     `json:"service_id"`
	Minutes     int        `json:"minutes"`
	Points      int        `json:"points"`
	Rule        PointsRule `json:"rule"`
}

// RedeemPoints debits a volunteer's points at a station.
type RedeemPoints struct {
	CommunityID string `json:"community_id"`
	PersonID    string `json:"person_id"`
	StationID   string `json:"station_id"`
	Points      int    `json:"points"`
	Item        string `json:"item"`
	By          string `json:"by"`
}

// ServiceStream is the stream of one service order.
func ServiceStream(serviceID string) string { return "service-" + serviceID }

// PointsStream is the stream of a volunteer's points account in a
// community.
func PointsStream(communityID, personID string) string {
	return "points-" + communityID + ":" + personID
}

// Stream implements Command.
func (c OrderService) Stream() string { return ServiceStream(c.ServiceID) }

// Stream implements Command.
func (c DispatchService) Stream() string { return ServiceStream(c.ServiceID) }

// Stream implements Command.
func (c AcceptService) Stream() string { return ServiceStream(c.ServiceID) }

// Stream implements Command.
func (c DeclineService) Stream() string { return ServiceStream(c.ServiceID) }

// Stream implements Command.
func (c ExpireDispatch) Stream() string { return ServiceStream(c.ServiceID) }

// Stream implements Command.
func (c ReportServiceDone) Stream() string { return ServiceStream(c.ServiceID) }

// Stream implements Command.
func (c ConfirmService) Stream() string { return ServiceStream(c.ServiceID) }

// Stream implements Command.
func (c CancelService) Stream() string { return ServiceStream(c.ServiceID) }

// Stream implements Command.
func (c AwardPoints) Stream() string { return PointsStream(c.CommunityID, c.PersonID) }

// Stream implements Command.
func (c RedeemPoints) Stream() string { return PointsStream(c.CommunityID, c.PersonID) }
