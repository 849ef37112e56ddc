package report

import (
	"math"
	"slices"
)

// latencies is the http_req_duration of one time slot, for the chart's
// percentiles: a log-linear histogram like metrics.Histogram but coarser
// (latencyAlpha, 2%, instead of 0.4%) and sparse (only the buckets that
// hold values, as sorted pairs). A per-second chart cannot show the
// difference, and the slots are many (up to DefaultMaxBuckets): with a
// metrics.Histogram's dense run of counters in each, a run at 1,000
// requests/s on loopback grew its heap by about 50 KB a second, and
// TestAggregatorMemoryPerSlot's hour of slots took 5.8 KB a slot against
// 1.7 KB now. A slot's size depends on how spread its latencies are,
// never on how many there were. Two merge exactly, so downsampled slots
// lose nothing more. The run's totals and the per-request table keep
// metrics.Histogram's precision.
type latencies struct {
	keys     []int32  // bucket indexes, ascending
	counts   []uint64 // counts[i] values fell in bucket keys[i]
	zeros    uint64   // values below minLatency (0 ms, in practice)
	count    uint64
	min, max float64
}

const (
	latencyAlpha = 0.02
	minLatency   = 1e-9
	maxLatency   = 1e18
)

var (
	latencyGamma   = (1 + latencyAlpha) / (1 - latencyAlpha)
	latencyLnGamma = math.Log(latencyGamma)
)

// latencyKey is the bucket of magnitude v (>= minLatency): (γ^(k-1), γ^k].
func latencyKey(v float64) int32 {
	return int32(math.Ceil(math.Log(min(v, maxLatency)) / latencyLnGamma))
}

// latencyValue is a bucket's representative value, within latencyAlpha of
// every value in it.
func latencyValue(k int32) float64 {
	return 2 * math.Exp(float64(k)*latencyLnGamma) / (latencyGamma + 1)
}

// add records one value; negative values and NaN (which durations never
// are) are ignored.
func (l *latencies) add(v float64) {
	if !(v >= 0) {
		return
	}
	if l.count == 0 || v < l.min {
		l.min = v
	}
	if l.count == 0 || v > l.max {
		l.max = v
	}
	l.count++
	if v < minLatency {
		l.zeros++
		return
	}
	k := latencyKey(v)
	i, found := slices.BinarySearch(l.keys, k)
	if !found {
		l.keys = slices.Insert(l.keys, i, k)
		l.counts = slices.Insert(l.counts, i, 0)
	}
	l.counts[i]++
}

// merge adds every value of o to l.
func (l *latencies) merge(o *latencies) {
	if o.count == 0 {
		return
	}
	if l.count == 0 || o.min < l.min {
		l.min = o.min
	}
	if l.count == 0 || o.max > l.max {
		l.max = o.max
	}
	l.count += o.count
	l.zeros += o.zeros
	keys := make([]int32, 0, len(l.keys)+len(o.keys))
	counts := make([]uint64, 0, cap(keys))
	i, j := 0, 0
	for i < len(l.keys) || j < len(o.keys) {
		switch {
		case j == len(o.keys) || i < len(l.keys) && l.keys[i] < o.keys[j]:
			keys, counts = append(keys, l.keys[i]), append(counts, l.counts[i])
			i++
		case i == len(l.keys) || o.keys[j] < l.keys[i]:
			keys, counts = append(keys, o.keys[j]), append(counts, o.counts[j])
			j++
		default:
			keys, counts = append(keys, l.keys[i]), append(counts, l.counts[i]+o.counts[j])
			i, j = i+1, j+1
		}
	}
	l.keys, l.counts = keys, counts
}

// quantile is the q-quantile as metrics.Histogram.Quantile computes it
// (k6's interpolation between the values at the ranks around q·(n-1),
// exact at the extremes), within latencyAlpha; NaN when empty.
func (l *latencies) quantile(q float64) float64 {
	if l.count == 0 {
		return math.NaN()
	}
	rank := math.Max(0, math.Min(1, q)) * float64(l.count-1)
	lo := math.Floor(rank)
	loV, hiV := l.valueAt(uint64(lo)), l.valueAt(uint64(math.Ceil(rank)))
	return loV + (rank-lo)*(hiV-loV)
}

// valueAt is the value at a 0-based rank, kept inside [min, max].
func (l *latencies) valueAt(rank uint64) float64 {
	switch rank {
	case 0:
		return l.min
	case l.count - 1:
		return l.max
	}
	seen := l.zeros
	v := 0.0
	for i := 0; rank >= seen && i < len(l.keys); i++ {
		seen += l.counts[i]
		v = latencyValue(l.keys[i])
	}
	return math.Max(l.min, math.Min(l.max, v))
}
