package domain

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// ballots builds ballots from "voter=option" pairs; "voter=" abstains.
func ballots(pairs ...string) []Ballot {
	var out []Ballot
	for _, p := range pairs {
		v, o, _ := strings.Cut(p, "=")
		out = append(out, Ballot{VoterID: v, CastBy: v, OptionID: o})
	}
	return out
}

func electorateOf(ids ...string) []Voter {
	var out []Voter
	for _, id := range ids {
		out = append(out, Voter{PersonID: id, Name: id})
	}
	return out
}

func attending(ids ...string) map[string]Attendance {
	out := map[string]Attendance{}
	for _, id := range ids {
		out[id] = Attendance{PersonID: id, Attendance: Present}
	}
	return out
}

func TestTallyRules(t *testing.T) {
	five := electorateOf("a", "b", "c", "d", "e")
	all := attending("a", "b", "c", "d", "e")
	proxied := attending("a")
	proxied["b"] = Attendance{PersonID: "b", Attendance: Proxy, HolderID: "a"}
	proxied["c"] = Attendance{PersonID: "c", Attendance: Proxy, HolderID: "x"} // holder not present
	for _, c := range []struct {
		name    string
		rule    Rule
		ballots []Ballot
		att     map[string]Attendance
		result  string
		winner  string
	}{
		{"simple majority adopted", Rule{Kind: RuleSimpleMajority}, ballots("a=yes", "b=yes", "c=no"), all, ResultAdopted, "yes"},
		{"simple majority tie", Rule{Kind: RuleSimpleMajority}, ballots("a=yes", "b=no"), all, ResultTie, ""},
		{"abstentions are not votes cast", Rule{Kind: RuleSimpleMajority}, ballots("a=yes", "b=", "c="), all, ResultAdopted, "yes"},
		{"nobody voted for an option", Rule{Kind: RuleSimpleMajority}, ballots("a=", "b="), all, ResultNotAdopted, ""},
		{"no ballots", Rule{Kind: RuleSimpleMajority}, nil, all, ResultNotAdopted, ""},
		{"two thirds exactly", Rule{Kind: RuleTwoThirds}, ballots("a=yes", "b=yes", "c=no"), all, ResultAdopted, "yes"},
		{"two thirds missed", Rule{Kind: RuleTwoThirds}, ballots("a=yes", "b=yes", "c=yes", "d=no", "e=no"), all, ResultNotAdopted, ""},
		{"absolute majority missed by absentees", Rule{Kind: RuleAbsoluteMajority}, ballots("a=yes", "b=yes"), all, ResultNotAdopted, ""},
		{"absolute majority", Rule{Kind: RuleAbsoluteMajority}, ballots("a=yes", "b=yes", "c=yes"), all, ResultAdopted, "yes"},
		{"quorum missed", Rule{Kind: RuleSimpleMajority, QuorumPercent: 50}, ballots("a=yes"), attending("a", "b"), ResultNoQuorum, ""},
		{"quorum met", Rule{Kind: RuleSimpleMajority, QuorumPercent: 40}, ballots("a=yes"), attending("a", "b"), ResultAdopted, "yes"},
		{"a proxy with a present holder counts, one without does not", Rule{Kind: RuleSimpleMajority, QuorumPercent: 50}, ballots("a=yes"), proxied, ResultNoQuorum, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := ComputeTally(c.rule, yesNo, five, nil, c.ballots, c.att)
			if got.Result != c.result || got.WinningOptionID != c.winner || got.Adopted != (c.result == ResultAdopted) {
				t.Fatalf("got %+v", got)
			}
		})
	}
	if got := ComputeTally(Rule{Kind: RuleSimpleMajority}, yesNo, five, nil, nil, proxied); got.Attending != 2 {
		t.Fatalf("attending with proxies: %d, want 2", got.Attending)
	}
}

// register: a owns u1 and u5 (one head, 150 m²), b owns u2, c and d
// co-own u3 (one head), e owns u4: 4 heads, 650 m².
var ownersRegister = []OwnedUnit{
	{"u1", 10000, []string{"a"}}, {"u2", 10000, []string{"b"}}, {"u3", 10000, []string{"c", "d"}},
	{"u4", 30000, []string{"e"}}, {"u5", 5000, []string{"a"}},
}

