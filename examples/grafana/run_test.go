package grafana

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// runScript has two scenarios for about 3s, so that every panel has
// something to show: browse (constant VUs, a group, a check, now and then
// a refused connection) and api (a constant arrival rate that one VU on a
// slow endpoint cannot keep up with, so iterations are dropped; every
// third response is a 500).
const runScript = `
import http from 'k6/http';
import { check, group, sleep } from 'k6';

export const options = {
  scenarios: {
    browse: { executor: 'constant-vus', exec: 'browse', vus: 2, duration: '3s' },
    api: {
      executor: 'constant-arrival-rate', exec: 'api', rate: 40, timeUnit: '1s', duration: '3s',
      preAllocatedVUs: 1, maxVUs: 1,
    },
  },
};

export function browse() {
  group('home', () => {
    const res = http.get(__ENV.BASE + '/ok', { tags: { name: 'home' } });
    check(res, { 'home is 200': (r) => r.status === 200 });
  });
  if (__ITER % 5 === 0) {
    http.get(__ENV.REFUSED, { tags: { name: 'refused' } });
  }
  sleep(0.05);
}

export function api() {
  const res = http.get(__ENV.BASE + '/flaky', { tags: { name: 'flaky' } });
  check(res, { 'flaky is 200': (r) => r.status === 200 });
}
`

var throngBuild struct {
	once     sync.Once
	dir, bin string
	err      error
}

// TestMain removes the throng binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if throngBuild.dir != "" {
		os.RemoveAll(throngBuild.dir)
	}
	os.Exit(code)
}

// throngBinary builds cmd/throng of this module once for the tests.
func throngBinary(t *testing.T) string {
	t.Helper()
	b := &throngBuild
	b.once.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		gomod := strings.TrimSpace(string(out))
		if err != nil || gomod == "" || gomod == os.DevNull {
			b.err = fmt.Errorf("go env GOMOD: %q, %v", gomod, err)
			return
		}
		if b.dir, b.err = os.MkdirTemp("", "throng-grafana-test-"); b.err != nil {
			return
		}
		b.bin = filepath.Join(b.dir, "throng")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		build := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "./cmd/throng")
		build.Dir = filepath.Dir(gomod)
		if out, err := build.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build ./cmd/throng: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

// targetServer answers /ok with 200 and /flaky after 50ms, with a 500
// every third time.
func targetServer(t *testing.T) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		if n.Add(1)%3 == 0 {
			http.Error(w, "flaky\n", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// refusedURL is a loopback URL nothing listens on (a port just closed).
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/"
}

// throngRun runs runScript with throng -o influxdb into db, with the
// output settings of env (THRONG_INFLUXDB_*), and waits for its points.
func throngRun(t *testing.T, db *influxDB, env ...string) {
	t.Helper()
	bin := throngBinary(t)
	srv := targetServer(t)
	script := filepath.Join(t.TempDir(), "script.js")
	if err := os.WriteFile(script, []byte(runScript), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	run := exec.CommandContext(ctx, bin, "run", "-q",
		"-o", "influxdb="+db.base+"/"+db.name,
		"-e", "BASE="+srv.URL, "-e", "REFUSED="+refusedURL(t),
		script)
	// The output reads its settings from the environment too: keep the
	// caller's THRONG_*/K6_* out of the run.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "THRONG_") && !strings.HasPrefix(kv, "K6_") {
			run.Env = append(run.Env, kv)
		}
	}
	run.Env = append(run.Env, env...)
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("throng run: %v\n%s", err, out)
	}
	t.Logf("throng run:\n%s", out)
	waitForData(t, db, "http_reqs")
}

// TestDashboardQueriesAfterThrongRun runs throng with -o influxdb into a
// fresh database, then every panel's query, which must all find data.
func TestDashboardQueriesAfterThrongRun(t *testing.T) {
	db := newTestDB(t, influxURL(t))
	throngRun(t, db)
	queries := dashboardQueries(t)
	t.Run("variables", func(t *testing.T) {
		vq := variableQueries(t)
		got, err := db.query(vq["scenario"])
		if err != nil {
			t.Fatal(err)
		}
		if values := strings.Join(tagValuesOf(got), ","); values != "api,browse" {
			t.Errorf("scenario values: %s, want api,browse", values)
		}
		// A single-instance run writes no instance tag: the variable has
		// no value but All, and the queries still find everything.
		if _, err := db.query(vq["instance"]); err != nil {
			t.Error(err)
		}
	})
	t.Run("all", func(t *testing.T) {
		for _, q := range queries {
			runQuery(t, db, q, allVars)
		}
	})
	t.Run("selected", func(t *testing.T) {
		for _, q := range queries {
			runQuery(t, db, q, grafanaVars{scenario: "(api|browse)", instance: ".*"})
		}
	})
	t.Run("series", func(t *testing.T) { checkSeries(t, db, queries, []string{"home", "flaky", "refused"}) })
}

// aggregateRewrite turns a dashboard query into its aggregate-mode form
// (THRONG_INFLUXDB_AGGREGATE): each point then holds one interval's count,
// sum, min, max, value (a Counter's sum, a Rate's or Trend's mean, a
// Gauge's last value) and, for Trends, p50, p90, p95 and p99. README.md
// gives the same table.
var aggregateRewrite = strings.NewReplacer(
	`percentile("value", 50)`, `max("p50")`,
	`percentile("value", 90)`, `max("p90")`,
	`percentile("value", 95)`, `max("p95")`,
	`percentile("value", 99)`, `max("p99")`,
	`mean("value")`, `sum("sum") / sum("count")`,
	`sum("value")`, `sum("sum")`,
	`"value" > 0`, `"sum" > 0`,
)

// TestAggregateModeQueries runs throng in aggregate mode and every panel's
// query as README.md says to change it for that mode.
func TestAggregateModeQueries(t *testing.T) {
	db := newTestDB(t, influxURL(t))
	throngRun(t, db, "THRONG_INFLUXDB_AGGREGATE=1s")
	// An aggregate point is stamped with the end of its interval, so the
	// last ones are up to 1s in the future when the run ends, and a query
	// bounded by now() (Grafana's $timeFilter, or InfluxDB's default for
	// GROUP BY time) does not see them yet.
	time.Sleep(1100 * time.Millisecond)
	queries := dashboardQueries(t)
	for i := range queries {
		queries[i].Target.Query = aggregateRewrite.Replace(queries[i].Target.Query)
		if strings.Contains(queries[i].Target.Query, `("value"`) && !strings.Contains(queries[i].Target.Query, `max("value")`) {
			t.Errorf("%s: not rewritten for aggregate mode: %s", queries[i], queries[i].Target.Query)
		}
	}
	t.Run("all", func(t *testing.T) {
		for _, q := range queries {
			runQuery(t, db, q, allVars)
		}
	})
	t.Run("series", func(t *testing.T) { checkSeries(t, db, queries, []string{"home", "flaky", "refused"}) })
}
