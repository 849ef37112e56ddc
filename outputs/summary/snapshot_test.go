package summary

import (
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// recorder feeds samples to a real engine one millisecond apart, so the
// snapshot a test renders is the one a run would produce.
type recorder struct {
	reg *metrics.Registry
	b   *metrics.Builtins
	e   *metrics.Engine
	buf *metrics.Buffer
	at  int64
}

// newRecorder returns a recorder whose engine is not started yet, so that
// custom metrics and thresholds can be set up first.
func newRecorder() *recorder {
	reg := metrics.NewRegistry()
	b := metrics.RegisterBuiltins(reg)
	e := metrics.NewEngine(b)
	return &recorder{reg: reg, b: b, e: e, buf: e.NewBuffer(), at: 1_700_000_000_000_000_000}
}

// start installs thresholds (options.thresholds JSON; "" for none) and
// starts the engine.
func (r *recorder) start(t *testing.T, thresholds string) *recorder {
	t.Helper()
	sets, err := metrics.ParseThresholds([]byte(thresholds), r.reg)
	if err != nil {
		t.Fatal(err)
	}
	r.e.SetThresholds(sets)
	r.e.Start()
	return r
}

func (r *recorder) add(m *metrics.Metric, v float64, tags map[string]string) {
	r.buf.Add(metrics.Sample{Metric: m, Tags: metrics.NewTagSet(tags), Time: r.at, Value: v})
	r.at += int64(time.Millisecond)
}

func (r *recorder) check(group, name string, ok bool) {
	v := 0.0
	if ok {
		v = 1
	}
	r.add(r.b.Checks, v, map[string]string{"group": group, "check": name})
}

// snapshot stops the engine, so every sample is in, and snapshots it.
func (r *recorder) snapshot(d time.Duration) *metrics.Snapshot {
	r.buf.Flush()
	r.e.Stop()
	return r.e.Snapshot(d)
}

// request records one HTTP request with k6's built-in metrics and tags;
// name is the request's name tag, as k6 sets it to the URL.
func (r *recorder) request(name, status, errReason string, ms float64, i int) {
	tags := map[string]string{"status": status, "name": name}
	if errReason != "" {
		tags["error"] = errReason
	}
	failed := 0.0
	if status == "0" || status >= "400" {
		failed = 1
	}
	r.add(r.b.HTTPReqs, 1, tags)
	r.add(r.b.HTTPReqFailed, failed, tags)
	r.add(r.b.HTTPReqDuration, ms, tags)
	r.add(r.b.HTTPReqBlocked, blocked(i), tags)
	r.add(r.b.HTTPReqConnecting, blocked(i)/2, tags)
	r.add(r.b.HTTPReqTLSHandshaking, 0, tags)
	r.add(r.b.HTTPReqSending, 0.0121+float64(i%5)*0.001, tags)
	r.add(r.b.HTTPReqWaiting, ms*0.9, tags)
	r.add(r.b.HTTPReqReceiving, ms*0.1, tags)
	r.add(r.b.DataSent, 1300, tags)
	r.add(r.b.DataReceived, 11234, tags)
}

// blocked is 1.2ms for a VU's first request (a new connection), then
// sub-microsecond.
func blocked(i int) float64 {
	if i%100 == 0 {
		return 1.2
	}
	return 0.000812 + float64(i%3)*0.0013
}

// realistic is a five-minute run: 1000 requests with a few failures,
// nested groups, passing and failing checks, custom metrics of every type.
func realistic(t *testing.T) *metrics.Snapshot {
	t.Helper()
	return realisticWith(t, "")
}

// thresholded is the realistic run with thresholds that pass and fail, on
// metrics of every type, on sub-metrics, and on metrics without samples.
func thresholded(t *testing.T) *metrics.Snapshot {
	t.Helper()
	return realisticWith(t, `{
		"http_req_duration": ["p(95)<250", "avg<200"],
		"http_req_duration{name:login}": ["avg<150"],
		"http_req_duration{name:checkout}": ["p(99)<300"],
		"http_req_duration{name:browse}": ["max<100"],
		"http_req_failed": ["rate<0.01"],
		"checks": ["rate>0.95"],
		"http_reqs": ["count>500", "rate>10"],
		"data_received": ["count<10000000"],
		"vus": ["value<=10"],
		"orders_placed": ["count>0"],
		"order_ok": ["rate>0.99"]
	}`)
}

func realisticWith(t *testing.T, thresholds string) *metrics.Snapshot {
	t.Helper()
	return realisticPart(t, thresholds, func(int) bool { return true })
}

// realisticPart is the part of the realistic run made of the requests
// keep picks, as one instance of a segmented run records it.
func realisticPart(t *testing.T, thresholds string, keep func(i int) bool) *metrics.Snapshot {
	t.Helper()
	r := newRecorder()
	custom := customMetrics(t, r.reg)
	r.start(t, thresholds)
	for i := range 10 {
		r.add(r.b.VUs, float64(i+1), nil)
		r.add(r.b.VUsMax, 10, nil)
	}
	for i := range 1000 {
		if !keep(i) {
			continue
		}
		status, reason, ms := requestOutcome(i)
		r.request(requestName(i), status, reason, ms, i)
		r.checkRequest(i, status)
		r.addCustom(custom, i)
		if i%4 == 3 {
			r.add(r.b.Iterations, 1, nil)
			r.add(r.b.IterationDuration, 1000+ms+float64(i%11), nil)
		}
	}
	if keep(0) { // one instance drops them
		r.add(r.b.DroppedIterations, 3, nil)
	}
	return r.snapshot(5 * time.Minute)
}

// requestOutcome spreads statuses and errors over the requests.
func requestOutcome(i int) (status, reason string, ms float64) {
	ms = 10 + float64((i*37)%200) + float64(i%7)*0.013
	switch {
	case i%125 == 3:
		return "0", "connection refused", 0
	case i%250 == 11:
		return "0", "request timeout", 90000.5
	case i%50 == 7:
		return "404", "", ms
	case i%3 == 0:
		return "201", "", ms
	}
	return "200", "", ms
}

// requestName is what the checks of request i are about: login first,
// then browsing.
func requestName(i int) string {
	if i < 200 {
		return "login"
	}
	return "browse"
}

func (r *recorder) checkRequest(i int, status string) {
	switch {
	case i < 200:
		r.check("::login", "is status 200", true)
		r.check("::login", "has token", i%10 != 4)
		if i%50 == 0 {
			r.check("::login::mfa", "code accepted", i != 50)
			r.add(r.b.GroupDuration, 250+float64(i), map[string]string{"group": "::login::mfa"})
		}
		r.add(r.b.GroupDuration, 1200+float64(i%17)*3.5, map[string]string{"group": "::login"})
	case i < 220:
		r.check("::browse::catalog", "has items", true)
	default:
		r.check("", "is status 201 or 200", status == "200" || status == "201")
		r.check("", "body is JSON", true)
	}
}

type customSet struct {
	trend, size, counter, gauge, wait, rate *metrics.Metric
}

func customMetrics(t *testing.T, reg *metrics.Registry) customSet {
	t.Helper()
	must := func(name string, typ metrics.Type, vt metrics.ValueType) *metrics.Metric {
		m, err := reg.New(name, typ, vt)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Metrics that never get samples: only thresholds bring them into the
	// summary.
	must("orders_placed", metrics.Counter, metrics.Default)
	must("order_ok", metrics.Rate, metrics.Default)
	return customSet{
		trend:   must("my_trend", metrics.Trend, metrics.Default),
		size:    must("payload_size", metrics.Trend, metrics.Data),
		counter: must("items_processed", metrics.Counter, metrics.Default),
		gauge:   must("queue_depth", metrics.Gauge, metrics.Default),
		wait:    must("pool_wait", metrics.Gauge, metrics.Time),
		rate:    must("cache_hit", metrics.Rate, metrics.Default),
	}
}

func (r *recorder) addCustom(c customSet, i int) {
	if i%10 == 0 {
		r.add(c.trend, 120+float64((i*7)%565)+0.3, nil)
		r.add(c.gauge, float64((i*13)%40), nil)
		r.add(c.wait, []float64{3.5, 0, 1200, 0.0021}[i/10%4], nil)
	}
	r.add(c.size, 900+float64((i*31)%4000), nil)
	r.add(c.counter, 0.5, nil)
	r.add(c.rate, float64(i%3%2), nil)
}

// noisy is a run with many status codes and long error reasons and no
// checks at all: the tree is omitted, codes wrap, errors are listed.
func noisy(t *testing.T) *metrics.Snapshot {
	t.Helper()
	r := newRecorder().start(t, "")
	codes := []string{"200", "201", "204", "301", "302", "304", "400", "401", "403", "404",
		"405", "409", "410", "422", "429", "500", "502", "503", "504", "100"}
	for i, code := range codes {
		for range i + 1 {
			r.add(r.b.HTTPReqs, 1, map[string]string{"status": code})
		}
	}
	reasons := []string{
		"dial tcp 10.0.0.7:8080: connect: connection refused",
		"request timeout",
		"read tcp 10.0.0.3:51234->10.0.0.7:8080: read: connection reset by peer",
		"x509: certificate signed by unknown authority",
	}
	for i, reason := range reasons {
		for range 1000 / (i*i + 1) {
			r.add(r.b.HTTPReqs, 1, map[string]string{"status": "0", "error": reason})
		}
	}
	r.e.CountError("TypeError: Cannot read property 'id' of undefined\n\tat default (script.js:12:7)")
	return r.snapshot(time.Minute)
}

// empty is a run that measured nothing.
func empty(t *testing.T) *metrics.Snapshot {
	t.Helper()
	return newRecorder().start(t, "").snapshot(time.Second)
}
