package prometheus

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throng-dev/throng/internal/remotewrite"
	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

// decoded is one TimeSeries read back from a request.
type decoded struct {
	name      string
	labels    map[string]string // without __name__
	order     []string          // label names in wire order, __name__ included
	value     float64
	timestamp int64
}

// decodeWriteRequest reads a request back (see internal/remotewrite).
func decodeWriteRequest(body []byte) ([]decoded, error) {
	series, err := remotewrite.Decode(body)
	out := make([]decoded, len(series))
	for i, sr := range series {
		out[i] = decoded{name: sr.Name, labels: sr.Labels, order: sr.Order, value: sr.Value, timestamp: sr.Timestamp}
	}
	return out, err
}

// receiver is an httptest remote-write server that records what it gets
// and answers with the statuses in plan, then 204.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	plan     []int
	requests int
	series   [][]decoded // per accepted request
	headers  http.Header
}

func newReceiver(t *testing.T, plan ...int) *receiver {
	r := &receiver{t: t, plan: plan}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.headers = req.Header.Clone()
	if len(r.plan) > 0 {
		code := r.plan[0]
		r.plan = r.plan[1:]
		if code != http.StatusNoContent {
			http.Error(w, "planned failure", code)
			return
		}
	}
	for _, h := range []struct{ k, v string }{
		{"Content-Encoding", "snappy"},
		{"Content-Type", "application/x-protobuf"},
		{"X-Prometheus-Remote-Write-Version", "0.1.0"},
	} {
		if got := req.Header.Get(h.k); got != h.v {
			r.t.Errorf("header %s = %q, want %q", h.k, got, h.v)
		}
	}
	ds, err := decodeWriteRequest(body)
	if err != nil {
		r.t.Errorf("decoding a request: %v", err)
		http.Error(w, err.Error(), 400)
		return
	}
	if len(ds) > 0 {
		r.series = append(r.series, ds)
	}
	w.WriteHeader(http.StatusNoContent)
}

// last returns the series of the last accepted non-empty request, by name
// and then by labels.
func (r *receiver) last() []decoded {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.series) == 0 {
		return nil
	}
	return sorted(r.series[len(r.series)-1])
}

func (r *receiver) all() []decoded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []decoded
	for _, s := range r.series {
		out = append(out, s...)
	}
	return out
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

func sorted(ds []decoded) []decoded {
	ds = append([]decoded(nil), ds...)
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].name != ds[j].name {
			return ds[i].name < ds[j].name
		}
		return fmt.Sprint(ds[i].labels) < fmt.Sprint(ds[j].labels)
	})
	return ds
}

func find(t *testing.T, ds []decoded, name string) decoded {
	t.Helper()
	for _, d := range ds {
		if d.name == name {
			return d
		}
	}
	var names []string
	for _, d := range ds {
		names = append(names, d.name)
	}
	t.Fatalf("no series %s among %s", name, strings.Join(names, ", "))
	return decoded{}
}

// env is a Lookup over a map.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// newTestOutput builds an output writing to url with the settings in e
// (names without the THRONG_ prefix), and a slice that collects warnings.
func newTestOutput(t *testing.T, url string, e map[string]string) (*Output, *warnings) {
	t.Helper()
	full := map[string]string{}
	for k, v := range e {
		full["THRONG_"+k] = v
	}
	w := &warnings{}
	out, err := New(outputs.Params{Arg: url, Lookup: env(full), Warnf: w.add})
	if err != nil {
		t.Fatal(err)
	}
	o := out.(*Output)
	t.Cleanup(func() { o.cancel() })
	return o, w
}

type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, fmt.Sprintf(format, args...))
}

func (w *warnings) get() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// fixture is a registry with the built-ins and a clock for samples.
type fixture struct {
	b  *metrics.Builtins
	at time.Time
}

func newFixture() *fixture {
	return &fixture{b: metrics.RegisterBuiltins(metrics.NewRegistry()), at: time.Now().Truncate(time.Millisecond)}
}

// sample makes a sample 1 ms after the previous one.
func (f *fixture) sample(m *metrics.Metric, v float64, tags map[string]string) metrics.Sample {
	f.at = f.at.Add(time.Millisecond)
	return metrics.Sample{Metric: m, Tags: metrics.NewTagSet(tags), Time: f.at.UnixNano(), Value: v}
}

func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-9+0.005*math.Abs(b) }
