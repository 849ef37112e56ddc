package metrics

import "time"

// Sample is one measurement: a value of a metric at a time, with tags.
// Samples are small values that travel in slices (batches), never one
// channel send each.
type Sample struct {
	Metric *Metric
	Tags   *TagSet
	Time   int64 // Unix nanoseconds: smaller than time.Time, and all a sink needs
	Value  float64
}

// T returns the sample's time.
func (s Sample) T() time.Time { return time.Unix(0, s.Time) }
