package influxdb

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/internal/samplegen"
	"github.com/throng-dev/throng/metrics"
)

// BenchmarkAddSamples is the cost of one sample in AddSamples: the tag
// split (one new *TagSet per request, as the request path makes them), the
// line-protocol encoding and the batching; aggregate mode includes folding
// into the interval's point and encoding the points. raw-get feeds the 14
// samples of an iteration of bench/get-check.js (one GET, one check) with
// the tags throng gives them by default (`make bench` writes those of
// bench/get.js: the same less the check); raw feeds 9 samples per request
// with vu and iter tags (written as fields), so that no two requests have
// the same tags and fields; aggregate feeds those to aggregate mode.
//
//	go test -run '^$' -bench AddSamples -benchmem ./outputs/influxdb
func BenchmarkAddSamples(b *testing.B) {
	t0 := time.Unix(1_700_000_000, 0)
	for _, mode := range []struct {
		name    string
		env     map[string]string
		samples func(*metrics.Builtins) []metrics.Sample
	}{
		{"raw-get", nil, func(m *metrics.Builtins) []metrics.Sample {
			return samplegen.GetIterations(m, 10_000, t0, 10*time.Second)
		}},
		{"raw", nil, func(m *metrics.Builtins) []metrics.Sample { return requests(m, 10_000, t0, 10*time.Second, 20) }},
		{"aggregate", map[string]string{"K6_INFLUXDB_AGGREGATE": "1s"}, func(m *metrics.Builtins) []metrics.Sample {
			return requests(m, 10_000, t0, 10*time.Second, 20)
		}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			out, err := New(params("http://127.0.0.1:1/db", mode.env, nil))
			if err != nil {
				b.Fatal(err)
			}
			o := out.(*Output)
			builtins := metrics.RegisterBuiltins(metrics.NewRegistry())
			pool := mode.samples(builtins)
			b.ReportAllocs()
			b.ResetTimer()
			next := 0
			for done := 0; done < b.N; {
				n := min(256, b.N-done, len(pool)-next)
				o.AddSamples(pool[next : next+n])
				done += n
				next += n
				o.mu.Lock()
				if next == len(pool) {
					next = 0
					if o.agg != nil {
						o.flushAggregateLocked(math.MaxInt64)
					}
					o.sealLocked()
					// Time goes on, as in a run: the next pass is the
					// next 10 seconds.
					for i := range pool {
						pool[i].Time += int64(10 * time.Second)
					}
				}
				// Play the writers: forget what was sealed, and give its
				// buffer back as a writer does once a batch is sent.
				for _, bt := range o.pending {
					o.queued -= bt.points
					if len(o.spare) < maxSpare {
						o.spare = append(o.spare, bt.body[:0])
					}
				}
				o.pending = o.pending[:0]
				o.mu.Unlock()
			}
		})
	}
}

// simulateRun feeds an output the samples of a run of rate requests per
// second to endpoints URLs for secs seconds, in simulated time (the
// aggregate clock follows it), and returns the points and the bytes of
// line protocol the server got.
func simulateRun(t *testing.T, env map[string]string, rate, endpoints, secs int) (points, bytes int64) {
	t.Helper()
	f := newFakeInflux(t, nil)
	env["K6_INFLUXDB_PUSH_INTERVAL"] = "10ms"
	o, clock, t0 := startOnFakeClock(t, f.URL+"/db", env)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	base := metrics.NewTagSet(map[string]string{"scenario": "default", "method": "GET", "proto": "HTTP/1.1", "status": "200", "expected_response": "true"})
	trends := []*metrics.Metric{b.HTTPReqDuration, b.HTTPReqBlocked, b.HTTPReqConnecting, b.HTTPReqTLSHandshaking, b.HTTPReqSending, b.HTTPReqWaiting, b.HTTPReqReceiving}
	const step = 100 * time.Millisecond
	perStep := rate * int(step) / int(time.Second)
	var batch []metrics.Sample
	for s := range secs * int(time.Second/step) {
		stepStart := t0.Add(time.Duration(s) * step)
		for i := range perStep {
			req := s*perStep + i
			u := fmt.Sprintf("http://127.0.0.1:8080/api/%d", req%endpoints)
			tags := base.Extend(metrics.Tag{Key: "url", Value: u}, metrics.Tag{Key: "name", Value: u},
				metrics.Tag{Key: "vu", Value: fmt.Sprint(1 + req%20)}, metrics.Tag{Key: "iter", Value: fmt.Sprint(req / 20)})
			ts := stepStart.Add(time.Duration(i) * step / time.Duration(perStep)).UnixNano()
			batch = append(batch, metrics.Sample{Metric: b.HTTPReqs, Tags: tags, Time: ts, Value: 1},
				metrics.Sample{Metric: b.HTTPReqFailed, Tags: tags, Time: ts, Value: 0})
			for j, m := range trends {
				batch = append(batch, metrics.Sample{Metric: m, Tags: tags, Time: ts, Value: float64(j+1) * float64(1+req%37)})
			}
		}
		feed(o, batch)
		batch = batch[:0]
		clock.Store(stepStart.Add(step).UnixNano())
	}
	stopWithin(t, o, 10*time.Second)
	if r := o.Report(); r != "" {
		t.Errorf("Report() = %q", r)
	}
	return f.lines.Load(), f.bytes.Load()
}

// TestPointsPerSecond measures how many points each mode writes for a run
// of known request rate, the figures doc.go gives:
//
//	go test -run TestPointsPerSecond -v ./outputs/influxdb
func TestPointsPerSecond(t *testing.T) {
	const secs = 10
	var table strings.Builder
	fmt.Fprintf(&table, "%-6s %-9s %-8s %-9s %s\n", "req/s", "endpoints", "mode", "points/s", "KB/s")
	for _, tt := range []struct {
		rate, endpoints int
	}{{100, 1}, {1000, 1}, {1000, 10}, {5000, 10}} {
		raw, rawBytes := simulateRun(t, map[string]string{}, tt.rate, tt.endpoints, secs)
		if want := int64(9 * tt.rate * secs); raw != want {
			t.Errorf("raw mode, %d req/s: %d points, want %d (9 per request)", tt.rate, raw, want)
		}
		fmt.Fprintf(&table, "%-6d %-9d %-8s %-9d %.1f\n", tt.rate, tt.endpoints, "raw", raw/secs, float64(rawBytes)/secs/1000)
		for _, interval := range []time.Duration{time.Second, 10 * time.Second} {
			agg, aggBytes := simulateRun(t, map[string]string{"K6_INFLUXDB_AGGREGATE": interval.String()}, tt.rate, tt.endpoints, secs)
			// One point per metric (9), tag set (one per endpoint) and interval.
			if want := int64(9*tt.endpoints*secs) * int64(time.Second) / int64(interval); agg != want {
				t.Errorf("aggregate %v, %d req/s, %d endpoints: %d points, want %d", interval, tt.rate, tt.endpoints, agg, want)
			}
			fmt.Fprintf(&table, "%-6d %-9d %-8s %-9.1f %.1f\n", tt.rate, tt.endpoints, "agg "+interval.String(), float64(agg)/secs, float64(aggBytes)/secs/1000)
		}
	}
	t.Logf("points written per second of a %ds run (9 samples per request):\n%s", secs, table.String())
}
