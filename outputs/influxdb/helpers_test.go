package influxdb

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

const servicesHint = `run eval "$(scripts/services.sh start && scripts/services.sh env)" from the repository's root`

// needService returns the environment variable's value, or skips the test
// (fails it when THRONG_REQUIRE_SERVICES=1) when it is not set.
func needService(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	if os.Getenv("THRONG_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%s is not set and THRONG_REQUIRE_SERVICES=1: %s", name, servicesHint)
	}
	t.Skipf("%s is not set: %s to run this test against a real InfluxDB", name, servicesHint)
	return ""
}

// influxdURL is the shared InfluxDB of scripts/services.sh.
func influxdURL(t testing.TB) string {
	return strings.TrimRight(needService(t, "THRONG_TEST_INFLUXDB_URL"), "/")
}

// influxdBinary is the influxd that scripts/services.sh built or copied.
func influxdBinary(t testing.TB) string {
	t.Helper()
	if v := os.Getenv("THRONG_TEST_INFLUXD"); v != "" {
		return v
	}
	cache := os.Getenv("THRONG_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "throng")
	}
	bin := filepath.Join(cache, "bin", "influxd")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	return needService(t, "THRONG_TEST_INFLUXD")
}

// influxQL runs one statement and returns the first series' rows.
func influxQL(t testing.TB, server, db, q string) [][]any {
	t.Helper()
	form := url.Values{"q": {q}}
	if db != "" {
		form.Set("db", db)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, server+"/query", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			Error  string `json:"error"`
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: decoding the answer: %v", q, err)
	}
	if out.Error != "" {
		t.Fatalf("%s: %s", q, out.Error)
	}
	if len(out.Results) == 0 {
		return nil
	}
	if out.Results[0].Error != "" {
		t.Fatalf("%s: %s", q, out.Results[0].Error)
	}
	var rows [][]any
	for _, s := range out.Results[0].Series {
		rows = append(rows, s.Values...)
	}
	return rows
}

// influxNumber runs a query whose answer is one row with one number (after
// the time column); 0 when there is no row.
func influxNumber(t testing.TB, server, db, q string) float64 {
	t.Helper()
	rows := influxQL(t, server, db, q)
	if len(rows) == 0 {
		return 0
	}
	if len(rows) != 1 || len(rows[0]) < 2 {
		t.Fatalf("%s: want one row, got %v", q, rows)
	}
	n, ok := rows[0][1].(float64)
	if !ok {
		t.Fatalf("%s: %v is not a number", q, rows[0][1])
	}
	return n
}

var nonWord = regexp.MustCompile(`[^a-zA-Z0-9_]+`)

// freshDB creates a database of its own for the test, dropped at cleanup.
func freshDB(t testing.TB, server string) string {
	t.Helper()
	db := fmt.Sprintf("t_%s_%d", nonWord.ReplaceAllString(t.Name(), "_"), rand.N(1_000_000))
	influxQL(t, server, "", `CREATE DATABASE "`+db+`"`)
	t.Cleanup(func() { influxQL(t, server, "", `DROP DATABASE "`+db+`"`) })
	return db
}

// influxd is an InfluxDB the test runs itself, to stop and restart.
type influxd struct {
	t      testing.TB
	bin    string
	dir    string
	port   int
	rpc    int
	cmd    *exec.Cmd
	waited chan struct{}
}

// freePort asks the kernel for a port that is free now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func newInfluxd(t testing.TB) *influxd {
	d := &influxd{t: t, bin: influxdBinary(t), dir: t.TempDir(), port: freePort(t), rpc: freePort(t)}
	t.Cleanup(d.stop)
	return d
}

func (d *influxd) url() string { return fmt.Sprintf("http://127.0.0.1:%d", d.port) }

