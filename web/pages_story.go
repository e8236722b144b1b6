package web

import (
	"cmp"
	"html/template"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	nethttp "net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/web/chart"
)

// storyData is a proposal's story page.
type storyData struct {
	Title, Status, Author, Submitted        string
	Place, Category, Channel, Text, Support string
	Photos                                  []photo
	Decisions                               []decisionCard
	Actions                                 []actionCard
	Steps                                   []stepLine
	NextHref                                string
}

// stepLine is one line of the story: a step, or a run of alike steps
// (eleven invitations, ten attendances) told once with their count.
type stepLine struct {
	When, What, Summary, Who string
	// Events links to the step's events, from its first (auditors).
	Events                 string
	Count                  int
	Photos                 []photo
	Satisfied, Unsatisfied bool
	Percent                int
}

// grouped are the step types told once for a run of them.
var grouped = map[string]bool{
	"meeting.participant_invited.v1": true, "meeting.attendance_recorded.v1": true,
	"proposal.supported.v1": true, "action.occurrence_held.v1": true,
}

// proposalStatus is the status each step of a proposal's own stream
// leaves it in.
var proposalStatus = map[string]string{
	"proposal.submitted.v1": projections.StatusSubmitted, "proposal.accepted.v1": projections.StatusAccepted,
	"proposal.put_on_agenda.v1": projections.StatusOnAgenda, "proposal.decided.v1": projections.StatusDecided,
	"proposal.handled_directly.v1": projections.StatusHandled, "proposal.closed.v1": projections.StatusClosed,
	"proposal.reopened.v1": projections.StatusReopened, "proposal.rejected.v1": projections.StatusRejected,
	"proposal.merged.v1": projections.StatusMerged, "proposal.withdrawn.v1": projections.StatusWithdrawn,
}

// publicStory is one proposal's whole story as one page: the report with its
// photos, the decisions taken on it with their tallies, its actions with
// their progress, and every step from the report to the verification.
func (w *Web) publicStory(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return echo.ErrNotFound
	}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	pid := id.String()
	var s storyAnswer
	if err := w.get(c, "/v1/proposals/"+pid+"/timeline", url.Values{"limit": {strconv.Itoa(projections.MaxLimit)}, "cursor": {c.QueryParam("cursor")}}, &s); err != nil {
		return err
	}
	var d storyData
	supporters := 0
	for _, st := range s.Entries {
		if r := st.Report; r != nil {
			d.Title, d.Author, d.Submitted = st.Summary, st.PersonName, wd.date(st.At)
			d.Place = strings.TrimSpace(r.Place + " · " + wh.communityName(r.CommunityID) + " · " + wh.gridName(r.CommunityID, r.GridID))
			d.Category, d.Channel, d.Text = wd.code("category", r.Category), wd.code("channel", r.Channel), r.Text
			d.Photos = photos(st.Stream, st.Photos, l.T("story.photo.report", st.Summary))
		}
		if status, ok := proposalStatus[st.Type]; ok {
			d.Status = wd.code("status", status)
		}
		if st.Type == "proposal.supported.v1" {
			supporters++
		}
		n := len(d.Steps)
		d.Steps = appendStep(d.Steps, wd, st)
		if wh.auditor && len(d.Steps) > n {
			d.Steps[n].Events = eventsHref("from", strconv.FormatUint(uint64(st.Position), 10))
		}
	}
	if d.Title == "" {
		// A later page of a long story: name it by its first step.
		d.Title = l.T("story.more")
	}
	d.Support = l.T("board.supporters", supporters)
	var decisions list[decision]
	if err := w.get(c, "/v1/register", url.Values{"proposal": {pid}, "limit": {strconv.Itoa(projections.MaxLimit)}}, &decisions); err != nil {
		return err
	}
	for _, dec := range decisions.Items {
		card, err := wd.decisionCard(dec, wh)
		if err != nil {
			return err
		}
		card.StoryHref = ""
		if err := w.sealDecision(c, &card, dec); err != nil {
			return err
		}
		d.Decisions = append(d.Decisions, card)
	}
	var actions list[projections.ActionItem]
	if err := w.get(c, "/v1/outcomes", url.Values{"proposal": {pid}, "limit": {strconv.Itoa(projections.MaxLimit)}}, &actions); err != nil {
		return err
	}
	for _, a := range actions.Items {
		card, err := wd.actionCard(a, wh)
		if err != nil {
			return err
		}
		card.StoryHref = ""
		d.Actions = append(d.Actions, card)
	}
	if s.Next != "" {
		d.NextHref = "/proposals/" + pid + "?" + url.Values{"cursor": {s.Next}}.Encode()
	}
	return w.render(c, nethttp.StatusOK, "story", Page{Title: d.Title, Nav: "board", Place: wh.name(), Data: d})
}

