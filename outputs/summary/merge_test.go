package summary

import (
	"bytes"
	"math"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

// Three instances that each ran a third of the requests merge into what
// one process running them all reports: the same counts, the same
// histogram buckets (so the same percentiles), the same checks, statuses
// and errors, and the same threshold verdicts.
func TestMergeEqualsOneRun(t *testing.T) {
	thresholds := `{
		"http_req_duration": ["p(95)<250", "avg<200"],
		"http_req_duration{name:login}": ["avg<150"],
		"http_req_failed": ["rate<0.01"],
		"checks": ["rate>0.95"],
		"http_reqs": ["count>500"],
		"orders_placed": ["count>0"]
	}`
	whole := realisticWith(t, thresholds)
	var exports []*Export
	for part := range 3 {
		snap := realisticPart(t, thresholds, func(i int) bool { return i%3 == part })
		var buf bytes.Buffer
		meta := ExportMeta{Options: []byte(`{"thresholds":` + thresholds + `}`), Instance: "pod-" + string(rune('a'+part))}
		if err := WriteExport(&buf, snap, Options{}, meta); err != nil {
			t.Fatal(err)
		}
		e, err := ReadExport(&buf)
		if err != nil {
			t.Fatal(err)
		}
		exports = append(exports, e)
	}
	merged, err := Merge(exports)
	if err != nil {
		t.Fatal(err)
	}
	got := merged.Snapshot
	if got.Duration != whole.Duration {
		t.Errorf("duration %v, want %v", got.Duration, whole.Duration)
	}
	for _, w := range whole.Metrics {
		g, ok := got.Metric(w.Name())
		if !ok {
			t.Errorf("merged data lacks %s", w.Name())
			continue
		}
		compareMerged(t, w.Name(), g.Sink, w.Sink)
		if len(g.Thresholds) != len(w.Thresholds) {
			t.Errorf("%s: %d verdicts, want %d", w.Name(), len(g.Thresholds), len(w.Thresholds))
			continue
		}
		for i := range w.Thresholds {
			if g.Thresholds[i].OK != w.Thresholds[i].OK || !near(g.Thresholds[i].Value, w.Thresholds[i].Value) {
				t.Errorf("%s %s: merged %+v, one run %+v", w.Name(), w.Thresholds[i].Threshold.Source, g.Thresholds[i], w.Thresholds[i])
			}
		}
	}
	if got.ThresholdsFailed() != whole.ThresholdsFailed() || !whole.ThresholdsFailed() {
		t.Errorf("thresholds failed: merged %v, one run %v (the data makes some fail)", got.ThresholdsFailed(), whole.ThresholdsFailed())
	}
	if want := checkCounts(newGroup(whole.Root)); !equalCounts(checkCounts(newGroup(got.Root)), want) {
		t.Errorf("checks %v, want %v", checkCounts(newGroup(got.Root)), want)
	}
	if !equalCounts(countMap(got.StatusCodes), countMap(whole.StatusCodes)) || !equalCounts(countMap(got.Errors), countMap(whole.Errors)) {
		t.Errorf("statuses %v errors %v, want %v and %v", got.StatusCodes, got.Errors, whole.StatusCodes, whole.Errors)
	}
}

// compareMerged compares the aggregates exactly, but for float sums,
// which may differ in their last bits with the order of the additions.
func compareMerged(t *testing.T, name string, got, want metrics.Sink) {
	t.Helper()
	switch w := want.(type) {
	case *metrics.TrendSink:
		g := got.(*metrics.TrendSink)
		for _, p := range []float64{0, 50, 90, 95, 99, 100} {
			if g.Percentile(p) != w.Percentile(p) {
				t.Errorf("%s p(%v) = %v, want %v", name, p, g.Percentile(p), w.Percentile(p))
			}
		}
		if g.Count() != w.Count() || !near(g.Sum(), w.Sum()) || g.Min() != w.Min() || g.Max() != w.Max() {
			t.Errorf("%s: count/sum/min/max %d %v %v %v, want %d %v %v %v", name,
				g.Count(), g.Sum(), g.Min(), g.Max(), w.Count(), w.Sum(), w.Min(), w.Max())
		}
	case *metrics.CounterSink: // First is a time, which differs between instances
		if g := got.(*metrics.CounterSink); !near(g.Sum, w.Sum) {
			t.Errorf("%s = %+v, want %+v", name, g, w)
		}
	case *metrics.GaugeSink: // and so is Last
		if g := got.(*metrics.GaugeSink); g.Value != w.Value || g.Min != w.Min || g.Max != w.Max {
			t.Errorf("%s = %+v, want %+v", name, g, w)
		}
	default:
		compareSinks(t, name, got, want)
	}
}

func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

func checkCounts(g Group) map[string]int64 {
	out := map[string]int64{}
	var walk func(Group)
	walk = func(g Group) {
		for _, c := range g.Checks {
			out[c.Path+" ✓"] += c.Passes
			out[c.Path+" ✗"] += c.Fails
		}
		for _, sub := range g.Groups {
			walk(sub)
		}
	}
	walk(g)
	return out
}

func countMap(cs []metrics.Count) map[string]int64 {
	out := map[string]int64{}
	for _, c := range cs {
		out[c.Key] += c.N
	}
	return out
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}
