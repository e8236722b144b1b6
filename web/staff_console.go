package web

import (
	"html/template"
	nethttp "net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/i18n"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/web/chart"
)

// The live console: one screen at a time, each a column of large buttons
// a facilitator works with one thumb. Every screen is a plain page whose
// forms post to the staff command handler (staff_command.go); the script
// (static/console.js) sends them without leaving the page and refreshes
// the parts marked data-live when the meeting changes (meetingEvents).

// consoleScreens are the console's screens, in the order of a meeting.
var consoleScreens = []string{"attendance", "discussion", "motion", "vote", "close"}

// personRow is one invited person on the attendance screen.
type personRow struct {
	domain.Participant
	// Attendance is the latest record (present, proxy, absent), empty
	// while none.
	Attendance string
	HolderName string
}

// consoleData is one screen of the console.
type consoleData struct {
	M       domain.MeetingState
	Live    projections.MeetingState
	Screen  string
	Screens []string
	// Item is the agenda item under discussion (see currentItem).
	Item   domain.AgendaItemAdded
	People []personRow
	// Present are the people recorded present: proxy holders, speakers,
	// hands to count.
	Present []personRow
	Query   string
	// Motion is the meeting's latest motion, nil before any.
	Motion *domain.Motion
	// Voted are the electorate's ids who have a ballot.
	Voted map[string]bool
	Chart template.HTML
	// RuleKinds and Matters are the choices of a new motion's rule: the
	// owners' rule takes its threshold from the matter (art. 278 items).
	RuleKinds []string
	Matters   []int
	Convenes  bool
	Form      staffForm
}

// console is one screen of a meeting's live console (?screen=).
func (w *Web) console(c echo.Context, s *Session) error {
	d, err := w.consoleData(c, s)
	if err != nil {
		return err
	}
	page := w.staffPageOf(c, "staff.console.title", "meetings", d)
	page.Title = w.lang(c).T("staff.console.screen."+d.Screen) + " · " + d.M.Title
	return w.render(c, nethttp.StatusOK, "staff_console", page)
}

func (w *Web) consoleData(c echo.Context, s *Session) (consoleData, error) {
	m, err := w.meetingRecord(c)
	if err != nil {
		return consoleData{}, err
	}
	live, err := w.liveMeeting(c, m.MeetingID)
	if err != nil {
		return consoleData{}, err
	}
	d := consoleData{M: m, Live: live, Screen: c.QueryParam("screen"), Screens: consoleScreens, Convenes: convenes(s), Form: newStaffForm(c),
		Query: strings.TrimSpace(c.QueryParam("q")), Voted: map[string]bool{},
		RuleKinds: []string{domain.RuleSimpleMajority, domain.RuleAbsoluteMajority, domain.RuleTwoThirds, domain.RuleConsensus, domain.RuleOwners},
		Matters:   []int{1, 2, 3, 4, 5, 6, 7, 8, 9}}
	if !slices.Contains(consoleScreens, d.Screen) {
		d.Screen = "attendance"
	}
	d.Item = currentItem(m, c.QueryParam("item"))
	names := map[string]string{}
	for _, p := range m.Participants {
		names[p.PersonID] = p.Name
	}
	for _, p := range m.Participants {
		if p.Kind == domain.ParticipantOfficial {
			continue
		}
		r := personRow{Participant: p}
		if a, ok := m.Attendance[p.PersonID]; ok {
			r.Attendance, r.HolderName = a.Attendance, names[a.HolderID]
		}
		if r.Attendance == domain.Present {
			d.Present = append(d.Present, r)
		}
		if d.Query == "" || strings.Contains(strings.ToLower(p.Name), strings.ToLower(d.Query)) {
			d.People = append(d.People, r)
		}
	}
	if n := len(m.Motions); n > 0 {
		d.Motion = &m.Motions[n-1]
		for _, b := range d.Motion.Ballots {
			d.Voted[b.VoterID] = true
		}
	}
	if live.Motion != nil {
		d.Chart, err = tallyChart(w.lang(c), *live.Motion, "tally")
		if err != nil {
			return consoleData{}, err
		}
	}
	return d, nil
}

// liveMeeting reads the live view of a meeting (attendance counts, the
// current motion's running tally), waiting for ?wait_for= when given.
func (w *Web) liveMeeting(c echo.Context, id string) (projections.MeetingState, error) {
	var live projections.MeetingState
	var q url.Values
	if wf := c.QueryParam("wait_for"); wf != "" {
		q = url.Values{"wait_for": {wf}}
	}
	err := w.get(c, "/v1/meetings/"+id+"/live", q, &live)
	return live, err
}

// currentItem is the agenda item under discussion: the one asked for, else
// that of the motion being decided, else that of the last statement, else
// the first. The record holds no "current item" event: it follows from
// what was recorded, so the projector view agrees with the console.
func currentItem(m domain.MeetingState, asked string) domain.AgendaItemAdded {
	find := func(id string) (domain.AgendaItemAdded, bool) {
		for _, it := range m.Items {
			if it.ItemID == id {
				return it, true
			}
		}
		return domain.AgendaItemAdded{}, false
	}
	if it, ok := find(asked); ok {
		return it
	}
	if n := len(m.Motions); n > 0 && (m.Motions[n-1].Status == domain.StatusTabled || m.Motions[n-1].Status == domain.StatusVoting) {
		if it, ok := find(m.Motions[n-1].ItemID); ok {
			return it
		}
	}
	if n := len(m.Statements); n > 0 {
		if it, ok := find(m.Statements[n-1].ItemID); ok {
			return it
		}
	}
	if len(m.Items) > 0 {
		return m.Items[0]
	}
	return domain.AgendaItemAdded{}
}