// appendStep adds a step to the story's lines, folding a run of alike
// steps into one line with its count.
func appendStep(lines []stepLine, wd words, st step) []stepLine {
	if n := len(lines); n > 0 && grouped[st.Type] && lines[n-1].What == wd.stepName(st.Type) {
		lines[n-1].Count++
		return lines
	}
	line := stepLine{When: wd.date(st.At), What: wd.stepName(st.Type), Summary: st.Summary, Who: st.PersonName, Count: 1, Percent: st.Percent}
	switch st.Type {
	case "meeting.participant_invited.v1", "meeting.attendance_recorded.v1":
		// The summary is a kind or an attendance code, the names one per
		// step: the count says it.
		line.Summary, line.Who = "", ""
	case "proposal.supported.v1", "action.occurrence_held.v1":
		line.Who = ""
	case "proposal.submitted.v1":
		// The report above the story shows its text and photos.
		line.Summary, st.Photos = "", nil
	case "meeting.voting_closed.v1":
		if st.Tally != nil {
			line.Summary = wd.code("result", st.Tally.Result)
		}
	case "action.verified.v1":
		line.Satisfied = st.Satisfied != nil && *st.Satisfied
		line.Unsatisfied = st.Satisfied != nil && !*st.Satisfied
	}
	if line.Summary != "" && st.Type != "meeting.voting_closed.v1" && repeats(lines, st.Summary) {
		// A motion's text is told once: when it is tabled.
		line.Summary = ""
	}
	line.Photos = photos(st.Stream, st.Photos, wd.l.T("story.photo.step", line.What, line.When))
	return append(lines, line)
}

// repeats reports whether one of the last lines already told summary.
func repeats(lines []stepLine, summary string) bool {
	for i := len(lines) - 1; i >= max(0, len(lines)-6); i-- {
		if strings.HasPrefix(summary, lines[i].Summary) && lines[i].Summary != "" {
			return true
		}
	}
	return false
}

// stepName names a step's type: step.proposal.submitted.
func (w words) stepName(typ string) string {
	return w.code("step", strings.TrimSuffix(typ, ".v1"))
}

// statsData is the statistics page's data.
type statsData struct {
	Place                             string
	Collected, Solved, Closed         int
	Rate, Median, P90, Satisfaction   string
	Meetings                          int
	Monthly, ByPlace, Days, ByChannel template.HTML
}

