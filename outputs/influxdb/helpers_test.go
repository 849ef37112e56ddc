package influxdb

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throng-dev/throng/internal/testservice"
	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

// influxdURL is the shared InfluxDB of scripts/services.sh.
func influxdURL(t testing.TB) string {
	return strings.TrimRight(testservice.Need(t, "THRONG_TEST_INFLUXDB_URL"), "/")
}

// influxQL runs one statement and returns the first series' rows.
func influxQL(t testing.TB, server, db, q string) [][]any {
	t.Helper()
	return testservice.InfluxQL(t, server, db, q)
}

// influxNumber runs a query whose answer is one row with one number (after
// the time column); 0 when there is no row.
func influxNumber(t testing.TB, server, db, q string) float64 {
	t.Helper()
	rows := influxQL(t, server, db, q)
	if len(rows) == 0 {
		return 0
	}
	if len(rows) != 1 || len(rows[0]) < 2 {
		t.Fatalf("%s: want one row, got %v", q, rows)
	}
	n, ok := rows[0][1].(float64)
	if !ok {
		t.Fatalf("%s: %v is not a number", q, rows[0][1])
	}
	return n
}

var nonWord = regexp.MustCompile(`[^a-zA-Z0-9_]+`)

// freshDB creates a database of its own for the test, dropped at cleanup.
func freshDB(t testing.TB, server string) string {
	t.Helper()
	db := fmt.Sprintf("t_%s_%d", nonWord.ReplaceAllString(t.Name(), "_"), rand.N(1_000_000))
	influxQL(t, server, "", `CREATE DATABASE "`+db+`"`)
	t.Cleanup(func() { influxQL(t, server, "", `DROP DATABASE "`+db+`"`) })
	return db
}

// newInfluxd is an InfluxDB the test runs itself, to stop and restart.
func newInfluxd(t testing.TB) *testservice.Influxd { return testservice.NewInfluxd(t) }

// warnings records what the output logs.
type warnings struct {
	mu  sync.Mutex
	all []string
}

func (w *warnings) warnf(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all = append(w.all, fmt.Sprintf(format, args...))
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.all, "\n")
}

// params builds Params for arg with the given environment.
func params(arg string, env map[string]string, w *warnings) outputs.Params {
	p := outputs.Params{Arg: arg, Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if w != nil {
		p.Warnf = w.warnf
	}
	return p
}

// requests makes the 9 samples of each of n HTTP requests, spread evenly
// over the span starting at start, tagged like the request path tags
// them: a new *TagSet per request (vu, iter, url, name, method, status).
func requests(b *metrics.Builtins, n int, start time.Time, span time.Duration, urls int) []metrics.Sample {
	base := metrics.NewTagSet(map[string]string{"scenario": "default", "method": "GET", "proto": "HTTP/1.1"})
	trends := []*metrics.Metric{b.HTTPReqDuration, b.HTTPReqBlocked, b.HTTPReqConnecting, b.HTTPReqTLSHandshaking, b.HTTPReqSending, b.HTTPReqWaiting, b.HTTPReqReceiving}
	out := make([]metrics.Sample, 0, 9*n)
	step := int64(span) / int64(max(n, 1))
	for i := range n {
		u := fmt.Sprintf("http://127.0.0.1:8080/items/%d", i%max(urls, 1))
		status := "200"
		if i%10 == 9 {
			status = "503"
		}
		tags := base.Extend(
			metrics.Tag{Key: "vu", Value: fmt.Sprint(1 + i%50)},
			metrics.Tag{Key: "iter", Value: fmt.Sprint(i / 50)},
			metrics.Tag{Key: "url", Value: u},
			metrics.Tag{Key: "name", Value: u},
			metrics.Tag{Key: "status", Value: status},
		)
		ts := start.UnixNano() + int64(i)*step
		failed := 0.0
		if status != "200" {
			failed = 1
		}
		out = append(out,
			metrics.Sample{Metric: b.HTTPReqs, Tags: tags, Time: ts, Value: 1},
			metrics.Sample{Metric: b.HTTPReqFailed, Tags: tags, Time: ts, Value: failed})
		for j, m := range trends {
			// A time in milliseconds, as the request path makes it from
			// a nanosecond duration.
			d := time.Duration(1+i%100) * time.Duration(j+1) * 12_345 * time.Nanosecond
			out = append(out, metrics.Sample{Metric: m, Tags: tags, Time: ts, Value: float64(d) / float64(time.Millisecond)})
		}
	}
	return out
}

// feed hands samples to the output in batches of the engine's size.
func feed(o outputs.Output, samples []metrics.Sample) {
	for len(samples) > 0 {
		n := min(256, len(samples))
		o.AddSamples(samples[:n])
		samples = samples[n:]
	}
}
