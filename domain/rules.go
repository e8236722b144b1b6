package domain

import (
	"slices"
	"strings"
)

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

// ownersRule reports whether kind is one of the art. 278 rules.
func ownersRule(kind string) bool { return kind == RuleOwnersOrdinary || kind == RuleOwnersMajor }

// ComputeTally counts ballots under a rule. It is what CloseVoting locks
// into meeting.voting_closed.v1; exported so that live views can show the
// running tally with the same arithmetic. The answers it defines:
//
//   - Abstentions (a ballot with no option) are ballots but not votes
//     cast: they count for participation and quorum, and in the
//     denominator of nothing except the owners' participation.
//   - Ties: when two or more options share the most votes no option can
//     meet a majority rule, and the result is ResultTie (not adopted).
//   - Proxies: a proxy holder's ballot for a voter is that voter's ballot;
//     a voter represented by a present holder counts as attending.
//   - Quorum: with Rule.QuorumPercent set, Attending must reach that share
//     of the electorate, or the result is ResultNoQuorum.
//   - The owners' rules (PRC Civil Code art. 278) count heads and exclusive
//     area. A head is a distinct set of owners: co-owners of a unit are one
//     head, and an owner of several units (with the same co-owners) is one
//     head whose area is the sum; a unit's area is counted once. The unit
//     votes the latest ballot cast by any of its owners. At least 2/3 of
//     the total area and 2/3 of the heads must take part (abstaining is
//     taking part), else ResultNoQuorum; an ordinary matter then needs more
//     than 1/2 of the participating area and heads for one option, a major
//     matter at least 3/4 of both.
func ComputeTally(rule Rule, options []Option, electorate []Voter, units []OwnedUnit, ballots []Ballot, attendance map[string]Attendance) Tally {
	t := Tally{Rule: rule, Electorate: len(electorate), Ballots: len(ballots)}
	index := map[string]int{}
	for i, o := range options {
		index[o.ID] = i
		t.Options = append(t.Options, OptionTally{OptionID: o.ID, Label: o.Label})
	}
	for _, b := range ballots {
		if i, ok := index[b.OptionID]; ok {
			t.Options[i].Votes++
		} else {
			t.Abstentions++
		}
	}
	for _, v := range electorate {
		a := attendance[v.PersonID]
		if a.Attendance == Present || (a.Attendance == Proxy && attendance[a.HolderID].Attendance == Present) {
			t.Attending++
		}
	}
	t.QuorumMet = rule.QuorumPercent == 0 || t.Attending*100 >= rule.QuorumPercent*t.Electorate
	if ownersRule(rule.Kind) {
		countOwners(&t, units, ballots, index)
		t.QuorumMet = t.QuorumMet && 3*t.ParticipatingAreaDM2 >= 2*t.TotalAreaDM2 && 3*t.ParticipatingHeads >= 2*t.TotalHeads
	}
	if !t.QuorumMet {
		t.Result = ResultNoQuorum
		return t
	}
	best, tie := -1, false
	for i, o := range t.Options {
		switch {
		case best < 0 || o.Votes > t.Options[best].Votes:
			best, tie = i, false
		case o.Votes == t.Options[best].Votes:
			tie = true
		}
	}
	t.Result = ResultNotAdopted
	if best < 0 {
		return t
	}
	cast := t.Ballots - t.Abstentions
	w := t.Options[best]
	var adopted bool
	switch rule.Kind {
	case RuleSimpleMajority:
		adopted = 2*w.Votes > cast
	case RuleTwoThirds:
		adopted = cast > 0 && 3*w.Votes >= 2*cast
	case RuleAbsoluteMajority:
		adopted = 2*w.Votes > t.Electorate
	case RuleOwnersOrdinary, RuleOwnersMajor:
		adopted, best = false, -1
		for i, o := range t.Options {
			if ownersPass(rule.Kind, o, t) {
				adopted, best = true, i
			}
		}
		tie = false
	}
	switch {
	case adopted:
		t.Result, t.Adopted, t.WinningOptionID = ResultAdopted, true, t.Options[best].OptionID
	case tie && w.Votes > 0:
		t.Result = ResultTie
	}
	return t
}

// ownersPass reports whether an option meets an art. 278 threshold.
func ownersPass(kind string, o OptionTally, t Tally) bool {
	if o.Heads == 0 {
		return false
	}
	if kind == RuleOwnersMajor {
		return 4*o.AreaDM2 >= 3*t.ParticipatingAreaDM2 && 4*o.Heads >= 3*t.ParticipatingHeads
	}
	return 2*o.AreaDM2 > t.ParticipatingAreaDM2 && 2*o.Heads > t.ParticipatingHeads
}

// countOwners fills the art. 278 figures of t: heads, area, and each
// option's share.
func countOwners(t *Tally, units []OwnedUnit, ballots []Ballot, index map[string]int) {
	type head struct {
		area   int64
		choice string
		voted  bool
	}
	heads := map[string]*head{}
	var order []string
	byOwner := map[string][]string{}
	for _, u := range units {
		owners := slices.Clone(u.Owners)
		slices.Sort(owners)
		owners = slices.Compact(owners)
		key := strings.Join(owners, "\x00")
		h, ok := heads[key]
		if !ok {
			h = &head{}
			heads[key] = h
			order = append(order, key)
			for _, o := range owners {
				byOwner[o] = append(byOwner[o], key)
			}
		}
		h.area += u.AreaDM2
		t.TotalAreaDM2 += u.AreaDM2
	}
	t.TotalHeads = len(heads)
	for _, b := range ballots {
		for _, key := range byOwner[b.VoterID] {
			heads[key].choice, heads[key].voted = b.OptionID, true
		}
	}
	for _, key := range order {
		h := heads[key]
		if !h.voted {
			continue
		}
		t.ParticipatingHeads++
		t.ParticipatingAreaDM2 += h.area
		if i, ok := index[h.choice]; ok {
			t.Options[i].Heads++
			t.Options[i].AreaDM2 += h.area
		}
	}
}
