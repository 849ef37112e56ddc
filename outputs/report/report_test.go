package report_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs/report"
	"github.com/throng-dev/throng/outputs/summary"
)

// twoMinuteBound is the most a 2-minute report may weigh: the page's code
// (about 70 KB, most of it uPlot) and 120 one-second buckets. A report
// that carried samples instead of aggregates would be megabytes.
const twoMinuteBound = 128 << 10

// The report of a 2-minute run stays small and says what the summary
// export says: the same counts, the same percentiles (both come from
// metrics.Histogram), the same statuses, checks and verdicts.
func TestReportTwoMinuteRunMatchesSummaryExport(t *testing.T) {
	s := newSynthetic()
	r := runSynthetic(t, s, report.New(report.Config{Meta: testMeta}), 120, 50)
	html, err := r.out.Finish(r.summary)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report of a 2-minute run at 50 requests/s: %s (bound %s)", kb(len(html)), kb(twoMinuteBound))
	if len(html) > twoMinuteBound {
		t.Errorf("the report is %s, more than %s", kb(len(html)), kb(twoMinuteBound))
	}
	var buf bytes.Buffer
	if err := summary.WriteExport(&buf, r.snap, summary.Options{TrendStats: []string{"avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"}}, summary.ExportMeta{}); err != nil {
		t.Fatal(err)
	}
	export, err := summary.ReadExport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	d := reportData(t, html)

	if len(d.Series.Reqs) != 120 || d.Series.Width != 1 {
		t.Errorf("series: %d buckets of %d s, want 120 of 1 s", len(d.Series.Reqs), d.Series.Width)
	}
	counts := []struct {
		name            string
		total, inSeries float64
		want            float64
	}{
		{"http_reqs", d.Totals.Reqs, sum(d.Series.Reqs), export.Metrics["http_reqs"].Values["count"]},
		{"http_req_failed", d.Totals.Failed, sum(d.Series.Failed), export.Metrics["http_req_failed"].Values["passes"]},
		{"iterations", d.Totals.Iters, sum(d.Series.Iters), export.Metrics["iterations"].Values["count"]},
		{"data_sent", d.Totals.Sent, sum(d.Series.Sent), export.Metrics["data_sent"].Values["count"]},
		{"data_received", d.Totals.Received, sum(d.Series.Received), export.Metrics["data_received"].Values["count"]},
		{"checks passed", d.Totals.ChecksOK, sum(d.Series.ChecksOK), export.Metrics["checks"].Values["passes"]},
		{"checks failed", d.Totals.ChecksKO, sum(d.Series.ChecksKO), export.Metrics["checks"].Values["fails"]},
		{"vus peak", d.Totals.VUs, maxOf(d.Series.VUs), export.Metrics["vus"].Values["max"]},
	}
	for _, c := range counts {
		if c.total != c.want || c.inSeries != c.want {
			t.Errorf("%s: report total %v, sum of its series %v, summary export %v", c.name, c.total, c.inSeries, c.want)
		}
	}
	dur := export.Metrics["http_req_duration"].Values
	stats := map[string][2]float64{
		"avg": {d.Totals.Duration.Avg, dur["avg"]}, "min": {d.Totals.Duration.Min, dur["min"]},
		"med": {d.Totals.Duration.Med, dur["med"]}, "max": {d.Totals.Duration.Max, dur["max"]},
		"p(90)": {d.Totals.Duration.P90, dur["p(90)"]}, "p(95)": {d.Totals.Duration.P95, dur["p(95)"]},
		"p(99)": {d.Totals.Duration.P99, dur["p(99)"]}, "count": {float64(d.Totals.Duration.Count), dur["count"]},
	}
	for name, v := range stats {
		if v[0] != v[1] {
			t.Errorf("http_req_duration %s: report %v, summary export %v", name, v[0], v[1])
		}
	}
	for code, n := range export.Throng.StatusCodes {
		if d.Totals.Status[code] != float64(n) || sum(d.Series.Status[code]) != float64(n) {
			t.Errorf("status %s: report %v (series %v), export %d", code, d.Totals.Status[code], sum(d.Series.Status[code]), n)
		}
	}
	if len(d.Totals.Status) != len(export.Throng.StatusCodes) {
		t.Errorf("statuses: report %v, export %v", d.Totals.Status, export.Throng.StatusCodes)
	}
	checkEndpoints(t, d, export)
	checkVerdict(t, d, export)
}

func maxOf(c report.Column) float64 {
	m := math.Inf(-1)
	for _, v := range c {
		if !math.IsNaN(v) {
			m = max(m, v)
		}
	}
	return m
}

