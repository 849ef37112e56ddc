package main

import (
	"bytes"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/examples/eventstore/server"
)

// result is what one in-memory invocation of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, environ []string, signals chan os.Signal, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut, environ: environ, signals: signals}
	code := Main(args, e)
	return result{code, out.String(), errOut.String()}
}

func writeFile(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// summaryCount reads the count column of a counter line of the summary.
func summaryCount(t *testing.T, summary, metric string) int64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*` + metric + `\.*: (\d+)\s`).FindStringSubmatch(summary)
	if m == nil {
		t.Fatalf("no %s line in the summary:\n%s", metric, summary)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// TestEventStoreScenarioEndToEnd runs the example scenario against the demo
// target and checks that throng counted exactly the requests the target
// served, and that every check passed.
func TestEventStoreScenarioEndToEnd(t *testing.T) {
	h := server.NewHandler(server.NewMemoryStore())
	srv := httptest.NewServer(h)
	defer srv.Close()

	r := runCLI(t, nil, nil, "run", "-q", "-u", "4", "-d", "2s", "-e", "ES_URL="+srv.URL, "../../examples/eventstore/scenario.js")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	byStatus, served := h.Stats()
	reqs := summaryCount(t, r.stdout, "http_reqs")
	if reqs == 0 || reqs != served {
		t.Errorf("summary http_reqs = %d, target served %d", reqs, served)
	}
	iterations := summaryCount(t, r.stdout, "iterations")
	if reqs != 21*iterations {
		t.Errorf("%d requests for %d iterations, want 21 per iteration", reqs, iterations)
	}
	if byStatus[201] != 10*iterations || byStatus[200] != 11*iterations {
		t.Errorf("target statuses %v for %d iterations", byStatus, iterations)
	}
	for _, name := range []string{"is status 201", "is status 200", "stream read back equals events written", "event read back equals event written"} {
		if !strings.Contains(r.stdout, "✓ "+name) {
			t.Errorf("check %q did not pass:\n%s", name, r.stdout)
		}
	}
	if !regexp.MustCompile(`(?m)^\s*checks\.*: 100\.00% ✓ \d+\s+✗ 0$`).MatchString(r.stdout) {
		t.Errorf("not every check passed:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "status codes...") || !strings.Contains(r.stdout, "201="+strconv.FormatInt(byStatus[201], 10)) {
		t.Errorf("status codes block wrong:\n%s", r.stdout)
	}
}

func TestSyntaxErrorExits107WithLocation(t *testing.T) {
	p := writeFile(t, "bad.js", "export default function () {\n  let x = ;\n}\n")
	r := runCLI(t, nil, nil, "run", p)
	if r.code != exitScriptError || !strings.Contains(r.stderr, "bad.js:2:11") {
		t.Fatalf("exit %d, stderr %q; want 107 and bad.js:2:11", r.code, r.stderr)
	}
}

func TestInitExceptionExits107(t *testing.T) {
	p := writeFile(t, "init.js", "\nthrow new Error('no config');\nexport default function () {}\n")
	r := runCLI(t, nil, nil, "run", p)
	if r.code != exitScriptError || !strings.Contains(r.stderr, "init.js:2:") || !strings.Contains(r.stderr, "no config") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestMissingScriptIsOneLine(t *testing.T) {
	r := runCLI(t, nil, nil, "run", "/no/such/script.js")
	if r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "/no/such/script.js") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestWrongFlagsPrintUsage(t *testing.T) {
	for _, args := range [][]string{{"run", "--bogus", "x.js"}, {"run"}, {"run", "-u", "many", "x.js"}, {"nope"}} {
		r := runCLI(t, nil, nil, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

func TestBadOptionValuesNameTheOption(t *testing.T) {
	p := writeFile(t, "ok.js", "export default function () {}\n")
	cases := []struct {
		environ []string
		args    []string
		want    string
	}{
		{nil, []string{"run", "-d", "soon", p}, "--duration"},
		{[]string{"THRONG_VUS=abc"}, []string{"run", p}, "THRONG_VUS"},
		{[]string{"K6_DURATION=x"}, []string{"run", p}, "K6_DURATION"},
		{nil, []string{"run", "-u", "0", "-d", "1s", p}, "vus"},
		{nil, []string{"run", "--tag", "novalue", p}, "--tag"},
	}
	for _, c := range cases {
		r := runCLI(t, c.environ, nil, c.args...)
		if r.code != exitInvalidConfig || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want 104 naming %s", c.environ, c.args, r.code, r.stderr, c.want)
		}
	}
	bad := writeFile(t, "opts.js", "export const options = { vus: 'ten' };\nexport default function () {}\n")
	if r := runCLI(t, nil, nil, "run", bad); r.code != exitInvalidConfig || !strings.Contains(r.stderr, `"vus"`) {
		t.Errorf("script option: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestUnreachableTargetIsCountedNotFatal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := writeFile(t, "dead.js", `import http from 'k6/http';
export default function () { http.get('http://`+addr+`/'); }
`)
	r := runCLI(t, nil, nil, "run", "-q", "-i", "5", p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "connection refused=5") || summaryCount(t, r.stdout, "http_reqs") != 5 {
		t.Errorf("summary:\n%s", r.stdout)
	}
}

func TestSignalStopsGracefullyWithSummary(t *testing.T) {
	p := writeFile(t, "sleepy.js", "import { sleep } from 'k6';\nexport default function () { sleep(0.05); }\n")
	signals := make(chan os.Signal, 1)
	time.AfterFunc(300*time.Millisecond, func() { signals <- os.Interrupt })
	r := runCLI(t, nil, signals, "run", "-u", "2", "-d", "1h", p)
	if r.code != exitExternalAbort {
		t.Fatalf("exit %d, want 105; stderr %q", r.code, r.stderr)
	}
	if summaryCount(t, r.stdout, "iterations") == 0 {
		t.Errorf("no iterations in the summary:\n%s", r.stdout)
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, nil, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "throng ") {
		t.Fatalf("%+v", r)
	}
}
