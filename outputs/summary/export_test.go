package summary

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

func writeExport(t *testing.T, s *metrics.Snapshot) []byte {
	t.Helper()
	var buf bytes.Buffer
	meta := ExportMeta{Version: "v0.3.0", Script: "script.js", Options: json.RawMessage(`{"vus":10,"duration":"5m"}`)}
	if err := WriteExport(&buf, s, Options{}, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Rebuilt sinks must be the original ones: the same percentiles exactly
// (the histogram comes back bucket for bucket) and the same counts.
func TestExportRoundTrip(t *testing.T) {
	s := thresholded(t)
	e, err := ReadExport(bytes.NewReader(writeExport(t, s)))
	if err != nil {
		t.Fatal(err)
	}
	var opts bytes.Buffer
	if err := json.Compact(&opts, e.Options); err != nil {
		t.Fatal(err)
	}
	if e.Version != ExportVersion || e.Generator != "throng v0.3.0" || e.Script != "script.js" ||
		opts.String() != `{"vus":10,"duration":"5m"}` || e.TestRunDurationMs != 300000 {
		t.Errorf("header %d %q %q %s %v", e.Version, e.Generator, e.Script, e.Options, e.TestRunDurationMs)
	}
	if len(e.Metrics) != len(s.Metrics) {
		t.Errorf("%d metrics exported, snapshot has %d", len(e.Metrics), len(s.Metrics))
	}
	for _, m := range s.Metrics {
		got, err := e.Sink(m.Name())
		if err != nil {
			t.Fatal(err)
		}
		compareSinks(t, m.Name(), got, m.Sink)
	}
	if got := e.Metrics["http_req_failed"].Thresholds["rate<0.01"]; got.OK || got.Value == nil || *got.Value != 0.032 {
		t.Errorf("http_req_failed threshold %+v", got)
	}
	if e.Throng.StatusCodes["201"] != 323 || e.RootGroup.Groups[0].Checks[1].Fails != 20 {
		t.Errorf("extras or tree lost: %+v", e.Throng)
	}
}

func compareSinks(t *testing.T, name string, got, want metrics.Sink) {
	t.Helper()
	switch w := want.(type) {
	case *metrics.TrendSink:
		g := got.(*metrics.TrendSink)
		for _, p := range []float64{0, 50, 90, 99, 99.9, 100} {
			if g.Percentile(p) != w.Percentile(p) {
				t.Errorf("%s p(%v) = %v, want %v", name, p, g.Percentile(p), w.Percentile(p))
			}
		}
		if g.Count() != w.Count() || g.Sum() != w.Sum() || g.Min() != w.Min() || g.Max() != w.Max() {
			t.Errorf("%s count/sum/min/max differ", name)
		}
	case *metrics.CounterSink:
		if *got.(*metrics.CounterSink) != *w {
			t.Errorf("%s = %+v, want %+v", name, got, w)
		}
	case *metrics.GaugeSink:
		if *got.(*metrics.GaugeSink) != *w {
			t.Errorf("%s = %+v, want %+v", name, got, w)
		}
	case *metrics.RateSink:
		if *got.(*metrics.RateSink) != *w {
			t.Errorf("%s = %+v, want %+v", name, got, w)
		}
	default:
		t.Errorf("%s: unexpected sink %T", name, want)
	}
}

// Rebuilt sinks merge: two exports of the same run add up.
func TestExportSinksMerge(t *testing.T) {
	raw := writeExport(t, realistic(t))
	a, err := ReadExport(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	merged, _ := a.Sink("http_req_duration")
	again, _ := a.Sink("http_req_duration") // a fresh copy each call
	merged.Merge(again)
	if got, want := merged.(*metrics.TrendSink).Count(), 2*again.(*metrics.TrendSink).Count(); got != want {
		t.Errorf("merged count %d, want %d", got, want)
	}
	reqs, _ := a.Sink("http_reqs")
	reqs.Merge(reqs.Clone())
	if got := reqs.(*metrics.CounterSink).Sum; got != 2000 {
		t.Errorf("merged http_reqs %v, want 2000", got)
	}
}

func TestReadExportRejects(t *testing.T) {
	good := writeExport(t, realistic(t))
	cases := []struct {
		name, doc, want string
	}{
		{"newer version", strings.Replace(string(good), `"version": 1`, `"version": 2`, 1), "version 2, but this throng reads only version 1"},
		{"no version", `{"metrics": {}}`, "no version"},
		{"k6 export", `{"metrics": {"http_reqs": {"count": 3, "rate": 1}}, "root_group": {}}`, "no version"},
		{"not JSON", `{"version": 1,`, "summary export"},
		{"bad rate sink", `{"version": 1, "metrics": {"r": {"type": "rate", "sink": {"trues": 5, "total": 3}}}}`, "metric r: rate sink has 5 trues out of 3"},
		{"missing sink", `{"version": 1, "metrics": {"c": {"type": "counter"}}}`, "metric c: no sink"},
		{"unknown type", `{"version": 1, "metrics": {"h": {"type": "histogram", "sink": {}}}}`, `unknown metric type "histogram"`},
		{"histogram counts", `{"version": 1, "metrics": {"t": {"type": "trend", "sink": {"alpha": 0.004, "count": 3, "positive": {"offset": 0, "counts": [1]}, "negative": {"offset": 0, "counts": []}}}}}`, "does not match"},
	}
	for _, c := range cases {
		_, err := ReadExport(strings.NewReader(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: ReadExport = %v, want an error about %q", c.name, err, c.want)
		}
	}
	if _, err := (&Export{}).Sink("nope"); err == nil {
		t.Error("Sink of an unknown metric succeeded")
	}
}

// The document's keys are the documented ones, thresholds read plainly.
func TestExportDocument(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(writeExport(t, thresholded(t)), &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"version", "generator", "script", "options/vus", "testRunDurationMs",
		"root_group/groups/0/checks/0/id", "throng/status_codes/200", "throng/errors/0/reason",
		"metrics/http_reqs/sink/sum", "metrics/http_reqs/sink/first", "metrics/vus/sink/last", "metrics/vus/sink/set",
		"metrics/checks/sink/trues", "metrics/checks/sink/total", "metrics/http_req_duration/sink/positive/counts",
		"metrics/http_req_duration{name:login}/sink/alpha", "metrics/http_req_duration/values/p(95)"} {
		if _, ok := lookup(doc, path); !ok {
			t.Errorf("export has no %s", path)
		}
	}
	if ok, found := lookup(doc, "metrics/http_req_failed/thresholds/rate<0.01/ok"); !found || ok != false {
		t.Errorf("failed threshold ok = %v, want false (not k6's inverted flag)", ok)
	}
}

func TestWriteExportErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteExport(&buf, nil, Options{}, ExportMeta{}); err == nil {
		t.Error("WriteExport(nil) succeeded")
	}
	bad := ExportMeta{Options: json.RawMessage(`{not json`)}
	if err := WriteExport(&buf, realistic(t), Options{}, bad); err == nil || buf.Len() > 0 {
		t.Errorf("WriteExport with invalid options JSON = %v after %d bytes", err, buf.Len())
	}
	r := newRecorder()
	g, err := r.reg.New("weird", metrics.Gauge, metrics.Default)
	if err != nil {
		t.Fatal(err)
	}
	r.start(t, "")
	r.add(g, math.Inf(-1), nil)
	if err := WriteExport(&buf, r.snapshot(time.Second), Options{}, ExportMeta{}); err == nil || !strings.Contains(err.Error(), "Inf") || buf.Len() > 0 {
		t.Errorf("WriteExport of a -Inf gauge = %v after %d bytes, want an error and nothing written", err, buf.Len())
	}
	want := errors.New("disk full")
	if err := WriteExport(failingWriter{want}, realistic(t), Options{}, ExportMeta{}); !errors.Is(err, want) {
		t.Errorf("WriteExport = %v, want %v", err, want)
	}
}
