package metrics

import "time"

// Sink folds the samples of one metric into an aggregate. Sinks are not safe
// for concurrent use; the engine owns them.
type Sink interface {
	Add(s Sample)
	// Merge folds another sink of the same type into this one.
	Merge(other Sink)
	// Clone returns an independent copy, for snapshots.
	Clone() Sink
}

var (
	_ Sink = (*CounterSink)(nil)
	_ Sink = (*GaugeSink)(nil)
	_ Sink = (*RateSink)(nil)
	_ Sink = (*TrendSink)(nil)
)

// NewSink returns an empty sink for a metric type.
func NewSink(t Type) Sink {
	switch t {
	case Counter:
		return &CounterSink{}
	case Gauge:
		return &GaugeSink{}
	case Rate:
		return &RateSink{}
	case Trend:
		return &TrendSink{}
	}
	panic("metrics: unknown metric type " + t.String())
}

// CounterSink sums values.
type CounterSink struct {
	Sum   float64
	First int64 // Unix nanoseconds of the first sample
}

// Add implements Sink.
func (c *CounterSink) Add(s Sample) {
	if c.First == 0 || s.Time < c.First {
		c.First = s.Time
	}
	c.Sum += s.Value
}

// Merge implements Sink.
func (c *CounterSink) Merge(o Sink) {
	oc := o.(*CounterSink)
	if c.First == 0 || (oc.First != 0 && oc.First < c.First) {
		c.First = oc.First
	}
	c.Sum += oc.Sum
}

// Clone implements Sink.
func (c *CounterSink) Clone() Sink { cc := *c; return &cc }

// Rate is the sum per second over d, the test's running time.
func (c *CounterSink) Rate(d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return c.Sum / d.Seconds()
}

// GaugeSink keeps the last value and the extremes.
type GaugeSink struct {
	Value, Min, Max float64
	Last            int64 // Unix nanoseconds of the latest sample
	Set             bool
}

// Add implements Sink.
func (g *GaugeSink) Add(s Sample) {
	if !g.Set || s.Time >= g.Last {
		g.Value, g.Last = s.Value, s.Time
	}
	if !g.Set || s.Value < g.Min {
		g.Min = s.Value
	}
	if !g.Set || s.Value > g.Max {
		g.Max = s.Value
	}
	g.Set = true
}

// Merge implements Sink.
func (g *GaugeSink) Merge(o Sink) {
	og := o.(*GaugeSink)
	if !og.Set {
		return
	}
	if !g.Set {
		*g = *og
		return
	}
	if og.Last >= g.Last {
		g.Value, g.Last = og.Value, og.Last
	}
	g.Min = min(g.Min, og.Min)
	g.Max = max(g.Max, og.Max)
}

// Clone implements Sink.
func (g *GaugeSink) Clone() Sink { gg := *g; return &gg }

// RateSink counts non-zero values among all values.
type RateSink struct {
	Trues, Total int64
}

// Add implements Sink.
func (r *RateSink) Add(s Sample) {
	r.Total++
	if s.Value != 0 {
		r.Trues++
	}
}

// Merge implements Sink.
func (r *RateSink) Merge(o Sink) {
	or := o.(*RateSink)
	r.Trues += or.Trues
	r.Total += or.Total
}

// Clone implements Sink.
func (r *RateSink) Clone() Sink { rr := *r; return &rr }

// Rate is the share of non-zero values, 0 when empty.
func (r *RateSink) Rate() float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Trues) / float64(r.Total)
}

// TrendSink keeps the distribution of values in a bounded histogram.
type TrendSink struct {
	Histogram
}

// Add implements Sink.
func (t *TrendSink) Add(s Sample) { t.Histogram.Add(s.Value) }

// Merge implements Sink.
func (t *TrendSink) Merge(o Sink) { t.Histogram.Merge(&o.(*TrendSink).Histogram) }

// Clone implements Sink.
func (t *TrendSink) Clone() Sink { return &TrendSink{Histogram: *t.Histogram.Clone()} }

// Percentile returns the p-th percentile, p in [0,100].
func (t *TrendSink) Percentile(p float64) float64 { return t.Quantile(p / 100) }

// Median is the 50th percentile.
func (t *TrendSink) Median() float64 { return t.Quantile(0.5) }
