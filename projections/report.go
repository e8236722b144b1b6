package projections

import (
	"slices"
	"time"

	"github.com/yishi-civic/yishi/domain"
)

// ReportQuery selects a street office's report: the street (街道/镇, as the
// communities' registration names it), the period (calendar months in
// China, from From's month to To's month; zero times do not bound) and,
// for a reader scoped to one community, that community alone.
type ReportQuery struct {
	Street      string
	From, To    time.Time
	CommunityID string
}

// ReportFigures are the figures of a street office's report over a period.
type ReportFigures struct {
	// Collected counts the items (proposals, 关键小事, opinions) collected.
	Collected int `json:"collected"`
	// Solved counts those solved and verified; SolvedDirectly those solved
	// through the closed loop without a meeting (发现—处置—反馈),
	// SolvedConvened those solved after a meeting convening the units
	// concerned (the grid head's 召集相关单位共同协商). Figures.SolvedDirectly
	// says more.
	Solved         int `json:"solved"`
	SolvedDirectly int `json:"solved_directly"`
	SolvedConvened int `json:"solved_convened"`
	// Closed counts the items that ended, ClosedLoopRate is Solved ÷ Closed.
	Closed         int     `json:"closed"`
	ClosedLoopRate float64 `json:"closed_loop_rate"`
	// MeanDays is the average number of days from collection to the
	// verified close of the items solved in the period.
	MeanDays float64 `json:"mean_days"`
	// Talks counts the policy talks and activities held (网格之家), Opinions
	// the opinions collected at them.
	Talks    int `json:"talks"`
	Opinions int `json:"opinions"`
	// Activities counts the activities held for residents (义诊, photos
	// for elders, a police lecture), apart from the talks.
	Activities int `json:"activities"`
	// Meetings counts every meeting held.
	Meetings int `json:"meetings"`
	// ServicesConfirmed, VolunteerHours and ServicePoints are the volunteer
	// service's (点单—派单—接单): services the residents confirmed, hours
	// served, points awarded.
	ServicesConfirmed int     `json:"services_confirmed"`
	VolunteerHours    float64 `json:"volunteer_hours"`
	ServicePoints     int     `json:"service_points"`
	// WishesFulfilled counts the small wishes (微心愿) fulfilled.
	WishesFulfilled int `json:"wishes_fulfilled"`
}

// ReportRow is one community's or one month's figures.
type ReportRow struct {
	// Key is the community id or the month ("2026-07").
	Key     string        `json:"key"`
	Name    string        `json:"name,omitempty"`
	Figures ReportFigures `json:"figures"`
}

// StreetReport is a street office's report over a period: its totals, per
// community and per month, and its organisation as it stands.
type StreetReport struct {
	Street string `json:"street"`
	// From and To are the first and last month of the period, empty when
	// unbounded.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Totals, Communities and Months hold the figures.
	Totals       ReportFigures `json:"totals"`
	Communities  []ReportRow   `json:"communities"`
	Months       []ReportRow   `json:"months"`
	Organisation OrgFigures    `json:"organisation"`
}

// StreetReport sums a street's figures over the query's period; ok is
// false when no community names the street (or the scoped community is
// not one of its).
func (v *Views) StreetReport(q ReportQuery) (r StreetReport, ok bool) {
	communities := v.Stats.Streets()[q.Street]
	if q.CommunityID != "" {
		if !slices.Contains(communities, q.CommunityID) {
			return StreetReport{}, false
		}
		communities = []string{q.CommunityID}
	}
	if len(communities) == 0 {
		return StreetReport{}, false
	}
	sq := StatsQuery{Communities: communities, From: q.From, To: q.To}
	r = StreetReport{Street: q.Street, Totals: v.reportFigures(sq), Organisation: v.Stats.Organisation(sq)}
	if !q.From.IsZero() {
		r.From = monthOf(q.From)
	}
	if !q.To.IsZero() {
		r.To = monthOf(q.To)
	}
	for _, id := range communities {
		one := sq
		one.Communities = []string{id}
		name := id
		if p, ok := v.Directory.Place(id); ok {
			name = p.Name
		}
		r.Communities = append(r.Communities, ReportRow{Key: id, Name: name, Figures: v.reportFigures(one)})
	}
	for _, m := range v.Stats.Months(sq) {
		month := sq
		month.From, _ = time.ParseInLocation("2006-01", m, china)
		month.To = month.From
		r.Months = append(r.Months, ReportRow{Key: m, Figures: v.reportFigures(month)})
	}
	return r, true
}

// reportFigures reads one set of figures from the statistics and the
// volunteer service.
func (v *Views) reportFigures(q StatsQuery) ReportFigures {
	f := v.Stats.Figures(q)
	s := v.Services.Figures(q)
	return ReportFigures{Collected: f.Collected, Solved: f.Solved, SolvedDirectly: f.SolvedDirectly, SolvedConvened: f.SolvedConvened,
		Closed: f.Closed, ClosedLoopRate: f.ClosedLoopRate, MeanDays: f.MeanDays,
		Talks: f.MeetingsByFormat[domain.FormatTalk], Opinions: f.CollectedAtMeetings[domain.FormatTalk],
		Activities: f.MeetingsByFormat[domain.FormatActivity], Meetings: f.MeetingsHeld,
		ServicesConfirmed: s.Confirmed, VolunteerHours: s.Hours, ServicePoints: s.Points, WishesFulfilled: v.Wishes.Figures(q).Fulfilled}
}
