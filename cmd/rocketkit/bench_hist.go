package main

import (
	"fmt"
	"math"
	"math/bits"
	"time"
)

// histSubBits gives 2^histSubBits buckets per power of two: values are
// kept to within 1/32 (about 3%).
const histSubBits = 5

// latencyHist is a log-linear histogram of durations (nanoseconds): exact
// below 64ns, then 32 buckets per power of two. It is not safe for
// concurrent use.
type latencyHist struct {
	counts [(64 - histSubBits + 1) << histSubBits]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

func histBucket(v uint64) int {
	const top = 1 << (histSubBits + 1) // 64
	if v < top {
		return int(v)
	}
	shift := bits.Len64(v) - (histSubBits + 1)
	return shift<<histSubBits + int(v>>shift)
}

// histValue is the middle of bucket b.
func histValue(b int) uint64 {
	const top = 1 << (histSubBits + 1)
	if b < top {
		return uint64(b)
	}
	shift := b>>histSubBits - 1
	low := uint64(b-shift<<histSubBits) << shift
	return low + (uint64(1)<<shift)/2
}

// record adds one duration (negative ones count as 0).
func (h *latencyHist) record(d time.Duration) {
	d = max(d, 0)
	h.counts[histBucket(uint64(d))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

// quantile returns the q-quantile (0 < q <= 1), or 0 when empty.
func (h *latencyHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if c > 0 && seen >= rank {
			return min(time.Duration(histValue(b)), h.max)
		}
	}
	return h.max
}

func (h *latencyHist) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// percentiles formats p50, p90, p99 and max.
func (h *latencyHist) percentiles() string {
	if h.n == 0 {
		return "- (no messages)"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s",
		fmtLatency(h.quantile(0.50)), fmtLatency(h.quantile(0.90)), fmtLatency(h.quantile(0.99)), fmtLatency(h.max))
}

// fmtLatency prints d with three significant digits.
func fmtLatency(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.3gs", d.Seconds())
	}
}
