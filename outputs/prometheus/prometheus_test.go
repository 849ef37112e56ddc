package prometheus

import (
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

// open is a quit channel that stays open: the pushes of these tests are not
// the final one.
var open = make(chan struct{})

func TestSeriesNaming(t *testing.T) {
	r := newReceiver(t)
	o, _ := newTestOutput(t, r.srv.URL, map[string]string{"PROMETHEUS_RW_TREND_STATS": "p(99),p(99.9),avg,min,med,max,count,sum"})
	f := newFixture()
	tags := map[string]string{"name": "home", "method": "GET"}
	o.AddSamples([]metrics.Sample{
		f.sample(f.b.HTTPReqs, 1, tags),
		f.sample(f.b.VUs, 7, nil),
		f.sample(f.b.HTTPReqFailed, 0, tags),
		f.sample(f.b.HTTPReqDuration, 250, tags),
		f.sample(f.b.DataSent, 4096, nil),
	})
	o.push(time.Second, open)
	var names []string
	for _, d := range r.last() {
		names = append(names, d.name)
	}
	want := []string{
		"k6_data_sent_total",
		"k6_http_req_duration_avg", "k6_http_req_duration_count", "k6_http_req_duration_max",
		"k6_http_req_duration_med", "k6_http_req_duration_min", "k6_http_req_duration_p99",
		"k6_http_req_duration_p999", "k6_http_req_duration_sum",
		"k6_http_req_failed_rate", "k6_http_reqs_total", "k6_vus",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("series names:\n got %v\nwant %v", names, want)
	}
	d := find(t, r.last(), "k6_http_req_duration_p99")
	if d.value != 0.25 { // one value: every stat is exact, in seconds
		t.Errorf("p99 = %v, want 0.25 (seconds)", d.value)
	}
	if c := find(t, r.last(), "k6_http_req_duration_count"); c.value != 1 {
		t.Errorf("count = %v, want 1 (a count is not converted)", c.value)
	}
	if s := find(t, r.last(), "k6_data_sent_total"); s.value != 4096 {
		t.Errorf("data_sent = %v, want 4096 bytes", s.value)
	}
	if !reflect.DeepEqual(d.labels, tags) {
		t.Errorf("labels = %v, want %v", d.labels, tags)
	}
	for _, d := range r.last() {
		if !sort.StringsAreSorted(d.order) {
			t.Errorf("%s: labels not sorted on the wire: %v", d.name, d.order)
		}
	}
}

func TestSanitizeLabelName(t *testing.T) {
	for in, want := range map[string]string{
		"status":       "status",
		"expected_res": "expected_res",
		"Name2":        "Name2",
		"my-tag":       "my_tag",
		"a.b/c d":      "a_b_c_d",
		"1st":          "_1st",
		"__name__":     "tag__name__",
		"__x":          "tag__x",
		"_x":           "_x",
		"héllo":        "h_llo",
		"日本":           "tag__",
		"--x":          "tag__x",
		"":             "",
	} {
		if got := sanitizeLabelName(in); got != want {
			t.Errorf("sanitizeLabelName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLabels(t *testing.T) {
	r := newReceiver(t)
	o, _ := newTestOutput(t, r.srv.URL, nil)
	f := newFixture()
	o.AddSamples([]metrics.Sample{f.sample(f.b.HTTPReqs, 1, map[string]string{
		"vu": "3", "iter": "17", "url": "http://x/?id=1", "name": "http://x/?id=${}",
		"my-tag": "a", "__name__": "evil", "1x": "b", "empty": "", "bad": "\xff",
	})})
	o.push(time.Second, open)
	got := find(t, r.last(), "k6_http_reqs_total").labels
	want := map[string]string{"name": "http://x/?id=${}", "my_tag": "a", "tag__name__": "evil", "_1x": "b", "bad": "\uFFFD"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("labels:\n got %v\nwant %v", got, want)
	}

	// tags that sanitise to the same labels are one series, however they
	// sort before sanitising
	r2 := newReceiver(t)
	o2, _ := newTestOutput(t, r2.srv.URL, map[string]string{"PROMETHEUS_RW_DROP_TAGS": "iter"})
	o2.AddSamples([]metrics.Sample{
		f.sample(f.b.HTTPReqs, 1, map[string]string{"a-b": "1", "a_a": "2", "vu": "1"}),
		f.sample(f.b.HTTPReqs, 1, map[string]string{"a_b": "1", "a_a": "2", "vu": "1"}),
	})
	o2.push(time.Second, open)
	last := r2.last()
	if len(last) != 1 || last[0].value != 2 || !reflect.DeepEqual(last[0].labels, map[string]string{"a_b": "1", "a_a": "2", "vu": "1"}) {
		t.Fatalf("want one series a_a=2,a_b=1,vu=1 (vu kept when PROMETHEUS_RW_DROP_TAGS leaves it) with value 2, got %+v", last)
	}
}

func TestCumulativeAcrossPushes(t *testing.T) {
	r := newReceiver(t)
	o, _ := newTestOutput(t, r.srv.URL, nil)
	f := newFixture()
	ok := map[string]string{"status": "200"}
	bad := map[string]string{"status": "500"}
	o.AddSamples([]metrics.Sample{
		f.sample(f.b.HTTPReqs, 1, ok), f.sample(f.b.HTTPReqs, 1, ok), f.sample(f.b.HTTPReqs, 1, bad),
		f.sample(f.b.Checks, 1, nil), f.sample(f.b.Checks, 0, nil),
		f.sample(f.b.VUs, 5, nil), f.sample(f.b.VUs, 8, nil),
	})
	o.push(time.Second, open)
	first := r.last()
	o.AddSamples([]metrics.Sample{
		f.sample(f.b.HTTPReqs, 1, ok), f.sample(f.b.HTTPReqs, 1, ok),
		f.sample(f.b.Checks, 1, nil), f.sample(f.b.Checks, 1, nil),
		f.sample(f.b.VUs, 2, nil),
	})
	o.push(time.Second, open)
	second := r.last()

	value := func(ds []decoded, name, status string) (float64, int64) {
		for _, d := range ds {
			if d.name == name && d.labels["status"] == status {
				return d.value, d.timestamp
			}
		}
		t.Fatalf("no %s{status=%q}", name, status)
		return 0, 0
	}
	if v, _ := value(first, "k6_http_reqs_total", "200"); v != 2 {
		t.Errorf("first push: http_reqs{200} = %v, want 2", v)
	}
	v1, ts1 := value(first, "k6_checks_rate", "")
	v2, ts2 := value(second, "k6_checks_rate", "")
	if v1 != 0.5 || v2 != 0.75 {
		t.Errorf("checks rate = %v then %v, want 0.5 then 0.75 (cumulative)", v1, v2)
	}
	if ts2 <= ts1 {
		t.Errorf("timestamps %d then %d: not increasing", ts1, ts2)
	}
	if v, _ := value(second, "k6_http_reqs_total", "200"); v != 4 {
		t.Errorf("second push: http_reqs{200} = %v, want 4 (cumulative)", v)
	}
	if g, _ := value(first, "k6_vus", ""); g != 8 {
		t.Errorf("first push: vus = %v, want the last value 8", g)
	}
	if g, _ := value(second, "k6_vus", ""); g != 2 {
		t.Errorf("second push: vus = %v, want 2", g)
	}
	for _, d := range second {
		if d.labels["status"] == "500" {
			t.Errorf("a series without new samples was pushed again: %+v", d)
		}
	}
	// and its state survives: a later sample continues from 1
	o.AddSamples([]metrics.Sample{f.sample(f.b.HTTPReqs, 1, bad)})
	o.push(time.Second, open)
	if v, _ := value(r.last(), "k6_http_reqs_total", "500"); v != 2 {
		t.Errorf("third push: http_reqs{500} = %v, want 2", v)
	}
	if s := o.Report(); s != "" {
		t.Errorf("Report() = %q, want empty", s)
	}
}

func TestTrendStatsPerInterval(t *testing.T) {
	r := newReceiver(t)
	o, _ := newTestOutput(t, r.srv.URL, map[string]string{"PROMETHEUS_RW_TREND_STATS": "p(99), avg ,max,min,med,count,sum,p(90)"})
	f := newFixture()
	var batch []metrics.Sample
	for i := 1; i <= 100; i++ {
		batch = append(batch, f.sample(f.b.HTTPReqDuration, float64(i), nil))
	}
	o.AddSamples(batch)
	o.push(time.Second, open)
	// exact answers over 1..100 ms, in seconds; percentiles as k6 computes
	// them (linear interpolation), within the histogram's 0.4%
	want := map[string]float64{"p99": 0.09901, "avg": 0.0505, "max": 0.1, "min": 0.001, "med": 0.0505, "count": 100, "sum": 5.050, "p90": 0.0901}
	for stat, w := range want {
		if d := find(t, r.last(), "k6_http_req_duration_"+stat); !approx(d.value, w) {
			t.Errorf("interval 1: %s = %v, want %v", stat, d.value, w)
		}
	}
	o.AddSamples([]metrics.Sample{f.sample(f.b.HTTPReqDuration, 2000, nil), f.sample(f.b.HTTPReqDuration, 4000, nil)})
	o.push(time.Second, open)
	want = map[string]float64{"p99": 3.98, "avg": 3, "max": 4, "min": 2, "count": 2, "sum": 6}
	for stat, w := range want {
		if d := find(t, r.last(), "k6_http_req_duration_"+stat); !approx(d.value, w) {
			t.Errorf("interval 2 (its own samples only): %s = %v, want %v", stat, d.value, w)
		}
	}
	// an interval without samples pushes nothing for the trend
	n := len(r.all())
	o.push(time.Second, open)
	if len(r.all()) != n {
		t.Errorf("an empty interval pushed %d series", len(r.all())-n)
	}
	// non-time trends are not converted
	m := f.b.Registry().MustNew("payload", metrics.Trend, metrics.Data)
	o.AddSamples([]metrics.Sample{f.sample(m, 1500, nil)})
	o.push(time.Second, open)
	if d := find(t, r.last(), "k6_payload_max"); d.value != 1500 {
		t.Errorf("data trend max = %v, want 1500", d.value)
	}
}

func TestEncodingRoundTrip(t *testing.T) {
	in := []timeSeries{
		{labels: []label{{"__name__", "k6_http_reqs_total"}, {"method", "GET"}, {"name", "héllo ✓"}}, value: 42, timestamp: 1_700_000_000_123},
		{labels: []label{{"__name__", "k6_vus"}}, value: 0, timestamp: 0},
		{labels: []label{{"__name__", "k6_x"}}, value: -1.5e-300, timestamp: -5},
		{labels: []label{{"__name__", "k6_y"}}, value: math.Inf(1), timestamp: math.MaxInt64},
	}
	got, err := decodeWriteRequest(encodeWriteRequest(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("decoded %d series, want %d", len(got), len(in))
	}
	for i, ts := range in {
		g := got[i]
		var order []string
		labels := map[string]string{}
		for _, l := range ts.labels {
			order = append(order, l.name)
			if l.name != "__name__" {
				labels[l.name] = l.value
			}
		}
		if g.name != ts.labels[0].value || !reflect.DeepEqual(g.labels, labels) || !reflect.DeepEqual(g.order, order) ||
			g.value != ts.value || g.timestamp != ts.timestamp {
			t.Errorf("series %d: got %+v, want %+v", i, g, ts)
		}
	}
	if got, err := decodeWriteRequest(encodeWriteRequest(nil)); err != nil || len(got) != 0 {
		t.Errorf("empty request: %v, %v", got, err)
	}
	// NaN survives bit for bit
	got, _ = decodeWriteRequest(encodeWriteRequest([]timeSeries{{labels: []label{{"__name__", "n"}}, value: math.NaN()}}))
	if !math.IsNaN(got[0].value) {
		t.Errorf("NaN decoded as %v", got[0].value)
	}
}

func TestRetryThenAccept(t *testing.T) {
	r := newReceiver(t, 503, 500, http.StatusNoContent)
	o, w := newTestOutput(t, r.srv.URL, nil)
	f := newFixture()
	o.AddSamples([]metrics.Sample{f.sample(f.b.HTTPReqs, 1, nil), f.sample(f.b.HTTPReqDuration, 100, nil)})
	o.push(5*time.Second, open)
	if r.count() != 3 {
		t.Fatalf("%d requests, want 3 (two failures, then accepted)", r.count())
	}
	if d := find(t, r.last(), "k6_http_reqs_total"); d.value != 1 {
		t.Errorf("value %v, want 1", d.value)
	}
	if o.retries.Load() != 2 || o.failedPushes.Load() != 0 || o.lostValues.Load() != 0 {
		t.Errorf("retries %d, failed %d, lost %d; want 2, 0, 0", o.retries.Load(), o.failedPushes.Load(), o.lostValues.Load())
	}
	if got := o.Report(); got != "2 retries (every push was delivered)" || len(w.get()) != 0 {
		t.Errorf("a push that got through after two retries reported %q and warned %q", got, w.get())
	}
}

func TestFailedPush(t *testing.T) {
	// 500 until the budget runs out: the push fails; the counter goes
	// again next time, the trend's interval stats are lost and counted
	r := newReceiver(t, 500, 500, 500, 500, 500, 500)
	o, w := newTestOutput(t, r.srv.URL, nil)
	f := newFixture()
	o.AddSamples([]metrics.Sample{f.sample(f.b.HTTPReqs, 1, nil), f.sample(f.b.HTTPReqDuration, 100, nil)})
	o.push(250*time.Millisecond, open) // room for about 100+200 ms of backoff: 2 or 3 tries
	if o.failedPushes.Load() != 1 || o.lostValues.Load() != 1 {
		t.Fatalf("failed %d, lost %d; want 1, 1", o.failedPushes.Load(), o.lostValues.Load())
	}
	if n := r.count(); n < 2 || n > 3 {
		t.Errorf("%d tries within 250ms, want 2 or 3", n)
	}
	r.mu.Lock()
	r.plan = nil
	r.mu.Unlock()
	o.AddSamples([]metrics.Sample{f.sample(f.b.HTTPReqs, 1, nil)})
	o.push(time.Second, open)
	if d := find(t, r.last(), "k6_http_reqs_total"); d.value != 2 {
		t.Errorf("after the failure: http_reqs = %v, want 2 (nothing lost)", d.value)
	}
	// a series with no new samples is re-sent after its push failed
	r.mu.Lock()
	r.plan = []int{500, 500, 500, 500}
	r.mu.Unlock()
	o.AddSamples([]metrics.Sample{f.sample(f.b.VUs, 3, nil)})
	o.push(150*time.Millisecond, open)
	r.mu.Lock()
	r.plan = nil
	r.mu.Unlock()
	o.push(time.Second, open)
	if d := find(t, r.last(), "k6_vus"); d.value != 3 {
		t.Errorf("vus re-sent as %v, want 3", d.value)
	}
	if got := o.Report(); !strings.Contains(got, "2 pushes failed") || !strings.Contains(got, "1 series value not delivered") {
		t.Errorf("Report() = %q", got)
	}
	if ws := w.get(); len(ws) != 1 || !strings.Contains(ws[0], "500") {
		t.Errorf("warnings %q, want one about the 500", ws)
	}
}

func TestClientErrorNotRetried(t *testing.T) {
	r := newReceiver(t, http.StatusBadRequest)
	o, _ := newTestOutput(t, r.srv.URL, nil)
	f := newFixture()
	o.AddSamples([]metrics.Sample{f.sample(f.b.HTTPReqs, 1, nil)})
	o.push(5*time.Second, open)
	if r.count() != 1 || o.failedPushes.Load() != 1 {
		t.Errorf("%d requests, %d failed pushes; want 1, 1", r.count(), o.failedPushes.Load())
	}
}

func TestServerDownAtStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	o, w := newTestOutput(t, "http://user:s3cret@"+addr+"/api/v1/write?token=t0ken", map[string]string{"PROMETHEUS_RW_PUSH_INTERVAL": "50ms"})
	o.finalTimeout = 300 * time.Millisecond
	if err := o.Start(); err != nil {
		t.Fatalf("Start: %v (a server that is down must not stop the run)", err)
	}
	f := newFixture()
	for i := 0; i < 5; i++ {
		o.AddSamples([]metrics.Sample{f.sample(f.b.HTTPReqs, 1, nil), f.sample(f.b.HTTPReqDuration, 1, nil)})
		time.Sleep(30 * time.Millisecond)
	}
	start := time.Now()
	if err := o.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Stop took %v", d)
	}
	ws := w.get()
	if len(ws) != 1 {
		t.Fatalf("%d warnings, want 1: %q", len(ws), ws)
	}
	report := o.Report()
	if !strings.Contains(report, "pushes failed") || !strings.Contains(report, "not delivered") {
		t.Errorf("Report() = %q", report)
	}
	for _, s := range append(ws, report, o.Description()) {
		if strings.Contains(s, "s3cret") || strings.Contains(s, "t0ken") || strings.Contains(s, "user") {
			t.Errorf("credentials shown: %q", s)
		}
	}
	t.Logf("warning: %s", ws[0])
	t.Logf("report: %s", report)
}

// countingTransport counts the output's requests, and how many were under
// way at once.
type countingTransport struct {
	next                    http.RoundTripper
	started, inFlight, most atomic.Int64
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.started.Add(1)
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	return c.next.RoundTrip(req)
}

// TestSlowServer: a server that takes 2 s per push, ten times the push
// interval. AddSamples never waits for it (calls return while a push is
// held by the server); the pushes are bounded: one request at a time, one
// attempt per push (each is cut at its interval, no retry piles up); each
// cut push is counted as failed and its Trend stats as not delivered; and
// the final push, allowed longer, delivers the counters whole. It counts,
// and asserts no time.
func TestSlowServer(t *testing.T) {
	const delay = 2 * time.Second
	r := newReceiver(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-timer.C:
			r.serve(w, req)
		case <-req.Context().Done(): // the output gave up
		}
	}))
	t.Cleanup(slow.Close)
	o, w := newTestOutput(t, slow.URL, map[string]string{"PROMETHEUS_RW_PUSH_INTERVAL": "200ms"})
	o.finalTimeout = 3 * delay
	ct := &countingTransport{next: o.client.Transport}
	o.client.Transport = ct
	if err := o.Start(); err != nil { // its empty write is cut at 1 s: a warning
		t.Fatalf("Start: %v", err)
	}

	// Feed the output until it has started three pushes after Start's
	// probe, noting the calls that began and ended with one same request
	// held by the server.
	f := newFixture()
	var added, duringPush int
	deadline := time.Now().Add(30 * time.Second)
	for ct.started.Load() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests after 30 s", ct.started.Load())
		}
		before, busy := ct.started.Load(), ct.inFlight.Load() == 1
		o.AddSamples([]metrics.Sample{f.sample(f.b.HTTPReqs, 1, nil), f.sample(f.b.HTTPReqDuration, 100, nil)})
		added++
		if busy && ct.inFlight.Load() == 1 && ct.started.Load() == before {
			duringPush++
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := o.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	failed, delivered := o.failedPushes.Load(), o.pushes.Load()
	t.Logf("%d AddSamples calls, %d of them during a push; %d requests, %d pushes failed, %d delivered; report: %s",
		added, duringPush, ct.started.Load(), failed, delivered, o.Report())
	if duringPush == 0 {
		t.Errorf("no AddSamples call of %d returned while the server held a push", added)
	}
	if ct.most.Load() != 1 || ct.started.Load() != 1+failed+delivered || o.retries.Load() != 0 {
		t.Errorf("%d requests at most at once, %d requests for Start's probe and %d pushes, %d retries: want one at a time, one per push, no retry",
			ct.most.Load(), ct.started.Load(), failed+delivered, o.retries.Load())
	}
	if failed < 3 || delivered != 1 {
		t.Errorf("%d pushes failed, %d delivered: want every periodic push failed (at least 3), the final one delivered", failed, delivered)
	}
	// Each cut push loses its interval's p99 (the one Trend series) if it
	// had one; the counter goes again with the next push.
	if lost := o.lostValues.Load(); lost < 1 || lost > failed {
		t.Errorf("%d series values lost in %d failed pushes: want 1 to %d", lost, failed, failed)
	}
	if got := find(t, r.last(), "k6_http_reqs_total").value; got != float64(added) {
		t.Errorf("the final push's k6_http_reqs_total = %v, want %d", got, added)
	}
	report := o.Report()
	if !strings.Contains(report, plural(failed, "push", "pushes")+" failed") || !strings.Contains(report, "not delivered") {
		t.Errorf("Report() = %q", report)
	}
	if ws := w.get(); len(ws) != 1 {
		t.Errorf("%d warnings, want 1: %q", len(ws), ws)
	}
}

