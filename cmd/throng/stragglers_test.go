package main

import (
	"strings"
	"testing"
)

// TestTeardownRunsAfterExecTestAbort: exec.test.abort() in an iteration
// stops the run with exit 108 and the script's reason, the iteration that
// called it goes no further, no other iteration starts (with one VU), and
// teardown() still runs, once, with setup()'s data; the summary counts its
// request too. With several VUs under a duration, teardown runs once too.
func TestTeardownRunsAfterExecTestAbort(t *testing.T) {
	srv, rec := recordingServer(t)
	const lifecycle = `import http from 'k6/http';
import exec from 'k6/execution';
export function setup() { return { token: 'abc' }; }
let n = 0;
export default function () {
  http.get(__ENV.BASE + '/it');
  if (++n === 3 && __VU === 1) exec.test.abort('enough for today');
  http.get(__ENV.BASE + '/after');
}
export function teardown(data) { http.get(__ENV.BASE + '/td?t=' + data.token); }
`
	cases := []struct {
		name, options string
		its, afters   int // -1: not counted
	}{
		{"one VU, iterations", `{ vus: 1, iterations: 1000 }`, 3, 2},
		{"four VUs, duration", `{ vus: 4, duration: '10m' }`, -1, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec.mu.Lock()
			rec.seen = map[string]int{}
			rec.mu.Unlock()
			script := writeFile(t, "abort.js", "export const options = "+c.options+";\n"+lifecycle)
			r := runCLI(t, nil, nil, "run", "-q", "-e", "BASE="+srv.URL, script)
			if r.code != exitScriptAborted || !strings.Contains(r.stderr, "enough for today") {
				t.Fatalf("exit %d, want %d; stderr %q should give the script's reason", r.code, exitScriptAborted, r.stderr)
			}
			if n := rec.count("/td?t=abc"); n != 1 {
				t.Errorf("teardown ran %d times with setup()'s data, want once (server saw %v)", n, rec.seen)
			}
			its, afters := rec.count("/it"), rec.count("/after")
			if c.its >= 0 && (its != c.its || afters != c.afters) {
				t.Errorf("%d iterations started and %d finished, want %d and %d", its, afters, c.its, c.afters)
			}
			if got, want := summaryCount(t, r.stdout, "http_reqs"), int64(its+afters+1); got != want {
				t.Errorf("the summary counts %d requests, the server saw %d (teardown's included)", got, want)
			}
		})
	}
}

// TestDashboardWarnsWhenNotOnLoopback: a dashboard address that is not
// loopback, from --dashboard-addr or K6_WEB_DASHBOARD_HOST, gets a warning
// naming it; loopback ones do not. The non-loopback address is 192.0.2.1
// (TEST-NET-1, documentation only): no interface has it, so the listen
// fails (exit 104) after the warning and nothing is exposed to a network.
func TestDashboardWarnsWhenNotOnLoopback(t *testing.T) {
	script := writeFile(t, "one.js", "export default function () {}\n")
	const warning = "anyone who can reach this machine there can watch the test"
	cases := []struct {
		name    string
		environ []string
		args    []string
		warns   bool
	}{
		{"--dashboard-addr off loopback", nil, []string{"--dashboard-addr", "192.0.2.1:0"}, true},
		{"K6_WEB_DASHBOARD_HOST off loopback", []string{"K6_WEB_DASHBOARD=true", "K6_WEB_DASHBOARD_HOST=192.0.2.1", "K6_WEB_DASHBOARD_PORT=0"}, nil, true},
		{"--dashboard-addr 127.0.0.1", nil, []string{"--dashboard-addr", "127.0.0.1:0"}, false},
		{"--dashboard-addr localhost", nil, []string{"--dashboard-addr", "localhost:0"}, false},
		{"K6_WEB_DASHBOARD default host", []string{"K6_WEB_DASHBOARD=true", "K6_WEB_DASHBOARD_PORT=0"}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"run", "-q", "-i", "1"}, c.args...), script)
			r := runCLI(t, c.environ, nil, args...)
			warned := strings.Contains(r.stderr, "the dashboard listens on 192.0.2.1:0: "+warning)
			if c.warns {
				if !warned || r.code != exitInvalidConfig {
					t.Errorf("exit %d (want %d: the address cannot be bound here), stderr %q: want the warning naming 192.0.2.1:0", r.code, exitInvalidConfig, r.stderr)
				}
			} else if strings.Contains(r.stderr, warning) || r.code != 0 {
				t.Errorf("a loopback dashboard: exit %d, stderr %q: want 0 and no warning", r.code, r.stderr)
			}
		})
	}
}
