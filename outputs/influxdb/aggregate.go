package influxdb

import (
	"math"
	"strconv"

	"github.com/throng-dev/throng/metrics"
)

// aggLateness is how long after an interval's end its point waits for
// late samples before it is written: VUs hand samples over in batches
// (every 200ms or at the end of an iteration), and the outputs' queues add
// their own delay.
const aggLateness = 2_000_000_000 // ns

// aggKey names one aggregate point: a metric, a tag set (tags-as-fields
// removed, escaped) and the end of an interval in Unix nanoseconds.
type aggKey struct {
	metric *metrics.Metric
	tags   string
	end    int64
}

// aggCell accumulates the samples of one aggregate point.
type aggCell struct {
	count         int64
	sum, min, max float64
	last          float64
	lastT         int64
	hist          *metrics.Histogram // Trends only
}

// aggregator folds samples into one point per metric, tag set and
// interval. It is not safe for concurrent use.
type aggregator struct {
	interval int64
	closed   int64 // the points of intervals ending at or before this are written
	cells    map[aggKey]*aggCell
}

func newAggregator(interval int64) *aggregator {
	return &aggregator{interval: interval, cells: make(map[aggKey]*aggCell)}
}

// intervalEnd is the end of the interval holding t: intervals are
// [k·interval, (k+1)·interval) in Unix time.
func (a *aggregator) intervalEnd(t int64) int64 {
	start := t - t%a.interval
	if t < 0 && t%a.interval != 0 {
		start -= a.interval
	}
	return start + a.interval
}

// add folds one sample in. A sample whose interval was already written
// counts in the first interval not yet written, so nothing is lost (its
// time shifts by at most the lateness). It reports whether a new point
// was started; room tells whether one may be.
func (a *aggregator) add(m *metrics.Metric, tags string, t int64, v float64, room bool) (added, created bool) {
	end := a.intervalEnd(t)
	if end <= a.closed {
		end = a.closed + a.interval
	}
	k := aggKey{m, tags, end}
	c, ok := a.cells[k]
	if !ok {
		if !room {
			return false, false
		}
		c = &aggCell{min: v, max: v, last: v, lastT: t}
		if m.Type == metrics.Trend {
			c.hist = &metrics.Histogram{}
		}
		a.cells[k] = c
		created = true
	}
	c.count++
	c.sum += v
	c.min = math.Min(c.min, v)
	c.max = math.Max(c.max, v)
	if t >= c.lastT {
		c.last, c.lastT = v, t
	}
	if c.hist != nil {
		c.hist.Add(v)
	}
	return true, created
}

// flush hands every point of the intervals ending at or before upTo
// (rounded down to an interval boundary) to emit and forgets them; later
// samples of those intervals count in the next one.
func (a *aggregator) flush(upTo int64, emit func(aggKey, *aggCell)) {
	if upTo != math.MaxInt64 {
		upTo = a.intervalEnd(upTo) - a.interval
		if upTo > a.closed {
			a.closed = upTo
		}
	}
	for k, c := range a.cells {
		if k.end <= upTo {
			emit(k, c)
			delete(a.cells, k)
		}
	}
}

// appendAggPoint writes one aggregate point:
//
//	http_req_duration,status=200 count=90i,sum=…,min=…,max=…,value=…,p50=…,p90=…,p95=…,p99=… END
func appendAggPoint(b []byte, measurement string, k aggKey, c *aggCell) []byte {
	b = append(b, measurement...)
	b = append(b, k.tags...)
	b = append(b, " count="...)
	b = strconv.AppendInt(b, c.count, 10)
	b = append(b, "i,sum="...)
	b = appendFloat(b, c.sum)
	b = append(b, ",min="...)
	b = appendFloat(b, c.min)
	b = append(b, ",max="...)
	b = appendFloat(b, c.max)
	b = append(b, ",value="...)
	b = appendFloat(b, c.value(k.metric.Type))
	if c.hist != nil {
		for _, q := range quantiles {
			b = append(b, q.field...)
			b = appendFloat(b, c.hist.Quantile(q.q))
		}
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, k.end, 10)
	return append(b, '\n')
}

var quantiles = []struct {
	field string
	q     float64
}{{",p50=", 0.50}, {",p90=", 0.90}, {",p95=", 0.95}, {",p99=", 0.99}}

// value is the point's main field: what the metric's summary line shows.
func (c *aggCell) value(t metrics.Type) float64 {
	switch t {
	case metrics.Gauge:
		return c.last
	case metrics.Rate, metrics.Trend:
		return c.sum / float64(c.count)
	}
	return c.sum
}