func TestTallyOwners(t *testing.T) {
	five := electorateOf("a", "b", "c", "d", "e")
	for _, c := range []struct {
		name      string
		kind      string
		ballots   []Ballot
		result    string
		yesHeads  int
		yesArea   int64
		partHeads int
	}{
		{"ordinary adopted by 3 of 4 heads and 350 of 650 m²", RuleOwnersOrdinary, ballots("a=yes", "b=yes", "c=yes", "e=no"), ResultAdopted, 3, 35000, 4},
		{"major needs 3/4 of the area too", RuleOwnersMajor, ballots("a=yes", "b=yes", "c=yes", "e=no"), ResultNotAdopted, 3, 35000, 4},
		{"major adopted", RuleOwnersMajor, ballots("a=yes", "b=yes", "c=yes", "e=yes"), ResultAdopted, 4, 65000, 4},
		{"too few take part", RuleOwnersOrdinary, ballots("e=yes", "a=yes"), ResultNoQuorum, 2, 45000, 2},
		{"abstaining is taking part", RuleOwnersOrdinary, ballots("a=", "b=", "c=yes", "e=yes"), ResultNotAdopted, 2, 40000, 4},
		{"co-owners: the latest ballot speaks for the unit", RuleOwnersOrdinary, ballots("a=yes", "b=yes", "c=yes", "e=no", "d=no"), ResultNotAdopted, 2, 25000, 4},
		{"an area majority alone is not enough", RuleOwnersOrdinary, ballots("a=no", "b=no", "c=yes", "e=yes"), ResultNotAdopted, 2, 40000, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := ComputeTally(Rule{Kind: c.kind}, yesNo, five, ownersRegister, c.ballots, nil)
			if got.Result != c.result || got.TotalHeads != 4 || got.TotalAreaDM2 != 65000 || got.ParticipatingHeads != c.partHeads ||
				got.Options[0].Heads != c.yesHeads || got.Options[0].AreaDM2 != c.yesArea {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestTallyOwnersEdges(t *testing.T) {
	units := []OwnedUnit{{"u1", 100, []string{"a"}}, {"u2", 100, []string{"b"}}, {"u3", 200, []string{"c"}}}
	// Two of three heads but exactly half of the area: not more than half.
	if got := ComputeTally(Rule{Kind: RuleOwnersOrdinary}, yesNo, nil, units, ballots("a=yes", "b=yes", "c=no"), nil); got.Adopted {
		t.Fatalf("half the area adopted an ordinary matter: %+v", got)
	}
	// Exactly 3/4 of both is enough for a major matter.
	units = []OwnedUnit{{"u1", 100, []string{"a"}}, {"u2", 100, []string{"b"}}, {"u3", 100, []string{"c"}}, {"u4", 100, []string{"d"}}}
	if got := ComputeTally(Rule{Kind: RuleOwnersMajor}, yesNo, nil, units, ballots("a=yes", "b=yes", "c=yes", "d=no"), nil); !got.Adopted {
		t.Fatalf("3/4 of area and heads did not adopt a major matter: %+v", got)
	}
	// Exactly 2/3 of area and heads take part: quorum met.
	units = units[:3]
	if got := ComputeTally(Rule{Kind: RuleOwnersOrdinary}, yesNo, nil, units, ballots("a=yes", "b=yes"), nil); !got.QuorumMet || !got.Adopted {
		t.Fatalf("2/3 participation is a quorum: %+v", got)
	}
}

func TestPropertyTallyAddsUp(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nOpt := rapid.IntRange(2, 5).Draw(t, "options")
		var opts []Option
		for i := range nOpt {
			opts = append(opts, Option{ID: fmt.Sprint("o", i), Label: "x"})
		}
		voters := rapid.IntRange(1, 40).Draw(t, "voters")
		var el []Voter
		var bs []Ballot
		for i := range voters {
			id := fmt.Sprint("v", i)
			el = append(el, Voter{PersonID: id, Name: id})
			if rapid.Bool().Draw(t, "votes") {
				o := rapid.IntRange(-1, nOpt-1).Draw(t, "choice")
				b := Ballot{VoterID: id, CastBy: id}
				if o >= 0 {
					b.OptionID = opts[o].ID
				}
				bs = append(bs, b)
			}
		}
		kind := rapid.SampledFrom([]string{RuleSimpleMajority, RuleAbsoluteMajority, RuleTwoThirds}).Draw(t, "rule")
		tally := ComputeTally(Rule{Kind: kind}, opts, el, nil, bs, nil)
		sum := tally.Abstentions
		for _, o := range tally.Options {
			sum += o.Votes
		}
		if sum != tally.Ballots || tally.Ballots != len(bs) {
			t.Fatalf("votes %d + abstentions do not add up to %d ballots", sum, tally.Ballots)
		}
		if tally.Adopted != (tally.Result == ResultAdopted) || tally.Adopted != (tally.WinningOptionID != "") {
			t.Fatalf("inconsistent result: %+v", tally)
		}
	})
}

// referenceArt278 decides an owners' vote straight from the text of art.
// 278 and of the Supreme People's Court's interpretation (art. 9), unit by
// unit, with exact fractions. Heads: units reachable from one another
// through a common owner are one head (one buyer's units count once, the
// developer's unsold units count once, a co-owned unit counts once), found
// here by a breadth-first walk. A head votes the latest ballot of any of its
// owners. The matter (item 1–9) decides the threshold: items 6–8 need 3/4,
// every other item more than 1/2. It returns the option that met the
// threshold ("" if none) and whether enough owners took part.
func referenceArt278(matter int, units []OwnedUnit, bs []Ballot) (passed string, quorum bool) {
	head := make([]int, len(units))
	for i := range head {
		head[i] = -1
	}
	for i := range units {
		if head[i] >= 0 {
			continue
		}
		queue := []int{i}
		head[i] = i
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			for j := range units {
				if head[j] < 0 && slices.ContainsFunc(units[u].Owners, func(o string) bool { return slices.Contains(units[j].Owners, o) }) {
					head[j] = i
					queue = append(queue, j)
				}
			}
		}
	}
	choice := map[int]string{}
	voted := map[int]bool{}
	for _, b := range bs {
		for i, u := range units {
			if slices.Contains(u.Owners, b.VoterID) {
				choice[head[i]], voted[head[i]] = b.OptionID, true
			}
		}
	}
	area := func(pred func(h int) bool) *big.Rat {
		var a int64
		for i, u := range units {
			if pred(head[i]) {
				a += u.AreaDM2
			}
		}
		return big.NewRat(a, 1)
	}
	heads := func(pred func(h int) bool) *big.Rat {
		set := map[int]bool{}
		for i := range units {
			if pred(head[i]) {
				set[head[i]] = true
			}
		}
		return big.NewRat(int64(len(set)), 1)
	}
	all := func(int) bool { return true }
	took := func(h int) bool { return voted[h] }
	share := func(part, whole *big.Rat) *big.Rat { return new(big.Rat).Quo(part, whole) }
	twoThirds, half, threeQuarters := big.NewRat(2, 3), big.NewRat(1, 2), big.NewRat(3, 4)
	quorum = share(area(took), area(all)).Cmp(twoThirds) >= 0 && share(heads(took), heads(all)).Cmp(twoThirds) >= 0
	if !quorum {
		return "", false
	}
	for _, o := range []string{"yes", "no"} {
		for_ := func(h int) bool { return voted[h] && choice[h] == o }
		if heads(for_).Sign() == 0 {
			continue
		}
		a, n := share(area(for_), area(took)), share(heads(for_), heads(took))
		if matter >= 6 && matter <= 8 {
			if a.Cmp(threeQuarters) >= 0 && n.Cmp(threeQuarters) >= 0 {
				return o, true
			}
		} else if a.Cmp(half) > 0 && n.Cmp(half) > 0 {
			return o, true
		}
	}
	return "", true
}

// areaGen draws exclusive areas, often tiny so that exact halves, thirds
// and quarters (the thresholds' edges) come up.
var areaGen = rapid.OneOf(rapid.Int64Range(1, 4), rapid.Int64Range(1, 20000))

// ownersRuleOf tables an owners' motion on a matter as TableMotion would.
func ownersRuleOf(t interface{ Fatalf(string, ...any) }, matter int) Rule {
	r, err := rule(Rule{Kind: RuleOwners, Matter: matter})
	if err != nil {
		t.Fatalf("matter %d: %v", matter, err)
	}
	return r
}

// checkAgainstReference compares the domain's tally with the reference.
func checkAgainstReference(t interface{ Fatalf(string, ...any) }, matter int, units []OwnedUnit, bs []Ballot) Tally {
	got := ComputeTally(ownersRuleOf(t, matter), yesNo, nil, units, bs, nil)
	passed, quorum := referenceArt278(matter, units, bs)
	want := map[string]string{"": "", "yes": ResultAdopted, "no": ResultRejected}[passed]
	if got.QuorumMet != quorum || (want != "" && got.Result != want) || (want == "" && (got.Result == ResultAdopted || got.Result == ResultRejected)) {
		t.Fatalf("matter %d: tally %+v, reference passed=%q quorum=%v", matter, got, passed, quorum)
	}
	if got.Adopted != (passed == "yes") || (got.WinningOptionID == "yes") != (passed == "yes") {
		t.Fatalf("matter %d: a yes/no motion adopts only yes: %+v", matter, got)
	}
	if got.ParticipatingHeads > got.TotalHeads || got.ParticipatingAreaDM2 > got.TotalAreaDM2 {
		t.Fatalf("participation exceeds the register: %+v", got)
	}
	return got
}

func TestPropertyArt278AgreesWithReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		owners := rapid.IntRange(1, 12).Draw(t, "owners")
		n := rapid.IntRange(1, 20).Draw(t, "units")
		var units []OwnedUnit
		for i := range n {
			k := rapid.IntRange(1, 3).Draw(t, "co-owners")
			var os []string
			for range k {
				os = append(os, fmt.Sprint("p", rapid.IntRange(0, owners-1).Draw(t, "owner")))
			}
			slices.Sort(os)
			units = append(units, OwnedUnit{UnitID: fmt.Sprint("u", i), AreaDM2: areaGen.Draw(t, "area"), Owners: slices.Compact(os)})
		}
		var bs []Ballot
		var ids []string
		for i := range owners {
			ids = append(ids, fmt.Sprint("p", i))
		}
		order := rapid.Permutation(ids).Draw(t, "order")
		for _, id := range order[:rapid.IntRange(0, owners).Draw(t, "voters")] {
			bs = append(bs, Ballot{VoterID: id, CastBy: id, OptionID: rapid.SampledFrom([]string{"yes", "no", ""}).Draw(t, "choice")})
		}
		checkAgainstReference(t, rapid.IntRange(MatterRules, MatterOther).Draw(t, "matter"), units, bs)
	})
}

