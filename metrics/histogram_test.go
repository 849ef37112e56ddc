package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// exactPercentile is k6's definition: sort, then interpolate linearly
// between the values at ranks floor and ceil of p·(n-1).
func exactPercentile(sorted []float64, p float64) float64 {
	rank := p / 100 * float64(len(sorted)-1)
	lo, hi := math.Floor(rank), math.Ceil(rank)
	return sorted[int(lo)] + (rank-lo)*(sorted[int(hi)]-sorted[int(lo)])
}

// heavyTailed draws a latency-like sample: a log-normal body with a Pareto
// tail, spanning microseconds to minutes.
func heavyTailed(r *rand.Rand) float64 {
	if r.Float64() < 0.05 {
		return 50 * math.Pow(1-r.Float64(), -1/1.2) // Pareto, alpha 1.2
	}
	return math.Exp(r.NormFloat64()*1.5 + 2)
}

func TestHistogramPercentilesWithinOnePercent(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 1_000_000
	values := make([]float64, n)
	var h Histogram
	for i := range values {
		values[i] = heavyTailed(r)
		h.Add(values[i])
	}
	slices.Sort(values)
	for _, p := range []float64{0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100} {
		want := exactPercentile(values, p)
		got := h.Quantile(p / 100)
		if rel := math.Abs(got-want) / want; rel > 0.01 {
			t.Errorf("p(%v) = %v, exact %v: relative error %.4f > 1%%", p, got, want, rel)
		}
	}
	if h.Count() != n || h.Min() != values[0] || h.Max() != values[n-1] {
		t.Errorf("count/min/max = %d/%v/%v, want %d/%v/%v", h.Count(), h.Min(), h.Max(), n, values[0], values[n-1])
	}
	var sum float64
	for _, v := range values {
		sum += v
	}
	if rel := math.Abs(h.Mean()-sum/n) / (sum / n); rel > 1e-9 {
		t.Errorf("mean %v, exact %v", h.Mean(), sum/n)
	}
}

func TestHistogramMemoryDoesNotGrowWithCount(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var h Histogram
	for range 10_000 {
		h.Add(heavyTailed(r))
	}
	after10k := h.Buckets()
	for range 1_000_000 {
		h.Add(heavyTailed(r))
	}
	// A million more values from the same range add only the few buckets at
	// the extremes that the first 10,000 had not reached.
	if grown := h.Buckets() - after10k; grown > after10k/2 {
		t.Errorf("buckets grew from %d to %d with more values of the same range", after10k, h.Buckets())
	}
	// And the whole range of latencies a run can see is bounded.
	var wide Histogram
	for v := 1e-6; v < 1e7; v *= 1.001 {
		wide.Add(v)
	}
	if b := wide.Buckets(); b > 4*2048 {
		t.Errorf("1 ns to 3 h takes %d buckets", b)
	}
}

func TestHistogramEdgeValues(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram should report zeros")
	}
	for _, v := range []float64{-5, -1, 0, 0, 1, 5, math.NaN()} {
		h.Add(v)
	}
	if h.Count() != 6 {
		t.Fatalf("count = %d, NaN must be ignored", h.Count())
	}
	if got := h.Quantile(0.5); got != 0 {
		t.Errorf("median of -5,-1,0,0,1,5 = %v, want 0", got)
	}
	if got := h.Quantile(0.2); math.Abs(got-(-1)) > 0.01 {
		t.Errorf("p(20) = %v, want -1", got)
	}
	if h.Quantile(0) != -5 || h.Quantile(1) != 5 {
		t.Errorf("extremes %v %v", h.Quantile(0), h.Quantile(1))
	}
	var one Histogram
	one.Add(42)
	if one.Quantile(0.99) != 42 {
		t.Errorf("single value p99 = %v", one.Quantile(0.99))
	}
}

func TestHistogramMergeEqualsSingle(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var all, a, b Histogram
	for i := range 100_000 {
		v := heavyTailed(r)
		all.Add(v)
		if i%3 == 0 {
			a.Add(v)
		} else {
			b.Add(v)
		}
	}
	a.Merge(&b)
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 1} {
		if a.Quantile(q) != all.Quantile(q) {
			t.Errorf("merged q%v = %v, single %v", q, a.Quantile(q), all.Quantile(q))
		}
	}
	if a.Count() != all.Count() || a.Min() != all.Min() || a.Max() != all.Max() {
		t.Error("merged count/min/max differ")
	}
}

func BenchmarkHistogramAdd(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	vals := make([]float64, 4096)
	for i := range vals {
		vals[i] = heavyTailed(r)
	}
	var h Histogram
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Add(vals[i&4095])
	}
}

func TestHistogramExportRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var h Histogram
	for range 10_000 {
		h.Add(heavyTailed(r) - 5) // some negatives too
	}
	back, err := HistogramFromData(h.Export())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []float64{0, 0.1, 0.5, 0.95, 0.999, 1} {
		if back.Quantile(q) != h.Quantile(q) {
			t.Errorf("q%v: %v after the round trip, %v before", q, back.Quantile(q), h.Quantile(q))
		}
	}
	d := h.Export()
	d.Count++
	if _, err := HistogramFromData(d); err == nil {
		t.Error("inconsistent counts accepted")
	}
	d = h.Export()
	d.Alpha = 0.01
	if _, err := HistogramFromData(d); err == nil {
		t.Error("another alpha accepted")
	}
}
