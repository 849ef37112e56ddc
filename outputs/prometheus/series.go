package prometheus

import (
	"math"
	"slices"
	"strings"

	"github.com/throng-dev/throng/metrics"
)

// metricPrefix is k6's namespace for every series it writes; throng keeps
// it so that dashboards made for k6 work unchanged.
const metricPrefix = "k6_"

// series is the state of one throng time series (a metric and a label set)
// between pushes.
type series struct {
	metric *metrics.Metric
	labels []label // sanitised, sorted by name, without __name__

	counter     float64           // Counter: the sum since the start
	gauge       float64           // Gauge: the last value
	trues, seen uint64            // Rate: non-zero samples and all samples since the start
	hist        metrics.Histogram // Trend: this interval's samples only

	lastMs int64 // the newest sample's time, in Unix milliseconds
	sentMs int64 // the timestamp of the last push that carried this series
	dirty  bool  // samples came since the last push
}

func (s *series) add(smp metrics.Sample) {
	switch s.metric.Type {
	case metrics.Counter:
		s.counter += smp.Value
	case metrics.Gauge:
		s.gauge = smp.Value
	case metrics.Rate:
		s.seen++
		if smp.Value != 0 {
			s.trues++
		}
	case metrics.Trend:
		s.hist.Add(smp.Value)
	}
	if ms := smp.Time / 1e6; ms > s.lastMs {
		s.lastMs = ms
	}
	s.dirty = true
}

// cumulative reports whether the series' value holds everything so far
// (Counter, Gauge, Rate), so that a lost push is made good by the next one.
// A Trend's stats cover one interval and are lost with their push.
func (s *series) cumulative() bool { return s.metric.Type != metrics.Trend }

// appendSeries appends the Prometheus series that s maps to, stamped at ts,
// and resets its per-interval state:
//
//	Counter  k6_<name>_total   the sum since the start
//	Gauge    k6_<name>         the last value
//	Rate     k6_<name>_rate    non-zero samples / samples, since the start
//	Trend    k6_<name>_<stat>  one per stat, over this interval's samples
func (s *series) appendSeries(out []timeSeries, ts int64, stats []trendStat) []timeSeries {
	name := metricPrefix + s.metric.Name
	switch s.metric.Type {
	case metrics.Counter:
		out = append(out, timeSeries{labels: withName(s.labels, name+"_total"), value: s.counter, timestamp: ts})
	case metrics.Gauge:
		out = append(out, timeSeries{labels: withName(s.labels, name), value: s.gauge, timestamp: ts})
	case metrics.Rate:
		v := 0.0
		if s.seen > 0 {
			v = float64(s.trues) / float64(s.seen)
		}
		out = append(out, timeSeries{labels: withName(s.labels, name+"_rate"), value: v, timestamp: ts})
	case metrics.Trend:
		for _, st := range stats {
			out = append(out, timeSeries{labels: withName(s.labels, name+"_"+st.suffix), value: trendValue(&s.hist, st, s.metric.Contains), timestamp: ts})
		}
		s.hist = metrics.Histogram{}
	}
	return out
}

// trendValue computes one stat. As k6 does, and as Prometheus's naming
// conventions ask, durations (throng's milliseconds) are sent in seconds;
// a count stays a count.
func trendValue(h *metrics.Histogram, st trendStat, vt metrics.ValueType) float64 {
	var v float64
	switch st.kind {
	case "count":
		return float64(h.Count())
	case "sum":
		v = h.Sum()
	case "avg":
		v = h.Mean()
	case "min":
		v = h.Min()
	case "max":
		v = h.Max()
	case "med":
		v = h.Quantile(0.5)
	case "p":
		v = h.Quantile(st.q)
	}
	if vt == metrics.Time {
		v /= 1000
	}
	return v
}

// withName returns a new label slice: labels plus __name__, sorted.
func withName(labels []label, name string) []label {
	out := make([]label, 0, len(labels)+1)
	out = append(out, labels...)
	out = append(out, label{"__name__", name})
	slices.SortFunc(out, func(a, b label) int { return strings.Compare(a.name, b.name) })
	return out
}

// sanitizeLabelName maps a tag key to a Prometheus label name
// ([a-zA-Z_][a-zA-Z0-9_]*): every other character becomes "_", a leading
// digit gets a "_" before it, and a name that then starts with "__"
// (reserved for Prometheus) gets "tag" before it. It returns "" for an
// empty key.
func sanitizeLabelName(k string) string {
	if k == "" {
		return ""
	}
	valid := true
	for i := 0; i < len(k); i++ {
		if !labelChar(k[i], i) {
			valid = false
			break
		}
	}
	if valid && !strings.HasPrefix(k, "__") {
		return k
	}
	var b strings.Builder
	b.Grow(len(k) + 1)
	if k[0] >= '0' && k[0] <= '9' {
		b.WriteByte('_')
	}
	for _, r := range k { // one "_" per character, not per byte
		if r < 0x80 && labelChar(byte(r), 1) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if n := b.String(); strings.HasPrefix(n, "__") {
		return "tag" + n
	}
	return b.String()
}

func labelChar(c byte, i int) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')
}

// sanitizeLabelValue keeps values valid UTF-8, which Prometheus requires.
func sanitizeLabelValue(v string) string { return strings.ToValidUTF8(v, "\uFFFD") }

// labelMaker turns tag sets into sorted, sanitised label sets and series
// keys, caching the sanitised names (tag keys are few).
type labelMaker struct {
	drop    map[string]bool
	names   map[string]string
	scratch []label
	key     []byte
}

const maxNameCache = 1024

func (lm *labelMaker) name(k string) string {
	if n, ok := lm.names[k]; ok {
		return n
	}
	n := sanitizeLabelName(k)
	if len(lm.names) < maxNameCache {
		lm.names[k] = n
	}
	return n
}

// labels fills lm.scratch with ts's labels (dropped tags and empty values
// left out; on a clash of sanitised names the first key in tag order wins)
// and lm.key with the canonical key of that label set. Both are reused by
// the next call.
func (lm *labelMaker) labels(ts *metrics.TagSet) {
	lm.scratch = lm.scratch[:0]
	sorted := true
	for _, t := range ts.Tags() {
		if t.Value == "" || lm.drop[t.Key] {
			continue
		}
		n := lm.name(t.Key)
		if n == "" {
			continue
		}
		if k := len(lm.scratch); k > 0 && lm.scratch[k-1].name >= n {
			sorted = false
		}
		lm.scratch = append(lm.scratch, label{n, t.Value})
	}
	if !sorted {
		slices.SortStableFunc(lm.scratch, func(a, b label) int { return strings.Compare(a.name, b.name) })
		lm.scratch = slices.CompactFunc(lm.scratch, func(a, b label) bool { return a.name == b.name })
	}
	lm.key = lm.key[:0]
	for _, l := range lm.scratch {
		lm.key = append(lm.key, l.name...)
		lm.key = append(lm.key, 0xfe)
		lm.key = append(lm.key, l.value...)
		lm.key = append(lm.key, 0xff)
	}
}

// newSeries builds a series from lm's current labels (copied).
func (lm *labelMaker) newSeries(m *metrics.Metric) *series {
	labels := make([]label, len(lm.scratch))
	for i, l := range lm.scratch {
		labels[i] = label{l.name, sanitizeLabelValue(l.value)}
	}
	return &series{metric: m, labels: labels, lastMs: math.MinInt64, sentMs: math.MinInt64}
}
