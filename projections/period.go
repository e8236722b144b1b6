package projections

// selects reports whether q selects the figures of a grid of a community
// in a month ("2026-07"): an empty community or grid, and a zero From or
// To, select every one.
func (q StatsQuery) selects(community, grid, month string) bool {
	return (q.CommunityID == "" || community == q.CommunityID) && (q.GridID == "" || grid == q.GridID) &&
		(q.From.IsZero() || month >= monthOf(q.From)) && (q.To.IsZero() || month <= monthOf(q.To))
}

// rankOf is a status's place in a list's order by rank; statuses the
// rank does not name (the settled ones) come last.
func rankOf(rank map[string]int, status string) int {
	if r, ok := rank[status]; ok {
		return r
	}
	return len(rank)
}
