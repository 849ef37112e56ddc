package report_test

import (
	"math"
	"os"
	"testing"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs/report"
)

// The report charts throng's own memory: a 2-minute run has one RSS point
// and one Go heap point per bucket, each a plausible size, and the totals
// are their peaks.
func TestReportMemorySeriesHasOnePointPerBucket(t *testing.T) {
	s := newSynthetic()
	r := runSynthetic(t, s, report.New(report.Config{Meta: testMeta}), 120, 50)
	html, err := r.out.Finish(r.summary)
	if err != nil {
		t.Fatal(err)
	}
	d := reportData(t, html)
	n := len(d.Series.Reqs)
	if n != 120 || len(d.Series.RSS) != n || len(d.Series.Heap) != n {
		t.Fatalf("%d buckets, %d RSS points, %d heap points; want 120 of each", n, len(d.Series.RSS), len(d.Series.Heap))
	}
	_, statm := os.Stat("/proc/self/statm")
	const mb = 1 << 20
	check := func(name string, c report.Column, lo, total float64) {
		t.Helper()
		for i, v := range c {
			if math.IsNaN(v) || v < lo || v > 64<<30 {
				t.Fatalf("%s, bucket %d: %v bytes, want between %v and 64 GB", name, i, v, lo)
			}
		}
		if peak := maxOf(c); !within(total, peak, 1e-3) {
			t.Errorf("%s: total %v, want the peak of its series %v", name, total, peak)
		}
		t.Logf("%s: %d points, %.1f to %.1f MB", name, len(c), minOf(c)/mb, maxOf(c)/mb)
	}
	// The Go heap of a test binary that has aggregated 6,000 requests is
	// at least a few hundred kilobytes; its RSS at least a few megabytes.
	check("Go heap in use", d.Series.Heap, 256<<10, d.Totals.Heap)
	if statm != nil {
		t.Logf("no /proc/self/statm (%v): RSS is not read here", statm)
		if !math.IsNaN(d.Series.RSS[0]) || d.Totals.RSS != 0 {
			t.Errorf("RSS without /proc: %v, total %v; want null and 0", d.Series.RSS[0], d.Totals.RSS)
		}
		return
	}
	check("RSS", d.Series.RSS, 4*mb, d.Totals.RSS)
}

func minOf(c report.Column) float64 {
	m := math.Inf(1)
	for _, v := range c {
		if !math.IsNaN(v) {
			m = min(m, v)
		}
	}
	return m
}

// Memory is read once per second of samples, however many samples the
// second has and however they are batched; when buckets merge, a bucket
// keeps the peak of its seconds' readings; a reading without RSS (not
// Linux) leaves the RSS points null.
func TestAggregatorReadsMemoryOncePerSecond(t *testing.T) {
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	agg := report.NewAggregator(4)
	rss := []float64{5, 9, 2, 7, 3, 1, 8, 6, 4}
	reads := 0
	report.SetMemoryReader(agg, func() (float64, float64) {
		reads++
		v := rss[(reads-1)%len(rss)]
		if reads == 9 {
			return math.NaN(), 2 * v
		}
		return v * 1e6, 2 * v * 1e6
	})
	const t0 = int64(1_700_000_000) * 1e9
	var batch []metrics.Sample
	for sec := range int64(9) {
		for i := range int64(100) {
			batch = append(batch, metrics.Sample{Metric: b.HTTPReqs, Time: t0 + sec*1e9 + i*1e7, Value: 1})
			if len(batch) == 30 { // batches straddle the seconds
				agg.Add(batch)
				batch = batch[:0]
			}
		}
	}
	agg.Add(batch)
	// A late sample of an earlier second reads nothing.
	agg.Add([]metrics.Sample{{Metric: b.HTTPReqs, Time: t0 + 2e9, Value: 1}})
	if reads != 9 {
		t.Errorf("%d readings for 9 seconds of 900 samples, want 9", reads)
	}
	d := agg.Snapshot(0)
	// 9 seconds in room for 4 buckets: 3 buckets of 4 s.
	if d.Series.Width != 4 || len(d.Series.RSS) != 3 || len(d.Series.Heap) != 3 {
		t.Fatalf("%d RSS and %d heap points in buckets of %d s, want 3 of 4 s", len(d.Series.RSS), len(d.Series.Heap), d.Series.Width)
	}
	want := []float64{9e6, 8e6, math.NaN()} // peaks of 5,9,2,7 / 3,1,8,6 / none
	for i, w := range want {
		got := d.Series.RSS[i]
		if (math.IsNaN(w) != math.IsNaN(got)) || (!math.IsNaN(w) && got != w) {
			t.Errorf("RSS of bucket %d: %v, want %v", i, got, w)
		}
	}
	if h := (report.Column{18e6, 16e6, 8}); d.Series.Heap[0] != h[0] || d.Series.Heap[1] != h[1] || d.Series.Heap[2] != h[2] {
		t.Errorf("heap points %v, want %v", d.Series.Heap, h)
	}
	if d.Totals.RSS != 9e6 || d.Totals.Heap != 18e6 {
		t.Errorf("totals: RSS %v, heap %v; want the peaks 9e6 and 18e6", d.Totals.RSS, d.Totals.Heap)
	}
}
