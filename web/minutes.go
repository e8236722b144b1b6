package web

import (
	nethttp "net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// The minutes (会议纪要, docs/facilitator.md): drawn by the API from the
// meeting's record (GET /v1/meetings/{id}/minutes), drafted and published
// by staff on /staff/meetings/{id}/minutes, read by anyone on
// /meetings/{id}/minutes once published. Both pages print as one A4
// document (static/minutes.css).

// minutesAnswer is the API's minutes, each decision's tally with the
// shares of an owners' vote as the public reads them.
type minutesAnswer struct {
	projections.Minutes
	Items []minutesItemAnswer `json:"items"`
}

type minutesItemAnswer struct {
	projections.MinutesItem
	Decisions []decision `json:"decisions"`
}

// minutesDoc is the minutes as the pages (and the printed page) show them.
type minutesDoc struct {
	MeetingID, Title, Where, Format, When, Place string
	Facilitator, Recorder                        string
	// Attendance is the counts in one line; ShowNames lists the names
	// (staff, who read them unmasked) under it.
	Attendance               string
	ShowNames                bool
	Present, Proxies, Absent []string
	Units                    []string
	Items                    []minutesItemDoc
	Summary, Remarks         string
	// Status says where the minutes stand: a draft, published, or not
	// yet drafted.
	Status    string
	Published bool
	// Sealed is true when a decision carries its fingerprint and QR code
	// (decisionCard.Fingerprint): the page then says how to check them.
	Sealed bool
}

type minutesItemDoc struct {
	// N numbers the agenda items from 1.
	N           int
	Title, Note string
	Statements  []minutesStatementDoc
	Decisions   []minutesDecisionDoc
	Undecided   []string
}

type minutesStatementDoc struct{ Speaker, Summary string }

type minutesDecisionDoc struct {
	Card decisionCard
	// Ballots is the votes cast against the electorate, in words.
	Ballots string
	Actions []minutesActionDoc
}

type minutesActionDoc struct{ Title, Owner, Due string }

// minutesDoc writes the API's minutes for a page; names lists the
// attendance by name (the staff page).
func (w words) minutesDoc(a minutesAnswer, wh where, names bool) (minutesDoc, error) {
	l := w.l
	d := minutesDoc{MeetingID: a.MeetingID, Title: a.Title, Format: w.code("staff.format", a.Format), When: w.when(a.StartsAt), Place: a.Place,
		Where: wh.communityName(a.CommunityID) + " · " + wh.gridName(a.CommunityID, a.GridID), Facilitator: a.Facilitator.Name,
		Recorder: a.Recorder.Name, Summary: a.Summary, Remarks: a.Remarks, ShowNames: names, Published: a.Publication != nil}
	c := a.Attendance
	d.Attendance = l.T("decision.attendance", c.Invited, c.Present, c.Proxy)
	if c.Invited == 0 {
		d.Attendance = l.T("decision.attendance.uninvited", c.Present, c.Proxy)
	}
	if c.Absent > 0 {
		d.Attendance += l.T("minutes.absentcount", c.Absent)
	}
	for _, p := range a.Attendees {
		switch {
		case p.Kind == domain.ParticipantUnit && p.Attendance == domain.Present:
			d.Units = append(d.Units, p.Name)
		case p.Attendance == domain.Present:
			d.Present = append(d.Present, p.Name)
		case p.Attendance == domain.Proxy:
			d.Proxies = append(d.Proxies, l.T("minutes.proxyby", p.Name, p.HolderName))
		case p.Attendance == domain.Absent:
			d.Absent = append(d.Absent, p.Name)
		}
	}
	switch p := a.Publication; {
	case p != nil && p.ObjectionDays > 0:
		d.Status = l.T("minutes.status.published.days", w.date(p.Published), p.ObjectionDays, w.date(p.ObjectionUntil), len(p.Objections))
	case p != nil:
		d.Status = l.T("minutes.status.published", w.date(p.Published), w.date(p.ObjectionUntil), len(p.Objections))
	case a.Draft > 0:
		d.Status = l.T("minutes.status.draft", a.Draft, w.when(a.DraftedAt))
	default:
		d.Status = l.T("minutes.status.none")
	}
	for i, it := range a.Items {
		item := minutesItemDoc{N: i + 1, Title: it.Title, Note: it.Note}
		for _, s := range it.Statements {
			item.Statements = append(item.Statements, minutesStatementDoc{Speaker: s.Speaker.Name, Summary: s.Summary})
		}
		for _, dec := range it.Decisions {
			if dec.Tally != nil && dec.Tally.Shares == nil {
				// Staff read an owners' vote with its areas: the minutes
				// show the shares against art. 278's thresholds, as the
				// public reads them.
				if s, ok := policy.Shares(dec.Tally.Tally); ok {
					dec.Tally.Shares = &s
				}
			}
			card, err := w.decisionCard(dec, wh)
			if err != nil {
				return d, err
			}
			md := minutesDecisionDoc{Card: card}
			if t := dec.Tally; t != nil {
				md.Ballots = l.T("minutes.ballots", t.Ballots, t.Electorate)
			}
			for _, act := range dec.Actions {
				md.Actions = append(md.Actions, minutesActionDoc{Title: act.Title, Owner: act.Owner.Name, Due: w.date(act.Due)})
			}
			item.Decisions = append(item.Decisions, md)
		}
		for _, u := range it.Undecided {
			item.Undecided = append(item.Undecided, u.Text)
		}
		d.Items = append(d.Items, item)
	}
	return d, nil
}

// readMinutes reads a meeting's minutes through the API as the visitor
// and writes them for a page; names lists the attendance by name.
func (w *Web) readMinutes(c echo.Context, names bool) (minutesAnswer, minutesDoc, error) {
	var a minutesAnswer
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return a, minutesDoc{}, echo.ErrNotFound
	}
	wh, err := w.where(c)
	if err != nil {
		return a, minutesDoc{}, err
	}
	if err := w.get(c, "/v1/meetings/"+id.String()+"/minutes", waitFor(c), &a); err != nil {
		return a, minutesDoc{}, err
	}
	doc, err := words{w.lang(c)}.minutesDoc(a, wh, names)
	if err != nil {
		return a, doc, err
	}
	// Each decision carries its fingerprint and the QR code of its check,
	// as on the register, so that the printed minutes can be checked.
	for i, it := range a.Items {
		for j, dec := range it.Decisions {
			card := &doc.Items[i].Decisions[j].Card
			if err := w.sealDecision(c, card, dec); err != nil {
				return a, doc, err
			}
			doc.Sealed = doc.Sealed || card.Fingerprint != ""
		}
	}
	return a, doc, nil
}

