package web

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-civic/yishi/i18n"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/web/chart"
)

// decisionCard is a decision of the register as the pages show it.
type decisionCard struct {
	Anchor                 string
	Meeting, When, Place   string
	Item, Text, How, Rule  string
	Verdict, Result, Label string
	Adopted                bool
	Chart                  template.HTML
	// Brief is the tally in one line (同意 8 票，不同意 1 票) for the home
	// page, which shows decisions without their charts.
	Brief                string
	Attendance           string
	Minutes, ObjectUntil string
	Objections           int
	StoryHref            string
	// MinutesHref is the meeting's published minutes.
	MinutesHref string
	// Events links to the events behind the decision (auditors).
	Events string
	// Fingerprint is the first digits of the decision's fingerprint,
	// CheckHref the page that checks it and QR that link's QR code
	// (check.go); empty when the server cannot prove it to the visitor.
	Fingerprint, CheckHref string
	QR                     template.HTML
}

// decisionCard writes a decision for the pages.
func (w words) decisionCard(d decision, wh where) (decisionCard, error) {
	l := w.l
	anchor := "d-" + strings.ReplaceAll(d.Key, "/", "-")
	card := decisionCard{Anchor: anchor, Meeting: d.MeetingTitle, When: w.date(d.Decided), Item: d.ItemTitle, Text: d.Text,
		How: w.code("how", d.How), Rule: w.rule(d.Rule), Adopted: d.Adopted, Label: d.Label,
		Place: wh.communityName(d.CommunityID) + " · " + wh.gridName(d.CommunityID, d.GridID)}
	card.Verdict = d.Verdict
	if l == i18n.EN {
		card.Verdict = d.VerdictEN
	}
	if d.Tally != nil {
		if !d.Tally.Adopted {
			card.Result = w.code("result", d.Tally.Result)
		}
		var err error
		if card.Chart, card.Brief, err = w.tallyChart(anchor+"-chart", d.Tally, card.Verdict); err != nil {
			return card, err
		}
	}
	a := d.Attendance
	switch {
	case a.Invited > 0:
		card.Attendance = l.T("decision.attendance", a.Invited, a.Present, a.Proxy)
	case a.Present+a.Proxy > 0:
		// An owners' assembly records the owners who came, uninvited.
		card.Attendance = l.T("decision.attendance.uninvited", a.Present, a.Proxy)
	}
	if p := d.Publication; p != nil {
		card.Minutes, card.ObjectUntil, card.Objections = p.Summary, w.date(p.ObjectionUntil), len(p.Objections)
		card.MinutesHref = "/meetings/" + d.MeetingID + "/minutes"
	}
	if d.ProposalID != "" {
		card.StoryHref = "/proposals/" + d.ProposalID
	}
	if wh.auditor {
		// The meeting's events, newest first from the one that decided.
		card.Events = eventsHref("stream", "meeting-"+d.MeetingID, "order", "newest", "from", strconv.FormatUint(uint64(d.Position), 10))
	}
	return card, nil
}

// actionCard is an action of the outcomes list as the pages show it.
type actionCard struct {
	Title, Owner, Place, Due, Status string
	Overdue, Done                    bool
	Progress                         template.HTML
	Note, Recurrence                 string
	Occurrences                      int
	StoryHref                        string
	// Events links to the action's events (auditors).
	Events string
}

// actionCard writes an action for the pages, its progress as a bar.
func (w words) actionCard(a projections.ActionItem, wh where) (actionCard, error) {
	l := w.l
	card := actionCard{Title: a.Title, Owner: a.Owner.Name, Place: wh.gridName(a.CommunityID, a.GridID), Due: w.date(a.Due),
		Status: w.code("action", a.Status), Overdue: a.Overdue, Recurrence: a.Recurrence, Occurrences: a.Occurrences,
		Done: a.Status == projections.ActionVerified || a.Status == projections.ActionCompleted}
	if n := len(a.Progress); n > 0 {
		card.Note = a.Progress[n-1].Note
	}
	if a.ProposalID != "" {
		card.StoryHref = "/proposals/" + a.ProposalID
	}
	if wh.auditor {
		card.Events = eventsHref("stream", "action-"+a.ActionID)
	}
	if a.Recurrence != "" {
		// A recurring action (a weekly dinner) is never some percent
		// done: its occurrences say how it goes.
		return card, nil
	}
	text := l.T("outcomes.percent", a.Percent)
	if a.Overdue {
		text = l.T("outcomes.percent.overdue", a.Percent)
	}
	var err error
	card.Progress, err = chart.Progress{Label: a.Title, Percent: a.Percent, Overdue: a.Overdue, Text: text}.HTML()
	return card, err
}

