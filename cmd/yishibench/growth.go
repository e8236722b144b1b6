package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Growth is how one figure grows from one ledger size to the next, beside
// how the ledger's events grew: the issue's "cost grows linearly (or
// better) with events", shown on every size of the run in one table.
type Growth struct {
	Key  string `json:"key"`
	From string `json:"from"`
	To   string `json:"to"`
	// Events is the events of To's ledger over From's.
	Events float64 `json:"events_factor"`
	// Factor is the figure at To over the figure at From.
	Factor float64 `json:"factor"`
	// Linear is whether Factor is at most Events: the figure grew no
	// faster than the ledger.
	Linear bool `json:"linear_or_better"`
}

// grows reports whether figure f is a cost whose growth with the
// ledger's size says something: times and memory with a goal (the rates
// at a fixed offered load, the counts of failures and the tool's own lag
// do not; the events a second of a first start are its seconds again).
func grows(f Figure) bool {
	switch f.Unit {
	case "s", "ms", "MiB":
		return f.Goal != nil
	}
	return false
}

// ledgers returns the sizes whose ledger's events were counted, the
// smallest first, with their events.
func (r *Report) ledgers() ([]string, map[string]float64) {
	events := map[string]float64{}
	var sizes []string
	for _, f := range r.Figures {
		if f.Key == "ledger_events" && f.Value != nil && *f.Value > 0 && f.Size != "" {
			if _, ok := events[f.Size]; !ok {
				sizes = append(sizes, f.Size)
			}
			events[f.Size] = *f.Value
		}
	}
	slices.SortStableFunc(sizes, func(a, b string) int { return cmp.Compare(events[a], events[b]) })
	return sizes, events
}

// growth compares every cost measured at two consecutive sizes of the run
// (by their ledgers' events, the smallest first): one row per figure and
// pair of sizes, where both sizes have their ledger's events and both
// values are measured and positive.
func (r *Report) growth() []Growth {
	sizes, events := r.ledgers()
	values := map[[2]string]float64{}
	seen := map[string]bool{}
	var keys []string // in the order the figures were measured
	for _, f := range r.Figures {
		if f.Value == nil || *f.Value <= 0 || f.Size == "" || f.Key == "ledger_events" || !grows(f) {
			continue
		}
		if !seen[f.Key] {
			seen[f.Key] = true
			keys = append(keys, f.Key)
		}
		values[[2]string{f.Key, f.Size}] = *f.Value
	}
	var out []Growth
	for _, k := range keys {
		for i := 1; i < len(sizes); i++ {
			from, to := sizes[i-1], sizes[i]
			a, okA := values[[2]string{k, from}]
			b, okB := values[[2]string{k, to}]
			if !okA || !okB {
				continue
			}
			e, x := events[to]/events[from], b/a
			out = append(out, Growth{Key: k, From: from, To: to, Events: e, Factor: x, Linear: x <= e})
		}
	}
	return out
}

// writeGrowth writes the growth of each cost as a table: the figure at
// each size, then its factor from each size to the next.
func (r *Report) writeGrowth(b *strings.Builder) {
	g := r.growth()
	if len(g) == 0 {
		return
	}
	sizes, events := r.ledgers()
	names := map[string]Figure{}
	values := map[[2]string]Figure{} // measured ones only
	for _, f := range r.Figures {
		if _, ok := names[f.Key]; !ok {
			names[f.Key] = f
		}
		if f.Value != nil {
			values[[2]string{f.Key, f.Size}] = f
		}
	}
	var pairs [][2]string
	for i := 1; i < len(sizes); i++ {
		pairs = append(pairs, [2]string{sizes[i-1], sizes[i]})
	}
	b.WriteString("## Cost against the ledger's size\n\n")
	b.WriteString("Each time and memory figure with a goal, at every size, and how much it grew from one size to the next beside how much the ledger grew: " +
		"\"linear or better\" when it grew by no more than the events did. A figure that should not grow at all (a start from snapshots, a p99) can be \"linear or better\" and still miss its goal.\n\n")
	b.WriteString("| figure |")
	for _, s := range sizes {
		fmt.Fprintf(b, " %s |", s)
	}
	for _, p := range pairs {
		fmt.Fprintf(b, " %s → %s |", p[0], p[1])
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---:|", len(sizes)+len(pairs)))
	b.WriteString("\n| events |")
	for _, s := range sizes {
		fmt.Fprintf(b, " %s |", thousands(events[s]))
	}
	for _, p := range pairs {
		fmt.Fprintf(b, " ×%.1f |", events[p[1]]/events[p[0]])
	}
	b.WriteString("\n")
	done := map[string]bool{}
	for _, x := range g {
		if done[x.Key] {
			continue
		}
		done[x.Key] = true
		fmt.Fprintf(b, "| %s |", names[x.Key].Name)
		for _, s := range sizes {
			f, ok := values[[2]string{x.Key, s}]
			if !ok {
				b.WriteString(" — |")
				continue
			}
			fmt.Fprintf(b, " %s |", formatValue(*f.Value, f.Unit))
		}
		for _, p := range pairs {
			cell := " — |"
			for _, y := range g {
				if y.Key == x.Key && y.From == p[0] && y.To == p[1] {
					verdict := "linear or better"
					if !y.Linear {
						verdict = "**faster than the events**"
					}
					cell = fmt.Sprintf(" ×%s, %s |", factorText(y.Factor), verdict)
				}
			}
			b.WriteString(cell)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// factorText writes a growth factor with two significant figures below
// ten and as a whole number above.
func factorText(x float64) string {
	if x >= 10 {
		return thousands(x)
	}
	return fmt.Sprintf("%.2g", x)
}
