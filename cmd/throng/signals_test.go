package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// signalTarget is a loopback server that counts requests by path and, on
// the request to trigger, sends one signal: so that a test signals throng
// at the stage where the script makes that request, without sleeping.
type signalTarget struct {
	srv     *httptest.Server
	mu      sync.Mutex
	seen    map[string]int
	trigger string
	send    func()
}

func newSignalTarget(trigger string, send func()) *signalTarget {
	s := &signalTarget{seen: map[string]int{}, trigger: trigger, send: send}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen[r.URL.Path]++
		fire := r.URL.Path == s.trigger && s.seen[r.URL.Path] == 1
		s.mu.Unlock()
		if fire {
			s.send()
		}
	}))
	return s
}

func (s *signalTarget) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[path]
}

// jsonLines checks that an -o json file is complete: every line is a JSON
// object, the last one ends with a newline. It returns the http_reqs
// points.
func jsonLines(t *testing.T, path string) (httpReqs int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		t.Errorf("%s does not end with a newline: cut short", path)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		if line == "" {
			continue
		}
		var v struct{ Type, Metric string }
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%s line %d is not JSON: %v: %q", path, i+1, err, line)
		}
		if v.Type == "Point" && v.Metric == "http_reqs" {
			httpReqs++
		}
	}
	return httpReqs
}

// runSignalled runs script in-process against a target that sends SIGINT
// when the script requests trigger, with -o json. The target is closed
// before the goroutines are compared: its connections are the VUs'.
func runSignalled(t *testing.T, trigger, script string, args ...string) (result, *signalTarget, string) {
	t.Helper()
	signals := make(chan os.Signal, 2)
	target := newSignalTarget(trigger, func() { signals <- os.Interrupt })
	out := filepath.Join(t.TempDir(), "out.json")
	p := writeFile(t, "s.js", script)
	all := append([]string{"run", "-q", "-e", "BASE=" + target.srv.URL, "-o", "json=" + out}, args...)
	r := runCLI(t, nil, signals, append(all, p)...)
	target.srv.Close()
	return r, target, out
}

// TestSignalAtEachStage sends one SIGINT at each stage of a run, in
// process: the run exits 105, prints a summary when something ran,
// flushes the -o json file, and leaves no goroutine behind.
func TestSignalAtEachStage(t *testing.T) {
	const body = `import http from 'k6/http';
import { sleep } from 'k6';
const spin = (ms) => { const end = Date.now() + ms; while (Date.now() < end) {} };
export const options = { vus: 2, duration: '1m', setupTimeout: '40s' };
`
	cases := []struct {
		stage, trigger, script string
		summary                bool     // a summary is printed
		reached, notReached    []string // paths the run must and must not have requested
	}{
		{"setup", "/setup", body + `
export function setup() { http.get(__ENV.BASE + '/setup'); spin(60000); }
export default function () { http.get(__ENV.BASE + '/it'); }
export function teardown() { http.get(__ENV.BASE + '/td'); }`,
			true, nil, []string{"/it", "/td"}},
		{"running", "/it", body + `
export default function () { http.get(__ENV.BASE + '/it'); sleep(0.3); http.get(__ENV.BASE + '/it-end'); }
export function teardown() { http.get(__ENV.BASE + '/td'); }`,
			true, []string{"/it-end", "/td"}, nil},
		{"teardown", "/td", body + `
export default function () { sleep(0.01); }
export function teardown() { http.get(__ENV.BASE + '/td'); spin(300); http.get(__ENV.BASE + '/td-end'); }`,
			true, []string{"/td-end"}, nil},
		{"handleSummary", "/summary", body + `
export default function () { sleep(0.01); }
export function handleSummary(data) { http.get(__ENV.BASE + '/summary'); spin(300); http.get(__ENV.BASE + '/summary-end'); return { stdout: 'custom summary\n' }; }`,
			true, []string{"/summary-end"}, nil},
	}
	for _, c := range cases {
		t.Run(c.stage, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			args := []string{}
			if c.stage == "teardown" || c.stage == "handleSummary" {
				args = []string{"-i", "4"} // the run ends by itself; the signal comes after
			}
			r, target, out := runSignalled(t, c.trigger, c.script, args...)
			if r.code != exitExternalAbort {
				t.Fatalf("exit %d, want 105\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if target.count(c.trigger) == 0 {
				t.Fatalf("the signal was never sent: %v", target.seen)
			}
			printed := strings.Contains(r.stdout, "http_reqs") || strings.Contains(r.stdout, "custom summary")
			if printed != c.summary {
				t.Errorf("summary printed: %v, want %v\n%s", printed, c.summary, r.stdout)
			}
			for _, p := range c.reached {
				if target.count(p) == 0 {
					t.Errorf("%s was not requested: the stage did not finish gracefully (%v)", p, target.seen)
				}
			}
			for _, p := range c.notReached {
				if target.count(p) != 0 {
					t.Errorf("%s was requested after the signal (%v)", p, target.seen)
				}
			}
			points := jsonLines(t, out)
			served := 0
			for _, n := range target.seen {
				served += n
			}
			if c.stage != "handleSummary" && points != served {
				t.Errorf("-o json has %d http_reqs points, the target served %d", points, served)
			}
		})
	}
}

