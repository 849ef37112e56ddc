package metrics

import (
	"testing"
	"time"
)

// requestSamples are the samples one HTTP request makes, with its tags.
func requestSamples(b *Builtins, tags *TagSet, at int64, ms float64) []Sample {
	out := make([]Sample, 0, 11)
	for _, m := range []struct {
		metric *Metric
		value  float64
	}{
		{b.HTTPReqs, 1}, {b.HTTPReqFailed, 0}, {b.HTTPReqDuration, ms}, {b.HTTPReqBlocked, 0.001},
		{b.HTTPReqConnecting, 0}, {b.HTTPReqTLSHandshaking, 0}, {b.HTTPReqSending, 0.01},
		{b.HTTPReqWaiting, ms * 0.9}, {b.HTTPReqReceiving, ms * 0.1}, {b.DataSent, 80}, {b.DataReceived, 150},
	} {
		out = append(out, Sample{Metric: m.metric, Tags: tags, Time: at, Value: m.value})
	}
	return out
}

// BenchmarkRequestSamples is the metrics cost of one HTTP request: its 11
// samples added to a VU's buffer and folded into the sinks by the engine,
// with a sub-metric threshold so that sub-metric matching is paid too.
// It reports allocations per request: they must stay at zero.
func BenchmarkRequestSamples(b *testing.B) {
	reg := NewRegistry()
	bi := RegisterBuiltins(reg)
	e := NewEngine(bi)
	sets, err := ParseThresholds([]byte(`{"http_req_duration{name:home}": ["p(95)<500"]}`), reg)
	if err != nil {
		b.Fatal(err)
	}
	e.SetThresholds(sets)
	e.Start()
	buf := e.NewBuffer()
	tags := NewTagSet(map[string]string{"name": "home", "method": "GET", "status": "200", "scenario": "default", "group": ""})
	samples := requestSamples(bi, tags, time.Now().UnixNano(), 12.5)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for _, s := range samples {
			s.Value += float64(i % 100)
			buf.Add(s)
		}
	}
	buf.Flush()
	e.Stop()
}

// BenchmarkEvaluateThresholds is one evaluation of ten thresholds, as the
// run does every 2 s, over Trends holding 100,000 values each.
func BenchmarkEvaluateThresholds(b *testing.B) {
	reg := NewRegistry()
	bi := RegisterBuiltins(reg)
	e := NewEngine(bi)
	sets, err := ParseThresholds([]byte(`{
		"http_req_duration": ["p(95)<1000", "p(99)<1000", "avg<600", "med<600", "max<5000"],
		"http_req_duration{name:home}": ["p(90)<1000"],
		"http_req_failed": ["rate<0.01"],
		"http_reqs": ["count>1000", "rate>10"],
		"checks": ["rate>0.99"]
	}`), reg)
	if err != nil {
		b.Fatal(err)
	}
	e.SetThresholds(sets)
	e.Start()
	buf := e.NewBuffer()
	tags := NewTagSet(map[string]string{"name": "home", "status": "200"})
	for i := range 100_000 {
		for _, s := range requestSamples(bi, tags, int64(i+1), float64(i%977)+0.5) {
			buf.Add(s)
		}
	}
	buf.Flush()
	e.Stop()
	b.ReportAllocs()
	for b.Loop() {
		if failed, _ := e.EvaluateThresholds(time.Minute); failed {
			b.Fatal("the data passes every threshold")
		}
	}
}