// checkEndpoints: the rows add up to every request, each row's
// percentiles are its own (login is the slowest), and failures add up.
func checkEndpoints(t *testing.T, d report.Data, export *summary.Export) {
	t.Helper()
	if len(d.Endpoints) != len(endpoints) {
		t.Fatalf("%d endpoint rows, want %d: %+v", len(d.Endpoints), len(endpoints), d.Endpoints)
	}
	var count uint64
	var failed float64
	rows := map[string]report.Endpoint{}
	for _, e := range d.Endpoints {
		count += e.Duration.Count
		failed += e.Failed
		rows[e.Method+" "+e.Name] = e
	}
	if float64(count) != export.Metrics["http_reqs"].Values["count"] || failed != export.Metrics["http_req_failed"].Values["passes"] {
		t.Errorf("rows add up to %d requests and %v failures; export has %v and %v", count, failed,
			export.Metrics["http_reqs"].Values["count"], export.Metrics["http_req_failed"].Values["passes"])
	}
	login, items := rows["POST login"], rows["GET items"]
	if !(login.Duration.P95 > items.Duration.P95 && login.Duration.Med > items.Duration.Med) {
		t.Errorf("login (40 ms base) should be slower than items (12 ms base): %+v vs %+v", login.Duration, items.Duration)
	}
}

// checkVerdict: the summary the report embeds carries the export's
// verdicts and values, and its text names every threshold.
func checkVerdict(t *testing.T, d report.Data, export *summary.Export) {
	t.Helper()
	if d.Summary == nil || d.Summary.Data == nil || !d.Done {
		t.Fatal("the report has no summary")
	}
	n := 0
	for name, m := range export.Metrics {
		for expr, want := range m.Thresholds {
			n++
			got, ok := d.Summary.Data.Metrics[name].Thresholds[expr]
			if !ok || got.OK != want.OK || (got.Value == nil) != (want.Value == nil) || (got.Value != nil && *got.Value != *want.Value) {
				t.Errorf("threshold %s %q: report %+v, export %+v", name, expr, got, want)
			}
			if !strings.Contains(d.Summary.Text, expr) {
				t.Errorf("the summary text lacks threshold %q", expr)
			}
		}
	}
	if n != 4 {
		t.Errorf("%d thresholds in the export, want 4", n)
	}
	if export.Metrics["http_req_failed"].Thresholds["rate<0.01"].OK {
		t.Error("http_req_failed rate<0.01 should fail: about one request in eleven fails")
	}
}

// A day-long run keeps a bounded number of buckets: merged pairwise as it
// goes, every count still adds up, and the report stays well under a
// megabyte and a half.
func TestReportDayLongRunStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("feeds 24 hours of samples")
	}
	s := newSynthetic()
	out := report.New(report.Config{Meta: testMeta})
	const seconds = 24 * 3600
	var reqs float64
	for sec := range seconds {
		batch := s.second(sec, 1)
		out.AddSamples(batch)
		for _, x := range batch {
			if x.Metric == s.b.HTTPReqs {
				reqs += x.Value
			}
		}
	}
	html, err := out.Report(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := reportData(t, html)
	t.Logf("report of a 24-hour run: %s, %d buckets of %d s", kb(len(html)), len(d.Series.Reqs), d.Series.Width)
	if d.Series.Width != 32 || len(d.Series.Reqs) > report.DefaultMaxBuckets || len(d.Series.Reqs) != seconds/32 {
		t.Errorf("%d buckets of %d s, want %d of 32 s", len(d.Series.Reqs), d.Series.Width, seconds/32)
	}
	if sum(d.Series.Reqs) != reqs || d.Totals.Reqs != reqs {
		t.Errorf("requests: series %v, totals %v, fed %v", sum(d.Series.Reqs), d.Totals.Reqs, reqs)
	}
	if len(html) > 1536<<10 {
		t.Errorf("the 24-hour report is %s, over 1.5 MB", kb(len(html)))
	}
}

// Merging buckets pairwise keeps every count and gives the percentiles of
// all the values of the merged seconds, not an average of percentiles.
func TestAggregatorMergesBucketsPairwise(t *testing.T) {
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	agg := report.NewAggregator(4)
	var all metrics.Histogram
	const t0 = int64(1_700_000_000) * 1e9
	for sec := range int64(9) {
		for i := range int64(sec + 1) {
			v := float64(10*sec + i)
			all.Add(v)
			agg.Add([]metrics.Sample{
				{Metric: b.HTTPReqs, Time: t0 + sec*1e9 + i, Value: 1},
				{Metric: b.HTTPReqDuration, Time: t0 + sec*1e9 + i, Value: v},
			})
		}
	}
	d := agg.Snapshot(0)
	// 9 seconds with room for 4 buckets: widths 1, 2, then 4 from second 8 on.
	if d.Series.Width != 4 || len(d.Series.Reqs) != 3 {
		t.Fatalf("%d buckets of %d s, want 3 of 4 s", len(d.Series.Reqs), d.Series.Width)
	}
	want := report.Column{1 + 2 + 3 + 4, 5 + 6 + 7 + 8, 9}
	for i := range want {
		if d.Series.Reqs[i] != want[i] {
			t.Errorf("bucket %d: %v requests, want %v", i, d.Series.Reqs[i], want[i])
		}
	}
	var first metrics.Histogram
	for sec := range 4 {
		for i := range sec + 1 {
			first.Add(float64(10*sec + i))
		}
	}
	// A slot's latencies are kept to 2% (the chart's precision), and a
	// merged slot's as well as a one-second one's.
	if got, want := d.Series.P90[0], first.Quantile(0.9); !within(got, want, 0.02) {
		t.Errorf("p90 of the first merged bucket %v, want %v (over its values) within 2%%", got, want)
	}
	if d.Totals.Duration.P99 != all.Quantile(0.99) || d.Totals.Duration.Count != all.Count() {
		t.Errorf("totals %+v, want p99 %v of %d", d.Totals.Duration, all.Quantile(0.99), all.Count())
	}
	if d.Series.Gen != 2 {
		t.Errorf("gen %d after two merges, want 2", d.Series.Gen)
	}
}