// publicStats is the statistics of the place picked (every community when none
// is): totals, collected and solved by month, the closed-loop rate and
// days to close per grid (or community), and proposals by channel.
func (w *Web) publicStats(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	var total, months, places statsAnswer
	if err := w.get(c, "/v1/stats", wh.query(), &total); err != nil {
		return err
	}
	if err := w.get(c, "/v1/stats", wh.query("by", projections.ByMonth), &months); err != nil {
		return err
	}
	by := projections.ByGrid
	if wh.Community == "" {
		by = projections.ByCommunity
	}
	if err := w.get(c, "/v1/stats", wh.query("by", by), &places); err != nil {
		return err
	}
	f := total.Figures
	d := statsData{Place: wh.name(), Collected: f.Collected, Solved: f.Solved, Closed: f.Closed, Rate: wd.percent(f.ClosedLoopRate),
		Median: l.T("stats.days", f.MedianDays), P90: l.T("stats.days", f.P90Days), Satisfaction: wd.percent(f.Satisfaction), Meetings: f.MeetingsHeld}

	monthly := chart.Columns{ID: "monthly", Title: l.T("stats.monthly.title"), Category: l.T("stats.month"), Empty: l.T("chart.empty"),
		Series: []chart.Series{{Name: l.T("stats.collected")}, {Name: l.T("stats.solved")}}}
	for _, r := range months.Breakdown {
		monthly.Categories = append(monthly.Categories, wd.month(r.Key))
		monthly.Series[0].Values = append(monthly.Series[0].Values, float64(r.Figures.Collected))
		monthly.Series[1].Values = append(monthly.Series[1].Values, float64(r.Figures.Solved))
	}
	monthly.Desc = l.T("stats.monthly.desc", f.Collected, f.Solved)
	rate := chart.Bars{ID: "rate", Title: l.T("stats.rate.title"), Desc: l.T("stats.rate.desc"), Label: l.T("stats.place"), Value: l.T("stats.rate"),
		Max: 100, Empty: l.T("chart.empty"), Sep: l.T("chart.sep")}
	days := chart.Bars{ID: "days", Title: l.T("stats.days.title"), Desc: l.T("stats.days.desc"), Label: l.T("stats.place"), Value: l.T("stats.median"),
		Empty: l.T("chart.empty"), Sep: l.T("chart.sep")}
	for _, r := range places.Breakdown {
		name := wh.communityName(r.Key)
		if c, g, ok := strings.Cut(r.Key, "/"); ok {
			name = wh.gridName(c, g)
		}
		if r.Figures.Closed > 0 {
			rate.Bars = append(rate.Bars, chart.Bar{Label: name, Value: 100 * r.Figures.ClosedLoopRate,
				Text: l.T("stats.rate.row", wd.percent(r.Figures.ClosedLoopRate), r.Figures.Solved, r.Figures.Closed)})
		}
		if r.Figures.Solved > 0 {
			days.Bars = append(days.Bars, chart.Bar{Label: name, Value: r.Figures.MedianDays, Text: l.T("stats.days", r.Figures.MedianDays)})
		}
	}
	channels := chart.Bars{ID: "channels", Title: l.T("stats.channel.title"), Label: l.T("stats.channel"), Value: l.T("stats.collected"), Empty: l.T("chart.empty"), Sep: l.T("chart.sep")}
	var parts []string
	for _, ch := range sortedKeys(f.ByChannel) {
		n := f.ByChannel[ch]
		channels.Bars = append(channels.Bars, chart.Bar{Label: wd.code("channel", ch), Value: float64(n), Text: l.T("stats.items", n)})
		parts = append(parts, wd.code("channel", ch)+" "+l.T("stats.items", n))
	}
	channels.Desc = strings.Join(parts, l.T("list.sep"))
	for _, ch := range []struct {
		dst *template.HTML
		fn  func() (template.HTML, error)
	}{{&d.Monthly, monthly.HTML}, {&d.ByPlace, rate.HTML}, {&d.Days, days.HTML}, {&d.ByChannel, channels.HTML}} {
		if *ch.dst, err = ch.fn(); err != nil {
			return err
		}
	}
	return w.render(c, nethttp.StatusOK, "stats", Page{Title: l.T("stats.title"), Nav: "stats", Place: wh.name(), Data: d})
}

// sortedKeys returns m's keys, the largest count first (then by key).
func sortedKeys(m map[string]int) []string {
	return slices.SortedFunc(maps.Keys(m), func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
}