// meetingCard is a meeting coming up.
type meetingCard struct {
	Title, When, Place, Where, Format string
	Agenda                            []agendaLine
}

type agendaLine struct{ Title, Href string }

func (w words) meetingCard(m projections.MeetingState, wh where) meetingCard {
	card := meetingCard{Title: m.Title, When: w.when(m.StartsAt), Place: m.Place, Format: w.code("format", m.Format),
		Where: wh.communityName(m.CommunityID) + " · " + wh.gridName(m.CommunityID, m.GridID)}
	for _, a := range m.Agenda {
		line := agendaLine{Title: a.Title}
		if a.ProposalID != "" {
			line.Href = "/proposals/" + a.ProposalID
		}
		card.Agenda = append(card.Agenda, line)
	}
	return card
}

// What comes next for an open proposal on the board.
const (
	nextTriage   = "triage"
	nextSchedule = "schedule"
	nextMeeting  = "meeting"
	nextAction   = "action"
	nextVerify   = "verify"
	nextRework   = "rework"
	nextClose    = "close"
)

// nextStep says what comes next for an open proposal: its status, the
// meetings coming up that have it on their agenda, and its actions.
func nextStep(it projections.BoardItem, upcoming map[string]projections.MeetingState) (kind, title string, when time.Time, overdue bool) {
	switch it.Status {
	case projections.StatusSubmitted:
		return nextTriage, "", time.Time{}, false
	case projections.StatusReopened:
		return nextRework, "", time.Time{}, false
	}
	for _, id := range it.Meetings {
		if m, ok := upcoming[id]; ok {
			return nextMeeting, m.Title, m.StartsAt, false
		}
	}
	verify := false
	for _, a := range it.Actions {
		switch a.Status {
		case projections.ActionReopened:
			return nextRework, a.Title, a.Due, a.Overdue
		case projections.ActionAssigned, projections.ActionStarted, projections.ActionBlocked:
			return nextAction, a.Title, a.Due, a.Overdue
		case projections.ActionCompleted:
			verify = true
		}
	}
	switch {
	case verify:
		return nextVerify, "", time.Time{}, false
	case it.Status == projections.StatusAccepted:
		return nextSchedule, "", time.Time{}, false
	case it.Status == projections.StatusOnAgenda:
		return nextMeeting, "", time.Time{}, false
	}
	return nextClose, "", time.Time{}, false
}

// boardCard is an open proposal on the board.
type boardCard struct {
	Title, Href, Place, Category, Status string
	Age, Supporters                      string
	Next                                 string
	Overdue                              bool
	// Events links to the proposal's events (auditors).
	Events string
}

func (w words) boardCard(it projections.BoardItem, wh where, now time.Time, upcoming map[string]projections.MeetingState) boardCard {
	l := w.l
	kind, title, when, overdue := nextStep(it, upcoming)
	next := l.T("next." + kind)
	switch {
	case title != "" && !when.IsZero():
		next = l.T("next."+kind+".dated", title, w.date(when))
	case title != "":
		next = l.T("next."+kind+".titled", title)
	}
	card := boardCard{Title: it.Title, Href: "/proposals/" + it.ProposalID, Place: wh.gridName(it.CommunityID, it.GridID),
		Category: w.code("category", it.Category), Status: w.code("status", it.Status),
		Age: l.T("board.age", wholeDays(it.Submitted, now)), Supporters: l.T("board.supporters", it.Supporters),
		Next: next, Overdue: overdue || it.Overdue}
	if wh.auditor {
		card.Events = eventsHref("stream", "proposal-"+it.ProposalID)
	}
	return card
}

// photo is a photo on a page: the API's attachment route serves it to
// whoever may read the item it belongs to.
type photo struct{ Src, Alt string }

// photos returns the photos of a step of item (the stream it belongs
// to: proposal-… or action-…, which the attachment route checks the
// reader may read); an erased photo's reference (not a SHA-256) is left
// out.
func photos(item string, refs []string, alt string) []photo {
	var out []photo
	for _, r := range refs {
		if len(r) == 64 && strings.Trim(r, "0123456789abcdef") == "" {
			out = append(out, photo{Src: "/v1/attachments/" + r + "?" + url.Values{"item": {item}}.Encode(), Alt: alt})
		}
	}
	return out
}
