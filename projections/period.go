package projections

// selects reports whether q selects the figures of a grid of a community
// in a month ("2026-07"): an empty community or grid, a nil Communities,
// and a zero From or To, select every one.
func (q StatsQuery) selects(community, grid, month string) bool {
	return q.covers(community, grid) && q.during(month)
}

// rankOf is a status's place in a list's order by rank; statuses the
// rank does not name (the settled ones) come last.
func rankOf(rank map[string]int, status string) int {
	if r, ok := rank[status]; ok {
		return r
	}
	return len(rank)
}
