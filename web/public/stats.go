package public

import (
	"fmt"
	"strings"

	"github.com/yishi-civic/yishi/projections"
)

// Statistics are the figures of a community or grid (of every community
// when none is picked): the totals, by month, and per grid (or per
// community). They hold no personal data and are read as GET /v1/stats
// answers them.
type Statistics struct {
	Figures projections.Figures
	ByMonth []projections.StatsRow
	// ByPlace is per grid within a community, per community otherwise;
	// each row's Key is replaced by the place's name.
	ByPlace []projections.StatsRow
}

// ReadStatistics reads the statistics of a community and grid (both may
// be empty).
func ReadStatistics(v *projections.Views, community, grid string) (Statistics, error) {
	q := projections.StatsQuery{CommunityID: community, GridID: grid}
	s := Statistics{Figures: v.Stats.Figures(q)}
	var err error
	if s.ByMonth, err = v.Stats.Breakdown(q, projections.ByMonth); err != nil {
		return Statistics{}, fmt.Errorf("public: statistics by month: %w", err)
	}
	by := projections.ByGrid
	if community == "" {
		by = projections.ByCommunity
	}
	if s.ByPlace, err = v.Stats.Breakdown(q, by); err != nil {
		return Statistics{}, fmt.Errorf("public: statistics by %s: %w", by, err)
	}
	for i := range s.ByPlace {
		key := s.ByPlace[i].Key
		if c, g, ok := strings.Cut(key, "/"); ok {
			s.ByPlace[i].Key = v.Directory.GridName(c, g)
		} else if p, ok := v.Directory.Place(key); ok {
			s.ByPlace[i].Key = p.Name
		}
	}
	return s, nil
}