// TestArt278Boundaries puts the thresholds' exact edges to the domain and
// the reference: exactly 2/3 taking part is a quorum, just under is not;
// exactly 3/4 carries a major matter; exactly 1/2 does not carry an
// ordinary one.
func TestArt278Boundaries(t *testing.T) {
	four := []OwnedUnit{{"u1", 100, []string{"a"}}, {"u2", 100, []string{"b"}}, {"u3", 100, []string{"c"}}, {"u4", 100, []string{"d"}}}
	three := four[:3]
	for _, c := range []struct {
		name    string
		matter  int
		units   []OwnedUnit
		ballots []Ballot
		result  string
	}{
		{"exactly 2/3 of area and heads take part", MatterManager, three, ballots("a=yes", "b=yes"), ResultAdopted},
		{"2/3 of heads but under 2/3 of the area", MatterManager, []OwnedUnit{{"u1", 100, []string{"a"}}, {"u2", 100, []string{"b"}}, {"u3", 201, []string{"c"}}}, ballots("a=yes", "b=yes"), ResultNoQuorum},
		{"exactly 3/4 carries raising the fund (六)", MatterFundRaise, four, ballots("a=yes", "b=yes", "c=yes", "d=no"), ResultAdopted},
		{"just under 3/4 of the area fails rebuilding (七)", MatterRebuild, []OwnedUnit{{"u1", 100, []string{"a"}}, {"u2", 100, []string{"b"}}, {"u3", 100, []string{"c"}}, {"u4", 101, []string{"d"}}}, ballots("a=yes", "b=yes", "c=yes", "d=no"), ResultNotAdopted},
		{"exactly 1/2 does not carry using the fund (五)", MatterFundUse, four, ballots("a=yes", "b=yes", "c=no", "d=no"), ResultNotAdopted},
		{"3/4 carries using the fund (五), an ordinary matter", MatterFundUse, four, ballots("a=yes", "b=yes", "c=yes", "d=no"), ResultAdopted},
		{"2/3 carries using the fund (五) but not changing common use (八)", MatterFundUse, three, ballots("a=yes", "b=yes", "c=no"), ResultAdopted},
		{"2/3 does not carry changing common use (八)", MatterCommonUse, three, ballots("a=yes", "b=yes", "c=no"), ResultNotAdopted},
		{"voted down", MatterBylaws, three, ballots("a=no", "b=no", "c=yes"), ResultRejected},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := checkAgainstReference(t, c.matter, c.units, c.ballots)
			if got.Result != c.result {
				t.Fatalf("result %s, want %s: %+v", got.Result, c.result, got)
			}
		})
	}
}

