package public

import (
	"slices"
	"time"

	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// What comes next for an open proposal (NextStep.Kind).
const (
	// NextTriage: a grid worker is to accept, handle or refuse it.
	NextTriage = "triage"
	// NextSchedule: accepted, waiting for a meeting to be called.
	NextSchedule = "schedule"
	// NextMeeting: on the agenda of a meeting (When, Title name it when it
	// is coming up).
	NextMeeting = "meeting"
	// NextAction: an action is under way (Title, When its due date).
	NextAction = "action"
	// NextVerify: the work is done, residents are to verify it.
	NextVerify = "verify"
	// NextRework: residents were not satisfied; the work reopened.
	NextRework = "rework"
	// NextClose: decided or done, to be closed.
	NextClose = "close"
)

// NextStep is what comes next for an open proposal, in the board's
// column "next step".
type NextStep struct {
	Kind    string
	Title   string
	When    time.Time
	Overdue bool
}

// BoardRow is one open proposal on the board.
type BoardRow struct {
	Item     projections.BoardItem
	GridName string
	AgeDays  int
	Next     NextStep
}

// BoardFilter is what a reader filters the board by. Empty fields do not
// filter.
type BoardFilter struct {
	CommunityID, GridID string
	Category, Status    string
	// MinAgeDays and MaxAgeDays bound the age (0 does not bound).
	MinAgeDays, MaxAgeDays int
	Now                    time.Time
	After                  string
	Limit                  int
}

// BoardPage is one page of the board with the categories a reader can
// filter by.
type BoardPage struct {
	Rows []BoardRow
	// Categories are the categories of the open proposals of the place,
	// in the order they first appear.
	Categories []string
	Next       string
}

// Board reads one page of the open proposals of a community or grid as r
// may see them, each with its age and next step.
func Board(v *projections.Views, r policy.Reader, f BoardFilter) (BoardPage, error) {
	page := v.Board.Open(projections.BoardQuery{CommunityID: f.CommunityID, GridID: f.GridID, Category: f.Category, Status: f.Status,
		MinAgeDays: f.MinAgeDays, MaxAgeDays: f.MaxAgeDays, Now: f.Now, After: f.After, Limit: f.Limit})
	items, err := readAll[projections.BoardItem](r, page.Items, boardPlace)
	if err != nil {
		return BoardPage{}, err
	}
	meetings := upcomingByID(v, f.CommunityID, f.Now)
	out := BoardPage{Rows: make([]BoardRow, 0, len(items)), Next: page.Next}
	for _, it := range items {
		out.Rows = append(out.Rows, BoardRow{Item: it, GridName: v.Directory.GridName(it.CommunityID, it.GridID),
			AgeDays: days(it.Submitted, f.Now), Next: nextStep(it, meetings)})
	}
	all := v.Board.Open(projections.BoardQuery{CommunityID: f.CommunityID, GridID: f.GridID, Limit: projections.MaxLimit})
	for _, it := range all.Items {
		if it.Category != "" && !slices.Contains(out.Categories, it.Category) {
			out.Categories = append(out.Categories, it.Category)
		}
	}
	return out, nil
}

func boardPlace(it projections.BoardItem) (string, string) { return it.CommunityID, it.GridID }

// upcomingByID indexes the meetings coming up in a community by id.
func upcomingByID(v *projections.Views, community string, now time.Time) map[string]projections.MeetingState {
	out := map[string]projections.MeetingState{}
	for _, m := range v.Live.Upcoming(community, "", now, projections.MaxLimit) {
		out[m.MeetingID] = m
	}
	return out
}

// nextStep says what comes next for an open proposal: its status, its
// meetings coming up and its actions decide.
func nextStep(it projections.BoardItem, upcoming map[string]projections.MeetingState) NextStep {
	switch it.Status {
	case projections.StatusSubmitted:
		return NextStep{Kind: NextTriage}
	case projections.StatusReopened:
		return NextStep{Kind: NextRework}
	}
	for _, id := range it.Meetings {
		if m, ok := upcoming[id]; ok {
			return NextStep{Kind: NextMeeting, Title: m.Title, When: m.StartsAt}
		}
	}
	verify := false
	for _, a := range it.Actions {
		switch a.Status {
		case projections.ActionReopened:
			return NextStep{Kind: NextRework, Title: a.Title, When: a.Due, Overdue: a.Overdue}
		case projections.ActionAssigned, projections.ActionStarted, projections.ActionBlocked:
			return NextStep{Kind: NextAction, Title: a.Title, When: a.Due, Overdue: a.Overdue}
		case projections.ActionCompleted:
			verify = true
		}
	}
	switch {
	case verify:
		return NextStep{Kind: NextVerify}
	case it.Status == projections.StatusAccepted:
		return NextStep{Kind: NextSchedule}
	case it.Status == projections.StatusOnAgenda:
		return NextStep{Kind: NextMeeting}
	}
	return NextStep{Kind: NextClose}
}
