package web

import (
	"cmp"
	"maps"
	nethttp "net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/projections"
)

// queueStatuses are the work queue's filters, in the order of the work.
var queueStatuses = []string{domain.StatusSubmitted, domain.StatusAccepted, domain.StatusOnAgenda, domain.StatusHandling, domain.StatusDecided, domain.StatusReopened}

// queueItem is one open proposal of the work queue.
type queueItem struct {
	projections.BoardItem
	// Days is its age in days.
	Days int
}

// queueData is the work queue's page.
type queueData struct {
	Status   string
	Statuses []string
	Items    []queueItem
	Convenes bool
}

// board reads the open proposals of the session's scope (民情账本),
// optionally of one status.
func (w *Web) board(c echo.Context, status string) ([]projections.BoardItem, error) {
	q := url.Values{"limit": {"200"}}
	if status != "" {
		q.Set("status", status)
	}
	if wf := c.QueryParam("wait_for"); wf != "" {
		q.Set("wait_for", wf)
	}
	var page struct {
		Items []projections.BoardItem `json:"items"`
	}
	if err := w.get(c, "/v1/board", q, &page); err != nil {
		return nil, err
	}
	return page.Items, nil
}

// queue is the staff's work queue: the 民情账本 of their scope, waiting
// triage first.
func (w *Web) queue(c echo.Context, s *Session) error {
	status := c.QueryParam("status")
	if status == "" {
		status = domain.StatusSubmitted
	}
	if status == "all" {
		status = ""
	}
	items, err := w.board(c, status)
	if err != nil {
		return err
	}
	d := queueData{Status: cmp.Or(status, "all"), Statuses: queueStatuses, Convenes: convenes(s)}
	now := w.now()
	for _, it := range items {
		d.Items = append(d.Items, queueItem{BoardItem: it, Days: int(now.Sub(it.Submitted).Hours() / 24)})
	}
	return w.render(c, nethttp.StatusOK, "staff_queue", w.staffPageOf(c, "staff.queue.title", "staff", d))
}

// staffPageOf fills the layout's fields of a staff page: its title, the
// navigation entry, and the notice of a command just done (?notice=).
func (w *Web) staffPageOf(c echo.Context, title, nav string, data any) Page {
	l := w.lang(c)
	p := Page{Title: l.T(title), Nav: nav, Data: data}
	if n := c.QueryParam("notice"); n != "" && validNotice(n) {
		p.Notice = l.T("staff.done." + n)
	}
	return p
}

// validNotice reports whether n names a staff command (the notice keys).
func validNotice(n string) bool {
	_, ok := staffCommands[strings.Replace(n, ".", "/", 1)]
	return ok
}

// proposalData is a proposal's triage page.
type proposalData struct {
	P domain.ProposalState
	// Meetings are the meetings it is on the agenda of.
	Meetings   []string
	Duplicates []projections.BoardItem
	Convenes   bool
	// Helpers are who can help with it (资源图谱).
	Helpers helpersData
	Form    staffForm
}

// proposal is a proposal's triage page: accept, reject with a reason,
// merge into a likely duplicate, handle directly (即时办结).
func (w *Web) proposal(c echo.Context, s *Session) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return echo.ErrNotFound
	}
	evs, err := w.aggregate(c, "/v1/proposals/"+id.String())
	if err != nil {
		return err
	}
	p := domain.FoldProposal(evs)
	open, err := w.board(c, "")
	if err != nil {
		return err
	}
	d := proposalData{P: p, Duplicates: likelyDuplicates(p, open, 3), Convenes: convenes(s), Form: newStaffForm(c)}
	for _, it := range open {
		if it.ProposalID == p.ProposalID {
			d.Meetings = it.Meetings
		}
	}
	if d.Convenes && slices.Contains([]string{domain.StatusAccepted, domain.StatusHandling, domain.StatusDecided, domain.StatusReopened}, p.Status) {
		d.Helpers.ProposalID = p.ProposalID
	}
	if d.Helpers.Items, err = w.helpers(c, "proposal", p.ProposalID); err != nil {
		return err
	}
	page := w.staffPageOf(c, "staff.proposal.title", "staff", d)
	page.Title = p.Title
	return w.render(c, nethttp.StatusOK, "staff_proposal", page)
}

// likelyDuplicates returns up to n open proposals of p's community that
// look like p: the same compound or place, or titles and places sharing
// many character pairs (bigrams work for Chinese, which has no spaces).
// It only suggests; the facilitator decides whether to merge.
func likelyDuplicates(p domain.ProposalState, open []projections.BoardItem, n int) []projections.BoardItem {
	type scored struct {
		it    projections.BoardItem
		score float64
	}
	mine := bigrams(p.Title + " " + p.Place)
	var out []scored
	for _, it := range open {
		if it.ProposalID == p.ProposalID || it.CommunityID != p.CommunityID || it.MergedInto != "" {
			continue
		}
		score := jaccard(mine, bigrams(it.Title+" "+it.Place))
		if p.Place != "" && it.Place == p.Place {
			score += 0.5
		}
		if p.CompoundID != "" && it.CompoundID == p.CompoundID {
			score += 0.2
		}
		if score >= 0.2 {
			out = append(out, scored{it, score})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	res := make([]projections.BoardItem, 0, n)
	for i := 0; i < len(out) && i < n; i++ {
		res = append(res, out[i].it)
	}
	return res
}

// bigrams returns the set of pairs of adjacent letters of s, spaces and
// punctuation dropped.
func bigrams(s string) map[string]bool {
	var rs []rune
	for _, r := range strings.ToLower(s) {
		if r > ' ' && !strings.ContainsRune(".,;:!?()（）。，、；：！？“”\"'-", r) {
			rs = append(rs, r)
		}
	}
	out := map[string]bool{}
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = true
	}
	return out
}

// jaccard is the share of the two sets' union that both hold.
func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	both := 0
	for k := range a {
		if b[k] {
			both++
		}
	}
	return float64(both) / float64(len(a)+len(b)-both)
}