func TestStartStopDelivers(t *testing.T) {
	r := newReceiver(t)
	o, w := newTestOutput(t, r.srv.URL, map[string]string{"PROMETHEUS_RW_PUSH_INTERVAL": "1h"})
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	f := newFixture()
	o.AddSamples([]metrics.Sample{f.sample(f.b.Iterations, 1, nil), f.sample(f.b.Iterations, 1, nil)})
	if err := o.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := find(t, r.last(), "k6_iterations_total"); d.value != 2 {
		t.Errorf("final push: iterations = %v, want 2", d.value)
	}
	if len(w.get()) != 0 || o.Report() != "" {
		t.Errorf("warnings %q, report %q", w.get(), o.Report())
	}
	if err := o.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestPeriodicPush(t *testing.T) {
	r := newReceiver(t)
	o, _ := newTestOutput(t, r.srv.URL, map[string]string{"PROMETHEUS_RW_PUSH_INTERVAL": "20ms"})
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	defer o.Stop()
	f := newFixture()
	o.AddSamples([]metrics.Sample{f.sample(f.b.Iterations, 1, nil)})
	deadline := time.Now().Add(5 * time.Second)
	for len(r.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(r.all()) == 0 {
		t.Fatal("nothing pushed within 5s at a 20ms interval")
	}
}

func TestChunkedPush(t *testing.T) {
	r := newReceiver(t)
	o, _ := newTestOutput(t, r.srv.URL, map[string]string{"PROMETHEUS_RW_TREND_STATS": "p(99),avg,max"})
	f := newFixture()
	var batch []metrics.Sample
	const n = 1500 // trends: 4500 series, in requests of at most 2000
	for i := 0; i < n; i++ {
		batch = append(batch, f.sample(f.b.HTTPReqDuration, 1, map[string]string{"name": string(rune('a'+i%26)) + strings.Repeat("x", i/26)}))
	}
	o.AddSamples(batch)
	o.push(5*time.Second, open)
	r.mu.Lock()
	reqs := append([][]decoded(nil), r.series...)
	r.mu.Unlock()
	total := 0
	for _, req := range reqs {
		if len(req) > maxSeriesPerRequest {
			t.Errorf("a request of %d series", len(req))
		}
		total += len(req)
	}
	if total != 3*n || len(reqs) != 3 {
		t.Errorf("%d series in %d requests, want %d in 3", total, len(reqs), 3*n)
	}
}

func TestTimestampsIncrease(t *testing.T) {
	r := newReceiver(t)
	o, _ := newTestOutput(t, r.srv.URL, nil)
	f := newFixture()
	s := f.sample(f.b.HTTPReqs, 1, nil)
	o.AddSamples([]metrics.Sample{s})
	o.push(time.Second, open)
	o.AddSamples([]metrics.Sample{s}) // the same millisecond again, then an older one
	o.push(time.Second, open)
	s.Time -= int64(time.Second)
	o.AddSamples([]metrics.Sample{s})
	o.push(time.Second, open)
	all := r.all()
	if len(all) != 3 {
		t.Fatalf("%d pushes, want 3", len(all))
	}
	if want := s.Time/1e6 + 1000; all[0].timestamp != want {
		t.Errorf("first timestamp %d, want the sample's ms %d", all[0].timestamp, want)
	}
	if all[1].timestamp <= all[0].timestamp || all[2].timestamp <= all[1].timestamp || all[2].value != 3 {
		t.Errorf("pushes %+v: timestamps must increase", all)
	}
}

func TestConfig(t *testing.T) {
	newOut := func(arg string, e map[string]string) (*Output, error) {
		out, err := New(outputs.Params{Arg: arg, Lookup: env(e)})
		if err != nil {
			return nil, err
		}
		return out.(*Output), nil
	}
	o, err := newOut("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.url.String() != DefaultURL || o.cfg.pushInterval != 5*time.Second || len(o.cfg.trendStats) != 1 || o.cfg.trendStats[0].suffix != "p99" {
		t.Errorf("defaults: %+v", o.cfg)
	}
	if !o.cfg.dropTags["vu"] || !o.cfg.dropTags["iter"] || !o.cfg.dropTags["url"] || o.cfg.dropTags["name"] {
		t.Errorf("dropped tags %v", o.cfg.dropTags)
	}
	if o.Description() != "prometheus-rw (http://localhost:9090/api/v1/write)" {
		t.Errorf("Description() = %q", o.Description())
	}

	o, err = newOut("", map[string]string{
		"K6_PROMETHEUS_RW_SERVER_URL":               "http://k6:1/w",
		"THRONG_PROMETHEUS_RW_SERVER_URL":           "https://throng:2/w",
		"K6_PROMETHEUS_RW_PUSH_INTERVAL":            "750",
		"THRONG_PROMETHEUS_RW_TREND_STATS":          "p(95),max",
		"K6_PROMETHEUS_RW_INSECURE_SKIP_TLS_VERIFY": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.url.String() != "https://throng:2/w" || o.cfg.pushInterval != 750*time.Millisecond || !o.cfg.insecureTLS ||
		len(o.cfg.trendStats) != 2 || o.cfg.trendStats[0].suffix != "p95" || o.cfg.trendStats[0].q != 0.95 {
		t.Errorf("from the environment: %+v", o.cfg)
	}
	if o, _ := newOut("http://arg:3/w", map[string]string{"K6_PROMETHEUS_RW_SERVER_URL": "http://env:1/w"}); o.cfg.url.Host != "arg:3" {
		t.Errorf("the -o argument must win over the environment: %s", o.cfg.url)
	}

	for _, bad := range []map[string]string{
		{"K6_PROMETHEUS_RW_TREND_STATS": "p99"},
		{"K6_PROMETHEUS_RW_TREND_STATS": "p(101)"},
		{"K6_PROMETHEUS_RW_TREND_STATS": "p(-1)"},
		{"K6_PROMETHEUS_RW_TREND_STATS": "p(x)"},
		{"K6_PROMETHEUS_RW_TREND_STATS": "stddev"},
		{"K6_PROMETHEUS_RW_TREND_STATS": " , "},
		{"K6_PROMETHEUS_RW_PUSH_INTERVAL": "soon"},
		{"K6_PROMETHEUS_RW_PUSH_INTERVAL": "0s"},
		{"K6_PROMETHEUS_RW_INSECURE_SKIP_TLS_VERIFY": "maybe"},
		{"K6_PROMETHEUS_RW_SERVER_URL": "ftp://x/y"},
		{"K6_PROMETHEUS_RW_SERVER_URL": "http:///nohost"},
		{"K6_PROMETHEUS_RW_BEARER_TOKEN": "tok", "K6_PROMETHEUS_RW_USERNAME": "u"},
	} {
		if _, err := newOut("", bad); err == nil {
			t.Errorf("%v: want an error", bad)
		} else if strings.Contains(err.Error(), "tok") && bad["K6_PROMETHEUS_RW_BEARER_TOKEN"] != "" {
			t.Errorf("the error shows the token: %v", err)
		}
	}
	if _, err := newOut("http://u:p@[::1", nil); err == nil || strings.Contains(err.Error(), "u:p") {
		t.Errorf("a bad URL with credentials: %v", err)
	}
	st, _ := parseTrendStats("p(99.9),p(0),p(100),med,med")
	var suffixes []string
	for _, s := range st {
		suffixes = append(suffixes, s.suffix)
	}
	if !reflect.DeepEqual(suffixes, []string{"p999", "p0", "p100", "med"}) {
		t.Errorf("suffixes %v", suffixes)
	}
}

func TestAuthentication(t *testing.T) {
	for _, c := range []struct {
		name, url string
		env       map[string]string
		want      func(*http.Request) bool
	}{
		{"basic from env", "", map[string]string{"PROMETHEUS_RW_USERNAME": "alice", "PROMETHEUS_RW_PASSWORD": "pw"}, func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "alice" && p == "pw"
		}},
		{"basic from URL", "bob:pw2@", nil, func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "bob" && p == "pw2"
		}},
		{"bearer", "", map[string]string{"PROMETHEUS_RW_BEARER_TOKEN": "tok"}, func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer tok"
		}},
		{"none", "", nil, func(r *http.Request) bool { return r.Header.Get("Authorization") == "" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newReceiver(t)
			o, _ := newTestOutput(t, strings.Replace(r.srv.URL, "http://", "http://"+c.url, 1), c.env)
			f := newFixture()
			o.AddSamples([]metrics.Sample{f.sample(f.b.Iterations, 1, nil)})
			o.push(time.Second, open)
			r.mu.Lock()
			h := r.headers
			r.mu.Unlock()
			if h == nil || !c.want(&http.Request{Header: h}) {
				t.Errorf("Authorization header %q", h.Get("Authorization"))
			}
			if strings.Contains(o.Description(), "pw") || strings.Contains(o.Description(), "tok") || strings.Contains(o.Description(), "@") {
				t.Errorf("Description() = %q", o.Description())
			}
		})
	}
}

func TestSeriesLimit(t *testing.T) {
	r := newReceiver(t)
	o, _ := newTestOutput(t, r.srv.URL, nil)
	f := newFixture()
	o.nSer = maxSeries - 1 // as if full but one
	o.AddSamples([]metrics.Sample{
		f.sample(f.b.Iterations, 1, map[string]string{"k": "1"}),
		f.sample(f.b.Iterations, 1, map[string]string{"k": "2"}),
		f.sample(f.b.Iterations, 1, map[string]string{"k": "2"}),
		f.sample(f.b.Iterations, 1, map[string]string{"k": "1"}),
	})
	if o.refusedSamples.Load() != 2 {
		t.Errorf("%d samples refused, want 2", o.refusedSamples.Load())
	}
	if got := o.Report(); !strings.Contains(got, "2 samples dropped") {
		t.Errorf("Report() = %q", got)
	}
}

func BenchmarkAddSamples(b *testing.B) {
	o, err := New(outputs.Params{Arg: "http://127.0.0.1:9/w"})
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture()
	tags := map[string]string{"name": "home", "method": "GET", "status": "200", "vu": "1", "scenario": "default"}
	batch := make([]metrics.Sample, 1000)
	for i := range batch {
		batch[i] = f.sample(f.b.HTTPReqDuration, float64(i), tags)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o.AddSamples(batch)
	}
}

func TestQuitStopsRetries(t *testing.T) {
	r := newReceiver(t, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503)
	o, _ := newTestOutput(t, r.srv.URL, nil)
	f := newFixture()
	o.AddSamples([]metrics.Sample{f.sample(f.b.Iterations, 1, nil)})
	quit := make(chan struct{})
	done := make(chan struct{})
	start := time.Now()
	go func() { defer close(done); o.push(time.Minute, quit) }()
	time.Sleep(300 * time.Millisecond)
	close(quit)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the push went on retrying after quit")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the push took %v after quit", d)
	}
	// the counter was not lost: it goes with the final push
	r.mu.Lock()
	r.plan = nil
	r.mu.Unlock()
	o.push(time.Second, nil)
	if d := find(t, r.last(), "k6_iterations_total"); d.value != 1 || o.lostValues.Load() != 0 {
		t.Errorf("final push: %v, lost %d", d.value, o.lostValues.Load())
	}
}
