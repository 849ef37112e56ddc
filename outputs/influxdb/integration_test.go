package influxdb

// Tests against a real InfluxDB 1.8: scripts/services.sh starts one and
// exports THRONG_TEST_INFLUXDB_URL (and THRONG_TEST_INFLUXD, the binary the
// restart tests run themselves).

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// trendNames are the measurements of an HTTP request's samples.
var requestMeasurements = []string{
	"http_reqs", "http_req_failed", "http_req_duration", "http_req_blocked", "http_req_connecting",
	"http_req_tls_handshaking", "http_req_sending", "http_req_waiting", "http_req_receiving",
}

func column(rows [][]any, i int) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r[i]))
	}
	return out
}

func TestIntegrationRawMode(t *testing.T) {
	server := influxdURL(t)
	db := freshDB(t, server)
	var w warnings
	o := start(t, server+"/"+db, map[string]string{"THRONG_INFLUXDB_PUSH_INTERVAL": "100ms"}, &w)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	const n = 5000
	feed(o, requests(b, n, time.Now().Add(-10*time.Second), 10*time.Second, 20))
	stopWithin(t, o, 30*time.Second)
	if r := o.Report(); r != "" || w.String() != "" {
		t.Errorf("Report() = %q, warnings: %s", r, w.String())
	}

	for _, m := range requestMeasurements {
		if got := influxNumber(t, server, db, `SELECT count("value") FROM "`+m+`"`); got != n {
			t.Errorf("%s: %v points, want %d", m, got, n)
		}
	}
	tags := column(influxQL(t, server, db, `SHOW TAG KEYS FROM "http_reqs"`), 0)
	for _, want := range []string{"status", "method", "name", "scenario"} {
		if !slices.Contains(tags, want) {
			t.Errorf("%q is not a tag of http_reqs: %v", want, tags)
		}
	}
	for _, field := range []string{"url", "vu", "iter"} {
		if slices.Contains(tags, field) {
			t.Errorf("%q is a tag of http_reqs: %v", field, tags)
		}
	}
	rows := influxQL(t, server, db, `SHOW FIELD KEYS FROM "http_reqs"`)
	fields := map[string]string{}
	for _, r := range rows {
		fields[fmt.Sprint(r[0])] = fmt.Sprint(r[1])
	}
	want := map[string]string{"value": "float", "url": "string", "vu": "integer", "iter": "integer"}
	if fmt.Sprint(fields) != fmt.Sprint(want) {
		t.Errorf("fields of http_reqs: %v, want %v", fields, want)
	}
	// Tags and fields are queryable the way a dashboard queries them.
	if got := influxNumber(t, server, db, `SELECT count("value") FROM "http_reqs" WHERE "status" = '503'`); got != n/10 {
		t.Errorf("%v requests with status 503, want %d", got, n/10)
	}
	if got := influxNumber(t, server, db, `SELECT max("vu") FROM "http_reqs"`); got != 50 {
		t.Errorf("max(vu) = %v, want 50", got)
	}

	// Samples of one series in the same nanosecond are all kept.
	o = start(t, server+"/"+db, nil, nil)
	at := time.Now().UnixNano()
	var same []metrics.Sample
	for vu := range 100 {
		tags := metrics.NewTagSet(map[string]string{"check": "ok", "vu": fmt.Sprint(vu)})
		same = append(same, metrics.Sample{Metric: b.Checks, Tags: tags, Time: at, Value: 1})
	}
	feed(o, same)
	stopWithin(t, o, 30*time.Second)
	if got := influxNumber(t, server, db, `SELECT count("value") FROM "checks"`); got != 100 {
		t.Errorf("%v of 100 same-nanosecond checks kept", got)
	}
}

// TestIntegrationRetentionPolicyAndCreate writes to db/rp, a database
// that does not exist yet: Start creates it.
func TestIntegrationRetentionPolicyAndCreate(t *testing.T) {
	server := influxdURL(t)
	db := fmt.Sprintf("t_create_%d", time.Now().UnixNano())
	t.Cleanup(func() { influxQL(t, server, "", `DROP DATABASE "`+db+`"`) })
	o := start(t, server+"/"+db+"/autogen", nil, nil)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	feed(o, requests(b, 100, time.Now(), time.Second, 1))
	stopWithin(t, o, 30*time.Second)
	if r := o.Report(); r != "" {
		t.Errorf("Report() = %q", r)
	}
	if got := influxNumber(t, server, db, `SELECT count("value") FROM "autogen"."http_reqs"`); got != 100 {
		t.Errorf("%v points, want 100", got)
	}
}