// intakeData is the intake form's page.
type intakeData struct {
	Org       domain.OrganisationState
	Grids     []domain.Grid
	Compounds []domain.Compound
	Owners    []registerPerson
	Channels  []string
	Form      staffForm
}

// registerPerson is one owner of a compound's register, to choose from.
type registerPerson struct {
	PersonID, Name, Compound, Unit string
}

// intake records a proposal for a resident (a visit, the window, a 随身拍
// report) in the session's community.
func (w *Web) intake(c echo.Context, s *Session) error {
	org, err := w.organisation(c, s, c.QueryParam("community"))
	if err != nil {
		return err
	}
	d := intakeData{Org: org, Grids: grids(org, s), Compounds: compounds(org, s), Owners: owners(org, s, ""), Form: newStaffForm(c),
		Channels: []string{domain.ChannelVisit, domain.ChannelWindow, domain.ChannelPhotoReport, domain.ChannelMeeting}}
	return w.render(c, nethttp.StatusOK, "staff_intake", w.staffPageOf(c, "staff.intake.title", "intake", d))
}

// grids are the grids of org the session works in, by id.
func grids(org domain.OrganisationState, s *Session) []domain.Grid {
	return inScope(s, org.Grids, func(g domain.Grid) string { return g.GridID })
}

// compounds are the compounds of org the session works in, by id.
func compounds(org domain.OrganisationState, s *Session) []domain.Compound {
	return inScope(s, org.Compounds, func(c domain.Compound) string { return c.GridID })
}

// inScope returns the values of m (keyed by their ids) in the order of
// their keys: those in the session's grid when it has one (grid says
// where a value lies), all of them for a nil session.
func inScope[V any](s *Session, m map[string]V, grid func(V) string) []V {
	var out []V
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if s == nil || s.Token.Scope.Grid == "" || grid(m[k]) == s.Token.Scope.Grid {
			out = append(out, m[k])
		}
	}
	return out
}

// owners lists the owners of the compounds the session works in (of one
// compound when named), once each, by name: the organisation's register
// of residents.
func owners(org domain.OrganisationState, s *Session, compound string) []registerPerson {
	seen := map[string]bool{}
	var out []registerPerson
	for _, cp := range compounds(org, s) {
		if compound != "" && cp.CompoundID != compound {
			continue
		}
		for _, u := range unitsInOrder(cp) {
			for _, o := range u.Owners {
				if !seen[o.PersonID] {
					seen[o.PersonID] = true
					out = append(out, registerPerson{PersonID: o.PersonID, Name: o.Name, Compound: cp.Name, Unit: u.Label})
				}
			}
		}
	}
	return out
}

// peopleData is the register of the session's grids: their heads and
// workers, the compounds' units with their owners, the partner units.
type peopleData struct {
	Org       domain.OrganisationState
	Grids     []domain.Grid
	Compounds []domain.Compound
	Units     map[string][]unitRow
	Partners  []domain.Partner
}

// unitRow is a unit of the register with its area in square metres.
type unitRow struct {
	domain.Unit
	AreaM2 string
}

// people lists this grid's (or community's) people and units, from the
// organisation's registers as the session may read them.
func (w *Web) people(c echo.Context, s *Session) error {
	org, err := w.organisation(c, s, c.QueryParam("community"))
	if err != nil {
		return err
	}
	d := peopleData{Org: org, Grids: grids(org, s), Compounds: compounds(org, s), Units: map[string][]unitRow{},
		Partners: inScope(nil, org.Partners, nil)}
	for _, cp := range d.Compounds {
		for _, u := range unitsInOrder(cp) {
			d.Units[cp.CompoundID] = append(d.Units[cp.CompoundID], unitRow{Unit: u, AreaM2: strconv.FormatFloat(float64(u.AreaDM2)/100, 'f', 2, 64)})
		}
	}
	return w.render(c, nethttp.StatusOK, "staff_people", w.staffPageOf(c, "staff.people.title", "people", d))
}

// unitsInOrder returns a compound's units in their natural order: 2号楼
// before 10号楼.
func unitsInOrder(cp domain.Compound) []domain.Unit {
	units := inScope(nil, cp.Units, nil)
	slices.SortFunc(units, func(a, b domain.Unit) int {
		return cmp.Or(cmp.Compare(len(a.UnitID), len(b.UnitID)), cmp.Compare(a.UnitID, b.UnitID))
	})
	return units
}