// A report needs nothing from the network: no element loads a URL, and
// no stylesheet imports one. (The browser test also watches requests.)
func TestReportReferencesNoNetwork(t *testing.T) {
	s := newSynthetic()
	r := runSynthetic(t, s, report.New(report.Config{Meta: testMeta}), 5, 10)
	html, err := r.out.Finish(r.summary)
	if err != nil {
		t.Fatal(err)
	}
	loads := regexp.MustCompile(`(?i)<(script|link|img|iframe|source|embed|object)\b[^>]*\b(src|href|data)\s*=\s*["']?([^"' >]*)`)
	for _, m := range loads.FindAllSubmatch(html, -1) {
		if url := string(m[3]); !hasPrefixAny(url, "data:") {
			t.Errorf("<%s %s=%q> loads from outside the file", m[1], m[2], url)
		}
	}
	for _, bad := range []string{"@import", "url(http", "url(//", "fetch(", "XMLHttpRequest"} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("the report contains %q", bad)
		}
	}
	if !bytes.Contains(html, []byte("Copyright (c) 2022 Leon Sorokin")) {
		t.Error("the report carries uPlot without its MIT notice")
	}
	if n := bytes.Count(html, []byte("<script")); n != 3 {
		t.Errorf("%d script elements, want 3 inline ones (uPlot, the data, the page)", n)
	}
}

// Names from the script cannot break out of the page: a request named
// like markup is data, not markup.
func TestReportEscapesScriptText(t *testing.T) {
	meta := testMeta
	meta.Title = `</script><script>alert(1)</script>.js`
	out := report.New(report.Config{Meta: meta})
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	tags := metrics.NewTagSet(map[string]string{"name": "</script><b>x</b>", "method": "GET", "status": "200"})
	out.AddSamples([]metrics.Sample{{Metric: b.HTTPReqDuration, Tags: tags, Time: 1e18, Value: 3}})
	html, err := out.Report(nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(html, []byte("<script>alert")) || bytes.Contains(html, []byte("<b>x</b>")) {
		t.Errorf("script text reached the markup unescaped")
	}
	if d := reportData(t, html); d.Meta.Title != meta.Title || d.Endpoints[0].Name != "</script><b>x</b>" {
		t.Errorf("the data does not round-trip: %q, %+v", d.Meta.Title, d.Endpoints)
	}
}

// writeArtifact keeps a file for people to look at: under
// THRONG_TEST_ARTIFACTS when set (CI uploads it), else in the test's
// temporary folder.
func writeArtifact(t *testing.T, name string, b []byte) string {
	t.Helper()
	dir := os.Getenv("THRONG_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%s)", path, kb(len(b)))
	return path
}

// A script that requests a new URL each time, without a name tag, cannot
// grow the tables without limit: past the caps, names and statuses are
// counted together under "other", and nothing is lost.
func TestAggregatorCapsNamesAndStatuses(t *testing.T) {
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	agg := report.NewAggregator(0)
	const n = 500
	for i := range n {
		tags := metrics.NewTagSet(map[string]string{"method": "GET", "name": fmt.Sprint("/item/", i), "status": fmt.Sprint(100 + i)})
		agg.Add([]metrics.Sample{
			{Metric: b.HTTPReqs, Tags: tags, Time: 1e18, Value: 1},
			{Metric: b.HTTPReqDuration, Tags: tags, Time: 1e18, Value: 5},
		})
	}
	d := agg.Snapshot(0)
	var rows uint64
	var other report.Endpoint
	for _, e := range d.Endpoints {
		rows += e.Duration.Count
		if e.Name == "other" {
			other = e
		}
	}
	if len(d.Endpoints) != 201 || other.Duration.Count != n-200 || rows != n {
		t.Errorf("%d rows, %d requests in them, %d under other; want 201, %d, %d", len(d.Endpoints), rows, other.Duration.Count, n, n-200)
	}
	var statuses float64
	for _, v := range d.Totals.Status {
		statuses += v
	}
	if len(d.Totals.Status) != 41 || d.Totals.Status["other"] != n-40 || statuses != n || sum(d.Series.Status["other"]) != n-40 {
		t.Errorf("%d statuses, %v responses, %v under other; want 41, %d, %d", len(d.Totals.Status), statuses, d.Totals.Status["other"], n, n-40)
	}
}
