package web

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/projections"
)

// seenCookie holds the views' position at the visitor's last look at "my
// items", so that the page marks what changed since.
const seenCookie = "yishi_seen"

// mineData is the "my items" page's data.
type mineData struct {
	// Votes are the open votes the visitor is in the electorate of.
	Votes []voteItem
	// Verify are the completed actions of the visitor's proposals, waiting
	// for their verdict.
	Verify []verifyItem
	// Items are the proposals the visitor reported, supported or follows.
	Items []myItem
	// FirstVisit is set on the first look (nothing is marked changed).
	FirstVisit bool
}

// voteItem is a motion open for the visitor's vote.
type voteItem struct {
	MeetingID, MeetingTitle, MotionText string
	// Voted is set once the visitor has a ballot.
	Voted bool
}

// verifyItem is an action waiting for the visitor's verdict.
type verifyItem struct {
	ActionID, Title, Note string
}

// myItem is one of the visitor's proposals.
type myItem struct {
	ID, Title, Status string
	// Mine is set when the visitor reported it, Supported when they
	// support it (else they follow it).
	Mine, Supported bool
	Supporters      int
	// Changed lists the steps recorded since the last visit.
	Changed []projections.Entry
	Last    time.Time
}

// mine shows the visitor's items: what awaits them (votes, verdicts) and
// the proposals they reported or supported, with what changed since their
// last visit. It finds them in the visitor's own data (myPart), then
// reads each item through the API.
func (w *Web) mine(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	mp, err := w.myPart(c)
	if err != nil {
		return err
	}
	var seen eventstore.Position
	d := mineData{FirstVisit: true}
	if ck, err := c.Cookie(seenCookie); err == nil {
		if n, err := strconv.ParseUint(ck.Value, 10, 64); err == nil {
			seen, d.FirstVisit = eventstore.Position(n), false
		}
	}
	var head uint64
	for _, id := range mp.Meetings {
		m, err := w.readMeeting(c, id)
		if err != nil {
			return err
		}
		for _, mo := range m.Motions {
			if mo.Status != domain.StatusVoting || !mp.mayVote(id, mo.MotionID) {
				continue
			}
			_, voted := mp.ballotOf(id, mo.MotionID)
			d.Votes = append(d.Votes, voteItem{MeetingID: id, MeetingTitle: m.Title, MotionText: mo.Text, Voted: voted})
		}
	}
	for _, id := range mp.Proposals {
		if !mp.reported[id] && !mp.supported[id] && !mp.followed[id] {
			continue // followed once, no longer
		}
		p, err := w.readProposal(c, id)
		if err != nil {
			return err
		}
		var story struct {
			projections.Story
			Position uint64 `json:"position"`
		}
		if err := w.get(c, "/v1/proposals/"+id+"/timeline", waitFor(c), &story); err != nil {
			return err
		}
		head = max(head, story.Position)
		it := myItem{ID: id, Title: p.Title, Status: p.Status, Mine: mp.reported[id], Supported: mp.supported[id], Supporters: len(p.Supporters)}
		var actions []string
		for _, e := range story.Entries {
			if !d.FirstVisit && e.Position > seen {
				it.Changed = append(it.Changed, e)
			}
			it.Last = e.At
			if e.ActionID != "" && !slices.Contains(actions, e.ActionID) {
				actions = append(actions, e.ActionID)
			}
		}
		d.Items = append(d.Items, it)
		for _, aid := range actions {
			a, err := w.readAction(c, aid)
			if err != nil {
				return err
			}
			if a.Status == domain.StatusCompleted {
				d.Verify = append(d.Verify, verifyItem{ActionID: aid, Title: a.Title, Note: a.Note})
			}
		}
	}
	// Newest news first.
	slices.SortStableFunc(d.Items, func(a, b myItem) int { return b.Last.Compare(a.Last) })
	if head > 0 {
		c.SetCookie(&http.Cookie{Name: seenCookie, Value: strconv.FormatUint(head, 10), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: secure(c), SameSite: http.SameSiteLaxMode})
	}
	return w.render(c, http.StatusOK, "mine", Page{Title: w.lang(c).T("mine.title"), Nav: "mine", Data: d})
}
