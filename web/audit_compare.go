package web

import (
	"net/url"
	"strconv"

	nethttp "net/http"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/i18n"
	"github.com/yishi-civic/yishi/projections"
)

// The comparison of two moments: what changed on the board, in the
// register, in the outcomes and in the figures between one moment and a
// later one, each read through the API as_of that moment.

// snapshot is the views of a place as they stood at a moment.
type snapshot struct {
	Position uint64
	Board    []projections.BoardItem
	Register []decision
	Outcomes []projections.ActionItem
	Figures  projections.Figures
}

// pageOf is a page of a list view with the position it was read at.
type pageOf[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
	Position   uint64 `json:"position"`
}

// readAll reads every page of a list view (500 at a time), calling each
// with a page's items as they come; it returns the position of the last
// page read.
func readAll[T any](w *Web, c echo.Context, path string, q url.Values, each func([]T) error) (uint64, error) {
	q.Set("limit", strconv.Itoa(projections.MaxLimit))
	for {
		var p pageOf[T]
		if err := w.get(c, path, q, &p); err != nil {
			return 0, err
		}
		if err := each(p.Items); err != nil {
			return 0, err
		}
		if p.NextCursor == "" {
			return p.Position, nil
		}
		q.Set("cursor", p.NextCursor)
	}
}

// snapshotAt reads the place's views as_of at (now when empty).
func (w *Web) snapshotAt(c echo.Context, wh where, at string) (snapshot, error) {
	var s snapshot
	q := func(kv ...string) url.Values { return wh.query(append([]string{"as_of", at}, kv...)...) }
	var err error
	if s.Position, err = readAll(w, c, "/v1/board", q(), func(items []projections.BoardItem) error {
		s.Board = append(s.Board, items...)
		return nil
	}); err != nil {
		return s, err
	}
	if _, err = readAll(w, c, "/v1/register", q(), func(items []decision) error {
		s.Register = append(s.Register, items...)
		return nil
	}); err != nil {
		return s, err
	}
	if _, err = readAll(w, c, "/v1/outcomes", q(), func(items []projections.ActionItem) error {
		s.Outcomes = append(s.Outcomes, items...)
		return nil
	}); err != nil {
		return s, err
	}
	var stats statsAnswer
	if err := w.get(c, "/v1/stats", q(), &stats); err != nil {
		return s, err
	}
	s.Figures = stats.Figures
	return s, nil
}

// change is one line of the comparison: an item or a figure, what it was
// and what it became.
type change struct {
	Title, Before, After, Href, Events string
	// Differs marks a figure that changed.
	Differs bool
}

// changeList is a section of the comparison: its anchor, the catalogue
// key of its heading (with the count), and its lines.
type changeList struct {
	ID, Key string
	Lines   []change
}

// compareData is the comparison's page.
type compareData struct {
	From, To                 string
	FromAt, ToAt             string
	FromPosition, ToPosition uint64
	Place                    string
	Compared                 bool
	Added, Changed, Left     []change
	Decisions                []change
	NewActions, Actions      []change
	Figures                  []change
}