// TestOwnerHeadsFollowTheInterpretation: one unit is one head; one buyer's
// units are one head, also when the buyer co-owns some of them with
// others; the developer's unsold units are one head; a co-owned unit
// counts once.
func TestOwnerHeadsFollowTheInterpretation(t *testing.T) {
	units := []OwnedUnit{
		{"u1", 9000, []string{"a"}},        // a alone
		{"u2", 8000, []string{"a", "b"}},   // a with b: the same buyer a, one head with u1
		{"u3", 7000, []string{"c", "d"}},   // c and d co-own one unit: one head
		{"u4", 6000, []string{"dev"}},      // the developer's unsold units: one head
		{"u5", 6000, []string{"dev"}},      //
		{"u6", 6000, []string{"dev"}},      //
		{"u7", 5000, []string{"e"}},        // e alone
		{"u8", 5000, []string{"f"}},        // f alone
		{"u9", 5000, []string{"b", "b2"}},  // b (co-owner of u2) with b2: joins a's head
		{"u10", 5000, []string{"g", "g2"}}, // another co-owned unit
	}
	heads := OwnerHeads(units)
	want := [][]int{{0, 1, 8}, {2}, {3, 4, 5}, {6}, {7}, {9}}
	if !slices.EqualFunc(heads, want, slices.Equal[[]int]) {
		t.Fatalf("heads %v, want %v", heads, want)
	}
	// a's ballot speaks for a's head: its three units' area, one head.
	got := ComputeTally(Rule{Kind: RuleOwnersOrdinary, Matter: MatterManager}, yesNo, nil, units, ballots("a=yes", "c=yes", "dev=no", "e=yes", "f=no"), nil)
	if got.TotalHeads != 6 || got.ParticipatingHeads != 5 || got.Options[0].Heads != 3 || got.Options[0].AreaDM2 != 22000+7000+5000 || got.Options[1].Heads != 2 {
		t.Fatalf("tally %+v", got)
	}
}

