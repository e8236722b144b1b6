package public

import (
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// Decision is one entry of the register as a reader may read it.
type Decision struct {
	projections.Decision
	// Tally shadows the projection's: it carries the public shares.
	Tally    *Tally `json:"tally,omitempty"`
	GridName string `json:"-"`
}

// RegisterFilter selects decisions. Empty fields do not filter.
type RegisterFilter struct {
	CommunityID, GridID, ProposalID string
	After                           string
	Limit                           int
}

// RegisterPage is one page of the register, latest decision first.
type RegisterPage struct {
	Decisions []Decision
	Next      string
}

// Register reads one page of the register, latest first, as r may see it.
func Register(v *projections.Views, r policy.Reader, f RegisterFilter) (RegisterPage, error) {
	page := v.Register.Decisions(projections.RegisterQuery{CommunityID: f.CommunityID, GridID: f.GridID, ProposalID: f.ProposalID,
		Newest: true, After: f.After, Limit: f.Limit})
	ds, err := readAll[Decision](r, page.Items, decisionPlace)
	if err != nil {
		return RegisterPage{}, err
	}
	for i := range ds {
		ds[i].GridName = v.Directory.GridName(ds[i].CommunityID, ds[i].GridID)
	}
	return RegisterPage{Decisions: ds, Next: page.Next}, nil
}

// OneDecision reads one decision by its key ("<meeting>/<motion or
// mediation>"); ok is false when there is none.
func OneDecision(v *projections.Views, r policy.Reader, key string) (d Decision, ok bool, err error) {
	pd, ok := v.Register.Decision(key)
	if !ok {
		return Decision{}, false, nil
	}
	d, err = read[Decision](r, pd.CommunityID, pd.GridID, pd)
	d.GridName = v.Directory.GridName(d.CommunityID, d.GridID)
	return d, err == nil, err
}

func decisionPlace(d projections.Decision) (string, string) { return d.CommunityID, d.GridID }