// start runs influxd on its ports and data directories, and waits until
// it answers /ping (at most 30s).
func (d *influxd) start() {
	d.t.Helper()
	cmd := exec.Command(d.bin, "run")
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("INFLUXDB_HTTP_BIND_ADDRESS=127.0.0.1:%d", d.port),
		fmt.Sprintf("INFLUXDB_BIND_ADDRESS=127.0.0.1:%d", d.rpc),
		"INFLUXDB_DATA_DIR="+filepath.Join(d.dir, "data"),
		"INFLUXDB_META_DIR="+filepath.Join(d.dir, "meta"),
		"INFLUXDB_DATA_WAL_DIR="+filepath.Join(d.dir, "wal"),
		"INFLUXDB_REPORTING_DISABLED=true",
		"INFLUXDB_HTTP_LOG_ENABLED=false",
		"INFLUXDB_DATA_QUERY_LOG_ENABLED=false",
		"INFLUXDB_MONITOR_STORE_ENABLED=false",
		"INFLUXDB_LOGGING_LEVEL=warn",
	)
	logf, err := os.OpenFile(filepath.Join(d.dir, "influxd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("starting %s: %v", d.bin, err)
	}
	d.cmd = cmd
	d.waited = make(chan struct{})
	go func() { cmd.Wait(); close(d.waited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.waited:
			log, _ := os.ReadFile(filepath.Join(d.dir, "influxd.log"))
			d.t.Fatalf("influxd exited while starting:\n%s", log)
		default:
		}
		resp, err := http.Get(d.url() + "/ping")
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.t.Fatalf("influxd did not answer %s/ping within 30s", d.url())
}

// stop sends SIGTERM to the influxd this test started, and SIGKILL if it
// is still there after 15s.
func (d *influxd) stop() {
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.waited:
	case <-time.After(15 * time.Second):
		d.cmd.Process.Kill()
		<-d.waited
	}
	d.cmd = nil
}

// warnings records what the output logs.
type warnings struct {
	mu  sync.Mutex
	all []string
}

func (w *warnings) warnf(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all = append(w.all, fmt.Sprintf(format, args...))
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.all, "\n")
}

// params builds Params for arg with the given environment.
func params(arg string, env map[string]string, w *warnings) outputs.Params {
	p := outputs.Params{Arg: arg, Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if w != nil {
		p.Warnf = w.warnf
	}
	return p
}

// requests makes the 9 samples of each of n HTTP requests, spread evenly
// over the span starting at start, tagged like the request path tags
// them: a new *TagSet per request (vu, iter, url, name, method, status).
func requests(b *metrics.Builtins, n int, start time.Time, span time.Duration, urls int) []metrics.Sample {
	base := metrics.NewTagSet(map[string]string{"scenario": "default", "method": "GET", "proto": "HTTP/1.1"})
	trends := []*metrics.Metric{b.HTTPReqDuration, b.HTTPReqBlocked, b.HTTPReqConnecting, b.HTTPReqTLSHandshaking, b.HTTPReqSending, b.HTTPReqWaiting, b.HTTPReqReceiving}
	out := make([]metrics.Sample, 0, 9*n)
	step := int64(span) / int64(max(n, 1))
	for i := range n {
		u := fmt.Sprintf("http://127.0.0.1:8080/items/%d", i%max(urls, 1))
		status := "200"
		if i%10 == 9 {
			status = "503"
		}
		tags := base.Extend(
			metrics.Tag{Key: "vu", Value: fmt.Sprint(1 + i%50)},
			metrics.Tag{Key: "iter", Value: fmt.Sprint(i / 50)},
			metrics.Tag{Key: "url", Value: u},
			metrics.Tag{Key: "name", Value: u},
			metrics.Tag{Key: "status", Value: status},
		)
		ts := start.UnixNano() + int64(i)*step
		failed := 0.0
		if status != "200" {
			failed = 1
		}
		out = append(out,
			metrics.Sample{Metric: b.HTTPReqs, Tags: tags, Time: ts, Value: 1},
			metrics.Sample{Metric: b.HTTPReqFailed, Tags: tags, Time: ts, Value: failed})
		for j, m := range trends {
			out = append(out, metrics.Sample{Metric: m, Tags: tags, Time: ts, Value: float64(1+i%100) * float64(j+1) / 7})
		}
	}
	return out
}

// feed hands samples to the output in batches of the engine's size.
func feed(o outputs.Output, samples []metrics.Sample) {
	for len(samples) > 0 {
		n := min(256, len(samples))
		o.AddSamples(samples[:n])
		samples = samples[n:]
	}
}
