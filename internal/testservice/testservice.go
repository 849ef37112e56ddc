package testservice

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Hint says how to get the servers.
const Hint = `run eval "$(scripts/services.sh start && scripts/services.sh env)" from the repository's root, or make test`

// Need returns the environment variable's value, or skips the test (fails
// it when THRONG_REQUIRE_SERVICES=1) when it is not set.
func Need(t testing.TB, name string) string {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		return strings.TrimRight(v, "/")
	}
	if os.Getenv("THRONG_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%s is not set and THRONG_REQUIRE_SERVICES=1: %s", name, Hint)
	}
	t.Skipf("%s is not set: %s", name, Hint)
	return ""
}

// InfluxdBinary is the influxd that scripts/services.sh built.
func InfluxdBinary(t testing.TB) string {
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
	return Need(t, "THRONG_TEST_INFLUXD")
}

// InfluxQL runs one statement against server (and db, if not empty) and
// returns the first series' rows.
func InfluxQL(t testing.TB, server, db, q string) [][]any {
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
		t.Fatalf("%s: %v", q, err)
	}
	if out.Error != "" || len(out.Results) == 0 || out.Results[0].Error != "" {
		t.Fatalf("%s: %+v", q, out)
	}
	if len(out.Results[0].Series) == 0 {
		return nil
	}
	return out.Results[0].Series[0].Values
}

// FreePort asks the kernel for a port that is free now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Influxd is an InfluxDB a test runs itself, to stop and restart it.
type Influxd struct {
	t      testing.TB
	bin    string
	dir    string
	port   int
	rpc    int
	cmd    *exec.Cmd
	waited chan struct{}
}

// NewInfluxd prepares an InfluxDB on free loopback ports; the test's end
// stops it.
func NewInfluxd(t testing.TB) *Influxd {
	d := &Influxd{t: t, bin: InfluxdBinary(t), dir: t.TempDir(), port: FreePort(t), rpc: FreePort(t)}
	t.Cleanup(d.Stop)
	return d
}

// URL is the server's address.
func (d *Influxd) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", d.port) }

// Start runs influxd on its ports and data directories (kept across
// restarts), and waits until it answers /ping (at most 30s).
func (d *Influxd) Start() {
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
	d.cmd, d.waited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(d.waited) }()
	d.waitForPing()
}

func (d *Influxd) waitForPing() {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.waited:
			log, _ := os.ReadFile(filepath.Join(d.dir, "influxd.log"))
			d.t.Fatalf("influxd exited while starting:\n%s", log)
		default:
		}
		if resp, err := http.Get(d.URL() + "/ping"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.t.Fatalf("influxd did not answer %s/ping within 30s", d.URL())
}

// Stop sends SIGTERM to the influxd, by its PID, and SIGKILL if it is
// still there after 15s.
func (d *Influxd) Stop() {
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
