// Package prometheus is the prometheus-rw output: it sends the run's
// metrics to a Prometheus remote-write endpoint (Prometheus itself started
// with --web.enable-remote-write-receiver, Mimir, Thanos, VictoriaMetrics,
// Grafana Cloud…), with the series names of k6's experimental-prometheus-rw
// output, so that dashboards made for k6 (such as Grafana's "k6
// Prometheus") work unchanged.
//
//	throng run -o prometheus-rw=http://127.0.0.1:9090/api/v1/write script.js
//
// # Series
//
// Every series is named with k6's prefix k6_ and the metric's name:
//
//	Counter  k6_<name>_total    cumulative: the sum of the samples since the start
//	Gauge    k6_<name>          the last value
//	Rate     k6_<name>_rate     cumulative: non-zero samples / all samples
//	Trend    k6_<name>_<stat>   one gauge per stat of PROMETHEUS_RW_TREND_STATS
//	                            (k6_http_req_duration_p99, k6_…_avg), computed
//	                            over the samples of the push interval alone
//
// Trend stats of durations are in seconds, as k6 sends them and as
// Prometheus's conventions ask (throng measures milliseconds); a count stays
// a count. The stats come from a metrics.Histogram per series and interval,
// within 0.4% of the exact percentile. (k6 computes them over the whole run
// so far; throng's per-interval stats show what happened in each interval,
// which a percentile over everything since the start hides after a while.)
//
// The labels are the sample's tags, less vu, iter and url (one series per
// VU, iteration or URL would overwhelm Prometheus; name, which groups URLs,
// stays) and less empty values. Tag keys are made valid label names: any
// character outside [a-zA-Z0-9_] becomes "_", a leading digit gets "_"
// before it, and a key starting with "__" (reserved) gets "tag" before it.
// Label values are sent as they are (invalid UTF-8 replaced).
//
// Cumulative series keep their state for the whole run. A push carries the
// series that got samples since the previous one, each stamped with its
// newest sample's time in milliseconds (kept strictly increasing per series,
// so no push is refused as out of order). At most 100,000 series are kept;
// samples of further series are dropped and counted.
//
// # Settings
//
// Each is read from THRONG_<NAME>, then from K6_<NAME>:
//
//	PROMETHEUS_RW_SERVER_URL                the endpoint, when -o gives none;
//	                                        default http://localhost:9090/api/v1/write
//	PROMETHEUS_RW_PUSH_INTERVAL             default 5s (a duration, or milliseconds)
//	PROMETHEUS_RW_TREND_STATS               comma-separated avg, min, med, max, count,
//	                                        sum, p(N); default p(99). p(99.9) is
//	                                        sent as k6_<name>_p999
//	PROMETHEUS_RW_USERNAME, _PASSWORD       HTTP basic authentication (user:password@
//	                                        in the URL works too)
//	PROMETHEUS_RW_BEARER_TOKEN              Authorization: Bearer (not with basic)
//	PROMETHEUS_RW_INSECURE_SKIP_TLS_VERIFY  true to accept any server certificate
//	PROMETHEUS_RW_DROP_TAGS                 throng's own: the tags left out of the
//	                                        labels, comma-separated; default vu,iter,url
//
// Credentials are never printed: the banner's description and every message
// show the URL without user information or query.
//
// # Delivery
//
// AddSamples only folds samples into the per-series state; a goroutine of
// the output pushes every interval, so the network never blocks the run.
// A push is split into requests of at most 2,000 series; a request that
// meets a connection error, 429 or 5xx is retried with a doubling backoff
// (100 ms to 2 s) while the interval lasts; other answers (400, 401…) are
// not retried. A failed request's cumulative series go again with the next
// push (their value is the total, so nothing is lost); its Trend stats are
// lost. Start sends an empty write: if the server does not answer it, one
// warning is printed and the run goes on (the whole output warns once).
// Stop pushes the final state, waiting at most for the request under way
// (each request is bounded by 10 s; a push under way retries no more) plus
// 5 s for the final push. Failed requests ("pushes failed"), undelivered
// series values, dropped samples and retries are reported in the summary;
// retries alone read "3 retries (every push was delivered)".
//
// # Encoding
//
// The body is the remote-write 1.0 protocol: a prometheus.WriteRequest in
// protobuf, compressed with snappy's block format, sent with the headers
// Content-Encoding: snappy, Content-Type: application/x-protobuf and
// X-Prometheus-Remote-Write-Version: 0.1.0.
//
// The four small messages the output needs (WriteRequest, TimeSeries,
// Label, Sample) are encoded with
// google.golang.org/protobuf/encoding/protowire, the wire-format package of
// the official Go protobuf module, in a few dozen lines (encode.go), and
// decoded back with the same package in the tests. Importing prompb from
// github.com/prometheus/prometheus would pull in Prometheus's whole module
// graph and the unmaintained gogo/protobuf, for four structs. Snappy comes
// from github.com/klauspost/compress/snappy, the maintained
// snappy-compatible implementation (its output is snappy's block format,
// which any snappy decoder reads), rather than the older
// github.com/golang/snappy.
package prometheus
