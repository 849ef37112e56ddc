package report

import (
	"math"
	"sync"

	"github.com/throng-dev/throng/metrics"
)

// DefaultMaxBuckets bounds a series: past it, adjacent buckets merge
// pairwise and the slot doubles. An hour of one-second buckets, then
// two-second ones, and so on: a 24-hour test ends with 32-second buckets
// and fewer than 3600 points per line, so the report stays a few hundred
// kilobytes however long the test ran.
const DefaultMaxBuckets = 3600

// Caps on what grows with the script rather than with time: a script that
// names every request differently (unique URLs without a name tag) would
// otherwise grow the tables without limit. What falls past a cap is
// counted under "other", never dropped.
const (
	maxEndpoints = 200
	maxStatuses  = 40
	// other is the row or status that gathers what is past a cap.
	other = "other"
)

// Aggregator folds sample batches into per-second buckets of the numbers
// the report and the dashboard chart, and keeps the run's totals and one
// row per request name. With the first sample of each second it also
// reads throng's own memory (RSS and Go heap in use) into that second's
// bucket: one cheap reading per second, not one per sample. It holds no
// samples: its memory depends on the length of the test only up to the
// bucket cap, and never on the number of requests. It is safe for
// concurrent use: the Output adds batches on its goroutine while the
// dashboard reads.
type Aggregator struct {
	mu         sync.Mutex
	kinds      map[*metrics.Metric]kind
	maxBuckets int

	started   bool
	origin    int64 // Unix second of bucket 0
	width     int64 // seconds per bucket
	gen       uint64
	version   uint64
	buckets   []bucket
	total     bucket
	first     int64 // Unix ns of the earliest and latest samples
	last      int64
	endpoints map[endpointKey]*endpoint

	// mem reads throng's own memory once per second of samples: memSec
	// is the latest second (Unix) that has its reading.
	mem    *memSampler
	memSec int64
}

// kind is what the aggregator does with a metric's samples.
type kind uint8

const (
	ignored kind = iota
	reqs
	failed
	duration
	vus
	vusMax
	iterations
	dropped
	checks
	sent
	received
)

var kindsByName = map[string]kind{
	"http_reqs": reqs, "http_req_failed": failed, "http_req_duration": duration,
	"vus": vus, "vus_max": vusMax, "iterations": iterations, "dropped_iterations": dropped,
	"checks": checks, "data_sent": sent, "data_received": received,
}

// NewAggregator returns an empty aggregator; maxBuckets <= 0 means
// DefaultMaxBuckets. maxBuckets is rounded up to an even number so that
// halving always leaves room.
func NewAggregator(maxBuckets int) *Aggregator {
	if maxBuckets <= 0 {
		maxBuckets = DefaultMaxBuckets
	}
	maxBuckets += maxBuckets % 2
	return &Aggregator{
		kinds:      map[*metrics.Metric]kind{},
		maxBuckets: maxBuckets,
		width:      1,
		endpoints:  map[endpointKey]*endpoint{},
		total:      bucket{duration: &metrics.Histogram{}},
		mem:        newMemSampler(),
		memSec:     math.MinInt64,
	}
}

// Add folds a batch in.
func (a *Aggregator) Add(batch []metrics.Sample) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.version++
	for _, s := range batch {
		k := a.kind(s.Metric)
		if k == ignored {
			continue
		}
		a.span(s.Time)
		b := a.slot(s.Time)
		b.version = a.version
		if sec := floorDiv(s.Time, 1e9); sec > a.memSec {
			// The first sample of a new second: one reading of throng's
			// memory for it, whatever the number of samples.
			a.memSec = sec
			rss, heap := a.mem.sample()
			b.addMemory(rss, heap)
			a.total.addMemory(rss, heap)
		}
		add(b, k, s, a.statusKey)
		add(&a.total, k, s, a.statusKey)
		if k == duration || k == failed {
			a.endpoint(s.Tags).add(k, s.Value)
		}
	}
}

// kind looks a metric up by pointer first: a map of names per sample
// would hash the name every time.
func (a *Aggregator) kind(m *metrics.Metric) kind {
	k, ok := a.kinds[m]
	if !ok {
		k = kindsByName[m.Name]
		a.kinds[m] = k
	}
	return k
}

func (a *Aggregator) span(t int64) {
	if a.first == 0 || t < a.first {
		a.first = t
	}
	a.last = max(a.last, t)
}

// slot returns the bucket of time t (Unix ns), halving the series first
// when t is past its last slot. The first sample sets the origin; a
// sample older than it (batches from different VUs arrive out of order
// by a fraction of a second) counts in the first bucket.
func (a *Aggregator) slot(t int64) *bucket {
	sec := floorDiv(t, 1e9)
	if !a.started {
		a.started, a.origin = true, sec
	}
	i := max(0, floorDiv(sec-a.origin, a.width))
	for i >= int64(a.maxBuckets) {
		a.buckets = halve(a.buckets)
		a.width *= 2
		a.gen++
		i = floorDiv(sec-a.origin, a.width)
	}
	if n := int(i) + 1; n > len(a.buckets) {
		a.buckets = append(a.buckets, make([]bucket, n-len(a.buckets))...)
	}
	return &a.buckets[i]
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// statusKey bounds the distinct statuses kept.
func (a *Aggregator) statusKey(status string) string {
	if _, ok := a.total.status[status]; ok || len(a.total.status) < maxStatuses {
		return status
	}
	return other
}

// add folds one sample of kind k into b.
func add(b *bucket, k kind, s metrics.Sample, statusKey func(string) string) {
	switch k {
	case reqs:
		b.reqs += s.Value
		if st, ok := s.Tags.Get("status"); ok && st != "0" {
			if b.status == nil {
				b.status = map[string]float64{}
			}
			b.status[statusKey(st)] += s.Value
		}
	case failed:
		if s.Value != 0 {
			b.failed++
		}
	case duration:
		if b.duration != nil { // the total
			b.duration.Add(s.Value)
		} else {
			b.latency.add(s.Value)
		}
	case vus:
		b.vus, b.hasVUs = maxGauge(b.vus, b.hasVUs, s.Value, true)
	case vusMax:
		b.vusMax, b.hasVUsMax = maxGauge(b.vusMax, b.hasVUsMax, s.Value, true)
	case iterations:
		b.iters += s.Value
	case dropped:
		b.dropped += s.Value
	case checks:
		if s.Value != 0 {
			b.checksOK++
		} else {
			b.checksKO++
		}
	case sent:
		b.sent += s.Value
	case received:
		b.received += s.Value
	}
}

// endpointKey identifies a row of the requests table: k6's name tag (the
// URL unless the script names the request) and the method.
type endpointKey struct{ method, name string }

// endpoint is one row: every request of that name, whole run.
type endpoint struct {
	duration metrics.Histogram
	failed   float64
}

func (e *endpoint) add(k kind, v float64) {
	switch {
	case k == duration:
		e.duration.Add(v)
	case v != 0:
		e.failed++
	}
}

func (a *Aggregator) endpoint(tags *metrics.TagSet) *endpoint {
	var key endpointKey
	if tags != nil {
		key.method, _ = tags.Get("method")
		key.name, _ = tags.Get("name")
	}
	if e, ok := a.endpoints[key]; ok {
		return e
	}
	if len(a.endpoints) >= maxEndpoints {
		key = endpointKey{name: other}
		if e, ok := a.endpoints[key]; ok {
			return e
		}
	}
	e := &endpoint{}
	a.endpoints[key] = e
	return e
}