// TestTallyBallotsAreTakingPart: written or electronic ballots count for
// the quorum without attendance (issue 9, point 8).
func TestTallyBallotsAreTakingPart(t *testing.T) {
	four := electorateOf("a", "b", "c", "d")
	got := ComputeTally(Rule{Kind: RuleSimpleMajority, QuorumPercent: 50}, yesNo, four, nil, ballots("a=yes", "b=yes", "c=yes", "d=no"), nil)
	if got.Attending != 4 || !got.QuorumMet || got.Result != ResultAdopted {
		t.Fatalf("4 of 4 ballots with nobody marked present: %+v", got)
	}
	// Attendance and ballots are not counted twice.
	got = ComputeTally(Rule{Kind: RuleSimpleMajority, QuorumPercent: 75}, yesNo, four, nil, ballots("a=yes", "b=yes"), attending("a", "c"))
	if got.Attending != 3 || !got.QuorumMet {
		t.Fatalf("present a and c, ballots of a and b: %+v", got)
	}
}

// TestTallyYesNoVotedDownIsRejected: 1 yes and 2 no is a rejection, never
// "adopted" with option "no" (issue 9, point 9).
func TestTallyYesNoVotedDownIsRejected(t *testing.T) {
	three := electorateOf("a", "b", "c")
	got := ComputeTally(Rule{Kind: RuleSimpleMajority}, yesNo, three, nil, ballots("a=yes", "b=no", "c=no"), nil)
	if got.Result != ResultRejected || got.Adopted || got.WinningOptionID != "" || got.Options[1].Votes != 2 {
		t.Fatalf("voted down: %+v", got)
	}
	if zh, _ := Verdict(got.Adopted); zh != "未通过" {
		t.Fatalf("verdict %s", zh)
	}
	// A motion with other options still adopts whichever wins.
	ab := []Option{{"a", "方案一"}, {"b", "方案二"}}
	got = ComputeTally(Rule{Kind: RuleSimpleMajority}, ab, three, nil, ballots("a=a", "b=b", "c=b"), nil)
	if got.Result != ResultAdopted || got.WinningOptionID != "b" {
		t.Fatalf("two plans: %+v", got)
	}
}

