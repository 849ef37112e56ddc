package main

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestConstantArrivalRateOnTheRealClock: 200 iterations/s for 5 s against
// a loopback server. The count is printed; within 1% of 1000 is the bar.
func TestConstantArrivalRateOnTheRealClock(t *testing.T) {
	srv, served := countingServer(t)
	p := writeFile(t, "rate.js", `import http from 'k6/http';
export const options = { scenarios: { steady: {
  executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '5s', preAllocatedVUs: 20, maxVUs: 100 } } };
export default function () { http.get(__ENV.BASE); }`)
	r := runCLI(t, nil, nil, "run", "-q", "-e", "BASE="+srv.URL, p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	iterations := summaryCount(t, r.stdout, "iterations")
	t.Logf("constant-arrival-rate 200/s for 5s: %d iterations, server served %d", iterations, served.Load())
	if math.Abs(float64(iterations)-1000) > 10 {
		t.Errorf("%d iterations, want 1000 ± 1%%", iterations)
	}
	if iterations != served.Load() {
		t.Errorf("iterations %d != requests served %d", iterations, served.Load())
	}
}

func TestAdhocURLRunCountsWhatTheServerServed(t *testing.T) {
	srv, served := countingServer(t)
	r := runCLI(t, nil, nil, "run", "-q", "--url", srv.URL+"/x", "-X", "POST", "-H", "X-A: 1", "--body", "hi",
		"-u", "3", "-i", "30", "--threshold", "http_req_duration: p(95)<10000", "--threshold", "checks{check:status is 2xx}: rate==1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	if n := summaryCount(t, r.stdout, "http_reqs"); n != 30 || served.Load() != 30 {
		t.Errorf("http_reqs %d, served %d, want 30", n, served.Load())
	}
	if !strings.Contains(r.stdout, "✓ status is 2xx") || !strings.Contains(r.stdout, "'p(95)<10000'") {
		t.Errorf("summary:\n%s", r.stdout)
	}
	rated := runCLI(t, nil, nil, "run", "-q", "--url", srv.URL, "--rate", "50/s", "-d", "1s", "-u", "2")
	if rated.code != 0 {
		t.Fatalf("--rate: exit %d: %s", rated.code, rated.stderr)
	}
	if n := summaryCount(t, rated.stdout, "iterations"); n < 45 || n > 55 {
		t.Errorf("--rate 50/s for 1s ran %d iterations", n)
	}
	bad := runCLI(t, nil, nil, "run", "--url", "ftp://x", "-i", "1")
	if bad.code != exitInvalidConfig || !strings.Contains(bad.stderr, "--url") {
		t.Errorf("bad URL: exit %d, %q", bad.code, bad.stderr)
	}
}

func TestScenariosExecEnvTagsAndStartTime(t *testing.T) {
	srv, _ := countingServer(t)
	p := writeFile(t, "sc.js", `import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
export const options = { scenarios: {
  writers: { executor: 'per-vu-iterations', vus: 2, iterations: 3, exec: 'write', env: { KIND: 'w' }, tags: { role: 'writer' } },
  readers: { executor: 'shared-iterations', vus: 1, iterations: 4, exec: 'read', startTime: '200ms' },
}, thresholds: { 'http_reqs{role:writer}': ['count==6'], 'http_reqs{scenario:readers}': ['count==4'] } };
export function write() {
  check(__ENV.KIND, { 'writer env': (k) => k === 'w' && exec.scenario.name === 'writers' });
  http.get(__ENV.BASE + '/w');
}
export function read() {
  check(__ENV.KIND, { 'reader env': (k) => k === undefined && exec.scenario.name === 'readers' });
  http.get(__ENV.BASE + '/r');
}`)
	r := runCLI(t, nil, nil, "run", "-e", "BASE="+srv.URL, p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	for _, want := range []string{"2 scenarios", "* readers:", "* writers:", "startTime: 200ms", "✓ writer env", "✓ reader env"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestOptionLayersAndMixingErrors(t *testing.T) {
	srv, _ := countingServer(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.json")
	os.WriteFile(cfg, []byte(`{"iterations": 2, "vus": 1}`), 0o644)
	p := writeFile(t, "s.js", `import http from 'k6/http';
export const options = { iterations: 3 };
export default function () { http.get(__ENV.BASE); }`)
	cases := []struct {
		environ []string
		args    []string
		reqs    int64
	}{
		{nil, []string{"-c", cfg}, 3},                             // the script beats the config file
		{[]string{"THRONG_ITERATIONS=4"}, []string{"-c", cfg}, 4}, // the environment beats the script
		{[]string{"K6_ITERATIONS=5"}, nil, 5},                     // K6_* names work too
		{[]string{"THRONG_ITERATIONS=4"}, []string{"-i", "6"}, 6}, // flags beat everything
	}
	for _, c := range cases {
		r := runCLI(t, c.environ, nil, append(append([]string{"run", "-q", "-e", "BASE=" + srv.URL}, c.args...), p)...)
		if r.code != 0 || summaryCount(t, r.stdout, "http_reqs") != c.reqs {
			t.Errorf("%v %v: exit %d, want %d requests\n%s%s", c.environ, c.args, r.code, c.reqs, r.stdout, r.stderr)
		}
	}
	mixed := writeFile(t, "m.js", `export const options = { duration: '10s', scenarios: { a: { executor: 'constant-vus', duration: '1s' } } };
export default function () {}`)
	if r := runCLI(t, nil, nil, "run", mixed); r.code != exitInvalidConfig || !strings.Contains(r.stderr, "scenarios") {
		t.Errorf("mixing shortcuts and scenarios: exit %d, %q", r.code, r.stderr)
	}
	noFn := writeFile(t, "n.js", `export const options = { scenarios: { a: { executor: 'shared-iterations', exec: 'missing' } } };
export default function () {}`)
	if r := runCLI(t, nil, nil, "run", noFn); r.code != exitInvalidConfig || !strings.Contains(r.stderr, `"missing"`) {
		t.Errorf("missing exec function: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, []string{"THRONG_DURATION=soon"}, nil, "run", p); r.code != exitInvalidConfig || !strings.Contains(r.stderr, "THRONG_DURATION") {
		t.Errorf("bad env value: exit %d, %q", r.code, r.stderr)
	}
}

func TestInspectPrintsOptionsAndPlan(t *testing.T) {
	p := writeFile(t, "i.js", `export const options = { scenarios: {
  a: { executor: 'constant-vus', vus: 5, duration: '1m' },
  b: { executor: 'constant-arrival-rate', rate: 10, duration: '30s', preAllocatedVUs: 2, maxVUs: 8, startTime: '1m30s' } } };
export default function () {}`)
	r := runCLI(t, nil, nil, "inspect", p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out struct {
		Options map[string]any `json:"options"`
		Plan    struct {
			MaxVUs      int64  `json:"maxVUs"`
			MaxDuration string `json:"maxDuration"`
			Scenarios   []struct {
				Name string `json:"name"`
			} `json:"scenarios"`
		} `json:"plan"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	// a runs 1m + 30s graceful stop = 1m30s, then b starts: the VUs are reused.
	if out.Plan.MaxVUs != 8 || out.Plan.MaxDuration != "2m30s" || len(out.Plan.Scenarios) != 2 || out.Options["scenarios"] == nil {
		t.Errorf("inspect: %+v", out)
	}
}
