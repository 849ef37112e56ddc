package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// okServer answers 200 to everything, and 500 on /fail.
func okServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(500)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestExitCodes(t *testing.T) {
	srv := okServer(t)
	cases := []struct {
		name, script string
		args         []string
		code         int
		stderr       string
	}{
		{"thresholds pass", `import http from 'k6/http';
export const options = { iterations: 5, thresholds: { http_req_failed: ['rate<0.01'], http_reqs: ['count==5'] } };
export default function () { http.get(__ENV.BASE); }`, nil, 0, ""},
		{"thresholds crossed", `import http from 'k6/http';
export const options = { iterations: 5, thresholds: { http_req_failed: ['rate<0.01'] } };
export default function () { http.get(__ENV.BASE + '/fail'); }`, nil, 99, "some thresholds have failed"},
		{"no-thresholds", `import http from 'k6/http';
export const options = { iterations: 2, thresholds: { http_req_failed: ['rate<0.01'] } };
export default function () { http.get(__ENV.BASE + '/fail'); }`, []string{"--no-thresholds"}, 0, ""},
		{"abortOnFail", `import http from 'k6/http';
export const options = { duration: '1m', thresholds: { http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }] } };
export default function () { http.get(__ENV.BASE + '/fail'); }`, nil, 99, "abortOnFail"},
		{"unknown metric", `export const options = { thresholds: { nope: ['avg<1'] } };
export default function () {}`, nil, 104, `no metric is called "nope"`},
		{"wrong aggregation", `export const options = { thresholds: { http_reqs: ['p(95)<1'] } };
export default function () {}`, nil, 104, "p(95) does not apply to http_reqs"},
		{"malformed threshold", `export const options = { thresholds: { http_req_duration: ['p95 < 1'] } };
export default function () {}`, nil, 104, `threshold "p95 < 1" on "http_req_duration"`},
		{"bad trend stats", `export default function () {}`, []string{"--summary-trend-stats", "avg,p(200)"}, 104, "p(200)"},
		{"script exception in init", "const x = null;\nx.y;\nexport default function () {}", nil, 107, "script.js:2:"},
		{"exec.test.abort", `import exec from 'k6/execution';
export const options = { duration: '1m' };
export default function () { exec.test.abort('enough'); }`, nil, 108, "enough"},
		{"exec.test.abort in init", `import exec from 'k6/execution';
exec.test.abort('no setup');
export default function () {}`, nil, 108, "no setup"},
		{"exec.test.fail", `import exec from 'k6/execution';
export const options = { iterations: 3 };
export default function () { if (__ITER === 0) exec.test.fail('bad data'); }`, nil, 110, "bad data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, "script.js", c.script)
			args := append([]string{"run", "-q", "-e", "BASE=" + srv.URL}, c.args...)
			start := time.Now()
			r := runCLI(t, nil, nil, append(args, p)...)
			if r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
				t.Fatalf("exit %d, want %d; stderr %q should contain %q\nstdout:\n%s", r.code, c.code, r.stderr, c.stderr, r.stdout)
			}
			if c.code == 99 || c.code == 108 {
				if !strings.Contains(r.stdout, "vus_max") && c.name != "exec.test.abort in init" {
					t.Errorf("no summary after the stop:\n%s", r.stdout)
				}
				if time.Since(start) > 40*time.Second {
					t.Errorf("a 1m run that should have stopped early ran %s", time.Since(start))
				}
			}
		})
	}
}

