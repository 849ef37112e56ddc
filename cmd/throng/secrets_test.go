package main

import (
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The secrets of TestSecretsStayOutOfEveryArtefact: distinct, so a leak
// names its source, and unlike anything a run prints by itself.
const (
	secretInfluxToken = "SECRETTOKEN-influx-7f3a"
	secretInfluxPass  = "SECRETPASS-influx-91b2"
	secretPromPass    = "SECRETPASS-prom-4c1d"
	secretScriptPass  = "SECRETPW-basic-e8a0"
)

// authRecorder is a loopback HTTP server that records the Authorization
// headers it receives and answers every request with status.
type authRecorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	auth []string
}

func newAuthRecorder(t *testing.T, status int) *authRecorder {
	t.Helper()
	a := &authRecorder{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.auth = append(a.auth, r.Header.Get("Authorization"))
		a.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// saw reports whether some request carried an Authorization header that
// holds want, or whose basic credentials have want as the password.
func (a *authRecorder) saw(want string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, h := range a.auth {
		r := &http.Request{Header: http.Header{"Authorization": {h}}}
		if _, pass, ok := r.BasicAuth(); (ok && pass == want) || strings.Contains(h, want) {
			return true
		}
	}
	return false
}

// hostPort is the server's address without the scheme.
func (a *authRecorder) hostPort() string { return strings.TrimPrefix(a.srv.URL, "http://") }

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestSecretsStayOutOfEveryArtefact runs a real test configured with
// credentials everywhere a user puts them — an InfluxDB token in the
// environment and a password in -o influxdb's URL, a password in the
// Prometheus remote-write URL, basic auth in the URLs a script requests
// (one of them refused, so that the error path runs too) — with InfluxDB
// and Prometheus refusing the credentials, so that their error paths log.
// It checks that every credential was used (so the test cannot pass by
// dropping them), then that none appears in anything the run wrote:
// stdout, stderr, the summary export, the JUnit file, the HTML report and
// the JSON and CSV outputs. Test results are shared and archived; a
// credential in them is a leak.
func TestSecretsStayOutOfEveryArtefact(t *testing.T) {
	target := newAuthRecorder(t, http.StatusOK)
	influx := newAuthRecorder(t, http.StatusUnauthorized)
	prom := newAuthRecorder(t, http.StatusUnauthorized)

	script := writeFile(t, "secrets.js", `import http from 'k6/http';
import { check } from 'k6';
export const options = { thresholds: { 'http_req_duration{status:200}': ['p(95)<60000'] } };
export default function () {
  const res = http.get('http://user:`+secretScriptPass+`@`+target.hostPort()+`/private');
  check(res, { 'authorized': (r) => r.status === 200 });
  http.get('http://user:`+secretScriptPass+`@`+closedPort(t)+`/refused');
}
`)
	dir := t.TempDir()
	files := map[string]string{
		"summary export": filepath.Join(dir, "summary.json"),
		"JUnit":          filepath.Join(dir, "junit.xml"),
		"HTML report":    filepath.Join(dir, "report.html"),
		"JSON output":    filepath.Join(dir, "out.json"),
		"CSV output":     filepath.Join(dir, "out.csv"),
	}
	environ := []string{
		"THRONG_INFLUXDB_TOKEN=" + secretInfluxToken,
		"THRONG_INFLUXDB_PUSH_INTERVAL=200ms",
		"THRONG_INFLUXDB_STOP_TIMEOUT=2s",
		"THRONG_PROMETHEUS_RW_PUSH_INTERVAL=200ms",
	}
	r := runCLI(t, environ, nil, "run", "-u", "2", "-d", "2s",
		"-o", "influxdb=http://user:"+secretInfluxPass+"@"+influx.hostPort()+"/db",
		"-o", "prometheus-rw=http://user:"+secretPromPass+"@"+prom.hostPort()+"/api/v1/write",
		"-o", "json="+files["JSON output"], "-o", "csv="+files["CSV output"],
		"--report", files["HTML report"], "--summary-export", files["summary export"], "--junit", files["JUnit"],
		script)
	if r.code == exitGoPanic {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}

	for what, used := range map[string]bool{
		"the script's basic-auth password": target.saw(secretScriptPass),
		"the InfluxDB token":               influx.saw(secretInfluxToken),
		"the Prometheus password":          prom.saw(secretPromPass),
	} {
		if !used {
			t.Errorf("%s never reached its server: the run did not exercise it\nstderr:\n%s", what, r.stderr)
		}
	}

	artefacts := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	for what, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%s: %v\nstderr:\n%s", what, err, r.stderr)
		}
		artefacts[what] = string(b)
	}
	// The outputs did record the requests: only the credentials are gone.
	if !strings.Contains(artefacts["JSON output"], target.hostPort()) {
		t.Errorf("the JSON output has no sample for %s", target.hostPort())
	}
	for what, text := range artefacts {
		for _, secret := range secretForms(secretInfluxToken, secretInfluxPass, secretPromPass, secretScriptPass) {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds the secret %q:\n%s", what, secret, excerpt(text, secret))
			}
		}
	}
}

