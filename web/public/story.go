package public

import (
	"time"

	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// Step is one step of a proposal's story as a reader may read it.
type Step struct {
	projections.Entry
	// Tally shadows the entry's: it carries the public shares.
	Tally *Tally `json:"tally,omitempty"`
}

// Story is a proposal's whole story on one page: what it is, every step
// from the report to the verification, the decisions taken on it and its
// actions with their progress.
type Story struct {
	Item      projections.BoardItem
	GridName  string
	Steps     []Step
	Decisions []Decision
	Actions   []Action
	// Next is the cursor of the story's next steps when it is longer than
	// a page.
	Next string
}

// OneStory reads the story of a proposal as r may see it, its steps from
// the cursor after; ok is false when there is no such proposal.
func OneStory(v *projections.Views, r policy.Reader, proposalID, after string, now time.Time) (s Story, ok bool, err error) {
	item, ok := v.Board.Proposal(proposalID, now)
	if !ok {
		return Story{}, false, nil
	}
	story, ok := v.Timeline.Of(proposalID, after, projections.MaxLimit)
	if !ok {
		return Story{}, false, nil
	}
	c, g := item.CommunityID, item.GridID
	if s.Item, err = read[projections.BoardItem](r, c, g, item); err != nil {
		return Story{}, false, err
	}
	if s.Steps, err = readAll[Step](r, story.Entries, func(projections.Entry) (string, string) { return c, g }); err != nil {
		return Story{}, false, err
	}
	reg, err := Register(v, r, RegisterFilter{ProposalID: proposalID, Limit: projections.MaxLimit})
	if err != nil {
		return Story{}, false, err
	}
	out, err := Outcomes(v, r, OutcomesFilter{ProposalID: proposalID, Now: now, Limit: projections.MaxLimit})
	if err != nil {
		return Story{}, false, err
	}
	s.GridName, s.Decisions, s.Actions, s.Next = v.Directory.GridName(c, g), reg.Decisions, out.Actions, story.Next
	return s, true, nil
}
