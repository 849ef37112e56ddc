package report

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

// exactQuantile is k6's percentile over the sorted values.
func exactQuantile(sorted []float64, q float64) float64 {
	rank := q * float64(len(sorted)-1)
	lo := math.Floor(rank)
	return sorted[int(lo)] + (rank-lo)*(sorted[int(math.Ceil(rank))]-sorted[int(lo)])
}

// Percentiles are within latencyAlpha of the exact ones, extremes exact,
// for spreads from loopback-tight to heavy-tailed, zeros included; two
// merged sets give what one set of all the values gives.
func TestLatenciesQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, spread := range []float64{0.05, 0.5, 2} {
		var a, b, all latencies
		var values []float64
		for i := range 20_000 {
			v := 0.3 * math.Exp(spread*rng.NormFloat64())
			if i%1000 == 0 {
				v = 0 // a response faster than the clock
			}
			values = append(values, v)
			all.add(v)
			if i%3 == 0 {
				a.add(v)
			} else {
				b.add(v)
			}
		}
		a.merge(&b)
		slices.Sort(values)
		for _, q := range []float64{0, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
			want := exactQuantile(values, q)
			got := all.quantile(q)
			if math.Abs(got-want) > latencyAlpha*want+1e-12 {
				t.Errorf("spread %v: p%v = %v, want %v within %v%%", spread, q*100, got, want, latencyAlpha*100)
			}
			if merged := a.quantile(q); merged != got {
				t.Errorf("spread %v: p%v of the merged halves %v, of all %v", spread, q*100, merged, got)
			}
		}
		t.Logf("spread %v: %d values in %d buckets", spread, all.count, len(all.keys))
	}
	var empty latencies
	if !math.IsNaN(empty.quantile(0.5)) {
		t.Error("an empty slot has a percentile")
	}
}

// An hour of one-second slots at 1,000 requests/s, latencies of a few
// milliseconds with a tail, stays within a few MB: a slot's size depends on
// the spread of its latencies, not on their number. (Slots holding a
// metrics.Histogram each grew the heap by about 50 KB a second.)
func TestAggregatorMemoryPerSlot(t *testing.T) {
	const seconds, perSecond = 3600, 1000
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	agg := NewAggregator(0)
	rng := rand.New(rand.NewPCG(1, 1))
	batch := make([]metrics.Sample, 0, 2*perSecond)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := int64(1_700_000_000) * 1e9
	for sec := range int64(seconds) {
		batch = batch[:0]
		for i := range int64(perSecond) {
			at := t0 + sec*1e9 + i*1e6
			v := 0.4 * math.Exp(0.6*rng.NormFloat64())
			batch = append(batch, metrics.Sample{Metric: b.HTTPReqs, Time: at, Value: 1},
				metrics.Sample{Metric: b.HTTPReqDuration, Time: at, Value: v})
		}
		agg.Add(batch)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d slots: the heap grew %.2f MB (%.0f bytes a slot)", seconds, float64(grew)/(1<<20), float64(grew)/seconds)
	if grew > 8<<20 {
		t.Errorf("an hour of slots grew the heap by %.1f MB, want under 8 MB", float64(grew)/(1<<20))
	}
	runtime.KeepAlive(agg)
}
