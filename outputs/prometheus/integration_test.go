package prometheus

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/internal/testservice"
	"github.com/throng-dev/throng/metrics"
)

// prometheusURL is the base URL of a real Prometheus started with
// --web.enable-remote-write-receiver, from THRONG_TEST_PROMETHEUS_URL. The
// test is skipped without one, unless THRONG_REQUIRE_SERVICES=1.
func prometheusURL(t *testing.T) string {
	t.Helper()
	base := testservice.Need(t, "THRONG_TEST_PROMETHEUS_URL")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("THRONG_TEST_PROMETHEUS_URL: %v", err)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		t.Fatalf("THRONG_TEST_PROMETHEUS_URL=%s: the test talks to loopback only", base)
	}
	return base
}

// promResult is one element of an instant vector.
type promResult struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (r promResult) float(t *testing.T) float64 {
	t.Helper()
	s, _ := r.Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("value %v: %v", r.Value, err)
	}
	return v
}

// query runs a PromQL instant query.
func query(t *testing.T, base, q string) []promResult {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string       `json:"resultType"`
			Result     []promResult `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" || r.Data.ResultType != "vector" {
		t.Fatalf("query %s: %s %s (%v)", q, resp.Status, body, err)
	}
	t.Logf("PromQL %s => %s", q, strings.TrimSpace(string(body)))
	return r.Data.Result
}

// queryUntil repeats a query until it returns n elements (bounded).
func queryUntil(t *testing.T, base, q string, n int) []promResult {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		res := query(t, base, q)
		if len(res) == n || time.Now().After(deadline) {
			return res
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestIntegrationPrometheus(t *testing.T) {
	base := prometheusURL(t)
	testid := fmt.Sprintf("throng-it-%d", time.Now().UnixNano())
	o, w := newTestOutput(t, base+"/api/v1/write", map[string]string{
		"PROMETHEUS_RW_PUSH_INTERVAL": "200ms",
		"PROMETHEUS_RW_TREND_STATS":   "p(99),avg,count",
	})
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	f := newFixture()
	const ok, notFound = 100, 37
	var all []metrics.Sample
	for i := 0; i < ok+notFound; i++ {
		status := "200"
		if i >= ok {
			status = "404"
		}
		tags := map[string]string{"testid": testid, "status": status, "vu": strconv.Itoa(i % 7), "name": "http://127.0.0.1/x"}
		all = append(all, f.sample(f.b.HTTPReqs, 1, tags), f.sample(f.b.HTTPReqDuration, float64(i+1), tags))
	}
	// three batches over more than one push interval, then Stop's final push
	third := len(all) / 3
	o.AddSamples(all[:third])
	time.Sleep(300 * time.Millisecond)
	o.AddSamples(all[third : 2*third])
	time.Sleep(300 * time.Millisecond)
	o.AddSamples(all[2*third:])
	if err := o.Stop(); err != nil {
		t.Fatal(err)
	}
	if ws := w.get(); len(ws) != 0 {
		t.Errorf("warnings: %q", ws)
	}
	if r := o.Report(); r != "" {
		t.Errorf("Report() = %q", r)
	}
	if o.pushes.Load() < 2 {
		t.Errorf("%d requests delivered, want several (periodic pushes and the final one)", o.pushes.Load())
	}

	total := queryUntil(t, base, fmt.Sprintf(`sum(k6_http_reqs_total{testid=%q})`, testid), 1)
	if len(total) != 1 || total[0].float(t) != ok+notFound {
		t.Fatalf("sum(k6_http_reqs_total) = %+v, want %d", total, ok+notFound)
	}
	byStatus := queryUntil(t, base, fmt.Sprintf(`k6_http_reqs_total{testid=%q}`, testid), 2)
	if len(byStatus) != 2 {
		t.Fatalf("k6_http_reqs_total: %d series, want 2 (status 200 and 404)", len(byStatus))
	}
	for _, r := range byStatus {
		want := map[string]float64{"200": ok, "404": notFound}[r.Metric["status"]]
		if got := r.float(t); got != want {
			t.Errorf("k6_http_reqs_total{status=%q} = %v, want %v", r.Metric["status"], got, want)
		}
		if _, has := r.Metric["vu"]; has {
			t.Errorf("the vu tag reached Prometheus: %v", r.Metric)
		}
		if r.Metric["name"] != "http://127.0.0.1/x" {
			t.Errorf("the name tag is missing: %v", r.Metric)
		}
	}
	p99 := queryUntil(t, base, fmt.Sprintf(`k6_http_req_duration_p99{testid=%q,status="404"}`, testid), 1)
	if len(p99) != 1 {
		t.Fatalf("k6_http_req_duration_p99: %+v, want one series", p99)
	}
	// the 404s are the last 37 samples, 101..137 ms; the last interval
	// holds the newest of them, so its p99 is close to 0.137 s
	if v := p99[0].float(t); v <= 0.1 || v > 0.1371 {
		t.Errorf("k6_http_req_duration_p99{status=404} = %v s, want within (0.1, 0.137]", v)
	}
	if avg := query(t, base, fmt.Sprintf(`k6_http_req_duration_avg{testid=%q}`, testid)); len(avg) != 2 {
		t.Errorf("k6_http_req_duration_avg: %d series, want 2", len(avg))
	}
}
