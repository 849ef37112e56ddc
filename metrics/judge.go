package metrics

import "sort"

// Judge evaluates sets against the snapshot's sinks as at the end of a
// run, replacing the verdicts it held. A metric or sub-metric that a
// threshold names but that has no entry gets an empty one, as
// Engine.Snapshot gives it. It is how a snapshot rebuilt from elsewhere
// (the merged exports of several instances) gets its verdicts.
func (s *Snapshot) Judge(sets []*ThresholdSet) {
	for i := range s.Metrics {
		s.Metrics[i].Thresholds = nil
	}
	for _, set := range sets {
		i := s.index(set.Metric, set.Sub)
		if i < 0 {
			s.Metrics = append(s.Metrics, MetricSnapshot{Metric: set.Metric, Sub: set.Sub, Sink: NewSink(set.Metric.Type)})
			i = len(s.Metrics) - 1
		}
		m := &s.Metrics[i]
		m.Thresholds = append(m.Thresholds, evaluate(set, m.Sink, s.Duration, false)...)
	}
	s.SortMetrics()
}

func (s *Snapshot) index(m *Metric, sub *Submetric) int {
	for i, ms := range s.Metrics {
		if ms.Metric.Name == m.Name && sameSub(ms.Sub, sub) {
			return i
		}
	}
	return -1
}

// SortMetrics puts the metrics in the engine's order: by name, each
// followed by its sub-metrics by name.
func (s *Snapshot) SortMetrics() {
	sort.SliceStable(s.Metrics, func(i, j int) bool {
		a, b := s.Metrics[i], s.Metrics[j]
		if a.Metric.Name != b.Metric.Name {
			return a.Metric.Name < b.Metric.Name
		}
		if (a.Sub == nil) != (b.Sub == nil) {
			return a.Sub == nil
		}
		return a.Sub != nil && a.Sub.Name < b.Sub.Name
	})
}
