package web

import (
	"cmp"
	"html/template"
	"net/url"
	"slices"
	"strconv"

	nethttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/web/chart"
)

// The street office's report (docs/pages.md): GET /v1/reports/street as a
// page with charts and tables, and as CSV. Admins and auditors, as the API
// decides.

// reportAnswer is GET /v1/reports/street's answer.
type reportAnswer struct {
	projections.StreetReport
	Position uint64 `json:"position"`
}

// reportData is the report page's data.
type reportData struct {
	Streets  []option
	Street   string
	From, To string
	// Period says which months the figures cover.
	Period string
	Report reportAnswer
	// Tiles are the headline figures; Organisation the organisation's.
	Tiles, Organisation []reportTile
	Monthly, Routes     template.HTML
	Rows                []reportRow
	CSV                 string
}

// reportTile is one figure with its label.
type reportTile struct{ Value, Label string }

// reportRow is one community's line of the table.
type reportRow struct {
	Name                                                string
	Collected, Solved, Direct, Convened, Talks, Opinion int
	Activities, Wishes                                  int
	Days, Hours                                         string
	Points                                              int
}

// reportQuery reads the page's street and period: the street picked, or
// the first the visitor may read; from and to as given (the API checks
// them).
func (w *Web) reportQuery(c echo.Context) (street string, streets []option, q url.Values, err error) {
	var pl struct {
		Places []projections.Place `json:"places"`
	}
	if err := w.get(c, "/v1/places", nil, &pl); err != nil {
		return "", nil, nil, err
	}
	scope := sessionOf(c).Token.Scope.Community
	seen := map[string]bool{}
	for _, p := range pl.Places {
		if p.Street == "" || seen[p.Street] || (scope != "" && p.CommunityID != scope) {
			continue
		}
		seen[p.Street] = true
		streets = append(streets, option{Value: p.Street, Label: p.Street})
	}
	slices.SortFunc(streets, func(a, b option) int { return cmp.Compare(a.Value, b.Value) })
	street = c.QueryParam("street")
	if street == "" && len(streets) > 0 {
		street = streets[0].Value
	}
	q = url.Values{"street": {street}}
	for _, k := range []string{"from", "to"} {
		if v := c.QueryParam(k); v != "" {
			q.Set(k, v)
		}
	}
	return street, streets, q, nil
}

