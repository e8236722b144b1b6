// Package public reads what the public pages show — home, the board
// (民情账本), the register (公示栏), a proposal's story, the outcomes list
// (行动清单) and the statistics — from the views, through the read policy.
// Every entry is encoded, masked by policy.Reader.Answer for the place of
// its own record, and decoded again into the page's model: a page holds
// exactly what the JSON API would answer the same reader, never a second
// masking. It renders nothing and knows no language.
package public

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/policy"
)

// read returns v as r may read it for a record of community and grid,
// decoded into a T.
func read[T any](r policy.Reader, community, grid string, v any) (T, error) {
	var out T
	b, err := r.Answer(community, grid, v)
	if err != nil {
		return out, fmt.Errorf("public: mask %T: %w", v, err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("public: decode masked %T: %w", v, err)
	}
	return out, nil
}

// readAll is read over a list, each entry by its own place.
func readAll[T, V any](r policy.Reader, items []V, place func(V) (community, grid string)) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, it := range items {
		c, g := place(it)
		m, err := read[T](r, c, g, it)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Tally is a vote's tally as a reader may read it: the domain's tally,
// and for the public under the owners' rules (PRC Civil Code art. 278) the
// shares against the thresholds in place of votes, area and heads.
type Tally struct {
	domain.Tally
	Shares *policy.OwnersShares `json:"shares,omitempty"`
}

// Owners reports whether the tally was counted under the owners' rules.
func (t *Tally) Owners() bool {
	return t != nil && (t.Rule.Kind == domain.RuleOwnersOrdinary || t.Rule.Kind == domain.RuleOwnersMajor)
}

// days is the whole days from from to to, never negative.
func days(from, to time.Time) int {
	if to.Before(from) {
		return 0
	}
	return int(to.Sub(from).Hours() / 24)
}
