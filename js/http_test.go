package js

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// addStatusAndRedirectRoutes serves /status/CODE, which answers CODE, and
// /redirect/N, which redirects N times before answering "landed".
func addStatusAndRedirectRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(r.PathValue("code"), &code)
		w.WriteHeader(code)
	})
	mux.HandleFunc("/redirect/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			fmt.Fprint(w, "landed")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusFound)
	})
}

// echoServer answers with what it received, and a few special paths.
func echoServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var served atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Method", r.Method)
		fmt.Fprintf(w, `{"method":%q,"body":%q,"ct":%q,"hdr":%q,"nested":{"list":[10,20,30]}}`,
			r.Method, body, r.Header.Get("Content-Type"), r.Header.Get("X-Test"))
	})
	addStatusAndRedirectRoutes(mux)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &served
}

func TestHTTPMethodsBodiesAndResponse(t *testing.T) {
	srv, served := echoServer(t)
	h := newHarness(t, `
import http from 'k6/http';
import { check } from 'k6';
const base = __ENV.BASE;
export default function () {
  let r = http.get(base + '/echo', { headers: { 'X-Test': 'yes' } });
  check(r, {
    'get status': (r) => r.status === 200 && r.status_text === '200 OK',
    'get json': (r) => r.json().method === 'GET' && r.json('hdr') === 'yes',
    'json path': (r) => r.json('nested.list.1') === 20,
    'headers': (r) => r.headers['X-Method'] === 'GET' && r.headers['Content-Type'] === 'application/json',
    'proto': (r) => r.proto === 'HTTP/1.1',
    'url': (r) => r.url === base + '/echo',
    'timings': (r) => r.timings.duration > 0 && r.timings.duration >= r.timings.waiting,
    'no error': (r) => r.error === '' && r.error_code === 0,
  });
  r = http.post(base + '/echo', 'raw text');
  check(r, { 'post string': (r) => r.json('body') === 'raw text' && r.json('method') === 'POST' });
  r = http.post(base + '/echo', { b: '2', a: 'x y' });
  check(r, { 'post form': (r) => r.json('body') === 'a=x+y&b=2' && r.json('ct') === 'application/x-www-form-urlencoded' });
  for (const [m, fn] of [['PUT', http.put], ['PATCH', http.patch], ['DELETE', http.del], ['OPTIONS', http.options]]) {
    r = fn(base + '/echo', 'b');
    check(r, { ['method ' + m]: (r) => r.headers['X-Method'] === m });
  }
  r = http.head(base + '/echo');
  check(r, { 'head': (r) => r.status === 200 && r.body === '' });
  r = http.request('get', base + '/echo', null, { responseType: 'binary' });
  check(r, { 'binary': (r) => r.body instanceof ArrayBuffer && r.body.byteLength > 10 });
  r = http.get(base + '/echo', { responseType: 'none' });
  check(r, { 'none': (r) => r.body === null });
  r = http.get(base + '/echo');
  r.custom = 7;
  const h1 = r.headers;
  check(r, {
    'like a plain object': (r) => r.custom === 7 && Object.keys(r).includes('status') && 'timings' in r && r.headers === h1,
    'stringifies': (r) => JSON.parse(JSON.stringify(r)).status === 200 && JSON.parse(JSON.stringify(r)).custom === 7,
  });
}`, map[string]string{"BASE": srv.URL})
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	for _, c := range s.Root.Checks {
		if c.Fails != 0 {
			t.Errorf("check %q failed", c.Name)
		}
	}
	reqs := sinkOf[*metrics.CounterSink](t, s, "http_reqs")
	if int64(reqs.Sum) != served.Load() || reqs.Sum != 11 {
		t.Fatalf("http_reqs = %v, server served %d, want 11", reqs.Sum, served.Load())
	}
	for _, name := range []string{"http_req_duration", "http_req_blocked", "http_req_connecting", "http_req_sending",
		"http_req_waiting", "http_req_receiving", "http_req_tls_handshaking"} {
		if tr := sinkOf[*metrics.TrendSink](t, s, name); tr.Count() != 11 {
			t.Errorf("%s has %d samples, want 11", name, tr.Count())
		}
	}
	if sent := sinkOf[*metrics.CounterSink](t, s, "data_sent"); sent.Sum < 10*50 {
		t.Errorf("data_sent = %v bytes, too few for 11 requests", sent.Sum)
	}
	if recv := sinkOf[*metrics.CounterSink](t, s, "data_received"); recv.Sum < 10*100 {
		t.Errorf("data_received = %v bytes, too few for 11 responses", recv.Sum)
	}
	if len(s.StatusCodes) != 1 || s.StatusCodes[0] != (metrics.Count{Key: "200", N: 11}) {
		t.Errorf("status codes = %+v", s.StatusCodes)
	}
}