// TestSIGINTToTheProcessExits105 builds throng and interrupts it by PID.
func TestSIGINTToTheProcessExits105(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "throng")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	p := writeFile(t, "s.js", "import { sleep } from 'k6';\nexport default function () { sleep(0.1); }\n")
	cmd := exec.Command(bin, "run", "-u", "2", "-d", "10m", p)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(700 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("throng did not stop within 30s of SIGINT")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitExternalAbort {
		t.Fatalf("exit %d, want 105\nstderr: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "iterations") {
		t.Errorf("no summary after SIGINT:\n%s", out.String())
	}
}

func TestSummaryFlagsAndSubmetricLines(t *testing.T) {
	srv := okServer(t)
	p := writeFile(t, "s.js", `import http from 'k6/http';
export const options = { iterations: 4, thresholds: {
  'http_req_duration{name:home}': ['p(95)<10000'], http_req_duration: ['max<10000'] } };
export default function () { http.get(__ENV.BASE, { tags: { name: 'home' } }); }`)
	r := runCLI(t, nil, nil, "run", "-q", "-e", "BASE="+srv.URL, "--summary-trend-stats", "avg,p(99.9),count", "--summary-time-unit", "ms", p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"✓ http_req_duration", "{ name:home }", "p(99.9)=", "count=4", "✓ 'p(95)<10000' p(95)=", "ms"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, args := range [][]string{{"--no-summary"}, {"--summary-mode", "disabled"}} {
		r := runCLI(t, nil, nil, append(append([]string{"run", "-q", "-e", "BASE=" + srv.URL}, args...), p)...)
		if r.code != 0 || strings.Contains(r.stdout, "http_reqs") {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
}

func TestSummaryExportAndJUnit(t *testing.T) {
	srv := okServer(t)
	dir := t.TempDir()
	p := writeFile(t, "s.js", `import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 20, thresholds: { http_req_duration: ['p(90)<10000'], checks: ['rate>0.9'] } };
export default function () {
  const r = http.get(__ENV.BASE);
  check(r, { 'is 200': (r) => r.status === 200, 'never': () => false });
}`)
	export, junit := filepath.Join(dir, "out", "summary.json"), filepath.Join(dir, "junit.xml")
	r := runCLI(t, nil, nil, "run", "-q", "-e", "BASE="+srv.URL, "--summary-export", export, "--junit", junit, p)
	if r.code != 99 {
		t.Fatalf("exit %d (checks rate 50%% must fail the threshold): %s", r.code, r.stderr)
	}
	ex := readExport(t, export)
	raw, _ := os.ReadFile(export)
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil || doc["version"] == nil {
		t.Fatalf("export is not versioned JSON: %v", err)
	}
	// Parsed back, the histogram gives the percentiles the run reported.
	sink, err := ex.Sink("http_req_duration")
	if err != nil {
		t.Fatal(err)
	}
	trend := sink.(*metrics.TrendSink)
	values := ex.Metrics["http_req_duration"].Values
	if trend.Count() != 20 || trend.Percentile(90) != values["p(90)"] || trend.Percentile(95) != values["p(95)"] || trend.Mean() != values["avg"] {
		t.Errorf("rebuilt trend: count %d p90 %v p95 %v avg %v; export values %v", trend.Count(), trend.Percentile(90), trend.Percentile(95), trend.Mean(), values)
	}
	xmlRaw, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(xmlRaw, &suites); err != nil {
		t.Fatalf("JUnit is not XML: %v", err)
	}
	got := map[string][2]int{}
	for _, s := range suites.Suites {
		got[s.Name] = [2]int{s.Tests, s.Failures}
	}
	if got["thresholds"] != [2]int{2, 1} || got["checks"] != [2]int{2, 1} {
		t.Errorf("JUnit suites %v, want thresholds 2 tests 1 failure, checks 2 tests 1 failure", got)
	}
}

func TestHandleSummary(t *testing.T) {
	srv := okServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "report.txt")
	p := writeFile(t, "s.js", `import http from 'k6/http';
import { textSummary } from 'https://jslib.k6.io/k6-summary/0.0.1/index.js';
export const options = { iterations: 3 };
export default function () { http.get(__ENV.BASE); }
export function handleSummary(data) {
  return {
    stdout: 'custom: ' + data.metrics.http_reqs.values.count + ' requests\n',
    [__ENV.OUT]: textSummary(data, { indent: ' ', enableColors: false }),
  };
}`)
	r := runCLI(t, nil, nil, "run", "-q", "-e", "BASE="+srv.URL, "-e", "OUT="+out, p)
	if r.code != 0 || r.stdout != "custom: 3 requests\n" {
		t.Fatalf("exit %d, stdout %q (handleSummary must replace the summary)\n%s", r.code, r.stdout, r.stderr)
	}
	text, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(text), "http_reqs") {
		t.Errorf("report file: %v\n%s", err, text)
	}

	broken := writeFile(t, "b.js", `import http from 'k6/http';
export const options = { iterations: 2, thresholds: { http_reqs: ['count>100'] } };
export default function () { http.get(__ENV.BASE); }
export function handleSummary(data) { throw new Error('summary broke'); }`)
	r = runCLI(t, nil, nil, "run", "-q", "-e", "BASE="+srv.URL, broken)
	if r.code != 99 || !strings.Contains(r.stderr, "summary broke") || !strings.Contains(r.stdout, "http_reqs") {
		t.Errorf("exit %d (want 99), stderr %q, stdout:\n%s", r.code, r.stderr, r.stdout)
	}
}
