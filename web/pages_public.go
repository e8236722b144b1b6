package web

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"

	nethttp "net/http"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/projections"
)

// The public pages: anyone may read them, without signing in; each reads
// the API's public views (docs/pages.md) as the visitor.

// placeLink is an entry of the place picker.
type placeLink struct {
	Name, Href string
	Current    bool
	Open       int
	Overdue    int
}

// homeData is the home page's data.
type homeData struct {
	Community, Grid string
	Places          []placeLink
	Grids           []placeLink
	AllHref         string
	Open, Overdue   int
	Upcoming        []meetingCard
	Recent          []decisionCard
	Done            []actionCard
	Collected       int
	Solved          int
	Rate            string
}

// homeSize is how many meetings, decisions and outcomes the home page
// lists of each.
const homeSize = "5"

// publicHome is the front page: a community and grid picker, and what is
// happening there now.
func (w *Web) publicHome(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	d := homeData{AllHref: "/?community=", Community: wh.name()}
	for _, p := range wh.places {
		d.Places = append(d.Places, placeLink{Name: p.Name, Href: "/?" + url.Values{"community": {p.CommunityID}}.Encode(), Current: p.CommunityID == wh.Community})
	}
	var counts struct {
		Grids []projections.GridCount `json:"grids"`
	}
	if err := w.get(c, "/v1/board/grids", wh.query("grid", ""), &counts); err != nil {
		return err
	}
	open := map[string]projections.GridCount{}
	for _, g := range counts.Grids {
		open[g.CommunityID+"/"+g.GridID] = g
		if wh.Grid == "" || g.GridID == wh.Grid {
			d.Open += g.Open
			d.Overdue += g.Overdue
		}
	}
	if wh.Place != nil {
		d.AllHref = "/?" + url.Values{"community": {wh.Community}}.Encode()
		for _, g := range wh.Place.Grids {
			gc := open[wh.Community+"/"+g.GridID]
			d.Grids = append(d.Grids, placeLink{Name: g.Name, Href: "/?" + url.Values{"community": {wh.Community}, "grid": {g.GridID}}.Encode(),
				Current: g.GridID == wh.Grid, Open: gc.Open, Overdue: gc.Overdue})
		}
		d.Grid = wh.gridName(wh.Community, wh.Grid)
	}
	var meetings list[projections.MeetingState]
	if err := w.get(c, "/v1/calendar", wh.query("limit", homeSize), &meetings); err != nil {
		return err
	}
	for _, m := range meetings.Items {
		d.Upcoming = append(d.Upcoming, wd.meetingCard(m, wh))
	}
	var decisions list[decision]
	if err := w.get(c, "/v1/register", wh.query("order", "newest", "limit", homeSize), &decisions); err != nil {
		return err
	}
	for _, dec := range decisions.Items {
		card, err := wd.decisionCard(dec, wh)
		if err != nil {
			return err
		}
		d.Recent = append(d.Recent, card)
	}
	var done list[projections.ActionItem]
	if err := w.get(c, "/v1/outcomes", wh.query("status", projections.ActionVerified, "limit", strconv.Itoa(projections.MaxLimit)), &done); err != nil {
		return err
	}
	slices.SortStableFunc(done.Items, func(a, b projections.ActionItem) int { return cmp.Compare(b.Updated.UnixNano(), a.Updated.UnixNano()) })
	for _, a := range done.Items[:min(len(done.Items), 5)] {
		card, err := wd.actionCard(a, wh)
		if err != nil {
			return err
		}
		d.Done = append(d.Done, card)
	}
	var stats statsAnswer
	if err := w.get(c, "/v1/stats", wh.query(), &stats); err != nil {
		return err
	}
	d.Collected, d.Solved, d.Rate = stats.Figures.Collected, stats.Figures.Solved, wd.percent(stats.Figures.ClosedLoopRate)
	return w.render(c, nethttp.StatusOK, "home", Page{Title: l.T("home.title"), Nav: "home", Place: wh.name(), Data: d})
}

// option is an option of a filter's select.
type option struct {
	Value, Label string
	Selected     bool
}

// boardData is the board's data.
type boardData struct {
	Place                      string
	Categories, Statuses, Ages []option
	Filtered                   bool
	Cards                      []boardCard
	NextHref                   string
}

// boardStatuses are the open statuses a visitor may filter by.
var boardStatuses = []string{projections.StatusSubmitted, projections.StatusAccepted, projections.StatusOnAgenda,
	projections.StatusDecided, projections.StatusHandled, projections.StatusReopened}

// boardAges are the ages (at least so many days) a visitor may filter by.
var boardAges = []string{"7", "30", "90"}

