package samplegen

import (
	"time"

	"github.com/throng-dev/throng/metrics"
)

// GetIterations makes the samples of n iterations of bench/get-check.js,
// spread evenly over span from start, as throng emits them by default: the 9 of
// the request on a new *TagSet per request (expected_response, method,
// name, proto, scenario, status, url), then checks, data_sent,
// data_received, iterations and iteration_duration on the VU's shared
// sets. Times are milliseconds made from nanosecond durations.
func GetIterations(b *metrics.Builtins, n int, start time.Time, span time.Duration) []metrics.Sample {
	const url = "http://127.0.0.1:40000/"
	scenario := metrics.NewTagSet(map[string]string{"scenario": "default"})
	check := scenario.With("check", "is status 200")
	trends := []*metrics.Metric{b.HTTPReqDuration, b.HTTPReqBlocked, b.HTTPReqConnecting, b.HTTPReqTLSHandshaking, b.HTTPReqSending, b.HTTPReqWaiting, b.HTTPReqReceiving}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	out := make([]metrics.Sample, 0, 14*n)
	step := int64(span) / int64(max(n, 1))
	for i := range n {
		tags := scenario.Extend(metrics.Tag{Key: "expected_response", Value: "true"}, metrics.Tag{Key: "method", Value: "GET"},
			metrics.Tag{Key: "name", Value: url}, metrics.Tag{Key: "proto", Value: "HTTP/1.1"},
			metrics.Tag{Key: "status", Value: "200"}, metrics.Tag{Key: "url", Value: url})
		ts := start.UnixNano() + int64(i)*step
		d := time.Duration(150_000 + i*7919%900_000)
		out = append(out, metrics.Sample{Metric: b.HTTPReqs, Tags: tags, Time: ts, Value: 1},
			metrics.Sample{Metric: b.HTTPReqFailed, Tags: tags, Time: ts, Value: 0})
		for j, m := range trends {
			v := 0.0
			switch j {
			case 0:
				v = ms(d)
			case 4, 6:
				v = ms(d / 50)
			case 5:
				v = ms(d - d/25)
			}
			out = append(out, metrics.Sample{Metric: m, Tags: tags, Time: ts, Value: v})
		}
		out = append(out, metrics.Sample{Metric: b.Checks, Tags: check, Time: ts + 1000, Value: 1},
			metrics.Sample{Metric: b.DataSent, Tags: scenario, Time: ts + 2000, Value: 65},
			metrics.Sample{Metric: b.DataReceived, Tags: scenario, Time: ts + 2000, Value: 130},
			metrics.Sample{Metric: b.Iterations, Tags: scenario, Time: ts + 2000, Value: 1},
			metrics.Sample{Metric: b.IterationDuration, Tags: scenario, Time: ts + 2000, Value: ms(d + 20_000)})
	}
	return out
}