// streetReport shows a street office's report: headline figures, the
// organisation, items collected and solved per month, how they were
// solved, one line per community, and the CSV link.
func (w *Web) streetReport(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	street, streets, q, err := w.reportQuery(c)
	if err != nil {
		return err
	}
	d := reportData{Streets: streets, Street: street, From: c.QueryParam("from"), To: c.QueryParam("to"), CSV: "/audit/report.csv?" + q.Encode()}
	if err := w.get(c, "/v1/reports/street", q, &d.Report); err != nil {
		return err
	}
	r, f := d.Report, d.Report.Totals
	d.Period = l.T("report.period.all")
	if r.From != "" || r.To != "" {
		d.Period = l.T("report.period", wd.month(cmp.Or(r.From, "…")), wd.month(cmp.Or(r.To, "…")))
	}
	d.Tiles = []reportTile{
		{strconv.Itoa(f.Collected), l.T("report.collected")},
		{strconv.Itoa(f.SolvedDirectly), l.T("report.direct")},
		{strconv.Itoa(f.SolvedConvened), l.T("report.convened")},
		{strconv.Itoa(f.Solved), l.T("report.solved")},
		{l.T("stats.days", f.MeanDays), l.T("report.days")},
		{l.T("report.talks.value", f.Talks, f.Opinions), l.T("report.talks")},
		{strconv.Itoa(f.Activities), l.T("report.activities")},
		{strconv.FormatFloat(f.VolunteerHours, 'f', -1, 64), l.T("report.hours")},
		{strconv.Itoa(f.ServicePoints), l.T("report.points")},
		{strconv.Itoa(f.WishesFulfilled), l.T("report.wishes")},
	}
	o := r.Organisation
	d.Organisation = []reportTile{
		{strconv.Itoa(o.Grids), l.T("report.org.grids")},
		{strconv.Itoa(o.VillageGrids), l.T("report.org.village")},
		{strconv.Itoa(o.GridsByKind[domain.GridDedicated]), l.T("report.org.dedicated")},
		{strconv.Itoa(o.GridHeads), l.T("report.org.heads")},
		{strconv.Itoa(o.GridWorkers[domain.FullTime]), l.T("report.org.fulltime")},
		{strconv.Itoa(o.GridWorkers[domain.PartTime]), l.T("report.org.parttime")},
		{strconv.Itoa(o.Volunteers), l.T("report.org.volunteers")},
		{strconv.Itoa(o.VolunteerTeams), l.T("report.org.teams")},
	}
	monthly := chart.Columns{ID: "r-monthly", Title: l.T("report.monthly.title"), Desc: l.T("report.monthly.desc", f.Collected, f.Solved),
		Category: l.T("stats.month"), Empty: l.T("chart.empty"), Series: []chart.Series{{Name: l.T("report.collected")}, {Name: l.T("report.solved")}}}
	for _, m := range r.Months {
		monthly.Categories = append(monthly.Categories, wd.month(m.Key))
		monthly.Series[0].Values = append(monthly.Series[0].Values, float64(m.Figures.Collected))
		monthly.Series[1].Values = append(monthly.Series[1].Values, float64(m.Figures.Solved))
	}
	routes := chart.Bars{ID: "r-routes", Title: l.T("report.routes.title"), Desc: l.T("report.routes.desc", f.SolvedDirectly, f.SolvedConvened),
		Label: l.T("report.routes.how"), Value: l.T("report.solved"), Empty: l.T("chart.empty"), Sep: l.T("chart.sep")}
	if f.Solved > 0 {
		for _, b := range []struct {
			key string
			n   int
		}{{"report.routes.direct", f.SolvedDirectly}, {"report.routes.convened", f.SolvedConvened}, {"report.routes.residents", f.Solved - f.SolvedDirectly - f.SolvedConvened}} {
			routes.Bars = append(routes.Bars, chart.Bar{Label: l.T(b.key), Value: float64(b.n), Text: l.T("stats.items", b.n)})
		}
	}
	if d.Monthly, err = monthly.HTML(); err != nil {
		return err
	}
	if d.Routes, err = routes.HTML(); err != nil {
		return err
	}
	for _, row := range r.Communities {
		g := row.Figures
		d.Rows = append(d.Rows, reportRow{Name: row.Name, Collected: g.Collected, Solved: g.Solved, Direct: g.SolvedDirectly, Convened: g.SolvedConvened,
			Talks: g.Talks, Opinion: g.Opinions, Activities: g.Activities, Wishes: g.WishesFulfilled, Days: l.T("stats.days", g.MeanDays), Hours: strconv.FormatFloat(g.VolunteerHours, 'f', -1, 64), Points: g.ServicePoints})
	}
	return w.render(c, nethttp.StatusOK, "report", Page{Title: l.T("report.title"), Nav: "audit", Place: street, Data: d})
}

// downloadReport writes the street office's report as CSV in the
// visitor's language: the totals, one line per community, one per month,
// each line written as it is made.
func (w *Web) downloadReport(c echo.Context) error {
	l := w.lang(c)
	_, _, q, err := w.reportQuery(c)
	if err != nil {
		return err
	}
	var r reportAnswer
	if err := w.get(c, "/v1/reports/street", q, &r); err != nil {
		return err
	}
	cw := w.startCSV(c, "report", where{}, []string{"report.csv.scope", "report.csv.key", "report.collected", "report.solved", "report.direct",
		"report.convened", "report.csv.closed", "report.days", "report.talks", "report.opinions", "report.activities", "report.csv.meetings",
		"report.csv.services", "report.hours", "report.points", "report.wishes"})
	line := func(scope, key string, f projections.ReportFigures) error {
		return cw.Write([]string{scope, key, strconv.Itoa(f.Collected), strconv.Itoa(f.Solved), strconv.Itoa(f.SolvedDirectly),
			strconv.Itoa(f.SolvedConvened), strconv.Itoa(f.Closed), strconv.FormatFloat(f.MeanDays, 'f', 1, 64), strconv.Itoa(f.Talks),
			strconv.Itoa(f.Opinions), strconv.Itoa(f.Activities), strconv.Itoa(f.Meetings), strconv.Itoa(f.ServicesConfirmed),
			strconv.FormatFloat(f.VolunteerHours, 'f', -1, 64), strconv.Itoa(f.ServicePoints), strconv.Itoa(f.WishesFulfilled)})
	}
	period := cmp.Or(r.From, "…") + "–" + cmp.Or(r.To, "…")
	if err := line(l.T("report.csv.street"), r.Street+" "+period, r.Totals); err != nil {
		return err
	}
	if err := flushCSV(c, cw); err != nil {
		return err
	}
	for _, row := range r.Communities {
		if err := line(l.T("report.csv.community"), row.Name, row.Figures); err != nil {
			return err
		}
	}
	for _, row := range r.Months {
		if err := line(l.T("report.csv.month"), row.Key, row.Figures); err != nil {
			return err
		}
		if err := flushCSV(c, cw); err != nil {
			return err
		}
	}
	return flushCSV(c, cw)
}
