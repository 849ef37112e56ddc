package metrics

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Histogram is a log-linear histogram of float64 values: bucket i holds the
// values in (γ^(i-1), γ^i] with γ = (1+α)/(1-α), so reporting a bucket by
// 2γ^i/(γ+1) is within α of every value in it. Memory depends on the range
// of values seen (about 1,900 buckets from 0.01 ms to 60 s), never on how
// many there are. Two histograms merge exactly, bucket by bucket, which is
// what lets runs and instances combine without loss beyond α.
//
// It is not safe for concurrent use.
type Histogram struct {
	pos, neg buckets // values > 0 and |values| of values < 0
	zeros    uint64  // values whose magnitude is below minIndexable
	count    uint64
	sum      float64
	min, max float64
}

const (
	// histAlpha is the relative error of a bucket's representative value:
	// 0.4%, well inside the 1% that percentiles promise.
	histAlpha = 0.004
	// Magnitudes outside [minIndexable, maxIndexable] are clamped, which
	// bounds the bucket count; min and max stay exact regardless.
	minIndexable = 1e-9
	maxIndexable = 1e18
)

var (
	histGamma    = (1 + histAlpha) / (1 - histAlpha)
	histLnGamma  = math.Log(histGamma)
	histInvLnGam = 1 / histLnGamma
)

// buckets is a dense run of counters starting at bucket index offset.
type buckets struct {
	offset int
	counts []uint64
}

func (b *buckets) add(index int, n uint64) {
	if len(b.counts) == 0 {
		b.offset = index
		b.counts = make([]uint64, 1, 64)
	}
	if index < b.offset {
		grow := b.offset - index
		counts := make([]uint64, len(b.counts)+grow, len(b.counts)+grow+32)
		copy(counts[grow:], b.counts)
		b.counts, b.offset = counts, index
	}
	i := index - b.offset
	if i >= len(b.counts) {
		if i < cap(b.counts) {
			b.counts = b.counts[:i+1]
		} else {
			counts := make([]uint64, i+1, 2*(i+1))
			copy(counts, b.counts)
			b.counts = counts
		}
	}
	b.counts[i] += n
}

func (b *buckets) merge(o *buckets) {
	for i, n := range o.counts {
		if n > 0 {
			b.add(o.offset+i, n)
		}
	}
}

func (b buckets) clone() buckets {
	return buckets{offset: b.offset, counts: append([]uint64(nil), b.counts...)}
}

func bucketIndex(magnitude float64) int {
	if magnitude > maxIndexable {
		magnitude = maxIndexable
	}
	return int(math.Ceil(math.Log(magnitude) * histInvLnGam))
}

func bucketValue(index int) float64 {
	return 2 * math.Exp(float64(index)*histLnGamma) / (histGamma + 1)
}

// Add records one value. NaN is ignored.
func (h *Histogram) Add(v float64) {
	if math.IsNaN(v) {
		return
	}
	if h.count == 0 || v < h.min {
		h.min = v
	}
	if h.count == 0 || v > h.max {
		h.max = v
	}
	h.count++
	h.sum += v
	switch {
	case v >= minIndexable:
		h.pos.add(bucketIndex(v), 1)
	case v <= -minIndexable:
		h.neg.add(bucketIndex(-v), 1)
	default:
		h.zeros++
	}
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.count == 0 {
		return
	}
	if h.count == 0 || o.min < h.min {
		h.min = o.min
	}
	if h.count == 0 || o.max > h.max {
		h.max = o.max
	}
	h.count += o.count
	h.sum += o.sum
	h.zeros += o.zeros
	h.pos.merge(&o.pos)
	h.neg.merge(&o.neg)
}

// Clone returns an independent copy.
func (h *Histogram) Clone() *Histogram {
	c := *h
	c.pos, c.neg = h.pos.clone(), h.neg.clone()
	return &c
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.count }

// Sum is the exact sum of the values.
func (h *Histogram) Sum() float64 { return h.sum }

// Min is the smallest value, exact; 0 when empty.
func (h *Histogram) Min() float64 { return h.min }

// Max is the largest value, exact; 0 when empty.
func (h *Histogram) Max() float64 { return h.max }

// Mean is the exact average; 0 when empty.
func (h *Histogram) Mean() float64 {
	if h.count == 0 {
		return 0
	}
	return h.sum / float64(h.count)
}

// Buckets is how many counters the histogram holds: its memory, in words.
func (h *Histogram) Buckets() int { return cap(h.pos.counts) + cap(h.neg.counts) }

// Quantile returns the q-quantile (q in [0,1]) the way k6 computes
// percentiles over the sorted values, by linear interpolation between the
// values at ranks floor(q·(n-1)) and ceil(q·(n-1)), each value taken from its
// bucket. The result is within α of the exact one; 0 when empty.
func (h *Histogram) Quantile(q float64) float64 {
	if h.count == 0 {
		return 0
	}
	q = math.Max(0, math.Min(1, q))
	rank := q * float64(h.count-1)
	lo := math.Floor(rank)
	loV, hiV := h.valuesAt(uint64(lo), uint64(math.Ceil(rank)))
	return loV + (rank-lo)*(hiV-loV)
}

