package public

import (
	"time"

	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// Action is one entry of the outcomes list as a reader may read it.
type Action struct {
	projections.ActionItem
	GridName string `json:"-"`
}

// OutcomesFilter selects actions. Empty fields do not filter.
type OutcomesFilter struct {
	CommunityID, GridID, ProposalID string
	// Status is one action status; OpenOnly keeps those with work left,
	// OverdueOnly those past their due date at Now.
	Status                string
	OpenOnly, OverdueOnly bool
	Now                   time.Time
	After                 string
	Limit                 int
}

// OutcomesPage is one page of the outcomes list: overdue and reopened
// first, then open, awaiting verification, settled.
type OutcomesPage struct {
	Actions []Action
	Next    string
}

// Outcomes reads one page of the outcomes list as r may see it.
func Outcomes(v *projections.Views, r policy.Reader, f OutcomesFilter) (OutcomesPage, error) {
	page := v.Outcomes.List(projections.OutcomesQuery{CommunityID: f.CommunityID, GridID: f.GridID, ProposalID: f.ProposalID,
		Status: f.Status, OpenOnly: f.OpenOnly, OverdueOnly: f.OverdueOnly, Now: f.Now, After: f.After, Limit: f.Limit})
	as, err := readAll[Action](r, page.Items, func(a projections.ActionItem) (string, string) { return a.CommunityID, a.GridID })
	if err != nil {
		return OutcomesPage{}, err
	}
	for i := range as {
		as[i].GridName = v.Directory.GridName(as[i].CommunityID, as[i].GridID)
	}
	return OutcomesPage{Actions: as, Next: page.Next}, nil
}
