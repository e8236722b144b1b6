package domain

import (
	"fmt"
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
	// RuleOwnersOrdinary: PRC Civil Code art. 278, the matters of items
	// (一)–(五) and (九): more than 1/2 of the participating area and heads.
	RuleOwnersOrdinary = "owners_ordinary"
	// RuleOwnersMajor: PRC Civil Code art. 278, the matters of items
	// (六)–(八) (raising the maintenance fund, rebuilding, changing the use
	// of common parts): at least 3/4 of the participating area and heads.
	RuleOwnersMajor = "owners_major"
	// RuleOwners is accepted in a command only: an owners' motion names its
	// art. 278 matter and the domain derives RuleOwnersOrdinary or
	// RuleOwnersMajor from it; events always carry the derived kind.
	RuleOwners = "owners"
)

// The matters of PRC Civil Code art. 278 (Rule.Matter): the item number.
const (
	// MatterRules: (一) 制定和修改业主大会议事规则.
	MatterRules = 1
	// MatterBylaws: (二) 制定和修改管理规约.
	MatterBylaws = 2
	// MatterCommittee: (三) 选举业主委员会或者更换业主委员会成员.
	MatterCommittee = 3
	// MatterManager: (四) 选聘和解聘物业服务企业或者其他管理人.
	MatterManager = 4
	// MatterFundUse: (五) 使用建筑物及其附属设施的维修资金.
	MatterFundUse = 5
	// MatterFundRaise: (六) 筹集建筑物及其附属设施的维修资金.
	MatterFundRaise = 6
	// MatterRebuild: (七) 改建、重建建筑物及其附属设施.
	MatterRebuild = 7
	// MatterCommonUse: (八) 改变共有部分的用途或者利用共有部分从事经营活动.
	MatterCommonUse = 8
	// MatterOther: (九) 有关共有和共同管理权利的其他重大事项.
	MatterOther = 9
)

// matterNames are the items of art. 278 as the law words them.
var matterNames = [...]struct{ numeral, zh, en string }{
	{},
	{"一", "制定和修改业主大会议事规则", "making or changing the owners' assembly's rules of procedure"},
	{"二", "制定和修改管理规约", "making or changing the management statute"},
	{"三", "选举业主委员会或者更换业主委员会成员", "electing the owners' committee or replacing its members"},
	{"四", "选聘和解聘物业服务企业或者其他管理人", "hiring or dismissing the property manager"},
	{"五", "使用建筑物及其附属设施的维修资金", "using the maintenance fund"},
	{"六", "筹集建筑物及其附属设施的维修资金", "raising the maintenance fund"},
	{"七", "改建、重建建筑物及其附属设施", "rebuilding or reconstructing the buildings or their facilities"},
	{"八", "改变共有部分的用途或者利用共有部分从事经营活动", "changing the use of common parts or running a business on them"},
	{"九", "有关共有和共同管理权利的其他重大事项", "another major matter of common ownership and management"},
}

// MatterRule returns the rule kind art. 278 prescribes for a matter:
// RuleOwnersMajor for items (六)–(八), RuleOwnersOrdinary for every other
// item, including (五) using the maintenance fund.
func MatterRule(matter int) string {
	if matter >= MatterFundRaise && matter <= MatterCommonUse {
		return RuleOwnersMajor
	}
	return RuleOwnersOrdinary
}

// Rule is how a motion is decided.
type Rule struct {
	// Kind is one of the Rule* constants.
	Kind string `json:"kind"`
	// QuorumPercent, when above zero, is the share of the electorate (in
	// percent) that must attend, in person or by proxy, for the vote to
	// count. The owners' rules have their own participation threshold and
	// take it in addition.
	QuorumPercent int `json:"quorum_percent,omitempty"`
	// Matter is the item (1–9, 一–九) of PRC Civil Code art. 278 an
	// owners' motion decides; Kind follows from it (MatterRule). Zero for
	// every other rule, and on owners' motions recorded before it existed.
	Matter int `json:"matter,omitempty"`
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
	// ResultRejected: a yes/no motion (YesNo) was voted down: "no" met
	// the rule.
	ResultRejected = "rejected"
)

