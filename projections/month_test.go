package projections

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMonthOf: the month from the table is the one formatting gives, in
// China's time zone, at the edges of months and years and outside the
// table's century alike.
func TestMonthOf(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	times := []time.Time{
		time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC), // 1 July in China
		time.Date(2026, 6, 30, 15, 59, 59, 0, time.UTC),
		time.Date(1999, 12, 31, 16, 0, 0, 0, time.UTC), // 2000-01 in China
		time.Date(1999, 12, 31, 15, 0, 0, 0, time.UTC),
		time.Date(2099, 12, 31, 16, 0, 0, 0, time.UTC), // 2100-01, past the table
		{},
	}
	for range 2000 {
		times = append(times, time.Unix(r.Int64N(5_000_000_000), 0))
	}
	for _, tm := range times {
		require.Equal(t, tm.In(china).Format("2006-01"), monthOf(tm), "%s", tm)
	}
}