// publicBoard is the board of open issues (民情账本) of the place picked, with
// filters by category, status and age.
func (w *Web) publicBoard(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	category, status, age := q.Get("category"), q.Get("status"), q.Get("min_age_days")
	var page list[projections.BoardItem]
	if err := w.get(c, "/v1/board", wh.query("category", category, "status", status, "min_age_days", age, "cursor", q.Get("cursor")), &page); err != nil {
		return err
	}
	var all list[projections.BoardItem]
	if err := w.get(c, "/v1/board", wh.query("limit", strconv.Itoa(projections.MaxLimit)), &all); err != nil {
		return err
	}
	var meetings list[projections.MeetingState]
	if err := w.get(c, "/v1/calendar", wh.query("limit", strconv.Itoa(projections.MaxLimit)), &meetings); err != nil {
		return err
	}
	upcoming := map[string]projections.MeetingState{}
	for _, m := range meetings.Items {
		upcoming[m.MeetingID] = m
	}
	now := w.now()
	d := boardData{Place: wh.name(), Filtered: category != "" || status != "" || age != ""}
	seen := map[string]bool{}
	for _, it := range all.Items {
		if it.Category != "" && !seen[it.Category] {
			seen[it.Category] = true
			d.Categories = append(d.Categories, option{Value: it.Category, Label: wd.code("category", it.Category), Selected: it.Category == category})
		}
	}
	for _, s := range boardStatuses {
		d.Statuses = append(d.Statuses, option{Value: s, Label: wd.code("status", s), Selected: s == status})
	}
	for _, a := range boardAges {
		d.Ages = append(d.Ages, option{Value: a, Label: l.T("board.filter.age.min", a), Selected: a == age})
	}
	for _, it := range page.Items {
		d.Cards = append(d.Cards, wd.boardCard(it, wh, now, upcoming))
	}
	if page.NextCursor != "" {
		next := c.QueryParams()
		next.Set("cursor", page.NextCursor)
		next.Del("lang")
		d.NextHref = "/board?" + next.Encode()
	}
	return w.render(c, nethttp.StatusOK, "board", Page{Title: l.T("board.title"), Nav: "board", Place: wh.name(), Data: d})
}

// registerData is the register's data.
type registerData struct {
	Place    string
	Cards    []decisionCard
	NextHref string
}

// publicRegister is the decision register (公示栏) of the place picked, latest
// first: each decision's rule in words, its tally as a chart, 通过 or 未通过
// and the minutes.
func (w *Web) publicRegister(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	var page list[decision]
	if err := w.get(c, "/v1/register", wh.query("order", "newest", "limit", "20", "cursor", c.QueryParam("cursor")), &page); err != nil {
		return err
	}
	d := registerData{Place: wh.name()}
	for _, dec := range page.Items {
		card, err := wd.decisionCard(dec, wh)
		if err != nil {
			return err
		}
		if err := w.sealDecision(c, &card, dec); err != nil {
			return err
		}
		d.Cards = append(d.Cards, card)
	}
	if page.NextCursor != "" {
		d.NextHref = "/register?" + url.Values{"cursor": {page.NextCursor}}.Encode()
	}
	return w.render(c, nethttp.StatusOK, "register", Page{Title: l.T("register.title"), Nav: "register", Place: wh.name(), Data: d})
}

// outcomesData is the outcomes list's data.
type outcomesData struct {
	Place    string
	Filters  []placeLink
	Cards    []actionCard
	NextHref string
}

// outcomesFilters are the outcomes list's views: open work, overdue work,
// done, everything.
var outcomesFilters = []string{"open", "overdue", "done", "all"}

// publicOutcomes is the outcomes list (行动清单) of the place picked: overdue
// and reopened first, each with its progress bar.
func (w *Web) publicOutcomes(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	show := c.QueryParam("show")
	if !slices.Contains(outcomesFilters, show) {
		show = "open"
	}
	q := wh.query("cursor", c.QueryParam("cursor"))
	switch show {
	case "open":
		q.Set("open", "true")
	case "overdue":
		q.Set("overdue", "true")
	case "done":
		q.Set("status", projections.ActionVerified)
	}
	var page list[projections.ActionItem]
	if err := w.get(c, "/v1/outcomes", q, &page); err != nil {
		return err
	}
	d := outcomesData{Place: wh.name()}
	for _, f := range outcomesFilters {
		d.Filters = append(d.Filters, placeLink{Name: l.T("outcomes.show." + f), Href: "/outcomes?show=" + f, Current: f == show})
	}
	for _, a := range page.Items {
		card, err := wd.actionCard(a, wh)
		if err != nil {
			return err
		}
		d.Cards = append(d.Cards, card)
	}
	if page.NextCursor != "" {
		d.NextHref = "/outcomes?" + url.Values{"show": {show}, "cursor": {page.NextCursor}}.Encode()
	}
	return w.render(c, nethttp.StatusOK, "outcomes", Page{Title: l.T("outcomes.title"), Nav: "outcomes", Place: wh.name(), Data: d})
}
