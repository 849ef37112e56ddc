// Package summary renders the end-of-test summary for a terminal, in k6's
// legacy layout (the one with dotted lines that k6 users read), from a
// metrics.Snapshot. Render is a pure function of the snapshot and Options:
// the caller decides about colours (--no-color, TTY) and validates user
// input early with ValidateTrendStats and ValidateTimeUnit.
//
// # Layout
//
// Examples below drop the five-column indent every line has. A blank
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
// Then one line per metric, sorted by name, the name padded with dots to
// three past the widest name (at least 28 columns, the width k6's
// "{ expected_response:true }" line gives every k6 HTTP summary). Columns
// align as in k6: Trend lines stat by stat, other lines value by value.
//
//	checks.........................: 99.99% ✓ 66110  ✗ 6
//	data_received..................: 11 MB  36 kB/s
//	http_req_duration..............: avg=47.04ms min=11.01ms med=30.07ms max=4.57s p(90)=83.87ms p(95)=99.23ms
//	http_reqs......................: 63163  210.54/s
//	vus............................: 10     min=10   max=10
//
// Values by metric type:
//
//   - Trend: the chosen stats as stat=value; count is an integer.
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
//
// # Beyond k6
//
// After a blank line, two lines in the same dotted style. "status codes"
// lists STATUS=COUNT in ascending order, wrapping under its first value past
// 120 columns. "errors" lists REASON=COUNT, most frequent first, comma
// separated; when that exceeds 120 columns it shows the total and lists
// one reason a line, counts right-aligned. Either says "none" when empty.
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
// line, as k6's does.
//
// # Where it differs from k6 on purpose
//
// Percentages are truncated with integer arithmetic, so 29 of 100 reads
// 29.00% (k6's float product shows 28.99%), and decimal truncation of
// durations likewise ignores binary rounding error.
package summary
