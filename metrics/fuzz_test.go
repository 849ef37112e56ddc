package metrics

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// FuzzParseThresholds reads options.thresholds as scripts write it, with
// sub-metric selectors and the object form, then judges what it accepted
// on a small run, during it and at the end. No input may panic, every
// rejection needs a message, and an accepted delay cannot be negative.
func FuzzParseThresholds(f *testing.F) {
	for _, s := range []string{
		`{"http_req_duration": ["p(95)<200", "p(99.9)<1000"]}`,
		`{"http_req_failed": ["rate<0.01"], "http_reqs": ["count>1000", "rate>50"]}`,
		`{"http_req_duration{name:login}": [{"threshold": "p(99)<500", "abortOnFail": true, "delayAbortEval": "10s"}]}`,
		`{"checks{check:is status 200}": ["rate>0.99"], "vus": "value<=10"}`,
		`{"http_req_duration{group:::a,status:\"200\"}": ["max<1", "min>0", "med==2", "avg!=3"]}`,
		`{"iterations": [{"threshold": "count>0", "abortOnFail": true, "delayAbortEval": 1500}]}`,
		`{"nope": ["avg<1"]}`, `{"http_reqs": ["p(95)<1"]}`, `{"http_req_duration": ["p95 < 1"]}`, `[]`, `null`, `{"x{": []}`,
		`{"http_reqs": [{"threshold": "count>0", "abortOnFail": true, "delayAbortEval": 1e300}]}`,
		`{"http_reqs": [{"threshold": "count>0", "abortOnFail": true, "delayAbortEval": "-10s"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		reg := NewRegistry()
		b := RegisterBuiltins(reg)
		sets, err := ParseThresholds(raw, reg)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error message", raw)
			}
			return
		}
		for _, set := range sets {
			for _, th := range set.Thresholds {
				if th.DelayAbortEval < 0 {
					t.Fatalf("%q: delayAbortEval %v accepted", raw, th.DelayAbortEval)
				}
			}
		}
		judgeSmallRun(b, sets)
	})
}

// judgeSmallRun evaluates sets during and after a run of a few samples.
func judgeSmallRun(b *Builtins, sets []*ThresholdSet) {
	e := NewEngine(b)
	e.SetThresholds(sets)
	e.Start()
	tags := NewTagSet(map[string]string{"name": "login", "status": "200", "group": "::a", "check": "is status 200"})
	now := time.Now().UnixNano()
	e.Push([]Sample{
		{Metric: b.HTTPReqs, Tags: tags, Time: now, Value: 1},
		{Metric: b.HTTPReqDuration, Tags: tags, Time: now, Value: 12.5},
		{Metric: b.HTTPReqFailed, Tags: tags, Time: now, Value: 0},
		{Metric: b.Checks, Tags: tags, Time: now, Value: 1},
		{Metric: b.VUs, Tags: tags, Time: now, Value: 3},
	})
	e.EvaluateThresholds(time.Hour)
	e.Stop()
	e.Snapshot(time.Second).Judge(sets)
}

// FuzzHistogramFromData rebuilds histograms from export data (which comes
// from files) and merges them with a real one both ways, as throng merge
// does: no input may panic or allocate without bound, and counts add up.
func FuzzHistogramFromData(f *testing.F) {
	real := &Histogram{}
	for _, v := range []float64{0, 0.5, 1, 12.5, 250, 60000, -3, 1e-12} {
		real.Add(v)
	}
	seed, _ := json.Marshal(real.Export())
	f.Add(seed)
	for _, s := range []string{
		`{"alpha": 0.004, "count": 0}`, `{"alpha": 0.01, "count": 0}`,
		`{"alpha": 0.004, "count": 1, "positive": {"offset": 1000000000000, "counts": [1]}}`,
		`{"alpha": 0.004, "count": 1, "negative": {"offset": -9223372036854775808, "counts": [1]}}`,
		`{"alpha": 0.004, "count": 0, "positive": {"offset": 0, "counts": [18446744073709551615, 1]}}`,
		`{"alpha": 0.004, "count": 2, "min": 5, "max": 1, "positive": {"offset": 100, "counts": [1, 1]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var d HistogramData
		if json.Unmarshal(raw, &d) != nil {
			return
		}
		h, err := HistogramFromData(d)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for _, pair := range [][2]*Histogram{{real.Clone(), h}, {h.Clone(), real}} {
			into, from := pair[0], pair[1]
			want := into.Count() + from.Count()
			into.Merge(from)
			if into.Count() != want {
				t.Fatalf("merged count %d, want %d", into.Count(), want)
			}
			for _, q := range []float64{0, 0.5, 0.95, 1} {
				if v := into.Quantile(q); math.IsNaN(v) {
					t.Fatalf("quantile %v of %s merged is NaN", q, raw)
				}
			}
		}
	})
}
