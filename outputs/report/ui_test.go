package report_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/outputs/report"
)

// chartCheck is what the page shows of each chart, read from the live DOM:
// its canvas, and how many of its pixels have each line's colour.
type chartCheck struct {
	Points  int
	Canvas  bool
	Width   int
	Height  int
	Strokes []string
	Pixels  []int
}

// chartsJS reads every chart the page lists in window.throngStatus from
// the DOM: a chart counts as drawn when its canvas holds pixels of its
// lines' colours, not merely when the element exists.
const chartsJS = `(() => {
  const out = {};
  for (const [id, c] of Object.entries(window.throngStatus.charts)) {
    const canvas = document.querySelector('#' + id + ' canvas');
    const r = { points: c.points, canvas: !!canvas, width: canvas ? canvas.width : 0, height: canvas ? canvas.height : 0, strokes: c.strokes, pixels: [] };
    if (canvas && canvas.width && canvas.height) {
      const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const want = c.strokes.map(h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16)));
      r.pixels = want.map(() => 0);
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] < 200) continue;
        want.forEach((w, j) => {
          if (Math.abs(px[i] - w[0]) < 20 && Math.abs(px[i + 1] - w[1]) < 20 && Math.abs(px[i + 2] - w[2]) < 20) r.pixels[j]++;
        });
      }
    }
    out[id] = r;
  }
  return out;
})()`

// chartIDs are the charts every page draws; chart-memory is throng's own
// memory (RSS, Go heap), read once a second by the aggregator.
var chartIDs = []string{"chart-requests", "chart-latency", "chart-errors", "chart-vus", "chart-checks", "chart-data", "chart-memory"}

// checkCharts fails unless every chart has data and its first line is on
// its canvas.
func checkCharts(t *testing.T, b *browser) map[string]chartCheck {
	t.Helper()
	var charts map[string]chartCheck
	b.eval(chartsJS, &charts)
	for _, id := range chartIDs {
		c, ok := charts[id]
		switch {
		case !ok:
			t.Errorf("%s: not on the page", id)
		case !c.Canvas || c.Width == 0 || c.Height == 0:
			t.Errorf("%s: no canvas drawn (%+v)", id, c)
		case c.Points == 0:
			t.Errorf("%s: no data points", id)
		case len(c.Pixels) == 0 || c.Pixels[0] < 20:
			t.Errorf("%s: its first line (%v) is not on the canvas: pixels per line %v", id, c.Strokes, c.Pixels)
		}
	}
	t.Logf("charts: %+v", charts)
	return charts
}

// checkMemoryChart fails unless the memory chart is titled as such and
// has a point per bucket on each of its lines (RSS only where
// /proc/self/statm is).
func checkMemoryChart(t *testing.T, b *browser) {
	t.Helper()
	var got struct {
		Title                   string
		Points, Buckets, Series int
	}
	b.eval(`(() => {
	  const c = window.throngStatus.charts['chart-memory'];
	  return { title: document.querySelector('#chart-memory h3').textContent, points: c.points, buckets: c.buckets, series: c.series };
	})()`, &got)
	lines := 2
	if _, err := os.Stat("/proc/self/statm"); err != nil {
		lines = 1
	}
	if got.Title != "throng memory (RSS, Go heap)" || got.Series != 2 || got.Buckets == 0 || got.Points != lines*got.Buckets {
		t.Errorf("memory chart: %+v; want its title, 2 lines and %d points per bucket", got, lines)
	}
}

func checkNoProblems(t *testing.T, b *browser) {
	t.Helper()
	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(p, "\n"))
	}
}