// tagCollector records the tags of the http_reqs samples.
func tagCollector(h *harness) *[]*metrics.TagSet {
	var got []*metrics.TagSet
	h.engine.AddConsumer(func(batch []metrics.Sample) {
		for _, s := range batch {
			if s.Metric == h.builtins.HTTPReqs {
				got = append(got, s.Tags)
			}
		}
	})
	return &got
}

func TestHTTPTagsStatusErrorsAndRedirects(t *testing.T) {
	srv, _ := echoServer(t)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := closed.Addr().String()
	closed.Close()
	h := newHarnessFiles(t, map[string]string{"script.js": `
import http from 'k6/http';
import { check, group } from 'k6';
export default function () {
  group('g', () => { http.get(__ENV.BASE + '/status/404', { tags: { name: 'notfound', extra: 'x' } }); });
  const r = http.get(__ENV.BASE + '/redirect/2');
  check(r, { 'redirect landed': (r) => r.status === 200 && r.body === 'landed' && r.url.endsWith('/redirect/0') });
  const stop = http.get(__ENV.BASE + '/redirect/3', { redirects: 1 });
  check(stop, { 'redirect limit': (r) => r.status === 302 });
  const dead = http.get('http://' + __ENV.DEAD + '/');
  check(dead, { 'refused': (r) => r.status === 0 && r.error_code === 1212 && r.error === 'connection refused' });
  const slow = http.get(__ENV.BASE + '/slow', { timeout: '100ms' });
  check(slow, { 'timeout': (r) => r.error_code === 1050 && r.error === 'request timeout' });
}`}, "script.js", map[string]string{"BASE": srv.URL, "DEAD": deadAddr})
	got := tagCollector(h)
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	for _, c := range s.Root.Checks {
		if c.Fails != 0 {
			t.Errorf("check %q failed", c.Name)
		}
	}
	// 1 (404) + 3 (redirect chain) + 2 (stopped chain) + 1 refused + 1 timeout
	if reqs := sinkOf[*metrics.CounterSink](t, s, "http_reqs"); reqs.Sum != 8 {
		t.Fatalf("http_reqs = %v, want 8 (each redirect hop counts)", reqs.Sum)
	}
	failed := sinkOf[*metrics.RateSink](t, s, "http_req_failed")
	if failed.Trues != 3 || failed.Total != 8 {
		t.Errorf("http_req_failed = %d/%d, want 3/8", failed.Trues, failed.Total)
	}
	wantErrors := map[string]int64{"connection refused": 1, "request timeout": 1}
	for _, e := range s.Errors {
		if wantErrors[e.Key] != e.N {
			t.Errorf("errors block has %s=%d", e.Key, e.N)
		}
		delete(wantErrors, e.Key)
	}
	if len(wantErrors) > 0 {
		t.Errorf("errors block misses %v (has %+v)", wantErrors, s.Errors)
	}
	first := (*got)[0]
	for k, want := range map[string]string{"name": "notfound", "extra": "x", "status": "404", "error_code": "1404",
		"group": "::g", "method": "GET", "expected_response": "false", "proto": "HTTP/1.1", "url": srv.URL + "/status/404"} {
		if v, _ := first.Get(k); v != want {
			t.Errorf("tag %s = %q, want %q (tags %s)", k, v, want, first)
		}
	}
	if v, _ := (*got)[1].Get("name"); !strings.HasSuffix(v, "/redirect/2") {
		t.Errorf("name defaults to the URL, got %q", v)
	}
}

func TestHTTPBatch(t *testing.T) {
	srv, served := echoServer(t)
	h := newHarness(t, `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const arr = http.batch([
    __ENV.BASE + '/echo',
    ['POST', __ENV.BASE + '/echo', 'p', { headers: { 'X-Test': 'arr' } }],
    { method: 'PUT', url: __ENV.BASE + '/echo', body: 'q' },
  ]);
  check(arr, {
    'array shape': (a) => Array.isArray(a) && a.length === 3,
    'order kept': (a) => a[0].json('method') === 'GET' && a[1].json('hdr') === 'arr' && a[2].json('body') === 'q',
  });
  const obj = http.batch({ one: __ENV.BASE + '/status/201', two: __ENV.BASE + '/status/202' });
  check(obj, { 'object shape': (o) => o.one.status === 201 && o.two.status === 202 });
}`, map[string]string{"BASE": srv.URL})
	h.iterate(h.vu(1), 2)
	s := h.snapshot()
	for _, c := range s.Root.Checks {
		if c.Fails != 0 {
			t.Errorf("check %q failed", c.Name)
		}
	}
	if reqs := sinkOf[*metrics.CounterSink](t, s, "http_reqs"); reqs.Sum != 10 || served.Load() != 10 {
		t.Fatalf("http_reqs = %v, served %d, want 11", reqs.Sum, served.Load())
	}
}
