package influxdb

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// fakeInflux plays InfluxDB 1.8: /ping, /query, and /api/v2/write, whose
// answers the test chooses per request.
type fakeInflux struct {
	*httptest.Server
	// answer gives the status of the n-th write request (from 1); nil: 204.
	answer  func(n int64) int
	version string // X-Influxdb-Version; "" is 1.8.10

	writes      atomic.Int64 // requests
	lines       atomic.Int64 // lines of the requests answered 204
	received    atomic.Int64 // lines of every request
	bytes       atomic.Int64 // body bytes of the requests answered 204
	inFlight    atomic.Int64
	maxInFlight atomic.Int64

	mu      sync.Mutex
	queries []string
	params  []url.Values
	auth    []string
	bodies  []string
}

func newFakeInflux(t *testing.T, answer func(n int64) int) *fakeInflux {
	f := &fakeInflux{answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeInflux) serve(w http.ResponseWriter, r *http.Request) {
	version := "1.8.10"
	if f.version != "" {
		version = f.version
	}
	w.Header().Set("X-Influxdb-Version", version)
	switch r.URL.Path {
	case "/ping":
		w.WriteHeader(http.StatusNoContent)
	case "/query":
		r.ParseForm()
		f.mu.Lock()
		f.queries = append(f.queries, r.Form.Get("q"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"results":[{"statement_id":0}]}`)
	case "/api/v2/write":
		n := f.writes.Add(1)
		in := f.inFlight.Add(1)
		defer f.inFlight.Add(-1)
		for {
			m := f.maxInFlight.Load()
			if in <= m || f.maxInFlight.CompareAndSwap(m, in) {
				break
			}
		}
		body, _ := io.ReadAll(r.Body)
		f.received.Add(int64(strings.Count(string(body), "\n")))
		f.mu.Lock()
		f.params = append(f.params, r.URL.Query())
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		f.mu.Unlock()
		status := http.StatusNoContent
		if f.answer != nil {
			status = f.answer(n)
		}
		if status == http.StatusNoContent {
			f.lines.Add(int64(strings.Count(string(body), "\n")))
			f.bytes.Add(int64(len(body)))
			f.mu.Lock()
			f.bodies = append(f.bodies, string(body))
			f.mu.Unlock()
			w.WriteHeader(status)
			return
		}
		msg := "internal error"
		switch status {
		case http.StatusBadRequest:
			msg = `partial write: field type conflict: input field "value" on measurement "http_reqs" is type string, already exists as type float dropped=1`
		case http.StatusUnauthorized:
			msg = "authorization failed"
		}
		w.Header().Set("X-Influxdb-Error", msg)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, `{"error":`+strconv.Quote(msg)+`}`)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeInflux) allBodies() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.bodies, "")
}

// start builds and starts an output for arg with env.
func start(t *testing.T, arg string, env map[string]string, w *warnings) *Output {
	t.Helper()
	out, err := New(params(arg, env, w))
	if err != nil {
		t.Fatal(err)
	}
	o := out.(*Output)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	return o
}

func stopWithin(t *testing.T, o *Output, bound time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	if err := o.Stop(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	if took > bound {
		t.Errorf("Stop took %v, more than %v", took, bound)
	}
	return took
}

func TestWritesEverySampleOnce(t *testing.T) {
	f := newFakeInflux(t, nil)
	var w warnings
	o := start(t, strings.Replace(f.URL, "http://", "http://alice:s3cret@", 1)+"/k6/autogen", map[string]string{"THRONG_INFLUXDB_PUSH_INTERVAL": "50ms"}, &w)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	samples := requests(b, 2000, time.Now(), time.Second, 3) // 18,000 points: several batches
	feed(o, samples)
	stopWithin(t, o, 10*time.Second)

	if got := f.lines.Load(); got != int64(len(samples)) {
		t.Errorf("the server got %d lines, want %d", got, len(samples))
	}
	if got := o.Written(); got != int64(len(samples)) {
		t.Errorf("Written() = %d, want %d", got, len(samples))
	}
	if r := o.Report(); r != "" {
		t.Errorf("Report() = %q, want \"\"", r)
	}
	if w.String() != "" {
		t.Errorf("warnings: %s", w.String())
	}
	bodies := f.allBodies()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queries) != 1 || f.queries[0] != `CREATE DATABASE "k6"` {
		t.Errorf("queries %q, want CREATE DATABASE \"k6\"", f.queries)
	}
	for i, p := range f.params {
		if p.Get("bucket") != "k6/autogen" || p.Get("precision") != "ns" {
			t.Fatalf("write %d: params %v", i, p)
		}
		if f.auth[i] != "Token alice:s3cret" {
			t.Fatalf("write %d: Authorization %q", i, f.auth[i])
		}
	}
	// One line per sample, in the data model's shape.
	line := regexp.MustCompile(`(?m)^http_reqs,method=GET,name=http://127\.0\.0\.1:8080/items/0,proto=HTTP/1\.1,scenario=default,status=200 value=1,iter=0i,url="http://127\.0\.0\.1:8080/items/0",vu=1i \d{19}$`)
	if !line.MatchString(bodies) {
		t.Errorf("no line like %s in:\n%.600s", line, bodies)
	}
}

func TestRetriesServerErrorsThenDelivers(t *testing.T) {
	f := newFakeInflux(t, func(n int64) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	var w warnings
	o := start(t, f.URL+"/db", map[string]string{"K6_INFLUXDB_PUSH_INTERVAL": "20ms", "K6_INFLUXDB_CONCURRENT_WRITES": "1"}, &w)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	samples := requests(b, 100, time.Now(), time.Second, 1)
	feed(o, samples)
	stopWithin(t, o, 10*time.Second)
	if got := f.lines.Load(); got != int64(len(samples)) {
		t.Errorf("the server got %d lines, want %d", got, len(samples))
	}
	if r := o.Report(); r != "3 retries (every point was written)" {
		t.Errorf("Report() = %q", r)
	}
	if s := w.String(); !strings.Contains(s, "retrying") || !strings.Contains(s, "answers again") || strings.Count(s, "retrying") != 1 {
		t.Errorf("warnings:\n%s", s)
	}
}

func TestDoesNotRetryClientErrors(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   []string
	}{
		{http.StatusBadRequest, []string{"partial write: field type conflict", "not retried"}},
		{http.StatusUnauthorized, []string{"authorization failed", "INFLUXDB_TOKEN"}},
	} {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			f := newFakeInflux(t, func(int64) int { return tt.status })
			var w warnings
			o := start(t, f.URL+"/db", map[string]string{"K6_INFLUXDB_PUSH_INTERVAL": "20ms", "K6_INFLUXDB_TOKEN": "sekrit"}, &w)
			b := metrics.RegisterBuiltins(metrics.NewRegistry())
			samples := requests(b, 700, time.Now(), time.Second, 1) // 6,300 points: 2 batches
			feed(o, samples)
			stopWithin(t, o, 5*time.Second)
			if got := f.received.Load(); got != int64(len(samples)) || o.retries.Load() != 0 {
				t.Errorf("the server got %d lines in %d requests, want each of the %d once (no retries)", got, f.writes.Load(), len(samples))
			}
			if r := o.Report(); r != "6300 points rejected by the server" {
				t.Errorf("Report() = %q", r)
			}
			s := w.String()
			if strings.Count(s, "\n") != 0 {
				t.Errorf("more than one warning:\n%s", s)
			}
			for _, want := range tt.want {
				if !strings.Contains(s, want) {
					t.Errorf("the warning does not say %q:\n%s", want, s)
				}
			}
			if strings.Contains(s, "sekrit") {
				t.Errorf("the warning shows the token: %s", s)
			}
		})
	}
}

func TestQueueFullDropsWithoutBlocking(t *testing.T) {
	release := make(chan struct{})
	f := newFakeInflux(t, func(int64) int { <-release; return http.StatusNoContent })
	var w warnings
	o := start(t, f.URL+"/db", map[string]string{"K6_INFLUXDB_QUEUE_POINTS": "10", "K6_INFLUXDB_PUSH_INTERVAL": "10ms"}, &w)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	began := time.Now()
	for i := range 100 {
		o.AddSamples([]metrics.Sample{{Metric: b.HTTPReqs, Time: time.Now().UnixNano(), Value: float64(i)}})
		time.Sleep(time.Millisecond) // let the pusher hand batches to the (stuck) writers
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("AddSamples blocked: 100 calls took %v", took)
	}
	close(release)
	stopWithin(t, o, 5*time.Second)
	if got := f.lines.Load(); got != 10 {
		t.Errorf("the server got %d lines, want the 10 the queue held", got)
	}
	if r := o.Report(); r != "90 points dropped (queue full)" {
		t.Errorf("Report() = %q", r)
	}
	if s := w.String(); strings.Count(s, "queue is full") != 1 {
		t.Errorf("warnings:\n%s", s)
	}
}

func TestStopGivesUpAfterTheTimeout(t *testing.T) {
	f := newFakeInflux(t, func(int64) int { return http.StatusServiceUnavailable })
	var w warnings
	o := start(t, f.URL+"/db", map[string]string{"K6_INFLUXDB_STOP_TIMEOUT": "500ms", "K6_INFLUXDB_PUSH_INTERVAL": "20ms"}, &w)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	samples := requests(b, 1000, time.Now(), time.Second, 1)
	feed(o, samples)
	took := stopWithin(t, o, 3*time.Second)
	if took < 400*time.Millisecond {
		t.Errorf("Stop returned after %v, before the timeout", took)
	}
	r := o.Report()
	if !strings.HasPrefix(r, "9000 points not delivered (server unreachable or too slow), ") || !strings.Contains(r, "retries") {
		t.Errorf("Report() = %q", r)
	}
	if f.lines.Load() != 0 {
		t.Error("lines were accepted")
	}
}

func TestStartWarnsWhenTheServerIsDown(t *testing.T) {
	f := newFakeInflux(t, nil)
	addr := f.URL
	f.Close() // nothing listens there now
	var w warnings
	o := start(t, addr+"/db", map[string]string{"K6_INFLUXDB_STOP_TIMEOUT": "300ms"}, &w)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	feed(o, requests(b, 10, time.Now(), time.Second, 1))
	stopWithin(t, o, 3*time.Second)
	s := w.String()
	if strings.Count(s, "\n") != 0 || !strings.Contains(s, "does not answer") || !strings.Contains(s, "the run goes on") || !strings.Contains(s, "queued") {
		t.Errorf("want one clear warning, got:\n%s", s)
	}
	if r := o.Report(); !strings.HasPrefix(r, "90 points not delivered (server unreachable or too slow)") {
		t.Errorf("Report() = %q", r)
	}
}

func TestConcurrentWritesAreBounded(t *testing.T) {
	f := newFakeInflux(t, func(int64) int { time.Sleep(30 * time.Millisecond); return http.StatusNoContent })
	o := start(t, f.URL+"/db", map[string]string{"K6_INFLUXDB_CONCURRENT_WRITES": "2"}, nil)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	samples := requests(b, 6000, time.Now(), time.Second, 1) // 54,000 points: 11 batches
	feed(o, samples)
	stopWithin(t, o, 10*time.Second)
	if got := f.lines.Load(); got != int64(len(samples)) {
		t.Errorf("the server got %d lines, want %d", got, len(samples))
	}
	if m := f.maxInFlight.Load(); m != 2 {
		t.Errorf("at most %d writes in flight, want 2", m)
	}
}

func TestAggregateModeCountsEverySample(t *testing.T) {
	f := newFakeInflux(t, nil)
	o, clock, t0 := startOnFakeClock(t, f.URL+"/db", map[string]string{"K6_INFLUXDB_AGGREGATE": "1s", "K6_INFLUXDB_PUSH_INTERVAL": "20ms"})
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	samples := requests(b, 3000, t0, 3*time.Second, 2) // 3 intervals × 9 metrics × 3 tag sets (url 0: 200; url 1: 200, 503)
	for i := 0; i < len(samples); i += 900 {
		feed(o, samples[i:min(i+900, len(samples))])
		clock.Store(samples[min(i+900, len(samples))-1].Time)
	}
	stopWithin(t, o, 5*time.Second)
	body := f.allBodies()
	if n := strings.Count(body, "\n"); n != 3*9*3 {
		t.Errorf("%d points, want %d:\n%.2000s", n, 3*9*3, body)
	}
	var total int64
	for _, m := range regexp.MustCompile(`count=(\d+)i`).FindAllStringSubmatch(body, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		total += n
	}
	if total != int64(len(samples)) {
		t.Errorf("the counts add up to %d, want %d", total, len(samples))
	}
	if !regexp.MustCompile(`(?m)^http_req_duration,method=GET,name=\S+,proto=HTTP/1\.1,scenario=default,status=200 count=\d+i,sum=[0-9.]+,min=[0-9.]+,max=[0-9.]+,value=[0-9.]+,p50=[0-9.]+,p90=[0-9.]+,p95=[0-9.]+,p99=[0-9.]+ 170000000[123]000000000$`).MatchString(body) {
		t.Errorf("no trend point of the expected shape in:\n%.1500s", body)
	}
	if strings.Contains(body, "url=") || strings.Contains(body, "vu=") {
		t.Error("aggregate points hold tags-as-fields")
	}
	if r := o.Report(); r != "" {
		t.Errorf("Report() = %q", r)
	}
}

func TestNaNIsSkippedAndReported(t *testing.T) {
	f := newFakeInflux(t, nil)
	o := start(t, f.URL+"/db", nil, nil)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	nan := 0.0
	nan /= nan
	o.AddSamples([]metrics.Sample{{Metric: b.VUs, Time: 1, Value: 1}, {Metric: b.VUs, Time: 2, Value: nan}})
	stopWithin(t, o, 5*time.Second)
	if f.lines.Load() != 1 || o.Report() != "1 samples skipped (NaN or infinite value)" {
		t.Errorf("lines %d, Report() = %q", f.lines.Load(), o.Report())
	}
}

func TestInflux2(t *testing.T) {
	f := newFakeInflux(t, nil)
	f.version = "v2.7.4"
	var w warnings
	o := start(t, f.URL+"/metrics", map[string]string{"K6_INFLUXDB_TOKEN": "tok"}, &w)
	stopWithin(t, o, time.Second)
	if s := w.String(); !strings.Contains(s, "needs an organization") || !strings.Contains(s, "INFLUXDB_ORGANIZATION") {
		t.Errorf("no warning about the organization: %q", s)
	}

	var w2 warnings
	o = start(t, f.URL+"/metrics", map[string]string{"K6_INFLUXDB_TOKEN": "tok", "K6_INFLUXDB_ORGANIZATION": "acme"}, &w2)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	feed(o, requests(b, 10, time.Now(), time.Second, 1))
	stopWithin(t, o, 5*time.Second)
	if w2.String() != "" || f.lines.Load() != 90 {
		t.Errorf("warnings %q, %d lines", w2.String(), f.lines.Load())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queries) != 0 {
		t.Errorf("queries sent to a 2.x server: %q", f.queries)
	}
	if p := f.params[0]; p.Get("org") != "acme" || p.Get("bucket") != "metrics" || f.auth[0] != "Token tok" {
		t.Errorf("params %v, auth %q", p, f.auth[0])
	}
}

func TestSameNanosecondPointsAreKeptApart(t *testing.T) {
	f := newFakeInflux(t, nil)
	o := start(t, f.URL+"/db", nil, nil)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	var batch []metrics.Sample
	for vu := range 3 { // three VUs' own tag sets, same content, same nanosecond
		tags := metrics.NewTagSet(map[string]string{"check": "ok", "vu": strconv.Itoa(vu + 1)})
		batch = append(batch, metrics.Sample{Metric: b.Checks, Tags: tags, Time: 1000, Value: 1})
	}
	other := metrics.NewTagSet(map[string]string{"check": "other"})
	batch = append(batch, metrics.Sample{Metric: b.Checks, Tags: other, Time: 1000, Value: 1},
		metrics.Sample{Metric: b.Iterations, Tags: other, Time: 1000, Value: 1})
	o.AddSamples(batch)
	stopWithin(t, o, 5*time.Second)
	want := "checks,check=ok value=1,vu=1i 1000\n" +
		"checks,check=ok value=1,vu=2i 1001\n" +
		"checks,check=ok value=1,vu=3i 1002\n" +
		"checks,check=other value=1 1000\n" +
		"iterations,check=other value=1 1000\n"
	if got := f.allBodies(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestEarlyAnswerDoesNotRaceTheBuffer: a server that refuses a batch
// before reading its body lets the transport go on reading it after Do has
// returned; the batch's buffer must not be reused (and written) until the
// transport has closed the body. Run with -race.
func TestEarlyAnswerDoesNotRaceTheBuffer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/write" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest) // before reading the body
			io.WriteString(w, `{"error":"no"}`)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	var w warnings
	o := start(t, srv.URL+"/db", map[string]string{"K6_INFLUXDB_PUSH_INTERVAL": "10ms", "K6_INFLUXDB_CONCURRENT_WRITES": "2"}, &w)
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	samples := requests(b, 20_000, time.Now(), time.Second, 50) // 180,000 points: 36 batches of about 1 MB
	for i := 0; i < len(samples); i += 9_000 {
		feed(o, samples[i:min(i+9_000, len(samples))])
		time.Sleep(5 * time.Millisecond)
	}
	stopWithin(t, o, 20*time.Second)
	if r := o.Report(); r != "180000 points rejected by the server" {
		t.Errorf("Report() = %q", r)
	}
}

// startOnFakeClock starts an output writing to url whose clock (the one
// aggregate intervals follow) the test moves by storing Unix nanoseconds
// into the returned clock, which starts at t0.
func startOnFakeClock(t testing.TB, url string, env map[string]string) (o *Output, clock *atomic.Int64, t0 time.Time) {
	t.Helper()
	out, err := New(params(url, env, nil))
	if err != nil {
		t.Fatal(err)
	}
	o, clock, t0 = out.(*Output), new(atomic.Int64), time.Unix(1_700_000_000, 0)
	clock.Store(t0.UnixNano())
	o.now = func() time.Time { return time.Unix(0, clock.Load()) }
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	return o, clock, t0
}