// valuesAt returns the values at two 0-based ranks, lo <= hi, in one pass.
func (h *Histogram) valuesAt(lo, hi uint64) (float64, float64) {
	var loV, hiV float64
	found := 0
	var seen uint64
	visit := func(n uint64, v float64) bool {
		if n == 0 {
			return false
		}
		seen += n
		if found == 0 && lo < seen {
			loV, found = v, 1
		}
		if found == 1 && hi < seen {
			hiV, found = v, 2
		}
		return found == 2
	}
	done := false
	for i := len(h.neg.counts) - 1; i >= 0 && !done; i-- {
		done = visit(h.neg.counts[i], -bucketValue(h.neg.offset+i))
	}
	if !done {
		done = visit(h.zeros, 0)
	}
	for i := 0; i < len(h.pos.counts) && !done; i++ {
		done = visit(h.pos.counts[i], bucketValue(h.pos.offset+i))
	}
	return h.clamp(lo, loV), h.clamp(hi, hiV)
}

// clamp keeps bucket values inside the exact [min, max], and gives the
// exact extremes for the first and last ranks.
func (h *Histogram) clamp(rank uint64, v float64) float64 {
	switch {
	case rank == 0:
		return h.min
	case rank == h.count-1:
		return h.max
	}
	return math.Max(h.min, math.Min(h.max, v))
}

// HistogramData is the exported, mergeable form of a Histogram: enough to
// rebuild it exactly. Bucket i of a store covers magnitudes in
// (γ^(i-1), γ^i], γ = (1+Alpha)/(1-Alpha); Counts[j] is bucket Offset+j.
// Negative values are kept by magnitude in Negative; values whose
// magnitude is below 1e-9 are counted in Zeros.
type HistogramData struct {
	Alpha    float64     `json:"alpha"`
	Count    uint64      `json:"count"`
	Sum      float64     `json:"sum"`
	Min      float64     `json:"min"`
	Max      float64     `json:"max"`
	Zeros    uint64      `json:"zeros,omitempty"`
	Positive BucketsData `json:"positive"`
	Negative BucketsData `json:"negative"`
}

// BucketsData is a run of bucket counters starting at index Offset.
type BucketsData struct {
	Offset int      `json:"offset"`
	Counts []uint64 `json:"counts"`
}

// Export returns the histogram's data, for files that are merged later.
func (h *Histogram) Export() HistogramData {
	return HistogramData{
		Alpha: histAlpha, Count: h.count, Sum: h.sum, Min: h.min, Max: h.max, Zeros: h.zeros,
		Positive: BucketsData{h.pos.offset, append([]uint64{}, h.pos.counts...)},
		Negative: BucketsData{h.neg.offset, append([]uint64{}, h.neg.counts...)},
	}
}

// HistogramFromData rebuilds a histogram from its exported data. It
// refuses data made with another bucket width, or whose counts disagree.
func HistogramFromData(d HistogramData) (*Histogram, error) {
	if d.Alpha != histAlpha {
		return nil, fmt.Errorf("histogram alpha %v: this version of throng reads only %v", d.Alpha, histAlpha)
	}
	for _, b := range []struct {
		name string
		data BucketsData
	}{{"positive", d.Positive}, {"negative", d.Negative}} {
		if err := b.data.check(); err != nil {
			return nil, fmt.Errorf("histogram %s buckets: %w", b.name, err)
		}
	}
	h := &Histogram{count: d.Count, sum: d.Sum, min: d.Min, max: d.Max, zeros: d.Zeros,
		pos: buckets{d.Positive.Offset, append([]uint64(nil), d.Positive.Counts...)},
		neg: buckets{d.Negative.Offset, append([]uint64(nil), d.Negative.Counts...)},
	}
	total, carry := h.zeros, uint64(0)
	for _, c := range slices.Concat(h.pos.counts, h.neg.counts) {
		var overflow uint64
		total, overflow = bits.Add64(total, c, 0)
		carry |= overflow
	}
	if total != h.count || carry != 0 {
		return nil, fmt.Errorf("histogram count %d does not match its buckets", h.count)
	}
	return h, nil
}

// check rejects buckets that Add cannot have made: indices outside those
// of the magnitudes 1e-9…1e18. Merging such a store into another would
// allocate every counter in between (an offset of 1e12 is terabytes).
func (b BucketsData) check() error {
	if len(b.Counts) == 0 {
		return nil
	}
	lowest, highest := bucketIndex(minIndexable), bucketIndex(maxIndexable)
	if b.Offset < lowest || b.Offset > highest || len(b.Counts)-1 > highest-b.Offset {
		return fmt.Errorf("%d counters from index %d do not fit in the indices %d…%d", len(b.Counts), b.Offset, lowest, highest)
	}
	return nil
}
