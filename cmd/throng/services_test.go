package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/internal/testservice"
)

// serviceURL is the URL of a real server that scripts/services.sh started.
func serviceURL(t *testing.T, env string) string { return testservice.Need(t, env) }

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", u, err, body)
	}
}

// influxQuery runs one InfluxQL statement and returns the first value of
// the first row (nil when there is none).
func influxQuery(t *testing.T, base, db, q string) any {
	rows := testservice.InfluxQL(t, base, db, q)
	if len(rows) == 0 {
		return nil
	}
	return rows[0][1]
}

// TestScenarioToInfluxDBAndPrometheus runs a scenario with both database
// outputs and reads back, with InfluxQL and PromQL, as many requests as
// the summary counted.
func TestScenarioToInfluxDBAndPrometheus(t *testing.T) {
	influx := serviceURL(t, "THRONG_TEST_INFLUXDB_URL")
	prom := serviceURL(t, "THRONG_TEST_PROMETHEUS_URL")
	srv, _ := countingServer(t)
	db := fmt.Sprintf("e2e_%d", time.Now().UnixNano())
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	p := writeFile(t, "s.js", `import http from 'k6/http';
export const options = { scenarios: { load: { executor: 'constant-arrival-rate', rate: 100, duration: '2s', preAllocatedVUs: 5 } } };
export default function () { http.get(__ENV.BASE); }`)
	r := runCLI(t, []string{"THRONG_PROMETHEUS_RW_PUSH_INTERVAL=500ms"}, nil, "run", "-q", "-e", "BASE="+srv.URL, "--tag", "run_id="+runID,
		"-o", "influxdb="+influx+"/"+db, "-o", "prometheus-rw="+prom+"/api/v1/write", p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	want := summaryCount(t, r.stdout, "http_reqs")
	if got := influxQuery(t, influx, db, `SELECT count("value") FROM "http_reqs"`); got != float64(want) {
		t.Errorf("InfluxDB has %v http_reqs points, the summary counted %d", got, want)
	}
	var res struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	q := fmt.Sprintf(`sum(k6_http_reqs_total{run_id=%q})`, runID)
	deadline := time.Now().Add(10 * time.Second)
	for {
		getJSON(t, prom+"/api/v1/query?query="+url.QueryEscape(q), &res)
		if len(res.Data.Result) > 0 && res.Data.Result[0].Value[1] == strconv.FormatInt(want, 10) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PromQL %s = %+v, the summary counted %d", q, res.Data.Result, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestInfluxDBDownMidRun stops the InfluxDB while a run writes to it and
// starts it again: the run ends normally, the summary reports the retries,
// and the queued points arrive.
func TestInfluxDBDownMidRun(t *testing.T) {
	d := testservice.NewInfluxd(t)
	d.Start()
	testservice.InfluxQL(t, d.URL(), "", `CREATE DATABASE "flaky"`)
	srv, _ := countingServer(t)
	p := writeFile(t, "s.js", `import http from 'k6/http';
export const options = { scenarios: { load: { executor: 'constant-arrival-rate', rate: 100, duration: '4s', preAllocatedVUs: 5 } } };
export default function () { http.get(__ENV.BASE); }`)
	time.AfterFunc(time.Second, func() {
		d.Stop()
		time.Sleep(1500 * time.Millisecond)
		d.Start()
	})
	r := runCLI(t, []string{"THRONG_INFLUXDB_PUSH_INTERVAL=200ms"}, nil, "run", "-q", "-e", "BASE="+srv.URL, "-o", "influxdb="+d.URL()+"/flaky", p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	if !strings.Contains(r.stdout, "output losses") || !strings.Contains(r.stdout, "retries") {
		t.Errorf("the summary does not report the retries:\n%s", r.stdout)
	}
	want := summaryCount(t, r.stdout, "http_reqs")
	if got := influxQuery(t, d.URL(), "flaky", `SELECT count("value") FROM "http_reqs"`); got != json.Number(strconv.FormatInt(want, 10)) && got != float64(want) {
		t.Errorf("InfluxDB has %v http_reqs points after the restart, the summary counted %d", got, want)
	}
}