func TestIntegrationAggregateMode(t *testing.T) {
	server := influxdURL(t)
	db := freshDB(t, server)
	o := start(t, server+"/"+db, map[string]string{"THRONG_INFLUXDB_AGGREGATE": "1s", "THRONG_INFLUXDB_PUSH_INTERVAL": "100ms"}, nil)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	const n = 3000
	// Three batches a second apart in real time, the samples 4s old to
	// now, so some intervals close while the run goes on and some at Stop.
	now := time.Now()
	samples := requests(b, n, now.Add(-4*time.Second), 4*time.Second, 4)
	for i := range 3 {
		feed(o, samples[i*len(samples)/3:(i+1)*len(samples)/3])
		time.Sleep(300 * time.Millisecond)
	}
	stopWithin(t, o, 30*time.Second)
	if r := o.Report(); r != "" {
		t.Errorf("Report() = %q", r)
	}
	var total float64
	for _, m := range requestMeasurements {
		got := influxNumber(t, server, db, `SELECT sum("count") FROM "`+m+`"`)
		if got != n {
			t.Errorf("%s: sum(count) = %v, want %d", m, got, n)
		}
		total += got
	}
	if total != float64(len(samples)) {
		t.Errorf("sum(count) over the measurements = %v, want %d samples", total, len(samples))
	}
	if got := influxNumber(t, server, db, `SELECT count("p95") FROM "http_req_duration"`); got == 0 {
		t.Error("no p95 field in http_req_duration")
	}
	if got := influxNumber(t, server, db, `SELECT count("p95") FROM "http_reqs"`); got != 0 {
		t.Error("a counter has percentiles")
	}
	// At most one point per tag set and second: 4 urls × 2 statuses (url 1, 3 get the 503s) × ≤5 intervals.
	if got := influxNumber(t, server, db, `SELECT count("value") FROM "http_req_duration"`); got > 6*5 || got < 6 {
		t.Errorf("%v points for http_req_duration, want one per tag set and second", got)
	}
	tags := column(influxQL(t, server, db, `SHOW TAG KEYS FROM "http_req_duration"`), 0)
	if slices.Contains(tags, "url") || slices.Contains(tags, "vu") || !slices.Contains(tags, "status") {
		t.Errorf("tags of http_req_duration: %v", tags)
	}
}

// waitWritten waits until the output has written n points (at most 20s).
func waitWritten(t *testing.T, o *Output, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for o.Written() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d points written after 20s, want %d", o.Written(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestIntegrationServerDownThenBack(t *testing.T) {
	d := newInfluxd(t)
	d.Start()
	influxQL(t, d.URL(), "", `CREATE DATABASE "down"`)
	var w warnings
	o := start(t, d.URL()+"/down", map[string]string{"THRONG_INFLUXDB_PUSH_INTERVAL": "100ms", "THRONG_INFLUXDB_STOP_TIMEOUT": "60s"}, &w)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	samples := requests(b, 3000, time.Now().Add(-3*time.Second), 3*time.Second, 5)
	third := len(samples) / 3

	feed(o, samples[:third])
	waitWritten(t, o, int64(third))

	d.Stop() // SIGTERM
	// The run goes on while the server is away: batches fail and wait.
	for i := range 10 {
		feed(o, samples[third+i*third/10:third+(i+1)*third/10])
		time.Sleep(100 * time.Millisecond)
	}
	if o.retries.Load() == 0 {
		t.Error("no retry while the server was down")
	}
	d.Start() // same port, same data
	feed(o, samples[2*third:])
	stopWithin(t, o, 60*time.Second)

	var total float64
	for _, m := range requestMeasurements {
		total += influxNumber(t, d.URL(), "down", `SELECT count("value") FROM "`+m+`"`)
	}
	if total != float64(len(samples)) {
		t.Errorf("%v points arrived, want all %d", total, len(samples))
	}
	r := o.Report()
	if !strings.Contains(r, "retries") || strings.Contains(r, "not delivered") || strings.Contains(r, "dropped") {
		t.Errorf("Report() = %q, want retries only", r)
	}
	if s := w.String(); !strings.Contains(s, "retrying") || !strings.Contains(s, "answers again") {
		t.Errorf("warnings:\n%s", s)
	}
}

func TestIntegrationServerNeverBack(t *testing.T) {
	d := newInfluxd(t)
	d.Start()
	influxQL(t, d.URL(), "", `CREATE DATABASE "gone"`)
	o := start(t, d.URL()+"/gone", map[string]string{"THRONG_INFLUXDB_PUSH_INTERVAL": "100ms", "THRONG_INFLUXDB_STOP_TIMEOUT": "2s"}, nil)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	samples := requests(b, 2000, time.Now().Add(-2*time.Second), 2*time.Second, 5)
	half := len(samples) / 2
	feed(o, samples[:half])
	waitWritten(t, o, int64(half))
	d.Stop()
	feed(o, samples[half:])
	time.Sleep(300 * time.Millisecond) // some retries
	took := stopWithin(t, o, 4*time.Second)
	if took < 1500*time.Millisecond {
		t.Errorf("Stop returned after %v, before its 2s timeout", took)
	}
	r := o.Report()
	if want := fmt.Sprintf("%d points not delivered (server unreachable or too slow), ", len(samples)-half); !strings.HasPrefix(r, want) || !strings.Contains(r, "retries") {
		t.Errorf("Report() = %q, want %q…retries", r, want)
	}
	if o.Written() != int64(half) {
		t.Errorf("Written() = %d, want %d", o.Written(), half)
	}
}

// BenchmarkIntegrationWrite measures how fast the output gets raw points
// into the InfluxDB of scripts/services.sh, from the first AddSamples to
// the end of Stop (all written):
//
//	go test -run '^$' -bench IntegrationWrite -benchtime 500000x ./outputs/influxdb
func BenchmarkIntegrationWrite(b *testing.B) {
	server := influxdURL(b)
	db := freshDB(b, server)
	builtins := metrics.RegisterBuiltins(metrics.NewRegistry())
	samples := requests(builtins, b.N/9+1, time.Now().Add(-time.Minute), time.Minute, 20)[:b.N]
	out, err := New(params(server+"/"+db, nil, nil))
	if err != nil {
		b.Fatal(err)
	}
	o := out.(*Output)
	if err := o.Start(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	feed(o, samples)
	o.Stop()
	b.StopTimer()
	if r := o.Report(); r != "" || o.Written() != int64(b.N) {
		b.Fatalf("written %d of %d: %s", o.Written(), b.N, r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