// compare shows what changed between two moments (positions or times;
// the later one now when not given) in the place picked.
func (w *Web) compare(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	d := compareData{From: c.QueryParam("from"), To: c.QueryParam("to"), Place: wh.name()}
	from, err := moment(l, "from", d.From)
	if err != nil {
		return err
	}
	to, err := moment(l, "to", d.To)
	if err != nil {
		return err
	}
	if from == "" {
		return w.render(c, nethttp.StatusOK, "audit_compare", Page{Title: l.T("audit.compare.title"), Nav: "audit", Place: wh.name(), Data: d})
	}
	before, err := w.snapshotAt(c, wh, from)
	if err != nil {
		return err
	}
	after, err := w.snapshotAt(c, wh, to)
	if err != nil {
		return err
	}
	d.Compared, d.FromPosition, d.ToPosition = true, before.Position, after.Position
	d.FromAt, d.ToAt = Page{Lang: l, url: &url.URL{RawQuery: url.Values{"as_of": {from}}.Encode()}}.AsOf(), l.T("audit.compare.now")
	if to != "" {
		d.ToAt = Page{Lang: l, url: &url.URL{RawQuery: url.Values{"as_of": {to}}.Encode()}}.AsOf()
	}

	// The board: proposals that came onto it, changed on it, or left it.
	was := map[string]projections.BoardItem{}
	for _, it := range before.Board {
		was[it.ProposalID] = it
	}
	for _, it := range after.Board {
		line := change{Title: it.Title, After: wd.code("status", it.Status), Href: "/proposals/" + it.ProposalID, Events: eventsHref("stream", "proposal-"+it.ProposalID)}
		old, ok := was[it.ProposalID]
		delete(was, it.ProposalID)
		switch {
		case !ok:
			d.Added = append(d.Added, line)
		case old.Status != it.Status || old.Supporters != it.Supporters || len(old.Actions) != len(it.Actions):
			line.Before, line.After = boardLine(wd, old), boardLine(wd, it)
			d.Changed = append(d.Changed, line)
		}
	}
	for _, it := range before.Board {
		if _, gone := was[it.ProposalID]; gone {
			d.Left = append(d.Left, change{Title: it.Title, Before: wd.code("status", it.Status), Href: "/proposals/" + it.ProposalID,
				Events: eventsHref("stream", "proposal-"+it.ProposalID)})
		}
	}

	// The register: decisions taken in between.
	known := map[string]bool{}
	for _, dec := range before.Register {
		known[dec.Key] = true
	}
	for _, dec := range after.Register {
		if known[dec.Key] {
			continue
		}
		verdict := dec.Verdict
		if l == i18n.EN {
			verdict = dec.VerdictEN
		}
		title := dec.ItemTitle
		if title == "" {
			title = dec.Text
		}
		d.Decisions = append(d.Decisions, change{Title: title, After: verdict + " · " + wd.date(dec.Decided),
			Events: eventsHref("stream", "meeting-"+dec.MeetingID)})
	}

	// The outcomes: actions assigned, and actions that moved.
	acts := map[string]projections.ActionItem{}
	for _, a := range before.Outcomes {
		acts[a.ActionID] = a
	}
	for _, a := range after.Outcomes {
		line := change{Title: a.Title, After: actionLine(wd, a), Events: eventsHref("stream", "action-"+a.ActionID)}
		old, ok := acts[a.ActionID]
		switch {
		case !ok:
			d.NewActions = append(d.NewActions, line)
		case old.Status != a.Status || old.Percent != a.Percent || old.Occurrences != a.Occurrences:
			line.Before = actionLine(wd, old)
			d.Actions = append(d.Actions, line)
		}
	}

	// The figures.
	b, a := before.Figures, after.Figures
	for _, f := range []struct {
		key           string
		before, after string
	}{
		{"stats.collected", strconv.Itoa(b.Collected), strconv.Itoa(a.Collected)},
		{"stats.solved", strconv.Itoa(b.Solved), strconv.Itoa(a.Solved)},
		{"audit.compare.closed", strconv.Itoa(b.Closed), strconv.Itoa(a.Closed)},
		{"stats.rate", wd.percent(b.ClosedLoopRate), wd.percent(a.ClosedLoopRate)},
		{"audit.compare.median", strconv.FormatFloat(b.MedianDays, 'f', -1, 64), strconv.FormatFloat(a.MedianDays, 'f', -1, 64)},
		{"audit.compare.verifications", strconv.Itoa(b.Verifications), strconv.Itoa(a.Verifications)},
		{"audit.compare.satisfaction", wd.percent(b.Satisfaction), wd.percent(a.Satisfaction)},
		{"audit.compare.meetings", strconv.Itoa(b.MeetingsHeld), strconv.Itoa(a.MeetingsHeld)},
	} {
		d.Figures = append(d.Figures, change{Title: l.T(f.key), Before: f.before, After: f.after, Differs: f.before != f.after})
	}
	return w.render(c, nethttp.StatusOK, "audit_compare", Page{Title: l.T("audit.compare.title"), Nav: "audit", Place: wh.name(), Data: d})
}

// boardLine is a proposal's state on the board in a few words: its
// status, supporters and actions.
func boardLine(wd words, it projections.BoardItem) string {
	return wd.l.T("audit.compare.boardline", wd.code("status", it.Status), it.Supporters, len(it.Actions))
}

// actionLine is an action's state in a few words: status and progress.
func actionLine(wd words, a projections.ActionItem) string {
	if a.Recurrence != "" {
		return wd.code("action", a.Status) + " · " + wd.l.T("outcomes.occurrences", a.Occurrences)
	}
	return wd.code("action", a.Status) + " · " + strconv.Itoa(a.Percent) + "%"
}
