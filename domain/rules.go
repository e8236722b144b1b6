package domain

// Rule kinds a motion can carry.
const (
	// RuleConsensus: adopted when consensus on one option is recorded with
	// no objection standing; there is no vote.
	RuleConsensus = "consensus"
	// RuleSimpleMajority: an option wins with more than half of the votes
	// cast for an option (abstentions are not votes cast).
	RuleSimpleMajority = "simple_majority"
	// RuleAbsoluteMajority: an option wins with more than half of the
	// whole electorate, whether they voted or not.
	RuleAbsoluteMajority = "absolute_majority"
	// RuleTwoThirds: an option wins with at least two thirds of the votes
	// cast for an option.
	RuleTwoThirds = "two_thirds"
	// RuleOwnersOrdinary: PRC Civil Code art. 278, ordinary matters.
	RuleOwnersOrdinary = "owners_ordinary"
	// RuleOwnersMajor: PRC Civil Code art. 278, major matters (maintenance
	// fund, rebuilding, changing the use of common parts).
	RuleOwnersMajor = "owners_major"
)

// Rule is how a motion is decided.
type Rule struct {
	// Kind is one of the Rule* constants.
	Kind string `json:"kind"`
	// QuorumPercent, when above zero, is the share of the electorate (in
	// percent) that must attend, in person or by proxy, for the vote to
	// count. The owners' rules have their own participation threshold and
	// take it in addition.
	QuorumPercent int `json:"quorum_percent,omitempty"`
}

// Tally results (Tally.Result).
const (
	// ResultAdopted: an option met the rule.
	ResultAdopted = "adopted"
	// ResultNoQuorum: too few of the electorate attended or took part.
	ResultNoQuorum = "no_quorum"
	// ResultTie: two or more options had the most votes and none met the
	// rule.
	ResultTie = "tie"
	// ResultNotAdopted: no option met the rule.
	ResultNotAdopted = "not_adopted"
)

// OptionTally is one option's count.
type OptionTally struct {
	OptionID string `json:"option_id"`
	Label    string `json:"label"`
	// Votes is the number of ballots for the option.
	Votes int `json:"votes"`
	// AreaDM2 and Heads are the exclusive area and the owner heads behind
	// the option (owners' rules only).
	AreaDM2 int64 `json:"area_dm2,omitempty"`
	Heads   int   `json:"heads,omitempty"`
}

// Tally is the computed result of a vote. Ballots always equals the sum of
// the options' votes plus Abstentions.
type Tally struct {
	Rule        Rule          `json:"rule"`
	Options     []OptionTally `json:"options"`
	Abstentions int           `json:"abstentions"`
	Ballots     int           `json:"ballots"`
	// Electorate is the number of voters locked when voting opened.
	Electorate int `json:"electorate"`
	// Attending is the number of voters present or represented by proxy.
	Attending int  `json:"attending"`
	QuorumMet bool `json:"quorum_met"`
	// The owners' rules' register figures: the whole compound and the part
	// that took part (abstaining is taking part).
	TotalAreaDM2         int64 `json:"total_area_dm2,omitempty"`
	ParticipatingAreaDM2 int64 `json:"participating_area_dm2,omitempty"`
	TotalHeads           int   `json:"total_heads,omitempty"`
	ParticipatingHeads   int   `json:"participating_heads,omitempty"`
	// Result is one of the Result* constants.
	Result string `json:"result"`
	// Adopted reports Result == ResultAdopted; WinningOptionID names the
	// option then.
	Adopted         bool   `json:"adopted"`
	WinningOptionID string `json:"winning_option_id,omitempty"`
}
