// Package summary turns a run's metrics.Snapshot into what users read and
// keep: the end-of-test summary for a terminal in k6's legacy layout (the
// one with dotted lines), k6's handleSummary data object, a summary export
// file that later runs can merge, and JUnit XML for CI servers.
//
// Everything goes through one data model, Data, which is k6's handleSummary
// data: NewData builds it from a snapshot, a script's handleSummary may
// receive it (and hand it back), and Render draws it. RenderSnapshot does
// both steps for a run without handleSummary. Rendering is a pure function
// of its arguments: the caller decides about colours (--no-color, TTY) and
// validates user input early with ValidateTrendStats and ValidateTimeUnit.
//
// # Layout
//
// Examples below drop the five-column indent every line has (a one-space
// margin, which Options.Indent replaces, then four columns). A blank
// line, then the tree of groups and checks (omitted when there are
// none), root checks first, each group as "█ name" with its content two
// columns further in; a check that ever failed shows the share that
// passed, floored, and both counts:
//
//	✓ is status 201
//	✗ is status 200
//	 ↳  99% — ✓ 33052 / ✗ 6
//
//	█ login
//
//	  ✗ has token
//	   ↳  96% — ✓ 480 / ✗ 20
//
// Then one line per metric, sorted by name, each followed by its
// sub-metrics (sorted too), shown as "{ name:login }" two columns further
// in. Names are padded with dots to three past the widest name, indent
// included (at least 28 columns, the width k6's "{ expected_response:true }"
// line gives every k6 HTTP summary). Columns align as in k6: Trend lines
// stat by stat, other lines value by value.
//
// A metric or sub-metric with thresholds has a mark in the two columns
// before its name: ✓ when all pass, ✗ when one fails (other names keep two
// blanks, so names align). Under it, one line per threshold, two columns
// in from the name and sorted by expression, with the aggregate it was
// judged on, formatted like the metric's values; "(no data)" when the
// metric had no samples. This example drops three columns, not five, so
// that the marks show:
//
//	  checks.........................: 99.99% ✓ 66110  ✗ 6
//	  data_received..................: 11 MB  36 kB/s
//	✗ http_req_duration..............: avg=47.04ms min=11.01ms med=30.07ms max=4.57s p(90)=83.87ms p(95)=99.23ms
//	    ✗ 'p(95)<90' p(95)=99.23ms
//	  ✓ { name:login }...............: avg=31.2ms  min=11.01ms med=29.5ms  max=210ms p(90)=60.1ms  p(95)=70.3ms
//	      ✓ 'avg<100' avg=31.2ms
//	✓ http_req_failed................: 0.00%  ✓ 0      ✗ 63163
//	    ✓ 'rate<0.01' rate=0.00%
//	  http_reqs......................: 63163  210.54/s
//	✗ orders.........................: 0      0/s
//	    ✗ 'count>0' (no data)
//	  vus............................: 10     min=10   max=10
//
// A sub-metric whose parent is not listed (it had neither samples nor
// thresholds) shows its full name, "http_req_duration{name:login}".
//
// Values by metric type:
//
//   - Trend: the chosen stats as stat=value; count is an integer. A stat
//     the Data was built without reads "-".
//   - Counter: the total, then per second of the test's running time
//     (two decimals at most for plain counters; k6 prints six).
//   - Rate: the share of non-zero values truncated to two decimals, then
//     "✓ non-zero ✗ zero" (so for http_req_failed ✓ counts failures, as in
//     k6).
//   - Gauge: the last value, then min= and max=.
//
// Time values (milliseconds in metrics) read as k6 writes them: 0s, 812ns,
// 2.1µs, 47.04ms, 4.57s, 1m30s, 1h2m3s, truncated to two decimals, whole
// seconds past a minute; Options.TimeUnit forces s, ms or µs with two
// decimals. Data values are SI bytes (kB = 1000): 718 B, 4.9 kB, 1.0 MB,
// 11 MB. Plain values have up to six decimals, trailing zeros dropped.
// Threshold values follow the metric: p(95)=148.21ms, count=11 MB,
// rate=3.20% for a Rate, rate=24.5/s for a Counter, count=1000.
//
// # Beyond k6
//
// After a blank line, two lines in the same dotted style, from the data's
// "throng" key. "status codes" lists STATUS=COUNT in ascending order,
// wrapping under its first value past 120 columns. "errors" lists
// REASON=COUNT, most frequent first, comma separated; when that exceeds
// 120 columns it shows the total and lists one reason a line, counts
// right-aligned. Either says "none" when empty.
//
//	status codes...................: 200=30100 201=33052 404=11
//	errors.........................: connection refused=12, request timeout=3
//
//	errors.........................: 1015 total
//	  ↳ 1000 dial tcp 10.0.0.7:8080: connect: connection refused
//	  ↳   15 request timeout
//
// # Colours
//
// With colours on, ✓ lines and marks are green, ✗ red, values cyan, dots
// and labels (min=, avg=) faint. Widths are measured without colours, so
// both renderings line up the same. Unlike k6, the last column is not
// padded, so lines carry no trailing blanks. The summary ends with a blank
// line, as k6's does. Colours follow Options.NoColor alone, not the data's
// options.noColor, as k6's textSummary follows its enableColors.
//
// # The data object
//
// Data marshals to k6's handleSummary data, so k6 scripts read it as is:
//
//	{ "root_group": {"name": "", "path": "", "id": "<md5 of path>", "groups": [...],
//	                 "checks": [{"name", "path": "<group path>::<name>", "id", "passes", "fails"}]},
//	  "options":    {"summaryTrendStats": [...], "summaryTimeUnit": "", "noColor": false},
//	  "state":      {"isStdOutTTY", "isStdErrTTY", "testRunDurationMs"},
//	  "metrics":    {"http_req_duration{name:login}": {"type": "trend", "contains": "time",
//	                 "values": {"avg": 31.2, "p(95)": 70.3, ...},
//	                 "thresholds": {"avg<100": {"ok": true, "value": 31.2}}}, ...},
//	  "throng":     {"status_codes": {"200": 30100}, "errors": [{"reason": "...", "count": 12}]} }
//
// values: counter {count, rate (per second)}, gauge {value, min, max},
// rate {rate, passes, fails}, trend one key per summaryTrendStats entry.
// A threshold's "value" (beyond k6, which gives only "ok") is the aggregate
// it was judged on, null when the metric had no samples. Values that are
// not finite numbers (a script may record Infinity) are written as null,
// as JSON.stringify does, and read back as NaN.
//
// # Summary export
//
// WriteExport writes a JSON document (--summary-export) that keeps, besides
// the summary's values, each metric's exact aggregation state, so that
// exports of several runs or instances can be merged and summarised again
// as if they were one run. ReadExport reads it back; Export.Sink rebuilds a
// metric's sink, ready for metrics.Sink.Merge. The format, version 1:
//
//	version            1. ReadExport rejects any other version, and files
//	                   without one (such as k6's own --summary-export).
//	generator          "throng <version>" of the writer.
//	script             the script's path as given on the command line.
//	options            the run's options as JSON, verbatim in content.
//	scriptHash         hex SHA-256 of the bundled script (omitted if unknown).
//	segment, sequence  the execution segment the instance ran and its
//	                   sequence, e.g. "1/4:1/2" of "0,1/4,1/2,3/4,1";
//	                   omitted for an unsegmented run.
//	instance           the instance's id (--instance-id); omitted if none.
//	testRunDurationMs  the test's running time, in milliseconds; counter
//	                   rates are per second of it.
//	root_group         the groups and checks, as in the data object.
//	throng             status_codes and errors, as in the data object.
//	metrics            by name (sub-metrics as "metric{k:v}"), each with:
//	  type, contains   as in the data object.
//	  values           as in the data object, with the trend stats of the
//	                   options the export was written with.
//	  thresholds       by expression: {"ok": true|false, "value": number|null}.
//	                   "ok" is true when the threshold PASSED; k6's export
//	                   writes the inverted flag (true when it failed), this
//	                   one does not. Absent when the metric has none.
//	  sink             the mergeable state, by type:
//	    counter        {"sum", "first"}: the total, and the Unix time in
//	                   nanoseconds of the first sample (0: none).
//	    gauge          {"value", "min", "max", "last", "set"}: the latest
//	                   value, the extremes, the Unix nanoseconds of the
//	                   latest sample, and whether any sample came at all.
//	    rate           {"trues", "total"}: non-zero samples, all samples.
//	    trend          a log-linear histogram (metrics.HistogramData):
//	                   {"alpha", "count", "sum", "min", "max", "zeros",
//	                   "positive": {"offset", "counts"}, "negative": {...}}.
//	                   count, sum, min and max are exact. Bucket i holds
//	                   the values whose magnitude lies in (γ^(i-1), γ^i],
//	                   γ = (1+alpha)/(1-alpha), alpha = 0.004, and stands for
//	                   them all as 2γ^i/(γ+1), within 0.4% of each. counts[j]
//	                   is the number of values in bucket offset+j; positive
//	                   holds values > 0, negative the magnitudes of values
//	                   < 0, zeros the values whose magnitude is below 1e-9.
//	                   Percentiles interpolate between ranks as k6 does, so
//	                   a rebuilt sink gives exactly the original's; merging
//	                   adds counts bucket by bucket, without further loss.
//
// Unix nanoseconds exceed what a JavaScript number holds exactly; Go reads
// them exactly. A sink holding NaN or ±Inf cannot be written: JSON has no
// such numbers, and the export promises the exact state.
//
// # JUnit
//
// WriteJUnit writes <testsuites> with two suites whose time is the test's
// duration in seconds: "thresholds", one test case per threshold named
// "metric: expression" (a failed one has <failure type="threshold"
// message="p(95)=312.5ms, want p(95)<200">), and "checks", one test case
// per check named by its path ("::login::has token"), failed when the check
// ever failed (message "96.00% passed: ✓ 480 / ✗ 20"), the pass rate also
// in <system-out>.
//
// # Where it differs from k6 on purpose
//
// Percentages are truncated with integer arithmetic, so 29 of 100 reads
// 29.00% (k6's float product shows 28.99%), and decimal truncation of
// durations likewise ignores binary rounding error. Thresholds under a
// metric are sorted by expression, as Data keeps them in a map.
package summary
