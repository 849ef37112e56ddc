package report

import (
	"math"

	"github.com/throng-dev/throng/metrics"
)

// bucket holds what happened in one time slot: one second at first, a
// power of two seconds once the series has been downsampled. Counters are
// sums, so two adjacent buckets merge exactly; the latencies merge exactly
// too, so percentiles of a merged bucket are as good as those of a
// one-second bucket. The run's total is a bucket too, whose latencies go
// to an exact metrics.Histogram instead (see latencies).
type bucket struct {
	reqs, failed       float64            // http_reqs; requests with http_req_failed set
	latency            latencies          // http_req_duration, in a time slot
	duration           *metrics.Histogram // http_req_duration, in the total
	status             map[string]float64 // http_reqs by status
	vus, vusMax        float64            // the largest value seen in the slot
	hasVUs, hasVUsMax  bool
	iters, dropped     float64
	checksOK, checksKO float64
	sent, received     float64
	// rss and heap are throng's own memory (bytes): its resident set and
	// the Go heap in use, the peak of the readings taken in the slot, one
	// per second.
	rss, heap       float64
	hasRSS, hasHeap bool
	// version is the aggregator's version when the bucket last changed:
	// the dashboard resends only buckets newer than what a page has.
	version uint64
}

// merge folds the next bucket in time into b.
func (b *bucket) merge(o *bucket) {
	b.reqs += o.reqs
	b.failed += o.failed
	b.latency.merge(&o.latency)
	for k, v := range o.status {
		if b.status == nil {
			b.status = make(map[string]float64, len(o.status))
		}
		b.status[k] += v
	}
	b.vus, b.hasVUs = maxGauge(b.vus, b.hasVUs, o.vus, o.hasVUs)
	b.vusMax, b.hasVUsMax = maxGauge(b.vusMax, b.hasVUsMax, o.vusMax, o.hasVUsMax)
	b.iters += o.iters
	b.dropped += o.dropped
	b.checksOK += o.checksOK
	b.checksKO += o.checksKO
	b.sent += o.sent
	b.received += o.received
	b.rss, b.hasRSS = maxGauge(b.rss, b.hasRSS, o.rss, o.hasRSS)
	b.heap, b.hasHeap = maxGauge(b.heap, b.hasHeap, o.heap, o.hasHeap)
	b.version = max(b.version, o.version)
}

// maxGauge keeps the peak of a gauge over a slot: for a long test whose
// buckets span many seconds, the peak of VUs (or of throng's memory) is
// what a capacity chart must not hide.
func maxGauge(v float64, set bool, o float64, oset bool) (float64, bool) {
	switch {
	case !oset:
		return v, set
	case !set:
		return o, true
	}
	return max(v, o), true
}

// addMemory folds a reading of throng's memory into b; a NaN (no RSS off
// Linux) is no reading.
func (b *bucket) addMemory(rss, heap float64) {
	if !math.IsNaN(rss) {
		b.rss, b.hasRSS = maxGauge(b.rss, b.hasRSS, rss, true)
	}
	if !math.IsNaN(heap) {
		b.heap, b.hasHeap = maxGauge(b.heap, b.hasHeap, heap, true)
	}
}

// halve merges the buckets pairwise, in place, and returns the shorter
// slice: bucket i of the result covers buckets 2i and 2i+1.
func halve(bs []bucket) []bucket {
	n := (len(bs) + 1) / 2
	for i := range n {
		merged := bs[2*i]
		if 2*i+1 < len(bs) {
			merged.merge(&bs[2*i+1])
		}
		bs[i] = merged
	}
	clear(bs[n:]) // let the dropped histograms go
	return bs[:n]
}
