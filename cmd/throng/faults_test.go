package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/throng-dev/throng/internal/faulttarget"
	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs/summary"
)

// startFaultTarget starts a fault target for the test and closes it at
// the end.
func startFaultTarget(t *testing.T, cfg faulttarget.Config) *faulttarget.Target {
	t.Helper()
	tg, err := faulttarget.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// faultRun is one throng run against a fault target, as the CLI reported
// it: the exit code and output, and the summary export read back.
type faultRun struct {
	result
	export *summary.Export
}

// runFaultScript runs script with URL set in __ENV and --summary-export.
func runFaultScript(t *testing.T, url, script string, args ...string) faultRun {
	t.Helper()
	export := filepath.Join(t.TempDir(), "summary.json")
	p := writeFile(t, "fault.js", script)
	all := append([]string{"run", "-q", "-e", "URL=" + url, "--summary-export", export}, args...)
	r := runCLI(t, nil, nil, append(all, p)...)
	if r.code != 0 && r.code != exitThresholdsFailed {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return faultRun{r, readExportFile(t, export)}
}

// errorCounts is the export's errors block as a map.
func (f faultRun) errorCounts() map[string]int64 {
	out := map[string]int64{}
	for _, e := range f.export.Throng.Errors {
		out[e.Reason] = e.Count
	}
	return out
}

// failed is http_req_failed's count of failed requests.
func (f faultRun) failed(t *testing.T) int64 {
	t.Helper()
	s, err := f.export.Sink("http_req_failed")
	if err != nil {
		t.Fatal(err)
	}
	return s.(*metrics.RateSink).Trues
}

// checkErrors compares the errors block, in the export and in the
// printed summary, with want.
func (f faultRun) checkErrors(t *testing.T, want map[string]int64) {
	t.Helper()
	got := f.errorCounts()
	for reason, n := range want {
		if got[reason] != n {
			t.Errorf("errors block: %q=%d, want %d (all: %v)", reason, got[reason], n, got)
		}
		if n > 0 && !strings.Contains(f.stdout, reason+"="+strconv.FormatInt(n, 10)) &&
			!strings.Contains(f.stdout, strconv.FormatInt(n, 10)+" "+reason) {
			t.Errorf("the printed summary does not name %s=%d:\n%s", reason, n, f.stdout)
		}
	}
	if len(got) != len(want) {
		t.Errorf("errors block %v, want only %v", got, want)
	}
}

// checkFailedAreErrors checks that every request that failed without a
// status is in the errors block, and in no status's count.
func (f faultRun) checkFailedAreErrors(t *testing.T) {
	t.Helper()
	var errs int64
	for _, n := range f.errorCounts() {
		errs += n
	}
	if failed := f.failed(t); failed != errs || len(f.export.Throng.StatusCodes) != 0 {
		t.Errorf("http_req_failed counts %d failed requests, the errors block %d, the status codes %v",
			failed, errs, f.export.Throng.StatusCodes)
	}
}

// faultScript requests path on every iteration with the given params.
func faultScript(options, path, params string) string {
	return fmt.Sprintf(`import http from 'k6/http';
export const options = %s;
export default function () { http.get(__ENV.URL + '%s', %s); }
`, options, path, params)
}

// TestFaultsAreCountedByReason runs one fault per case and compares the
// errors block with what the target injected: the run finishes, the
// failures make the http_req_failed threshold fail (exit 99), and each
// reason is named with the target's count.
func TestFaultsAreCountedByReason(t *testing.T) {
	const opts = `{ iterations: 6, vus: 2, thresholds: { http_req_failed: ['rate<0.01'] } }`
	cases := []struct {
		name, path, params string
		fault              faulttarget.Fault
		reason             string
	}{
		{"reset mid-response", "/reset", "{}", faulttarget.Reset, "connection reset by peer"},
		{"stall before headers", "/stall/headers", "{ timeout: '300ms' }", faulttarget.StallHeaders, "request timeout"},
		{"stall during the body", "/stall/body", "{ timeout: '300ms' }", faulttarget.StallBody, "request timeout"},
		{"malformed status line", "/malformed", "{}", faulttarget.Malformed, "malformed HTTP response"},
		{"10 GB body cut by the timeout", "/huge", "{ timeout: '300ms', responseType: 'none' }", faulttarget.HugeBody, "request timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := startFaultTarget(t, faulttarget.Config{})
			r := runFaultScript(t, tg.URL, faultScript(opts, c.path, c.params))
			if r.code != exitThresholdsFailed {
				t.Errorf("exit %d, want 99 (http_req_failed crossed)\n%s", r.code, r.stderr)
			}
			injected := tg.Count(c.fault)
			if injected != 6 {
				t.Errorf("the target injected %d, want one per iteration (%s)", injected, tg)
			}
			r.checkErrors(t, map[string]int64{c.reason: injected})
			r.checkFailedAreErrors(t)
			if n := exportCount(t, r.export, "http_reqs"); n != tg.Requests() {
				t.Errorf("http_reqs %d, the target read %d requests", n, tg.Requests())
			}
		})
	}
}

// TestRefusedConnectionsAreCounted: a closed port refuses every request;
// the target cannot count refusals, so the iterations are the truth.
func TestRefusedConnectionsAreCounted(t *testing.T) {
	url, err := faulttarget.RefusedURL()
	if err != nil {
		t.Fatal(err)
	}
	r := runFaultScript(t, url, faultScript(`{ iterations: 5, vus: 2, thresholds: { http_req_failed: ['rate<0.01'] } }`, "/", "{}"))
	if r.code != exitThresholdsFailed {
		t.Errorf("exit %d, want 99", r.code)
	}
	r.checkErrors(t, map[string]int64{"connection refused": 5})
	r.checkFailedAreErrors(t)
	if n := exportCount(t, r.export, "iterations"); n != 5 {
		t.Errorf("%d iterations, want 5", n)
	}
}

// TestEarlyClosedKeepAliveIsTransparent: a server that closes keep-alive
// connections after each response costs a new connection per request,
// and no error.
func TestEarlyClosedKeepAliveIsTransparent(t *testing.T) {
	tg := startFaultTarget(t, faulttarget.Config{})
	r := runFaultScript(t, tg.URL, faultScript(`{ iterations: 20, vus: 2, thresholds: { http_req_failed: ['rate==0'] } }`, "/close", "{}"))
	if r.code != 0 {
		t.Errorf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	r.checkErrors(t, map[string]int64{})
	closed := tg.Count(faulttarget.EarlyClose)
	if n := exportCount(t, r.export, "http_reqs"); n != 20 || closed != 20 || r.export.Throng.StatusCodes["200"] != 20 {
		t.Errorf("http_reqs %d, status codes %v; the target closed %d connections early (%s)", n, r.export.Throng.StatusCodes, closed, tg)
	}
	if tg.Connections() != closed {
		t.Errorf("%d connections for %d early-closed responses: a closed connection was reused or a request retried", tg.Connections(), closed)
	}
}

// TestEarlyClosedKeepAliveWithPOSTIsAccountedFor: a POST is not retried
// by Go's transport when it went out on a connection the server had just
// closed, so a few fail (how many depends on timing); every request is
// either a 200 the target sent or an error in the errors block.
func TestEarlyClosedKeepAliveWithPOSTIsAccountedFor(t *testing.T) {
	tg := startFaultTarget(t, faulttarget.Config{})
	r := runFaultScript(t, tg.URL, `import http from 'k6/http';
export const options = { iterations: 200, vus: 4 };
export default function () { http.post(__ENV.URL + '/close', 'x'); }
`)
	if r.code != 0 {
		t.Errorf("exit %d, want 0", r.code)
	}
	var errs int64
	for _, n := range r.errorCounts() {
		errs += n
	}
	ok := r.export.Throng.StatusCodes["200"]
	if ok != tg.Count(faulttarget.EarlyClose) || ok+errs != 200 || r.failed(t) != errs {
		t.Errorf("%d answered, %d errors %v, %d failed, of 200 requests; the target answered %d", ok, errs, r.errorCounts(), r.failed(t), tg.Count(faulttarget.EarlyClose))
	}
}

// TestEveryStatusClass requests one status of each class per iteration
// and compares the status codes block with what the target sent. An
// informational response is not a response to the script (the final
// 200 is); a redirect is one request, and following it another.
func TestEveryStatusClass(t *testing.T) {
	tg := startFaultTarget(t, faulttarget.Config{})
	codes := []int{100, 103, 200, 201, 204, 301, 302, 304, 307, 404, 429, 500, 503}
	var calls strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&calls, "  http.get(__ENV.URL + '/status/%d');\n", c)
	}
	r := runFaultScript(t, tg.URL, `import http from 'k6/http';
export const options = { iterations: 3, vus: 1 };
export default function () {
`+calls.String()+`}
`)
	if r.code != 0 {
		t.Errorf("exit %d, want 0", r.code)
	}
	want := map[string]int64{}
	for _, c := range codes {
		n := tg.Count(faulttarget.Status(c))
		if n != 3 {
			t.Errorf("the target sent %d %d, want 3", n, c)
		}
		switch {
		case c < 200:
			want["200"] += n
		case c == 301 || c == 302 || c == 307:
			want[strconv.Itoa(c)] += n
			want["200"] += n // the /ok it redirects to
		default:
			want[strconv.Itoa(c)] += n
		}
	}
	got := r.export.Throng.StatusCodes
	for code, n := range want {
		if got[code] != n {
			t.Errorf("status %s: %d in the summary, %d sent (summary %v)", code, got[code], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("status codes %v, want %v", got, want)
	}
	// 4xx and 5xx fail the request; they are statuses, not errors.
	r.checkErrors(t, map[string]int64{})
	if f := r.failed(t); f != want["404"]+want["429"]+want["500"]+want["503"] {
		t.Errorf("http_req_failed counts %d, want the 4xx and 5xx (%v)", f, want)
	}
	if !strings.Contains(r.stdout, "503=3") {
		t.Errorf("the printed status codes lack 503=3:\n%s", r.stdout)
	}
}

// TestSlowdownOnAScheduleTimesOut: the target answers at once, then, from
// a moment on, ten seconds late; with a 300ms timeout every delayed
// request is a timeout and every other one a 200.
func TestSlowdownOnAScheduleTimesOut(t *testing.T) {
	tg := startFaultTarget(t, faulttarget.Config{Slow: faulttarget.Step(700*time.Millisecond, 10*time.Second)})
	r := runFaultScript(t, tg.URL, faultScript(`{ vus: 2, duration: '2s' }`, "/slow", "{ timeout: '300ms' }"))
	if r.code != 0 {
		t.Errorf("exit %d, want 0", r.code)
	}
	slow := tg.Count(faulttarget.Slow)
	if slow == 0 {
		t.Fatalf("no request reached the slow phase (%s)", tg)
	}
	r.checkErrors(t, map[string]int64{"request timeout": slow})
	if ok := r.export.Throng.StatusCodes["200"]; ok != tg.Requests()-slow {
		t.Errorf("%d answered in time, the target answered %d of %d at once", ok, tg.Requests()-slow, tg.Requests())
	}
}

// TestStalledIterationsStopAtGracefulStop: iterations stuck in a stall
// with no timeout of their own are interrupted at the end of the
// scenario's gracefulStop; the cancelled requests are named, and the run
// ends long before the stall would.
func TestStalledIterationsStopAtGracefulStop(t *testing.T) {
	tg := startFaultTarget(t, faulttarget.Config{})
	start := time.Now()
	r := runFaultScript(t, tg.URL, `import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '1s', gracefulStop: '500ms' } } };
export default function () { http.get(__ENV.URL + '/stall/headers'); }
`)
	if r.code != 0 {
		t.Errorf("exit %d, want 0", r.code)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the run took %s; the stall lasts a minute, gracefulStop ends it after 1.5s", took)
	}
	stalled := tg.Count(faulttarget.StallHeaders)
	if stalled != 2 {
		t.Errorf("%d stalls, want one per VU (%s)", stalled, tg)
	}
	if _, ok := r.export.Metrics["iterations"]; ok {
		t.Errorf("%d iterations completed, want none", exportCount(t, r.export, "iterations"))
	}
	r.checkErrors(t, map[string]int64{"request canceled": stalled})
}

// TestHugeBodiesKeepMemoryFlat downloads a 1 GB body three times with
// responseType 'none' (or discardResponseBodies) through the built binary and checks that the
// process's peak resident memory (getrusage's ru_maxrss, which is
// /proc/PID/status's VmHWM read at the end) stays far below one body.
func TestHugeBodiesKeepMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads 3 GB over loopback")
	}
	tg := startFaultTarget(t, faulttarget.Config{})
	bin := buildThrong(t)
	export := filepath.Join(t.TempDir(), "summary.json")
	// The first request says responseType 'none', the others leave it to
	// the discardResponseBodies option.
	p := writeFile(t, "huge.js", `import http from 'k6/http';
export const options = { iterations: 3, vus: 1, discardResponseBodies: true };
export default function () {
  const params = __ITER === 0 ? { responseType: 'none', timeout: '5m' } : { timeout: '5m' };
  http.get(__ENV.URL + '/huge?size=1G', params);
}`)
	cmd := exec.Command(bin, "run", "-q", "-e", "URL="+tg.URL, "--summary-export", export, p)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	peakMB := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024 // kilobytes on Linux
	t.Logf("peak RSS %d MB for 3 bodies of 1 GB", peakMB)
	if peakMB >= 200 {
		t.Errorf("peak RSS %d MB, want < 200 MB: a 1 GB body that is discarded must not be held", peakMB)
	}
	e := readExportFile(t, export)
	if n := exportCount(t, e, "http_reqs"); n != 3 || tg.Count(faulttarget.HugeBody) != 3 || len(e.Throng.Errors) != 0 {
		t.Errorf("http_reqs %d, errors %v; the target sent %s", n, e.Throng.Errors, tg)
	}
	if recv, sent := exportCount(t, e, "data_received"), tg.HugeBytes(); sent != 3<<30 || recv < sent {
		t.Errorf("data_received %d, the target sent %d body bytes (want 3 × 1 GiB)", recv, sent)
	}
}