// TestSignalWhileLoadingStopsBeforeAnythingRuns signals throng while the
// script's init context is blocked reading a FIFO (open() in the init
// context): once the init returns, the run ends with 105, without running
// a VU or printing a summary. Then the same while the VUs are made.
func TestSignalWhileLoadingStopsBeforeAnythingRuns(t *testing.T) {
	for _, c := range []struct{ stage, cond string }{
		{"loading the script", "__VU === 0"}, // the init run that reads the options
		{"initialising the VUs", "__VU === 1"},
	} {
		t.Run(c.stage, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("no FIFO: %v", err)
			}
			signals := make(chan os.Signal, 2)
			target := newSignalTarget("", nil)
			defer target.srv.Close()
			p := writeFile(t, "s.js", `import http from 'k6/http';
if (`+c.cond+`) { open(__ENV.FIFO); }
export const options = { vus: 4, duration: '1m' };
export function setup() { http.get(__ENV.BASE + '/setup'); }
export default function () { http.get(__ENV.BASE + '/it'); }`)
			done := make(chan result, 1)
			stderr := &watchedWriter{want: "\nStopping", seen: make(chan struct{})}
			go func() {
				var stdout bytes.Buffer
				e := &env{stdout: &stdout, stderr: stderr, signals: signals}
				code := Main([]string{"run", "-q", "-e", "BASE=" + target.srv.URL, "-e", "FIFO=" + fifo, p}, e)
				done <- result{code, stdout.String(), stderr.String()}
			}()
			// Opening the FIFO for writing returns once the init has opened
			// it for reading: the init is running.
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			signals <- os.Interrupt
			// Let the init go on only once the signal has been taken (a
			// signal the watcher takes after the init has ended stops a
			// later stage, as it should: the test is about this one).
			select {
			case <-stderr.seen:
			case <-time.After(time.Minute):
				t.Fatal("the signal was not taken")
			}
			w.Write([]byte("data"))
			w.Close()
			var r result
			select {
			case r = <-done:
			case <-time.After(2 * time.Minute):
				t.Fatal("the run did not end after the signal")
			}
			if r.code != exitExternalAbort || strings.Contains(r.stdout, "http_reqs") {
				t.Errorf("exit %d (want 105), stdout %q (want no summary)\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if target.count("/setup")+target.count("/it") != 0 {
				t.Errorf("setup or an iteration ran after the signal: %v", target.seen)
			}
		})
	}
}