// secretForms are the secrets as they are, and as a basic-auth header
// carries them (base64 of user:password), the form a dumped request leaks.
func secretForms(secrets ...string) []string {
	out := append([]string(nil), secrets...)
	for _, s := range secrets {
		out = append(out, base64.StdEncoding.EncodeToString([]byte("user:"+s)))
	}
	return out
}

// excerpt is the text around the first occurrence of s, to show a leak.
func excerpt(text, s string) string {
	i := strings.Index(text, s)
	from, to := max(0, i-200), min(len(text), i+len(s)+200)
	return text[from:to]
}

// TestOpenOutsideInitFails checks that open() in an iteration fails with
// an error that says why, and that the file's contents do not reach the
// output: reading files is for the init context, where what a script can
// read is fixed before the load starts (and, distributed, shipped with the
// script), never for code driven by the responses of the system under test.
func TestOpenOutsideInitFails(t *testing.T) {
	const content = "SECRET-file-content-5d1e"
	data := writeFile(t, "data.txt", content)
	script := writeFile(t, "open.js", `export default function () {
  open('`+filepath.ToSlash(data)+`');
}
`)
	r := runCLI(t, nil, nil, "run", "-i", "1", script)
	if !strings.Contains(r.stderr, "open() can only be called in the init context") {
		t.Errorf("exit %d; stderr does not say open() is for the init context:\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, content) {
		t.Errorf("the file's contents reached the output:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

// TestDashboardListensOnLoopbackByDefault turns the dashboard on the k6
// way, without an address, and checks that it listens on 127.0.0.1: the
// dashboard shows the test's URLs and results, so reaching it from another
// machine must be asked for. The port is 0 so the test never collides with
// a dashboard already running on 5665.
func TestDashboardListensOnLoopbackByDefault(t *testing.T) {
	target := newAuthRecorder(t, http.StatusOK)
	script := writeFile(t, "dash.js", `import http from 'k6/http';
export default function () { http.get('`+target.srv.URL+`/'); }
`)
	var stdout, stderr syncBuffer
	e := &env{stdout: &stdout, stderr: &stderr, environ: []string{"K6_WEB_DASHBOARD=true", "K6_WEB_DASHBOARD_PORT=0"}}
	code := make(chan int, 1)
	go func() { code <- Main([]string{"run", "-q", "-u", "1", "-d", "1s", script}, e) }()
	// It fails the test unless stderr announces http://127.0.0.1:PORT/.
	waitForDashboard(t, &stderr, code)
	if c := <-code; c == exitGoPanic {
		t.Errorf("exit %d\nstderr:\n%s", c, stderr.String())
	}
}
