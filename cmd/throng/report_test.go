package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throng-dev/throng/outputs/report"
)

const reportScript = `
import http from 'k6/http';
import { check } from 'k6';
export const options = {
  thresholds: {
    http_req_failed: ['rate<0.5'],
    http_reqs: ['count>1000000'],
  },
};
export default function () {
  const res = http.get(__ENV.BASE + '/ok', { tags: { name: 'ok' } });
  check(res, { 'is 200': (r) => r.status === 200 });
  http.get(__ENV.BASE + '/fail', { tags: { name: 'fail' } });
}
`

var reportDataRE = regexp.MustCompile(`(?s)<script>window\.THRONG_REPORT = (.*?);</script>`)

func readReport(t *testing.T, path string) (report.Data, []byte) {
	t.Helper()
	html, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := reportDataRE.FindSubmatch(html)
	if m == nil {
		t.Fatalf("%s: no report data in %d bytes", path, len(html))
	}
	var d report.Data
	if err := json.Unmarshal(m[1], &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d, html
}

// --report, -o html=FILE and k6's K6_WEB_DASHBOARD_EXPORT write the same
// report, whose numbers and verdict are the run's, as the summary export
// records them.
func TestReportFlagAndHTMLOutput(t *testing.T) {
	srv := okServer(t)
	dir := t.TempDir()
	script := writeFile(t, "report.js", reportScript)
	files := []string{filepath.Join(dir, "flag.html"), filepath.Join(dir, "out", "o.html"), filepath.Join(dir, "k6.html")}
	export := filepath.Join(dir, "export.json")
	r := runCLI(t, []string{"K6_WEB_DASHBOARD_EXPORT=" + files[2]}, nil, "run", "-q", "-u", "2", "-i", "30", "-e", "BASE="+srv.URL,
		"--report", files[0], "-o", "html="+files[1], "--summary-export", export, script)
	if r.code != exitThresholdsFailed {
		t.Fatalf("exit %d, want %d (count>1000000 fails)\nstderr:\n%s", r.code, exitThresholdsFailed, r.stderr)
	}
	if !strings.Contains(r.stdout, "http_reqs") {
		t.Errorf("the text summary is missing:\n%s", r.stdout)
	}
	ex := readExport(t, export)
	d, first := readReport(t, files[0])
	for _, f := range files[1:] {
		if _, html := readReport(t, f); !bytes.Equal(html, first) {
			t.Errorf("%s differs from %s", f, files[0])
		}
	}
	if d.Totals.Reqs != 60 || d.Totals.Reqs != ex.Metrics["http_reqs"].Values["count"] || d.Totals.Failed != 30 {
		t.Errorf("report: %v requests, %v failed; export %v requests", d.Totals.Reqs, d.Totals.Failed, ex.Metrics["http_reqs"].Values["count"])
	}
	if d.Totals.Status["200"] != 30 || d.Totals.Status["500"] != 30 || len(d.Endpoints) != 2 {
		t.Errorf("statuses %v, %d endpoint rows", d.Totals.Status, len(d.Endpoints))
	}
	if d.Summary == nil || !d.Done {
		t.Fatal("the report has no summary")
	}
	ths := d.Summary.Data.Metrics["http_reqs"].Thresholds
	if th, ok := ths["count>1000000"]; !ok || th.OK {
		t.Errorf("http_reqs thresholds in the report: %+v", ths)
	}
	if th := d.Summary.Data.Metrics["http_req_failed"].Thresholds["rate<0.5"]; th.OK {
		t.Errorf("http_req_failed rate<0.5 with half the requests failing should fail: %+v", th)
	}
	var opts struct{ Thresholds map[string][]string }
	json.Unmarshal(d.Meta.Options, &opts)
	if d.Meta.Title != script || !strings.HasPrefix(d.Meta.Generator, "throng") || !strings.Contains(string(d.Meta.Plan), `"maxVUs":2`) ||
		len(opts.Thresholds["http_reqs"]) != 1 {
		t.Errorf("meta: title %q, generator %q, plan %s, options %s", d.Meta.Title, d.Meta.Generator, d.Meta.Plan, d.Meta.Options)
	}
	if !strings.Contains(d.Summary.Text, "✗ 'count>1000000'") || strings.Contains(d.Summary.Text, "\x1b[") {
		t.Errorf("the report's text summary is not the plain summary:\n%s", d.Summary.Text)
	}
	if regexp.MustCompile(`<(script|link)[^>]+(src|href)="https?:`).Match(first) {
		t.Error("the report loads something from the network")
	}
}

func TestReportFlagErrors(t *testing.T) {
	srv := okServer(t)
	script := writeFile(t, "report.js", reportScript)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"html without a file", []string{"-o", "html"}, "-o html=FILE.html"},
		{"a bad address", []string{"--dashboard-addr", "nowhere"}, "--dashboard-addr \"nowhere\""},
		{"a port in use", []string{"--dashboard-addr", busy.Addr().String()}, "dashboard: listen tcp " + busy.Addr().String()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"run", "-q", "-i", "1", "-e", "BASE=" + srv.URL}, c.args...)
			r := runCLI(t, nil, nil, append(args, script)...)
			if r.code != exitInvalidConfig || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, want %d with %q\nstderr:\n%s", r.code, exitInvalidConfig, c.want, r.stderr)
			}
		})
	}
	// inspect prepares a run too, but serves no dashboard: a port in use
	// does not matter to it.
	host, port, _ := net.SplitHostPort(busy.Addr().String())
	env := []string{"K6_WEB_DASHBOARD=true", "K6_WEB_DASHBOARD_HOST=" + host, "K6_WEB_DASHBOARD_PORT=" + port}
	if r := runCLI(t, env, nil, "inspect", script); r.code != 0 {
		t.Errorf("inspect with K6_WEB_DASHBOARD=true: exit %d\n%s", r.code, r.stderr)
	}
}