// TestSignalsToTheProcess signals the built binary by PID: SIGTERM
// stops a run gracefully and flushes -o json; a second signal ends the
// process at once, in a graceful stop that would last an hour and in an
// init context that never ends.
func TestSignalsToTheProcess(t *testing.T) {
	bin := buildThrong(t)

	t.Run("SIGTERM flushes the outputs", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out.json")
		p := writeFile(t, "s.js", `import http from 'k6/http';
import { sleep } from 'k6';
export const options = { vus: 2, duration: '10m' };
export default function () { http.get(__ENV.BASE + '/it'); sleep(0.05); }`)
		started := make(chan *process, 1) // for the target's handler, which signals it
		target := newSignalTarget("/it", func() { (<-started).signal(t, syscall.SIGTERM) })
		defer target.srv.Close()
		proc := startThrong(t, bin, "run", "-e", "BASE="+target.srv.URL, "-o", "json="+out, p)
		started <- proc
		code := proc.wait(t, time.Minute)
		if code != exitExternalAbort || !strings.Contains(proc.stdout.String(), "http_reqs") {
			t.Fatalf("exit %d (want 105); stdout:\n%s\nstderr:\n%s", code, proc.stdout.String(), proc.stderr.String())
		}
		if points, served := jsonLines(t, out), target.count("/it"); points != served {
			t.Errorf("-o json has %d http_reqs points, the target served %d", points, served)
		}
	})

	t.Run("a second signal in the graceful stop", func(t *testing.T) {
		p := writeFile(t, "s.js", `import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 1, duration: '10m', gracefulStop: '1h' } } };
export default function () { http.get(__ENV.BASE + '/it'); while (true) {} }`)
		started := make(chan *process, 1)
		target := newSignalTarget("/it", func() { (<-started).signal(t, syscall.SIGINT) })
		defer target.srv.Close()
		proc := startThrong(t, bin, "run", "-q", "-e", "BASE="+target.srv.URL, p)
		started <- proc
		proc.waitForStderr(t, "Stopping")
		proc.signal(t, syscall.SIGTERM)
		if code := proc.wait(t, 30*time.Second); code != exitExternalAbort || !strings.Contains(proc.stderr.String(), "second signal") {
			t.Errorf("exit %d, want 105 at once\nstderr:\n%s", code, proc.stderr.String())
		}
	})

	t.Run("a second signal in an endless init", func(t *testing.T) {
		p := writeFile(t, "s.js", `console.log('init spins');
while (true) {}
export default function () {}`)
		proc := startThrong(t, bin, "run", "-q", p)
		proc.waitForStderr(t, "init spins")
		proc.signal(t, syscall.SIGINT)
		proc.waitForStderr(t, "Stopping")
		proc.signal(t, syscall.SIGINT)
		if code := proc.wait(t, 30*time.Second); code != exitExternalAbort {
			t.Errorf("exit %d, want 105 at once\nstderr:\n%s", code, proc.stderr.String())
		}
	})
}

// process is a throng started by a test, with its output collected.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	lines          chan string // stderr, line by line
	done           chan struct{}
}

func startThrong(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), lines: make(chan string, 1000), done: make(chan struct{})}
	p.cmd.Stdout = &p.stdout
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(io.TeeReader(errPipe, &p.stderr))
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill() // by its PID; a no-op once it has exited
		<-p.done
	})
	return p
}

// signal sends sig to the process, after checking that it has no child
// process of its own: throng starts none, so none can be orphaned.
func (p *process) signal(t *testing.T, sig syscall.Signal) {
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "task", "*", "children"))
	for _, f := range tasks {
		if kids, err := os.ReadFile(f); err == nil && len(bytes.TrimSpace(kids)) > 0 {
			t.Errorf("throng has child processes: %s", kids)
		}
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Error(err)
	}
}

// waitForStderr reads stderr until a line holds s.
func (p *process) waitForStderr(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("stderr ended without %q:\n%s", s, p.stderr.String())
			}
			if strings.Contains(line, s) {
				return
			}
		case <-deadline:
			t.Fatalf("no %q on stderr within a minute:\n%s", s, p.stderr.String())
		}
	}
}

// wait returns the exit code, failing the test if the process has not
// exited within limit.
func (p *process) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		t.Fatalf("throng still running %s after the signal\nstderr:\n%s", limit, p.stderr.String())
	}
	for range p.lines { // the reader has ended: stderr is complete
	}
	return p.cmd.ProcessState.ExitCode()
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// watchedWriter is a buffer for a run's stderr that closes seen once the
// text written holds want.
type watchedWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	want   string
	seen   chan struct{}
	closed bool
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if !w.closed && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
		w.closed = true
	}
	return n, err
}

func (w *watchedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
