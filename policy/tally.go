package policy

import (
	"encoding/json"

	"github.com/yishi-civic/yishi/domain"
)

// OwnersShares is what the public reads of a tally under the owners' rules
// (PRC Civil Code art. 278) in place of its area and head figures. The law
// asks that a decision show it met the thresholds: the shares of the
// exclusive area and of the owners that took part, and of those behind
// the adopted option. Area and heads, in total and per option, and the
// votes of every option are left out, and nothing is said of the options
// that lost: a dissenting side's share or count, beside what a resident
// knows of the neighbours' flats, would name a single dissenter. (The
// units' areas and owners are not public either: see Public.) Shares are whole percents rounded down, which blurs one unit's area
// in all but the smallest compounds; whether a threshold was met is the
// domain's exact answer (the tally's quorum and its adopted option), so a
// share of 66 that is met is 2/3 on the dot or a little above.
type OwnersShares struct {
	// Participation is who took part against at least 2/3 of the area and
	// of the owners (and the rule's own quorum, if any).
	Participation Share `json:"participation"`
	// Options holds the adopted option's share of the participating area
	// and owners, against more than 1/2 (ordinary matters) or at least 3/4
	// (major matters); it is empty when nothing was adopted (the tally's
	// result says why).
	Options []OptionShare `json:"options"`
}

// Share is a share of the area and of the owners (heads) against a
// threshold.
type Share struct {
	AreaPercent  int    `json:"area_percent"`
	HeadsPercent int    `json:"heads_percent"`
	Threshold    string `json:"threshold"`
	Met          bool   `json:"met"`
}

// OptionShare is one option's share.
type OptionShare struct {
	OptionID string `json:"option_id"`
	Share
}

// Thresholds of art. 278 as the public answer writes them.
const (
	thresholdParticipation = ">= 2/3"
	thresholdOrdinary      = "> 1/2"
	thresholdMajor         = ">= 3/4"
)

// percent is 100·part/whole rounded down, 0 for an empty whole.
func percent(part, whole int64) int {
	if whole <= 0 {
		return 0
	}
	return int(100 * part / whole)
}

// Shares returns the public shares of t; ok is false unless t was counted
// under the owners' rules.
func Shares(t domain.Tally) (OwnersShares, bool) {
	if t.Rule.Kind != domain.RuleOwnersOrdinary && t.Rule.Kind != domain.RuleOwnersMajor {
		return OwnersShares{}, false
	}
	s := OwnersShares{
		Participation: Share{
			AreaPercent: percent(t.ParticipatingAreaDM2, t.TotalAreaDM2), HeadsPercent: percent(int64(t.ParticipatingHeads), int64(t.TotalHeads)),
			Threshold: thresholdParticipation, Met: t.QuorumMet,
		},
		Options: []OptionShare{},
	}
	threshold := thresholdOrdinary
	if t.Rule.Kind == domain.RuleOwnersMajor {
		threshold = thresholdMajor
	}
	for _, o := range t.Options {
		if !t.Adopted || t.WinningOptionID != o.OptionID {
			continue
		}
		s.Options = append(s.Options, OptionShare{OptionID: o.OptionID, Share: Share{
			AreaPercent: percent(o.AreaDM2, t.ParticipatingAreaDM2), HeadsPercent: percent(int64(o.Heads), int64(t.ParticipatingHeads)),
			Threshold: threshold, Met: true,
		}})
	}
	return s, true
}

// tallyFigures are the area and head figures of an owners' tally that the
// public answer replaces by its shares, and the abstentions, a count of
// one choice like an option's votes.
var tallyFigures = []string{"total_area_dm2", "participating_area_dm2", "total_heads", "participating_heads", "abstentions"}

// optionFigures are what an option of an owners' tally counts.
var optionFigures = []string{"votes", "area_dm2", "heads"}

// ownersRule reports whether m holds a rule under the owners' rules.
func ownersRule(m map[string]any) bool {
	rule, ok := m["rule"].(map[string]any)
	if !ok {
		return false
	}
	kind, _ := rule["kind"].(string)
	return kind == domain.RuleOwnersOrdinary || kind == domain.RuleOwnersMajor
}

// publicMotion drops, from a live motion under the owners' rules, the
// count of ballots by choice (its tally and abstentions): the public reads
// the domain's tally (running, then final) as shares instead.
func publicMotion(m map[string]any) {
	if _, isList := m["tally"].([]any); !isList || !ownersRule(m) {
		return
	}
	delete(m, "tally")
	delete(m, "abstentions")
}

// publicTally recognises a tally under the owners' rules inside a decoded
// answer (a register decision's tally, a timeline entry's, the live view's
// final one, the data of meeting.voting_closed.v1) and replaces its area
// and head figures and every option's count by its shares, in place. It
// reports whether m was one.
func publicTally(m map[string]any) bool {
	if !ownersRule(m) {
		return false
	}
	_, hasResult := m["result"]
	_, hasBallots := m["ballots"]
	if !hasResult || !hasBallots {
		return false
	}
	b, err := json.Marshal(m)
	if err != nil {
		return false
	}
	var t domain.Tally
	if err := json.Unmarshal(b, &t); err != nil {
		return false
	}
	s, _ := Shares(t)
	if b, err = json.Marshal(s); err != nil {
		return false
	}
	var shares any
	if err := json.Unmarshal(b, &shares); err != nil {
		return false
	}
	for _, k := range tallyFigures {
		delete(m, k)
	}
	if opts, ok := m["options"].([]any); ok {
		for _, o := range opts {
			if om, ok := o.(map[string]any); ok {
				for _, k := range optionFigures {
					delete(om, k)
				}
			}
		}
	}
	m["shares"] = shares
	return true
}
