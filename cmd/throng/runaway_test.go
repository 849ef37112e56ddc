package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRunawayIterationIsInterruptedAtGracefulStop runs iterations that
// never return (while (true) {} after a request) under a closed and an
// open executor. goja's interrupt must end them when the scenario's
// gracefulStop has passed: the run ends normally (exit 0), within a
// generous bound of its 2s, and teardown() sees every such iteration
// counted as interrupted, none as completed. (An exception in setup()
// exiting 107 without any iteration, and teardown() after an abortOnFail
// stop, are TestLifecycleFailures' cases.)
func TestRunawayIterationIsInterruptedAtGracefulStop(t *testing.T) {
	for _, scenario := range []string{
		`{ executor: 'constant-vus', vus: 2, duration: '1s', gracefulStop: '1s' }`,
		`{ executor: 'constant-arrival-rate', rate: 2, timeUnit: '1s', duration: '1s', preAllocatedVUs: 2, maxVUs: 2, gracefulStop: '1s' }`,
	} {
		executor := scenario[strings.Index(scenario, "'")+1:]
		executor = executor[:strings.Index(executor, "'")]
		t.Run(executor, func(t *testing.T) {
			var mu sync.Mutex
			var started int
			var teardown string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				switch r.URL.Path {
				case "/it":
					started++
				case "/td":
					teardown = r.URL.RawQuery
				}
			}))
			defer srv.Close()
			p := writeFile(t, "runaway.js", `import http from 'k6/http';
import exec from 'k6/execution';
export const options = { scenarios: { runaway: `+scenario+` } };
export default function () { http.get(__ENV.BASE + '/it'); while (true) {} }
export function teardown() {
  http.get(__ENV.BASE + '/td?interrupted=' + exec.instance.iterationsInterrupted + '&completed=' + exec.instance.iterationsCompleted);
}`)
			start := time.Now()
			r := runCLI(t, nil, nil, "run", "-q", "-e", "BASE="+srv.URL, p)
			took := time.Since(start)
			if r.code != 0 {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if took > 30*time.Second {
				t.Errorf("the run took %s; its scenario lasts 1s and its graceful stop 1s", took)
			}
			mu.Lock()
			defer mu.Unlock()
			if want := "interrupted=2&completed=0"; started != 2 || teardown != want {
				t.Errorf("%d iterations started, teardown saw %q; want 2 and %q", started, teardown, want)
			}
			if strings.Contains(r.stdout, "iterations.....") {
				t.Errorf("an interrupted iteration counted as an iteration:\n%s", r.stdout)
			}
		})
	}
}
