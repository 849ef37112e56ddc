package summary

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// Data goes to JavaScript and may come back: rendering what came back must
// give the very text rendering the original gives.
func TestDataJSONRoundTripRendersTheSame(t *testing.T) {
	for _, o := range []Options{{NoColor: true}, {TrendStats: []string{"avg", "p(99.9)", "count"}, TimeUnit: "s"}} {
		d, err := NewData(thresholded(t), o, State{IsStdOutTTY: true})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Data
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		var direct, viaJSON bytes.Buffer
		// Render's options leave the stats and unit to the data's.
		ro := Options{NoColor: o.NoColor}
		if err := Render(&direct, d, ro); err != nil {
			t.Fatal(err)
		}
		if err := Render(&viaJSON, &back, ro); err != nil {
			t.Fatal(err)
		}
		if direct.String() != viaJSON.String() {
			t.Errorf("options %+v: after JSON:\n%s\nwant\n%s", o, viaJSON.String(), direct.String())
		}
		var fromSnapshot bytes.Buffer
		if err := RenderSnapshot(&fromSnapshot, thresholded(t), o, State{}); err != nil {
			t.Fatal(err)
		}
		if fromSnapshot.String() != viaJSON.String() {
			t.Errorf("options %+v: data rendered without its stats and unit:\n%s\nwant\n%s", o, viaJSON.String(), fromSnapshot.String())
		}
	}
}

// The JSON must have k6's shape, which scripts written for k6 rely on.
func TestDataJSONShape(t *testing.T) {
	d, err := NewData(thresholded(t), Options{}, State{IsStdErrTTY: true})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal(raw, &js); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"state/testRunDurationMs":                                             300000.0,
		"state/isStdErrTTY":                                                   true,
		"state/isStdOutTTY":                                                   false,
		"options/summaryTimeUnit":                                             "",
		"options/noColor":                                                     false,
		"root_group/name":                                                     "",
		"root_group/path":                                                     "",
		"root_group/id":                                                       "d41d8cd98f00b204e9800998ecf8427e", // md5("")
		"root_group/groups/0/name":                                            "login",
		"root_group/groups/0/path":                                            "::login",
		"root_group/groups/0/checks/1/name":                                   "has token",
		"root_group/groups/0/checks/1/path":                                   "::login::has token",
		"root_group/groups/0/checks/1/passes":                                 180.0,
		"root_group/groups/0/checks/1/fails":                                  20.0,
		"root_group/groups/0/groups/0/groups":                                 []any{},
		"metrics/http_reqs/type":                                              "counter",
		"metrics/http_reqs/contains":                                          "default",
		"metrics/http_reqs/values/count":                                      1000.0,
		"metrics/http_reqs/values/rate":                                       1000.0 / 300,
		"metrics/http_reqs/thresholds/count>500/ok":                           true,
		"metrics/http_reqs/thresholds/rate>10/ok":                             false,
		"metrics/http_req_failed/values/passes":                               32.0,
		"metrics/http_req_failed/values/fails":                                968.0,
		"metrics/vus/values/max":                                              10.0,
		"metrics/http_req_duration/contains":                                  "time",
		"metrics/http_req_duration{name:login}/type":                          "trend",
		"metrics/http_req_duration{name:checkout}/values/avg":                 0.0,
		"metrics/http_req_duration{name:checkout}/thresholds/p(99)<300/value": nil,
		"metrics/orders_placed/thresholds/count>0/ok":                         false,
		"throng/status_codes/404":                                             20.0,
		"throng/errors/0/reason":                                              "connection refused",
		"throng/errors/0/count":                                               8.0,
	}
	for path, w := range want {
		got, ok := lookup(js, path)
		if !ok {
			t.Errorf("%s: missing", path)
			continue
		}
		if gs, _ := json.Marshal(got); string(gs) != mustJSON(t, w) {
			t.Errorf("%s = %s, want %s", path, gs, mustJSON(t, w))
		}
	}
	if _, ok := lookup(js, "metrics/http_reqs/thresholds/count>500/value"); !ok {
		t.Error("thresholds carry no value")
	}
	if _, ok := lookup(js, "metrics/data_sent/thresholds"); ok {
		t.Error("a metric without thresholds has a thresholds key")
	}
	stats, _ := lookup(js, "metrics/http_req_duration/values")
	if n := len(stats.(map[string]any)); n != 6 {
		t.Errorf("trend values have %d keys, want the 6 default stats", n)
	}
}

// lookup walks a slash-separated path ("metrics/http_reqs/values/count")
// through decoded JSON; slashes, unlike dots, appear in no key here.
func lookup(v any, path string) (any, bool) {
	for _, seg := range strings.Split(path, "/") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[seg]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A script may feed Infinity to a gauge; the data must still become JSON
// (as null, like JSON.stringify) and render.
func TestDataWithNonFiniteValues(t *testing.T) {
	r := newRecorder()
	g, err := r.reg.New("weird", metrics.Gauge, metrics.Default)
	if err != nil {
		t.Fatal(err)
	}
	r.start(t, `{"weird": ["value<1"]}`)
	r.add(g, math.Inf(1), nil)
	d, err := NewData(r.snapshot(time.Second), Options{NoColor: true}, State{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if !strings.Contains(string(raw), `"weird":{"type":"gauge","contains":"default","values":{"max":null,"min":null,"value":null},"thresholds":{"value\u003c1":{"ok":false,"value":null}}}`) {
		t.Errorf("non-finite values not written as null: %s", raw)
	}
	var back Data
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Render(&buf, &back, Options{NoColor: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "weird..........................: NaN min=NaN max=NaN") {
		t.Errorf("rendering:\n%s", buf.String())
	}
}

// Trend stats requested from Render that the data was not built with read
// "-" rather than a made-up number.
func TestRenderStatMissingFromData(t *testing.T) {
	d, err := NewData(realistic(t), Options{TrendStats: []string{"avg"}}, State{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Render(&buf, d, Options{NoColor: true, TrendStats: []string{"avg", "p(99)"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "http_req_duration..............: avg=468.3ms  p(99)=-") {
		t.Errorf("rendering:\n%s", buf.String())
	}
}

// A sub-metric whose parent is not in the data keeps its full name.
func TestRenderOrphanSubmetric(t *testing.T) {
	d := &Data{Metrics: map[string]Metric{
		"http_req_duration{name:login}": {Type: "trend", Contains: "time", Values: Values{"avg": 12},
			Thresholds: map[string]ThresholdState{"avg<100": {OK: true}}},
	}}
	var buf bytes.Buffer
	if err := Render(&buf, d, Options{NoColor: true, TrendStats: []string{"avg"}}); err != nil {
		t.Fatal(err)
	}
	want := "   ✓ http_req_duration{name:login}...: avg=12ms\n       ✓ 'avg<100' (no data)\n"
	if !strings.Contains(buf.String(), want) {
		t.Errorf("rendering:\n%s\nwant it to hold\n%s", buf.String(), want)
	}
}