// The option ids of a yes/no motion: a motion whose options are exactly
// these two carries when "yes" meets its rule and is rejected (未通过)
// when "no" does; "no" is never adopted.
const (
	OptionYes = "yes"
	OptionNo  = "no"
)

// YesNo reports whether options are those of a yes/no motion.
func YesNo(options []Option) bool {
	return len(options) == 2 && options[0].ID != options[1].ID &&
		(options[0].ID == OptionYes || options[0].ID == OptionNo) && (options[1].ID == OptionYes || options[1].ID == OptionNo)
}

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
	// Attending is the number of voters who took part: present,
	// represented by a proxy whose holder is present, or who cast a ballot
	// (a written or electronic ballot is taking part).
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
// into meeting.voting_closed.v1, and what the live view shows while voting
// is open: one arithmetic for both. The answers it defines:
//
//   - Abstentions (a ballot with no option) are ballots but not votes
//     cast: they count for participation and quorum, and in the
//     denominator of nothing except the owners' participation.
//   - Ties: when two or more options share the most votes no option can
//     meet a majority rule, and the result is ResultTie (not adopted).
//   - Proxies: a proxy holder's ballot for a voter is that voter's ballot;
//     a voter represented by a present holder counts as attending.
//   - Taking part: a voter who cast a ballot took part whatever their
//     recorded attendance (written and electronic ballots, art. 278).
//   - Quorum: with Rule.QuorumPercent set, Attending must reach that share
//     of the electorate, or the result is ResultNoQuorum.
//   - Yes/no motions (YesNo): when "no" meets the rule the motion is
//     rejected (ResultRejected), never adopted.
//   - The owners' rules (PRC Civil Code art. 278) count heads and exclusive
//     area; see OwnerHeads for who is one head. A head votes the latest
//     ballot cast by any of its owners, for all its units; a unit's area is
//     counted once. At least 2/3 of the total area and 2/3 of the heads must
//     take part (abstaining is taking part), else ResultNoQuorum; an
//     ordinary matter then needs more than 1/2 of the participating area
//     and heads for one option, a major matter at least 3/4 of both.
func ComputeTally(rule Rule, options []Option, electorate []Voter, units []OwnedUnit, ballots []Ballot, attendance map[string]Attendance) Tally {
	t := Tally{Rule: rule, Electorate: len(electorate), Ballots: len(ballots)}
	index := map[string]int{}
	for i, o := range options {
		index[o.ID] = i
		t.Options = append(t.Options, OptionTally{OptionID: o.ID, Label: o.Label})
	}
	voted := map[string]bool{}
	for _, b := range ballots {
		voted[b.VoterID] = true
		if i, ok := index[b.OptionID]; ok {
			t.Options[i].Votes++
		} else {
			t.Abstentions++
		}
	}
	for _, v := range electorate {
		a := attendance[v.PersonID]
		if voted[v.PersonID] || a.Attendance == Present || (a.Attendance == Proxy && attendance[a.HolderID].Attendance == Present) {
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
	var met bool
	switch rule.Kind {
	case RuleSimpleMajority:
		met = 2*w.Votes > cast
	case RuleTwoThirds:
		met = cast > 0 && 3*w.Votes >= 2*cast
	case RuleAbsoluteMajority:
		met = 2*w.Votes > t.Electorate
	case RuleOwnersOrdinary, RuleOwnersMajor:
		met, best = false, -1
		for i, o := range t.Options {
			if ownersPass(rule.Kind, o, t) {
				met, best = true, i
			}
		}
		tie = false
	}
	switch {
	case met && YesNo(options) && t.Options[best].OptionID == OptionNo:
		t.Result = ResultRejected
	case met:
		t.Result, t.Adopted, t.WinningOptionID = ResultAdopted, true, t.Options[best].OptionID
	case tie && w.Votes > 0:
		t.Result = ResultTie
	}
	return t
}

// Verdict says in a resident's words whether a decision carried: 通过
// (carried) or 未通过 (not carried), in Chinese and English.
func Verdict(adopted bool) (zh, en string) {
	if adopted {
		return "通过", "carried"
	}
	return "未通过", "not carried"
}

// Summary says the tally in a resident's words: each option's votes and
// the abstentions, or that too few took part. Under the owners' rules
// (art. 278) it gives only the shares of the exclusive area and of the
// owners that took part, in whole percents rounded down, and that no
// option met the thresholds: an option's head count or area, beside what
// neighbours know of each other's flats, would name a dissenter (the read
// policy publishes the same shares, policy.Shares).
func (t Tally) Summary() string {
	if t.Result == ResultNoQuorum {
		return "参与人数未达到要求"
	}
	if ownersRule(t.Rule.Kind) {
		s := fmt.Sprintf("参与业主占专有面积 %d%%、占业主人数 %d%%", percentDown(t.ParticipatingAreaDM2, t.TotalAreaDM2), percentDown(int64(t.ParticipatingHeads), int64(t.TotalHeads)))
		if !t.Adopted {
			s += "，没有选项同时达到面积和人数的法定比例"
		}
		return s
	}
	parts := make([]string, 0, len(t.Options)+1)
	for _, o := range t.Options {
		parts = append(parts, fmt.Sprintf("%s %d", o.Label, o.Votes))
	}
	parts = append(parts, fmt.Sprintf("弃权 %d", t.Abstentions))
	return strings.Join(parts, "，")
}

// percentDown is 100·part/whole rounded down, 0 for an empty whole.
func percentDown(part, whole int64) int64 {
	if whole <= 0 {
		return 0
	}
	return 100 * part / whole
}

// VoteOutcome says in words what a closed vote on motion text decided, as
// proposal.decided.v1 records it: the adopted option's label, or that it
// did not carry, with the tally's Summary.
func VoteOutcome(text string, t Tally) string {
	for _, o := range t.Options {
		if t.Adopted && o.OptionID == t.WinningOptionID {
			return fmt.Sprintf("%s: %s", text, o.Label)
		}
	}
	verdict, _ := Verdict(false)
	return fmt.Sprintf("%s: %s（%s）", text, verdict, t.Summary())
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

// OwnerHeads groups a register's units into heads (业主人数) after the
// Supreme People's Court's interpretation on building ownership
// (《关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释》 art. 9): one
// unit counts as one owner; the units of the same buyer count as one, and
// so do the developer's unsold units (registered with the developer as
// their owner). Co-owners of a unit are one head with it, and units linked
// through a common owner, directly or through a chain of co-owned units,
// are one head. It returns, for each head in order of its first unit, the
// indexes of its units in units.
func OwnerHeads(units []OwnedUnit) [][]int {
	parent := make([]int, len(units))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	first := map[string]int{}
	for i, u := range units {
		for _, o := range u.Owners {
			if j, ok := first[o]; ok {
				a, b := find(i), find(j)
				parent[max(a, b)] = min(a, b)
			} else {
				first[o] = i
			}
		}
	}
	var heads [][]int
	at := map[int]int{}
	for i := range units {
		r := find(i)
		k, ok := at[r]
		if !ok {
			k = len(heads)
			at[r] = k
			heads = append(heads, nil)
		}
		heads[k] = append(heads[k], i)
	}
	return heads
}

// countOwners fills the art. 278 figures of t: heads, area, and each
// option's share.
func countOwners(t *Tally, units []OwnedUnit, ballots []Ballot, index map[string]int) {
	headOf := map[string]int{} // owner → head
	heads := OwnerHeads(units)
	area := make([]int64, len(heads))
	for h, us := range heads {
		for _, i := range us {
			area[h] += units[i].AreaDM2
			for _, o := range units[i].Owners {
				headOf[o] = h
			}
		}
		t.TotalAreaDM2 += area[h]
	}
	t.TotalHeads = len(heads)
	choice := make([]string, len(heads))
	voted := make([]bool, len(heads))
	for _, b := range ballots {
		if h, ok := headOf[b.VoterID]; ok {
			choice[h], voted[h] = b.OptionID, true
		}
	}
	for h := range heads {
		if !voted[h] {
			continue
		}
		t.ParticipatingHeads++
		t.ParticipatingAreaDM2 += area[h]
		if i, ok := index[choice[h]]; ok {
			t.Options[i].Heads++
			t.Options[i].AreaDM2 += area[h]
		}
	}
}
