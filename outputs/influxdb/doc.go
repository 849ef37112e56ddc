// Package influxdb is the -o influxdb output: it streams the run's samples
// to InfluxDB 1.8 or 2.x, one point per sample or one aggregate point per
// metric, tag set and interval.
//
// # Address
//
//	-o influxdb=http://127.0.0.1:8086/DB            InfluxDB 1.8, database DB (default retention policy)
//	-o influxdb=http://127.0.0.1:8086/DB/RP         InfluxDB 1.8, database DB, retention policy RP
//	-o influxdb=http://user:pass@127.0.0.1:8086/DB  1.8 with authentication
//	-o influxdb=https://host:8086/BUCKET            InfluxDB 2.x (with INFLUXDB_ORGANIZATION and INFLUXDB_TOKEN)
//
// Writes go through the 2.x write API (POST /api/v2/write?bucket=…&org=…
// &precision=ns, the line protocol of influxdb-client-go's encoder, which a
// test checks), which InfluxDB 1.8 also serves: there the bucket is "DB/RP"
// and the token "user:password" (empty when authentication is off). A
// batch is sent as it was built, from a buffer reused for later batches. With -o influxdb and no address, INFLUXDB_ADDR gives it
// (default http://localhost:8086) and INFLUXDB_BUCKET the bucket.
//
// At Start the output pings the server. If it does not answer, Start warns
// once and the run goes on: points are queued and written when the server
// answers. When the server is a 1.x one (no organization set, or its
// X-Influxdb-Version says 1.x), Start also sends CREATE DATABASE "DB"
// through /query, and ignores a failure (the writes will report it).
//
// # Settings
//
// Each setting is read from the URL's query (?push_interval=500ms; the
// command line wins, as in k6), then THRONG_INFLUXDB_<NAME>, then
// K6_INFLUXDB_<NAME>. A bad value is an error that names the variable and
// the form it wants.
//
//	NAME                URL parameter       default      meaning
//	ORGANIZATION        organization        ""           2.x organization (1.8 ignores it)
//	BUCKET              bucket              URL path     the bucket when the URL has no path
//	TOKEN               token               ""           2.x API token, or user:password for 1.8
//	USERNAME, PASSWORD  username, password  ""           1.8 credentials, sent as the token user:password
//	PUSH_INTERVAL       push_interval       1s           how often the queued points are sent (≥ 10ms)
//	CONCURRENT_WRITES   concurrent_writes   4            write requests in flight at most (1–256)
//	TAGS_AS_FIELDS      tags_as_fields      vu,iter,url  tags written as fields, each NAME or NAME:int|float|bool|string
//	INSECURE            insecure            false        skip TLS certificate verification
//	AGGREGATE           aggregate           ""           interval of aggregate mode, e.g. 1s; empty: raw mode
//	QUEUE_POINTS        queue_points        1000000      points the queue holds before it drops
//	STOP_TIMEOUT        stop_timeout        30s          how long Stop waits for the queue to be written
//
// Credentials (the URL's user:password, the token) are sent only in the
// Authorization header and are never printed: Description() is
// "influxdb (http://127.0.0.1:8086/DB)".
//
// # Data model (raw mode, the default)
//
// Every sample is one point:
//
//	measurement  the metric's name (http_req_duration, http_reqs, checks, my_trend…)
//	tags         the sample's tags, less the tags-as-fields (and less empty values and a tag named "time",
//	             which line protocol cannot carry)
//	fields       value (float): the sample's value (milliseconds for times, bytes for data, 0/1 for rates);
//	             each tag-as-field the sample has: url as a string, vu and iter as integers when they
//	             parse as integers (else strings); a NAME:type entry uses that type the same way
//	time         the sample's time, nanosecond precision
//
// InfluxDB keeps one point per measurement, tag set and timestamp: when
// two samples of one series carry the same nanosecond (two VUs checking at
// once), the later one is written 1ns later rather than overwrite the
// first, so counts stay exact (the output remembers at least the last
// 21,845 points for this, in 2 MB).
//
// For example one request's http_reqs point:
//
//	http_reqs,method=GET,name=http://h/items,proto=HTTP/1.1,scenario=default,status=200 value=1,iter=7i,url="http://h/items",vu=3i 1700000000123456789
//
// url, vu and iter are fields because they are unbounded: as tags they
// would make one series per URL, VU and iteration and InfluxDB's index
// would grow without end. The name tag (the URL unless the script names
// it) stays a tag: group by it, filter by status, method, scenario, group,
// check and the script's own tags.
//
// # Data model (aggregate mode, INFLUXDB_AGGREGATE=1s)
//
// Per metric, tag set (tags-as-fields removed, and not written) and
// interval [k·I, (k+1)·I), one point at the interval's end with the
// fields:
//
//	count  integer, the samples folded in
//	sum    float, their sum
//	min    float
//	max    float
//	value  float: Counter: sum; Gauge: the last value (by sample time); Rate: sum/count; Trend: mean
//	p50, p90, p95, p99  Trends only: percentiles of the interval, from a metrics.Histogram (within 1%)
//
// so SUM("count") counts samples, SUM("sum") of http_reqs counts requests,
// and a Trend's "p95" is the interval's p95 (percentiles of different
// intervals cannot be merged: take MAX or MEAN of them over a longer span,
// or use raw mode for exact ones). An interval is written once the wall
// clock is 2s past its end (samples reach outputs in batches); a sample
// later than that counts in the first interval not yet written, so the
// counts stay exact while its time shifts. Stop writes the open intervals.
//
// # Points per second
//
// Each HTTP request emits 9 samples (http_reqs, http_req_failed,
// http_req_duration and the 6 phase trends), plus iterations,
// iteration_duration, data_sent, data_received, checks and vus as the
// script goes. Raw mode writes one point per sample: 9 points per request,
// about 200 bytes each. Aggregate mode writes 9 points per tag set (about
// one per endpoint and status) per interval, whatever the request rate.
// Measured by TestPointsPerSecond (a 10s run of known rate in simulated
// time, the points counted by a stand-in server):
//
//	go test -run TestPointsPerSecond -v ./outputs/influxdb
//
//	req/s  endpoints mode     points/s  KB/s
//	100    1         raw      900       185.4
//	100    1         agg 1s   9.0       2.3
//	100    1         agg 10s  0.9       0.2
//	1000   1         raw      9000      1862.5
//	1000   1         agg 1s   9.0       2.3
//	1000   1         agg 10s  0.9       0.2
//	1000   10        raw      9000      1862.5
//	1000   10        agg 1s   90.0      23.1
//	1000   10        agg 10s  9.0       2.3
//	5000   10        raw      45000     9347.6
//	5000   10        agg 1s   90.0      23.2
//	5000   10        agg 10s  9.0       2.4
//
// A real run agrees: throng with the influxdb output against the bench
// target, a constant-arrival-rate scenario of one GET and one check per
// iteration for 10s (14 samples per iteration: the 9 of the request,
// data_sent, data_received, checks, iterations, iteration_duration; plus
// vus and vus_max every second), into the InfluxDB of scripts/services.sh:
//
//	throng run -o influxdb=$THRONG_TEST_INFLUXDB_URL/e2e -e TARGET=http://ADDR/ rate.js
//	(rate.js: scenarios: {steady: {executor: 'constant-arrival-rate', rate: R, timeUnit: '1s', duration: '10s'}})
//	then SELECT count("value") FROM /.*/ (raw) or SELECT count("count"), sum("count") FROM /.*/ (aggregate)
//
//	req/s  mode     points in 10s  points/s
//	200    raw      28,022         2,802
//	200    agg 1s   175            17.5
//	2000   raw      280,022        28,002
//	2000   agg 1s   175            17.5  (sum of count: 280,022, every sample)
//
// The real InfluxDB 1.8.10 of scripts/services.sh, on the same 2-core
// machine, took 180,000–280,000 raw points/s from this output
// (go test -run '^$' -bench IntegrationWrite -benchtime 500000x
// ./outputs/influxdb), so raw mode suits up to a few thousand requests per
// second; above that, or for long runs, use INFLUXDB_AGGREGATE.
//
// Converting a sample costs the generator about 850 instructions (70–100
// ns, 5 bytes allocated) in raw mode for the samples of bench/get-check.js,
// 1,400 when every request has tags of its own (vu and iter as fields),
// and 2,750 in aggregate mode (go test -run '^$' -bench AddSamples
// -benchmem ./outputs/influxdb; instructions counted with callgrind, see
// bench/README.md). Most of it is writing the line: times in milliseconds
// are formatted from their integer count of millionths, the tags of a
// request are escaped once per distinct set, a timestamp shared by the
// samples of a request is formatted once, and batches reuse their buffers.
//
// # Delivery
//
// AddSamples never waits on the server: it converts the samples to line
// protocol and appends them to a bounded queue (QUEUE_POINTS points,
// counting those being written and, in aggregate mode, the open aggregate
// points). When the queue is full new points are dropped and counted, and
// a warning says so once. Every PUSH_INTERVAL (or as soon as 5,000 points
// are waiting) the queue is cut into a batch; CONCURRENT_WRITES writers
// send the batches, oldest first. A batch that fails with a connection
// error, a 5xx, 408 or 429 is retried after 100ms, 200ms, … up to 5s
// between tries (honouring Retry-After), for as long as the run lasts and
// Stop waits, so a database that comes back mid-run gets the queued data.
// A batch refused with another 4xx is not retried: one warning gives the
// server's message (401/403 point at the credentials).
//
// Stop writes what is queued, waiting up to STOP_TIMEOUT, then gives up.
// Report (shown in the summary) then reads, e.g.:
//
//	1200 points dropped (queue full), 350 points not delivered (server unreachable or too slow), 12 retries
//
// "" when every point was written at the first try, and "12 retries (every
// point was written)" when retries were needed but nothing was lost.
//
// # Testing
//
// The integration tests need a real InfluxDB 1.8.10:
//
//	eval "$(scripts/services.sh start && scripts/services.sh env)"
//	go test -race ./outputs/influxdb/
//	scripts/services.sh stop
//
// Without THRONG_TEST_INFLUXDB_URL they skip, or fail when
// THRONG_REQUIRE_SERVICES=1.
package influxdb