// tallyChart draws a motion's tally (running while voting is open, final
// once closed) with web/chart: votes per option, and for the art. 278
// rules the area and headcount shares against their thresholds.
func tallyChart(l i18n.Lang, m projections.LiveMotion, id string) (template.HTML, error) {
	t := m.Final
	if t == nil {
		t = m.Running
	}
	bars := chart.Bars{ID: id, Title: l.T("staff.tally.title"), Desc: m.Text, Label: l.T("staff.tally.option"), Value: l.T("staff.tally.votes"),
		Empty: l.T("staff.tally.none")}
	for _, o := range m.Tally {
		bars.Bars = append(bars.Bars, chart.Bar{Label: o.Label, Value: float64(o.Votes),
			Highlight: t != nil && t.Adopted && t.WinningOptionID == o.OptionID})
	}
	out, err := bars.HTML()
	if err != nil || t == nil || (t.Rule.Kind != domain.RuleOwnersOrdinary && t.Rule.Kind != domain.RuleOwnersMajor) {
		return out, err
	}
	shares, err := ownersShares(l, *t, id+"-owners").HTML()
	return out + shares, err
}

// ownersShares are the art. 278 bars: area and heads taking part against
// 2/3, and the leading option's area and heads against more than 1/2 (or
// 3/4 for items (六)–(八)), each compared exactly in integers as the
// domain does.
func ownersShares(l i18n.Lang, t domain.Tally, id string) chart.Shares {
	met := func(ok bool) string {
		if ok {
			return l.T("staff.tally.met")
		}
		return l.T("staff.tally.notmet")
	}
	pct := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	s := chart.Shares{ID: id, Title: l.T("staff.tally.owners"), Desc: l.T("staff.tally.ownersdesc"), Label: l.T("staff.tally.share"),
		Value: "%", Threshold: l.T("staff.tally.threshold"), Met: l.T("staff.tally.metcol")}
	areaOK := 3*t.ParticipatingAreaDM2 >= 2*t.TotalAreaDM2 && t.TotalAreaDM2 > 0
	headsOK := 3*t.ParticipatingHeads >= 2*t.TotalHeads && t.TotalHeads > 0
	s.Shares = append(s.Shares,
		chart.Share{Label: l.T("staff.tally.areapart"), Percent: pct(t.ParticipatingAreaDM2, t.TotalAreaDM2), Threshold: 200.0 / 3, ThresholdText: "≥ 2/3", Met: areaOK, MetText: met(areaOK)},
		chart.Share{Label: l.T("staff.tally.headspart"), Percent: pct(int64(t.ParticipatingHeads), int64(t.TotalHeads)), Threshold: 200.0 / 3, ThresholdText: "≥ 2/3", Met: headsOK, MetText: met(headsOK)})
	var lead domain.OptionTally
	for _, o := range t.Options {
		if o.AreaDM2 > lead.AreaDM2 || (o.AreaDM2 == lead.AreaDM2 && o.Heads > lead.Heads) {
			lead = o
		}
	}
	if lead.OptionID == "" {
		return s
	}
	thr, thrText := 50.0, "> 1/2"
	areaWin := 2*lead.AreaDM2 > t.ParticipatingAreaDM2
	headsWin := 2*lead.Heads > t.ParticipatingHeads
	if t.Rule.Kind == domain.RuleOwnersMajor {
		thr, thrText = 75, "≥ 3/4"
		areaWin = 4*lead.AreaDM2 >= 3*t.ParticipatingAreaDM2
		headsWin = 4*lead.Heads >= 3*t.ParticipatingHeads
	}
	s.Shares = append(s.Shares,
		chart.Share{Label: l.T("staff.tally.areafor", lead.Label), Percent: pct(lead.AreaDM2, t.ParticipatingAreaDM2), Threshold: thr, ThresholdText: thrText, Met: areaWin, MetText: met(areaWin)},
		chart.Share{Label: l.T("staff.tally.headsfor", lead.Label), Percent: pct(int64(lead.Heads), int64(t.ParticipatingHeads)), Threshold: thr, ThresholdText: thrText, Met: headsWin, MetText: met(headsWin)})
	return s
}

// resultText says a closed tally's result in words.
func resultText(l i18n.Lang, t *domain.Tally) string {
	if t == nil {
		return ""
	}
	return l.T("staff.result." + t.Result)
}

// ResultText is for the templates: the result of the live motion's
// final tally in words.
func (d consoleData) ResultText(l i18n.Lang) string {
	if d.Live.Motion == nil {
		return ""
	}
	return resultText(l, d.Live.Motion.Final)
}

// Quorum writes the live count against the quorum: "12 present of 15 ·
// quorum 8".
func (d consoleData) Quorum(l i18n.Lang) string {
	return quorumText(l, d.Live)
}

func quorumText(l i18n.Lang, live projections.MeetingState) string {
	s := l.T("staff.console.count", live.Present, live.Proxies, live.Invited)
	if m := live.Motion; m != nil && m.QuorumPercent > 0 && m.Electorate > 0 {
		need := (m.Electorate*m.QuorumPercent + 99) / 100
		s += " · " + l.T("staff.console.quorum", need, m.Electorate)
	}
	return s
}

// optionLabel names an option of the motion by id.
func (d consoleData) OptionLabel(id string) string {
	if d.Motion != nil {
		for _, o := range d.Motion.Options {
			if o.ID == id {
				return o.Label
			}
		}
	}
	return id
}
