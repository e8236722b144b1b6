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
// 278, unit by unit, with exact fractions: a unit votes the latest ballot
// of any of its owners; heads are distinct owner sets.
func referenceArt278(major bool, units []OwnedUnit, bs []Ballot) (adopted bool, quorum bool) {
	headOf := func(u OwnedUnit) string {
		o := slices.Clone(u.Owners)
		slices.Sort(o)
		return strings.Join(slices.Compact(o), ",")
	}
	choice := map[string]string{}
	voted := map[string]bool{}
	for _, u := range units {
		for _, b := range bs {
			if slices.Contains(u.Owners, b.VoterID) {
				choice[u.UnitID], voted[u.UnitID] = b.OptionID, true
			}
		}
	}
	area := func(pred func(OwnedUnit) bool) *big.Rat {
		var a int64
		for _, u := range units {
			if pred(u) {
				a += u.AreaDM2
			}
		}
		return big.NewRat(a, 1)
	}
	heads := func(pred func(OwnedUnit) bool) *big.Rat {
		set := map[string]bool{}
		for _, u := range units {
			if pred(u) {
				set[headOf(u)] = true
			}
		}
		return big.NewRat(int64(len(set)), 1)
	}
	all := func(OwnedUnit) bool { return true }
	took := func(u OwnedUnit) bool { return voted[u.UnitID] }
	yes := func(u OwnedUnit) bool { return voted[u.UnitID] && choice[u.UnitID] == "yes" }
	share := func(part, whole *big.Rat) *big.Rat { return new(big.Rat).Quo(part, whole) }
	twoThirds, half, threeQuarters := big.NewRat(2, 3), big.NewRat(1, 2), big.NewRat(3, 4)
	quorum = share(area(took), area(all)).Cmp(twoThirds) >= 0 && share(heads(took), heads(all)).Cmp(twoThirds) >= 0
	if !quorum {
		return false, false
	}
	if major {
		return share(area(yes), area(took)).Cmp(threeQuarters) >= 0 && share(heads(yes), heads(took)).Cmp(threeQuarters) >= 0, true
	}
	return share(area(yes), area(took)).Cmp(half) > 0 && share(heads(yes), heads(took)).Cmp(half) > 0, true
}

// areaGen draws exclusive areas, often tiny so that exact halves, thirds
// and quarters (the thresholds' edges) come up.
var areaGen = rapid.OneOf(rapid.Int64Range(1, 4), rapid.Int64Range(1, 20000))

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
		major := rapid.Bool().Draw(t, "major")
		kind := RuleOwnersOrdinary
		if major {
			kind = RuleOwnersMajor
		}
		got := ComputeTally(Rule{Kind: kind}, yesNo, nil, units, bs, nil)
		adopted, quorum := referenceArt278(major, units, bs)
		if got.QuorumMet != quorum || (got.Adopted && got.WinningOptionID == "yes") != adopted {
			t.Fatalf("tally %+v, reference adopted=%v quorum=%v", got, adopted, quorum)
		}
		if got.ParticipatingHeads > got.TotalHeads || got.ParticipatingAreaDM2 > got.TotalAreaDM2 {
			t.Fatalf("participation exceeds the register: %+v", got)
		}
	})
}
