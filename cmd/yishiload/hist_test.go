package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBucketsCoverEveryValueOnce(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<18; v++ {
		i := bucketOf(v)
		require.True(t, i == prev || i == prev+1, "value %d jumps from bucket %d to %d", v, prev, i)
		require.LessOrEqual(t, v, bucketHigh(i), "bucket %d ends below its value %d", i, v)
		if i > 0 {
			require.Greater(t, v, bucketHigh(i-1), "value %d also fits bucket %d", v, i-1)
		}
		// Relative width: at most 1/64 of the value.
		require.LessOrEqual(t, float64(bucketHigh(i)-v), float64(v)/subCount, "bucket %d too wide at %d", i, v)
		prev = i
	}
}

func TestPercentilesSmallValuesAreExact(t *testing.T) {
	var h histogram
	for v := 1; v <= 50; v++ {
		h.record(time.Duration(v) * time.Microsecond)
	}
	assert.Equal(t, 25*time.Microsecond, h.percentile(50))
	assert.Equal(t, 50*time.Microsecond, h.percentile(100))
	assert.Equal(t, 1*time.Microsecond, h.percentile(0))
	assert.Equal(t, 50*time.Microsecond, h.percentile(99), "rank ceil(49.5) = 50")
	assert.Equal(t, 25*time.Microsecond, h.mean(), "mean of 1..50 is 25.5, truncated")
}

func TestPercentilesAgainstSortedReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h histogram
	var vals []uint64
	for range 100_000 {
		// Log-normal-ish latencies from 50 µs to about 1 s.
		v := uint64(50 + r.ExpFloat64()*r.ExpFloat64()*20_000)
		vals = append(vals, v)
		h.record(time.Duration(v) * time.Microsecond)
	}
	slices.Sort(vals)
	for _, p := range []float64{50, 90, 99, 99.9} {
		want := vals[int(p/100*float64(len(vals)))-1]
		got := uint64(h.percentile(p).Microseconds())
		assert.GreaterOrEqual(t, got, want, "p%v", p)
		assert.LessOrEqual(t, float64(got), float64(want)*(1+1.0/subCount)+1, "p%v within the bucket width", p)
	}
	assert.Equal(t, vals[len(vals)-1], uint64(h.percentile(100).Microseconds()), "p100 is the exact maximum")
	assert.Equal(t, vals[len(vals)-1], h.max)
	assert.Equal(t, vals[0], h.min)
}

func TestMerge(t *testing.T) {
	var a, b, all histogram
	for v := range 1000 {
		d := time.Duration(v*37%5000) * time.Microsecond
		all.record(d)
		if v%2 == 0 {
			a.record(d)
		} else {
			b.record(d)
		}
	}
	var empty histogram
	a.merge(&empty)
	a.merge(&b)
	assert.Equal(t, all, a)
	var fresh histogram
	fresh.merge(&all)
	assert.Equal(t, all.min, fresh.min, "merging into an empty histogram keeps the minimum")
}

func TestEmptyHistogram(t *testing.T) {
	var h histogram
	assert.Zero(t, h.percentile(99))
	assert.Zero(t, h.mean())
}

func TestHugeValuesLandInTheLastBucket(t *testing.T) {
	var h histogram
	h.record(1000 * time.Hour)
	assert.Equal(t, uint64(1), h.counts[len(h.counts)-1])
	assert.Equal(t, 1000*time.Hour, h.percentile(50), "capped by the exact maximum")
}