// minutesPage is the public minutes page's data.
type minutesPage struct {
	Doc minutesDoc
}

// publicMinutes is a meeting's published minutes, masked as the register:
// attendance in counts, no resident's full name.
func (w *Web) publicMinutes(c echo.Context) error {
	l := w.lang(c)
	a, doc, err := w.readMinutes(c, false)
	if err != nil {
		return err
	}
	return w.render(c, nethttp.StatusOK, "minutes", Page{Title: l.T("minutes.title", a.Title), Nav: "register", Data: minutesPage{Doc: doc}})
}

// staffMinutesData is the staff minutes page: the document, and the forms
// to draft it (after the meeting) and to publish it (a facilitator).
type staffMinutesData struct {
	Doc minutesDoc
	// Drafting is true while the minutes may be drafted (the meeting is
	// adjourned and they are not published).
	Drafting bool
	Convenes bool
	Summary  string
	Remarks  string
	Notes    []minutesNoteField
	Draft    int
	Form     staffForm
}

type minutesNoteField struct{ ItemID, Title, Text string }

// staffMinutes is where staff draft, publish and print a meeting's
// minutes.
func (w *Web) staffMinutes(c echo.Context, s *Session) error {
	l := w.lang(c)
	a, doc, err := w.readMinutes(c, true)
	if err != nil {
		return err
	}
	d := staffMinutesData{Doc: doc, Drafting: a.Status == domain.StatusAdjourned, Convenes: convenes(s), Summary: a.Summary, Remarks: a.Remarks,
		Draft: a.Draft, Form: newStaffForm(c)}
	if v := d.Form.Values; v.Has("summary") {
		// A refused draft keeps what was typed.
		d.Summary, d.Remarks = v.Get("summary"), v.Get("remarks")
	}
	typed := map[string]string{}
	for i, id := range d.Form.Values["notes.item_id"] {
		if texts := d.Form.Values["notes.text"]; i < len(texts) {
			typed[id] = texts[i]
		}
	}
	for _, it := range a.Items {
		n := minutesNoteField{ItemID: it.ItemID, Title: it.Title, Text: it.Note}
		if t, ok := typed[it.ItemID]; ok {
			n.Text = t
		}
		d.Notes = append(d.Notes, n)
	}
	page := w.staffPageOf(c, "minutes.link", "meetings", d)
	page.Title = l.T("minutes.title", a.Title)
	return w.render(c, nethttp.StatusOK, "staff_minutes", page)
}

// minutesNotes pairs a draft form's notes: the fields notes.item_id and
// notes.text, one of each per agenda item, in order.
func minutesNotes(ids, texts []string) []map[string]string {
	var out []map[string]string
	for i, id := range ids {
		if id = strings.TrimSpace(id); id == "" || i >= len(texts) {
			continue
		}
		out = append(out, map[string]string{"item_id": id, "text": strings.TrimSpace(texts[i])})
	}
	return out
}
