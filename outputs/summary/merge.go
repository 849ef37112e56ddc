package summary

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// Merged is the result of several instances' exports taken as one run.
type Merged struct {
	// Snapshot holds the merged aggregates and the verdicts of the
	// thresholds re-evaluated on them.
	Snapshot *metrics.Snapshot
	// Outputs are the instances' output losses, by "instance: output".
	Outputs map[string]string
}

// Merge combines the exports of the instances of one test into one
// snapshot, as if one process had run it all: counters add, rates add
// their trues and totals, gauges keep the extremes and the latest value,
// Trend histograms merge bucket by bucket (no loss beyond their error
// bound), checks, status codes and errors add up. The duration is the
// longest instance's, as the instances run side by side. The thresholds
// of the first export's options are then judged on the merged data.
// Merge checks only that the metrics agree in type; whether the exports
// belong together (same script, segments that cover the whole) is the
// caller's to check.
func Merge(exports []*Export) (*Merged, error) {
	if len(exports) == 0 {
		return nil, fmt.Errorf("merge: no summary exports")
	}
	reg := metrics.RegisterBuiltins(metrics.NewRegistry()).Registry()
	m := &mergedSinks{reg: reg, byName: map[string]*metrics.MetricSnapshot{}}
	snap := &metrics.Snapshot{}
	statuses, errs := map[string]int64{}, map[string]int64{}
	var root Group
	out := &Merged{Snapshot: snap}
	for i, e := range exports {
		if err := m.add(e); err != nil {
			return nil, fmt.Errorf("merge: export %d: %w", i+1, err)
		}
		snap.Duration = max(snap.Duration, time.Duration(e.TestRunDurationMs*float64(time.Millisecond)))
		root = mergeGroup(root, e.RootGroup)
		for code, n := range e.Throng.StatusCodes {
			statuses[code] += n
		}
		for _, ec := range e.Throng.Errors {
			errs[ec.Reason] += ec.Count
		}
		for name, loss := range e.Throng.Outputs {
			if out.Outputs == nil {
				out.Outputs = map[string]string{}
			}
			out.Outputs[instanceName(e, i)+": "+name] = loss
		}
	}
	for _, name := range sortedKeys(m.byName) {
		snap.Metrics = append(snap.Metrics, *m.byName[name])
	}
	snap.Root = metricsGroup(root)
	snap.StatusCodes = sortedCounts(statuses, func(a, b metrics.Count) bool { return a.Key < b.Key })
	snap.Errors = sortedCounts(errs, func(a, b metrics.Count) bool { return a.N > b.N || a.N == b.N && a.Key < b.Key })
	sets, err := metrics.ParseThresholds(thresholdsOf(exports[0].Options), reg)
	if err != nil {
		return nil, fmt.Errorf("merge: the exports' thresholds: %w", err)
	}
	snap.Judge(sets)
	return out, nil
}

func instanceName(e *Export, i int) string {
	if e.Instance != "" {
		return e.Instance
	}
	return fmt.Sprintf("export %d", i+1)
}

// thresholdsOf is options.thresholds, or nil.
func thresholdsOf(options json.RawMessage) json.RawMessage {
	var o struct {
		Thresholds json.RawMessage `json:"thresholds"`
	}
	if json.Unmarshal(options, &o) != nil {
		return nil
	}
	return o.Thresholds
}

// mergedSinks accumulates the metrics of several exports.
type mergedSinks struct {
	reg    *metrics.Registry
	byName map[string]*metrics.MetricSnapshot
}

var metricTypes = map[string]metrics.Type{"counter": metrics.Counter, "gauge": metrics.Gauge, "rate": metrics.Rate, "trend": metrics.Trend}
var valueTypes = map[string]metrics.ValueType{"default": metrics.Default, "time": metrics.Time, "data": metrics.Data}

func (m *mergedSinks) add(e *Export) error {
	for _, name := range sortedKeys(e.Metrics) {
		sink, err := e.Sink(name)
		if err != nil {
			return err
		}
		if have, ok := m.byName[name]; ok {
			if have.Metric.Type.String() != e.Metrics[name].Type {
				return fmt.Errorf("metric %s is a %s here and a %s in an earlier export", name, e.Metrics[name].Type, have.Metric.Type)
			}
			have.Sink.Merge(sink)
			continue
		}
		ms, err := m.newMetric(name, e.Metrics[name])
		if err != nil {
			return err
		}
		ms.Sink = sink
		m.byName[name] = ms
	}
	return nil
}

// newMetric registers the metric that name (or its parent, for a
// sub-metric "metric{k:v}") denotes.
func (m *mergedSinks) newMetric(name string, em ExportMetric) (*metrics.MetricSnapshot, error) {
	typ, ok := metricTypes[em.Type]
	if !ok {
		return nil, fmt.Errorf("metric %s: unknown type %q", name, em.Type)
	}
	parent, tags, suffix, err := metrics.ParseSubmetric(name)
	if err != nil {
		return nil, err
	}
	metric, err := m.reg.New(parent, typ, valueTypes[em.Contains])
	if err != nil {
		return nil, err
	}
	ms := &metrics.MetricSnapshot{Metric: metric}
	if tags != nil {
		ms.Sub = &metrics.Submetric{Name: name, Parent: metric, Tags: tags, Suffix: suffix}
	}
	return ms, nil
}

// mergeGroup adds b's checks and sub-groups into a, matching by name.
func mergeGroup(a, b Group) Group {
	a.Name, a.Path = b.Name, b.Path
	for _, c := range b.Checks {
		i := indexBy(a.Checks, func(x Check) bool { return x.Name == c.Name })
		if i < 0 {
			a.Checks = append(a.Checks, c)
			continue
		}
		a.Checks[i].Passes += c.Passes
		a.Checks[i].Fails += c.Fails
	}
	for _, g := range b.Groups {
		i := indexBy(a.Groups, func(x Group) bool { return x.Name == g.Name })
		if i < 0 {
			a.Groups = append(a.Groups, mergeGroup(Group{}, g))
			continue
		}
		a.Groups[i] = mergeGroup(a.Groups[i], g)
	}
	return a
}

func indexBy[T any](s []T, match func(T) bool) int {
	for i, x := range s {
		if match(x) {
			return i
		}
	}
	return -1
}

// metricsGroup converts a summary group back to the engine's form.
func metricsGroup(g Group) *metrics.Group {
	out := &metrics.Group{Name: g.Name, Path: g.Path}
	for _, c := range g.Checks {
		out.Checks = append(out.Checks, &metrics.Check{Name: c.Name, Passes: c.Passes, Fails: c.Fails})
	}
	for _, sub := range g.Groups {
		out.Groups = append(out.Groups, metricsGroup(sub))
	}
	return out
}

func sortedCounts(m map[string]int64, less func(a, b metrics.Count) bool) []metrics.Count {
	out := make([]metrics.Count, 0, len(m))
	for k, n := range m {
		out = append(out, metrics.Count{Key: k, N: n})
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}