// syncBuffer is a bytes.Buffer that a running throng writes while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// --dashboard-addr serves the running test: the page, then updates with
// the run's requests, then the verdict and the report as the run ends.
func TestDashboardFlagServesTheRun(t *testing.T) {
	srv := okServer(t)
	script := writeFile(t, "report.js", reportScript)
	var stdout, stderr syncBuffer
	e := &env{stdout: &stdout, stderr: &stderr}
	code := make(chan int, 1)
	go func() {
		code <- Main([]string{"run", "-q", "-u", "1", "-d", "3s", "-e", "BASE=" + srv.URL, "--dashboard-addr", "127.0.0.1:0", script}, e)
	}()
	url := waitForDashboard(t, &stderr, code)
	page, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET %s: %s %s", url, page.Status, page.Header.Get("Content-Type"))
	}
	resp, err := http.Get(url + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sawRequests bool
	var done struct {
		Data   report.Data
		Report string
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for event := ""; sc.Scan(); {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "update":
			var d report.Data
			json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &d)
			sawRequests = sawRequests || d.Totals.Reqs > 0
		case strings.HasPrefix(line, "data: ") && event == "done":
			json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &done)
		}
	}
	if got := <-code; got != exitThresholdsFailed {
		t.Errorf("exit %d, want %d\nstderr:\n%s", got, exitThresholdsFailed, stderr.String())
	}
	if !sawRequests {
		t.Error("no update showed requests while the test ran")
	}
	if !done.Data.Done || done.Data.Summary == nil || !strings.HasPrefix(done.Report, "<!doctype html>") {
		t.Errorf("the done event lacks the verdict or the report: done %v, %d bytes of report", done.Data.Done, len(done.Report))
	}
	if reqs := done.Data.Summary.Data.Metrics["http_reqs"].Values["count"]; reqs == 0 || reqs != done.Data.Totals.Reqs {
		t.Errorf("final data: %v requests, summary %v", done.Data.Totals.Reqs, reqs)
	}
}

// waitForDashboard reads the dashboard's URL from throng's stderr.
func waitForDashboard(t *testing.T, stderr *syncBuffer, code chan int) string {
	t.Helper()
	re := regexp.MustCompile(`dashboard: (http://127\.0\.0\.1:\d+/)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case c := <-code:
			t.Fatalf("throng exited %d before serving a dashboard:\n%s", c, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no dashboard URL on stderr within 30 s:\n%s", stderr.String())
	return ""
}
