package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// pathRecorder counts the requests per path and query.
type pathRecorder struct {
	mu   sync.Mutex
	seen map[string]int
}

func recordingServer(t *testing.T) (*httptest.Server, *pathRecorder) {
	rec := &pathRecorder{seen: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.seen[r.URL.RequestURI()]++
		rec.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/fail") {
			w.WriteHeader(500)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func (r *pathRecorder) count(uri string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[uri]
}

func TestSetupDataReachesIterationsAndTeardown(t *testing.T) {
	srv, rec := recordingServer(t)
	p := writeFile(t, "s.js", `import http from 'k6/http';
export const options = { iterations: 6, vus: 2 };
export function setup() { http.get(__ENV.BASE + '/setup'); return { token: 'abc', list: [1, 2] }; }
export default function (data) { http.get(__ENV.BASE + '/it?t=' + data.token + data.list.length); }
export function teardown(data) { http.get(__ENV.BASE + '/td?t=' + data.token); }`)
	r := runCLI(t, nil, nil, "run", "-q", "-e", "BASE="+srv.URL, p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if rec.count("/setup") != 1 || rec.count("/it?t=abc2") != 6 || rec.count("/td?t=abc") != 1 {
		t.Fatalf("server saw %v", rec.seen)
	}
	if summaryCount(t, r.stdout, "http_reqs") != 8 {
		t.Errorf("setup and teardown requests are measured too:\n%s", r.stdout)
	}
}

func TestLifecycleFailures(t *testing.T) {
	srv, rec := recordingServer(t)
	cases := []struct {
		name, script string
		code         int
		stderr       string
		iterations   int
		teardowns    int
	}{
		{"setup throws", `import http from 'k6/http';
export const options = { iterations: 3 };
export function setup() { throw new Error('no fixtures'); }
export default function () { http.get(__ENV.BASE + '/it'); }
export function teardown() { http.get(__ENV.BASE + '/td'); }`, 107, "no fixtures", 0, 0},
		{"setup timeout", `import http from 'k6/http';
export const options = { iterations: 3, setupTimeout: '300ms' };
export function setup() { while (true) {} }
export default function () { http.get(__ENV.BASE + '/it'); }`, 100, "setupTimeout", 0, 0},
		{"teardown timeout", `import http from 'k6/http';
export const options = { iterations: 2, teardownTimeout: '300ms' };
export default function () { http.get(__ENV.BASE + '/it'); }
export function teardown() { while (true) {} }`, 101, "teardownTimeout", 2, 0},
		{"teardown after a threshold abort", `import http from 'k6/http';
export const options = { duration: '1m', thresholds: { http_req_failed: [{ threshold: 'rate==0', abortOnFail: true }] } };
export default function () { http.get(__ENV.BASE + '/fail'); }
export function teardown() { http.get(__ENV.BASE + '/td'); }`, 99, "abortOnFail", -1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec.mu.Lock()
			rec.seen = map[string]int{}
			rec.mu.Unlock()
			r := runCLI(t, nil, nil, "run", "-q", "-e", "BASE="+srv.URL, writeFile(t, "s.js", c.script))
			if r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
				t.Fatalf("exit %d, want %d; stderr %q should contain %q", r.code, c.code, r.stderr, c.stderr)
			}
			if c.iterations >= 0 && rec.count("/it") != c.iterations {
				t.Errorf("%d iterations ran, want %d", rec.count("/it"), c.iterations)
			}
			if rec.count("/td") != c.teardowns {
				t.Errorf("teardown ran %d times, want %d", rec.count("/td"), c.teardowns)
			}
		})
	}
}
