package main

import (
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: 2^subBits buckets per power of
// two, so a recorded value is reported within 1/64 (1.6%) above itself.
const subBits = 6

const (
	subCount = 1 << subBits
	// octaves covers values up to 2^(octaves+subBits-1) µs, about 38 hours.
	octaves = 32
)

// histogram counts latencies in microseconds in log-linear buckets, the
// way HDR histograms do: exact below 64 µs, then 64 buckets per power of
// two. The zero value is empty and ready; it is not safe for concurrent
// use.
type histogram struct {
	counts [(octaves + 1) * subCount]uint64
	total  uint64
	max    uint64
	min    uint64
	sum    uint64
}

// bucketOf returns the bucket that holds v.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	i := (shift+1)*subCount + int(v>>shift) - subCount
	return min(i, len(histogram{}.counts)-1)
}

// bucketHigh returns the highest value bucket i holds.
func bucketHigh(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	shift := i/subCount - 1
	low := uint64(i%subCount+subCount) << shift
	return low + 1<<shift - 1
}

// record adds one latency.
func (h *histogram) record(d time.Duration) {
	v := uint64(max(d.Microseconds(), 0))
	h.counts[bucketOf(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	h.total++
	h.max = max(h.max, v)
	h.sum += v
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.total += o.total
	h.max = max(h.max, o.max)
	h.sum += o.sum
}

// percentile returns the value at or below which p percent (0-100) of the
// recorded values lie: the highest value of the bucket where the running
// count reaches p percent of the total, never above the largest value
// recorded. An empty histogram gives 0.
//
// Values past the last bucket (about 38 hours) share it and report the maximum.
func (h *histogram) percentile(p float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(p / 100 * float64(h.total))
	if float64(rank) < p/100*float64(h.total) {
		rank++ // ceil
	}
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank && i == len(h.counts)-1 {
			return time.Duration(h.max) * time.Microsecond // the catch-all bucket
		}
		if seen >= rank {
			return time.Duration(min(bucketHigh(i), h.max)) * time.Microsecond
		}
	}
	return time.Duration(h.max) * time.Microsecond
}

// mean returns the mean of the recorded values.
func (h *histogram) mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum/h.total) * time.Microsecond
}