// TestOwnersOutcomeCountsNobody: the outcome proposal.decided.v1 records
// for an owners' vote (art. 278) gives the shares that took part, never an
// option's owners, area or votes, nor the abstentions: the public reads it.
// Other rules still count each option.
func TestOwnersOutcomeCountsNobody(t *testing.T) {
	five := electorateOf("a", "b", "c", "d", "e")
	for _, c := range []struct {
		name    string
		kind    string
		ballots []Ballot
		want    string
	}{
		{"rejected", RuleOwnersOrdinary, ballots("a=no", "b=no", "c=no", "e=yes"), "使用维修资金: 未通过（参与业主占专有面积 100%、占业主人数 100%，没有选项同时达到面积和人数的法定比例）"},
		{"not adopted, with abstentions", RuleOwnersOrdinary, ballots("a=", "b=", "c=yes", "e=yes"), "使用维修资金: 未通过（参与业主占专有面积 100%、占业主人数 100%，没有选项同时达到面积和人数的法定比例）"},
		{"major, 3 of 4 heads", RuleOwnersMajor, ballots("a=yes", "b=yes", "c=yes", "e=no"), "使用维修资金: 未通过（参与业主占专有面积 100%、占业主人数 100%，没有选项同时达到面积和人数的法定比例）"},
		{"too few", RuleOwnersOrdinary, ballots("e=yes", "a=yes"), "使用维修资金: 未通过（参与人数未达到要求）"},
		{"adopted", RuleOwnersOrdinary, ballots("a=yes", "b=yes", "c=yes", "e=no"), "使用维修资金: 同意"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tally := ComputeTally(Rule{Kind: c.kind}, yesNo, five, ownersRegister, c.ballots, nil)
			got := VoteOutcome("使用维修资金", tally)
			if got != c.want {
				t.Fatalf("outcome %q, want %q", got, c.want)
			}
			for _, o := range tally.Options {
				if strings.Contains(got, fmt.Sprintf("%s %d", o.Label, o.Votes)) || strings.Contains(got, "弃权") {
					t.Fatalf("outcome %q counts an option", got)
				}
			}
		})
	}
	simple := ComputeTally(Rule{Kind: RuleSimpleMajority}, yesNo, five, nil, ballots("a=no", "b=no", "c=yes", "d="), nil)
	if got := VoteOutcome("换灯", simple); !strings.Contains(got, "弃权 1") {
		t.Fatalf("a simple majority's outcome %q does not count", got)
	}
}
