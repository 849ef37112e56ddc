// Package report is the html output: a self-contained HTML report of a
// run, and a live web dashboard that shows the same charts while the run
// goes on.
//
// One Aggregator consumes the run's sample batches (as an outputs.Output,
// through the outputs.Manager) and keeps per-second buckets: request and
// failure counts, a compact mergeable histogram of http_req_duration for
// the percentiles (to 2%, see latencies), responses per status, VUs, iterations, checks and bytes
// sent and received, plus the run's totals and one row per request name
// and method. With the first sample of each second it also reads throng's
// own memory (RSS from /proc/self/statm on Linux, the Go heap in use from
// runtime/metrics, neither of which stops the world) into that second's
// bucket, for the chart "throng memory (RSS, Go heap)": one reading per
// second, not per sample. It never keeps samples. Past DefaultMaxBuckets buckets,
// adjacent buckets merge pairwise and each covers twice the time, so a
// 24-hour run gives a report of the same order of size as a 1-hour one.
//
// The report and the dashboard are one page (assets/page.html,
// report.js, report.css) drawn from one Data value by uPlot, which is
// vendored from npm (uplot 1.6.32, MIT, assets/uPlot.LICENSE) and inlined:
// a report opens from a file without a network. The report embeds the
// whole Data, including the end-of-run summary (verdict, thresholds,
// checks, every metric, the text summary) that the caller hands to
// Output.Finish. The dashboard serves the page on loopback and pushes the
// buckets that changed every second as server-sent events; at the end it
// pushes the summary and the report, which the page offers for download
// even after throng has exited.
package report