// The report opens from a file in a real Chromium with the network
// blocked: every chart is drawn from the embedded data, the verdict and
// the tables are there, nothing is logged as an error, and no request
// leaves the file.
func TestReportInChromium(t *testing.T) {
	b := newBrowser(t, func(u *url.URL) bool { return u.Scheme == "file" || u.Scheme == "data" || u.Scheme == "blob" })
	s := newSynthetic()
	r := runSynthetic(t, s, report.New(report.Config{Meta: testMeta}), 120, 50)
	html, err := r.out.Finish(r.summary)
	if err != nil {
		t.Fatal(err)
	}
	path := writeArtifact(t, "report.html", html)
	abs, _ := filepath.Abs(path)
	b.navigate((&url.URL{Scheme: "file", Path: abs}).String())
	b.waitFor("the report is drawn", "window.throngStatus && window.throngStatus.ready")
	checkCharts(t, b)
	checkMemoryChart(t, b)

	var page struct {
		Verdict, VerdictClass string
		Thresholds, Endpoints int
		Summary               string
	}
	b.eval(`({
	  verdict: document.getElementById('verdict').textContent,
	  verdictClass: document.getElementById('verdict').className,
	  thresholds: document.querySelectorAll('#thresholds tbody tr').length,
	  endpoints: document.querySelectorAll('#endpoints tbody tr').length,
	  summary: document.querySelector('#summary pre').textContent,
	})`, &page)
	wantClass := "verdict passed"
	if r.snap.ThresholdsFailed() {
		wantClass = "verdict failed"
	}
	if page.VerdictClass != wantClass || page.Thresholds != 4 || page.Endpoints != len(endpoints) {
		t.Errorf("page shows %+v; want class %q, 4 thresholds, %d endpoint rows", page, wantClass, len(endpoints))
	}
	if page.Summary != r.summary.Text {
		t.Errorf("the page's summary differs from the terminal's:\n%s", page.Summary)
	}
	checkNoProblems(t, b)
	requests, blocked := b.pageRequests()
	if len(blocked) > 0 {
		t.Errorf("the report tried to reach the network: %v", blocked)
	}
	for _, u := range requests {
		if !hasPrefixAny(u, "file:", "data:", "blob:") {
			t.Errorf("the report requested %s", u)
		}
	}
	writeArtifact(t, "report.png", b.screenshot())

	// A run that made no request still gives a page that draws.
	empty, err := report.New(report.Config{Meta: testMeta}).Report(nil)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ = filepath.Abs(writeArtifact(t, "empty-report.html", empty))
	b.navigate((&url.URL{Scheme: "file", Path: abs}).String())
	b.waitFor("the empty report is drawn", fmt.Sprintf("window.throngStatus.ready && Object.keys(window.throngStatus.charts).length == %d", len(chartIDs)))
	checkNoProblems(t, b)
}

// The dashboard, opened while a run goes on, draws every chart, follows
// the run as buckets arrive, and at the end shows the verdict and offers
// the report for download from memory. Its page talks to nothing but the
// dashboard's own loopback address.
func TestDashboardInChromium(t *testing.T) {
	chromium(t) // skip before the run starts
	out := report.New(report.Config{Meta: testMeta, DashboardAddr: "127.0.0.1:0", UpdateInterval: 100 * time.Millisecond})
	s := newSynthetic()
	live := startSynthetic(t, s, out)
	t.Cleanup(out.Close)
	base, err := url.Parse(out.URL())
	if err != nil || base.Hostname() != "127.0.0.1" {
		t.Fatalf("dashboard URL %q: %v", out.URL(), err)
	}
	b := newBrowser(t, func(u *url.URL) bool {
		return u.Scheme == "data" || u.Scheme == "blob" || (u.Scheme == "http" && u.Host == base.Host)
	})
	live.push(0, 30, 20)
	b.navigate(out.URL())
	b.waitFor("the first 30 s are drawn", "window.throngStatus.ready && window.throngStatus.charts['chart-requests'].buckets >= 30")
	checkCharts(t, b)
	checkMemoryChart(t, b)

	live.push(30, 60, 20)
	b.waitFor("the page follows the run", "window.throngStatus.charts['chart-requests'].buckets >= 60")
	var verdict string
	b.eval(`document.getElementById('verdict').textContent`, &verdict)
	if verdict != "running" {
		t.Errorf("verdict during the run: %q, want running", verdict)
	}

	r := live.end(60)
	html, err := out.Finish(r.summary)
	if err != nil {
		t.Fatal(err)
	}
	b.waitFor("the verdict arrives", "window.throngStatus.done && window.throngStatus.reportURL")
	checkCharts(t, b)
	checkMemoryChart(t, b)
	var got struct {
		Class, Head string
		Size        int
	}
	b.eval(`(async () => {
	  const bytes = new Uint8Array(await (await fetch(window.throngStatus.reportURL)).arrayBuffer());
	  const head = new TextDecoder().decode(bytes.slice(0, 15));
	  return { class: document.getElementById('verdict').className, head: head, size: bytes.length };
	})()`, &got)
	if !strings.HasPrefix(got.Class, "verdict ") || got.Class == "verdict running" || got.Head != "<!doctype html>" || got.Size != len(html) {
		t.Errorf("after the run: verdict %q, report download starts %q, %d bytes (want %d)", got.Class, got.Head, got.Size, len(html))
	}
	checkNoProblems(t, b)
	requests, blocked := b.pageRequests()
	if len(blocked) > 0 {
		t.Errorf("the dashboard's page tried to leave its origin: %v", blocked)
	}
	t.Logf("the page made %d requests", len(requests))
	writeArtifact(t, "dashboard.png", b.screenshot())
}
