package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/throng-dev/throng/outputs/summary"
)

// compatDir holds scripts written as k6's documentation writes them, one
// per part of the API. TestK6Compatibility runs each through the CLI, as
// a user would, against compatTarget, and compares what the run reports
// (exit code, every check, metrics from the summary export, output) and
// what the target served with compatCases.
const compatDir = "../../js/testdata/compat"

// compatCase is what one script of the corpus must produce.
type compatCase struct {
	args []string // extra `throng run` flags
	exit int
	// checks maps every check's path ("::name", "::group::name") to its
	// passes and fails; the run must have exactly these checks.
	checks map[string][2]int64
	// metrics maps "metric.stat" (or "metric{tag:value}.stat") to the
	// value the summary export must hold.
	metrics map[string]float64
	// thresholds maps "metric expression" to whether it must pass.
	thresholds map[string]bool
	stdout     []string          // substrings of stdout
	stderr     []string          // substrings of stderr
	served     map[string]int64  // target path → requests it must have served
	files      map[string]string // file under OUT_DIR → a substring of it
	errors     map[string]int64  // summary errors block: reason substring → count
	protos     map[string]int64  // protocol ("HTTP/2.0") → requests the targets served with it
}

// passed is a check that passed n times and never failed.
func passed(n int64) [2]int64 { return [2]int64{n, 0} }

var compatCases = map[string]compatCase{
	"http_get.js": {
		checks: map[string][2]int64{"::status is 200": passed(5), "::is JSON": passed(5), "::has two items": passed(5),
			"::second item is pear": passed(5), "::body mentions apple": passed(5)},
		metrics: map[string]float64{"http_reqs.count": 5, "iterations.count": 5, "http_req_failed.passes": 0, "checks.rate": 1},
		served:  map[string]int64{"/items": 5},
	},
	"http_post_json.js": {
		checks: map[string][2]int64{"::status is 200": passed(3), "::server saw POST": passed(3), "::content type sent": passed(3),
			"::body round-trips": passed(3)},
		metrics: map[string]float64{"http_reqs.count": 3},
		served:  map[string]int64{"/echo": 3},
	},
	"http_post_form.js": {
		checks: map[string][2]int64{"::logged in": passed(4), "::token is for this VU": passed(4), "::profile readable": passed(4),
			"::wrong password refused": passed(4)},
		metrics: map[string]float64{"http_reqs.count": 12, "http_req_failed.passes": 4, "http_req_failed.fails": 8},
		served:  map[string]int64{"/login": 8, "/me": 4},
	},
	"http_batch.js": {
		checks: map[string][2]int64{"::array batch all 200": passed(2), "::array batch keeps order": passed(2),
			"::object batch keeps keys": passed(2)},
		metrics: map[string]float64{"http_reqs.count": 10},
		served:  map[string]int64{"/items": 2, "/echo": 6, "/": 2},
	},
	"http_params_tags.js": {
		checks: map[string][2]int64{"::header sent": passed(6), "::query sent": passed(6)},
		metrics: map[string]float64{"http_reqs.count": 12, "http_reqs{name:user}.count": 6,
			"http_reqs{kind:lookup}.count": 6, "http_req_duration{name:user}.count": 6},
		thresholds: map[string]bool{"http_reqs{name:user} count==6": true, "http_req_duration{name:user} p(95)<5000": true},
		served:     map[string]int64{"/users": 6, "/echo": 6},
	},
	"http_methods.js": {
		checks: map[string][2]int64{"::put": passed(1), "::patch": passed(1), "::del": passed(1), "::options": passed(1),
			"::head has no body": passed(1), "::request": passed(1)},
		metrics: map[string]float64{"http_reqs.count": 6},
		served:  map[string]int64{"/echo": 6},
	},
	"http_errors.js": {
		checks: map[string][2]int64{"::404 status": passed(2), "::404 error_code": passed(2), "::503 error_code": passed(2)},
		metrics: map[string]float64{"http_reqs.count": 6, "http_req_failed.passes": 4, "http_req_failed.fails": 2,
			"http_req_duration{expected_response:true}.count": 2},
		thresholds: map[string]bool{"http_req_duration{expected_response:true} max<10000": true},
		stdout:     []string{"404=2", "503=2"},
		served:     map[string]int64{"/status": 4, "/": 2},
	},
	"checks.js": {
		checks: map[string][2]int64{"::always": passed(4), "::never": {0, 4}, "::even iterations": {2, 2},
			"::plain value": passed(4), "::returned all": {0, 4}},
		metrics:    map[string]float64{"checks.passes": 10, "checks.fails": 10},
		thresholds: map[string]bool{"checks rate>=0.5": true, "checks{check:always} rate==1": true},
	},
	"groups.js": {
		checks: map[string][2]int64{"::login::logged in": passed(2), "::browse::list loaded": passed(2),
			"::browse::details::item loaded": passed(2), "::group returns its value": passed(2)},
		metrics: map[string]float64{"group_duration.count": 6, "http_reqs.count": 8},
		stdout:  []string{"█ login", "█ browse", "█ details"},
	},
	"thresholds_fail.js": {
		exit:       99,
		metrics:    map[string]float64{"http_reqs.count": 4},
		thresholds: map[string]bool{"http_req_failed rate<0.01": false, "http_req_duration p(99)<10000": true},
		stderr:     []string{"some thresholds have failed"},
		stdout:     []string{"✗ 'rate<0.01'"},
	},
	"thresholds_abort.js": {
		exit:       99,
		thresholds: map[string]bool{"http_req_failed rate==0": false},
		stderr:     []string{"abortOnFail"},
	},
	"custom_metrics.js": {
		metrics: map[string]float64{"orders.count": 6, "cart_size.value": 3, "cart_size.max": 3, "cart_size.min": 1,
			"order_ok.rate": 2.0 / 3, "order_time.count": 3, "order_time.min": 10, "order_time.max": 30,
			"order_time.avg": 20, "orders{kind:big}.count": 3},
		thresholds: map[string]bool{"orders count==6": true, "order_ok rate>0.5": true, "order_time max<=30": true,
			"orders{kind:big} count==3": true},
	},
	"scenarios.js": {
		checks: map[string][2]int64{"::browser env": passed(4), "::buyer env": passed(3)},
		metrics: map[string]float64{"http_reqs{scenario:browse}.count": 4, "http_reqs{scenario:buy}.count": 3,
			"http_reqs{flow:checkout}.count": 3, "iterations.count": 7},
		stdout: []string{"✓ browser env", "✓ buyer env"},
		served: map[string]int64{"/items": 4, "/echo": 3},
	},
	"execution.js": {
		checks: map[string][2]int64{"::scenario name": passed(4), "::vu id in range": passed(4), "::options visible": passed(4),
			"::iterationInTest unique": passed(4), "::instance counts": passed(4)},
		metrics: map[string]float64{"http_reqs{tenant:acme}.count": 4},
	},
	"setup_teardown.js": {
		checks: map[string][2]int64{"::setup::setup logged in": passed(1), "::token from setup": passed(3),
			"::profile readable": passed(3)},
		metrics: map[string]float64{"http_reqs.count": 5},
		served:  map[string]int64{"/login": 1, "/me": 3, "/echo": 1},
	},
	"env.js": {
		args:    []string{"-e", "GREETING=hello", "-e", "VUS=3"},
		checks:  map[string][2]int64{"::greeting from -e": passed(6), "::VU numbers": passed(6), "::ITER counts from 0": passed(6)},
		metrics: map[string]float64{"vus_max.value": 3, "iterations.count": 6},
	},
	"handle_summary.js": {
		checks: map[string][2]int64{"::ok": passed(3)},
		stdout: []string{"custom summary: 3 requests, checks 3/3"},
		files:  map[string]string{"summary.json": `"http_reqs"`, "summary.txt": "http_reqs"},
	},
	"encoding.js": {
		checks:  map[string][2]int64{"::basic auth accepted": passed(2), "::decoded back": passed(2), "::url-safe": passed(2)},
		metrics: map[string]float64{"http_reqs.count": 2},
		served:  map[string]int64{"/basic": 2},
	},
	"crypto.js": {
		checks: map[string][2]int64{"::signature accepted": passed(2), "::digest matches server": passed(2),
			"::hasher matches one-shot": passed(2), "::random bytes": passed(2)},
		served: map[string]int64{"/signed": 2},
	},
	"html.js": {
		checks: map[string][2]int64{"::three products": passed(2), "::names": passed(2), "::csrf token found": passed(2),
			"::added to cart": passed(2), "::links in document order": passed(2)},
		served: map[string]int64{"/page": 2, "/cart": 2},
	},
	"shared_array.js": {
		checks:  map[string][2]int64{"::user found": passed(6), "::user is read-only": passed(6)},
		metrics: map[string]float64{"http_reqs.count": 6},
		served:  map[string]int64{"/users": 6},
	},
	"jslib_utils.js": {
		checks: map[string][2]int64{"::random string": passed(3), "::int in range": passed(3), "::uuid": passed(3),
			"::token between markers": passed(3), "::item from list": passed(3)},
		served: map[string]int64{"/page": 3},
	},
	"typescript.ts": {
		checks:  map[string][2]int64{"::status is 200": passed(2), "::typed total": passed(2)},
		metrics: map[string]float64{"http_reqs.count": 2},
	},
	"modules.js": {
		checks: map[string][2]int64{"::local ES module": passed(1), "::local CommonJS module": passed(1),
			"::require of a built-in": passed(1), "::throng alias": passed(1), "::open() text and binary": passed(1)},
	},
	"iteration_errors.js": {
		checks:  map[string][2]int64{"::before the error": passed(4)},
		metrics: map[string]float64{"iterations.count": 4, "after_error.count": 2}, // as in k6, an iteration that threw counts
		errors:  map[string]int64{"script exception": 2},
		stderr:  []string{"iteration_errors.js:12:", "odd iteration"},
	},
	"abort.js": {
		exit:   108,
		stderr: []string{"enough data"},
		served: map[string]int64{"/echo": 1},
	},
	"unsupported_module.js": {
		exit:   107,
		stderr: []string{"unsupported_module.js:4:", "k6/ws is not supported by throng"},
	},
	"unsupported_export.js": {
		exit:   107,
		stderr: []string{"unsupported_export.js:2:", "k6.randomSeed is not supported by throng"},
	},
	"http_cookies.js": {
		checks: map[string][2]int64{"::jar starts empty": passed(4), "::redirected home with the session": passed(4),
			"::res.cookies": passed(4), "::jar holds them": passed(4), "::params.cookies": passed(4), "::deleted": passed(4)},
		metrics: map[string]float64{"http_reqs.count": 24, "http_req_failed.passes": 0},
		served:  map[string]int64{"/cookies": 16, "/session": 8},
	},
	"http_redirects.js": {
		checks: map[string][2]int64{"::followed 2 hops": passed(2), "::stopped by maxRedirects": passed(2),
			"::params.redirects overrides": passed(2), "::redirects: 0 returns the redirect": passed(2)},
		metrics:    map[string]float64{"http_reqs.count": 24, "http_reqs{status:302}.count": 20, "http_reqs{status:200}.count": 4},
		thresholds: map[string]bool{"http_reqs{status:302} count==20": true, "http_reqs{status:200} count==4": true},
		served:     map[string]int64{"/redirect": 24},
	},
	"http_multipart.js": {
		checks: map[string][2]int64{"::uploaded": passed(2), "::form field": passed(2), "::text file": passed(2),
			"::binary file": passed(2)},
		metrics: map[string]float64{"http_reqs.count": 2},
		served:  map[string]int64{"/upload": 2},
	},
	"http_url_names.js": {
		checks:  map[string][2]int64{"::user found": passed(6), "::tags.name": passed(3)},
		metrics: map[string]float64{"http_reqs.count": 9, "http_reqs{name:${}/users/${}}.count": 6, "http_reqs{name:UserByID}.count": 3},
		thresholds: map[string]bool{"http_reqs{name:${}/users/${}} count==6": true,
			"http_req_duration{name:${}/users/${}} p(95)<10000": true, "http_reqs{name:UserByID} count==3": true},
		served: map[string]int64{"/users": 9},
	},
	"http_expected_statuses.js": {
		checks: map[string][2]int64{"::404 is expected here": passed(2), "::201 too": passed(2),
			"::one request expects a 409": passed(2), "::500 is not expected": passed(2), "::not judged": passed(2)},
		// 4 judged requests an iteration, the 500 failed; the 503 is not judged.
		metrics: map[string]float64{"http_reqs.count": 10, "http_req_failed.passes": 2, "http_req_failed.fails": 6,
			"http_reqs{expected_response:true}.count": 6},
		thresholds: map[string]bool{"http_req_failed rate<0.3": true, "http_reqs{expected_response:true} count==6": true},
		served:     map[string]int64{"/status": 10},
	},
	"http_compression.js": {
		checks: map[string][2]int64{"::gzip decoded": passed(2), "::deflate decoded": passed(2), "::br decoded": passed(2),
			"::zstd decoded": passed(2), "::gzip request body": passed(2)},
		metrics: map[string]float64{"http_reqs.count": 10, "http_req_failed.passes": 0},
		served:  map[string]int64{"/compressed": 8, "/gunzip": 2},
	},
	"http2_h2c.js": {
		checks:     map[string][2]int64{"::spoke HTTP/2": passed(6), "::batch over HTTP/2": passed(6)},
		metrics:    map[string]float64{"http_reqs.count": 18, "http_reqs{proto:HTTP/2.0}.count": 18},
		thresholds: map[string]bool{"http_reqs{proto:HTTP/2.0} count==18": true},
		served:     map[string]int64{"/proto": 6, "/items": 6, "/echo": 6},
		protos:     map[string]int64{"HTTP/2.0": 18},
	},
	"timers.js": {
		checks: map[string][2]int64{"::cleared timer never ran": passed(2), "::k6/timers": passed(2),
			"::interval stopped after 3": passed(2)},
		metrics: map[string]float64{"http_reqs.count": 6, "iterations.count": 2},
		served:  map[string]int64{"/echo": 6},
	},
	"async_request.js": {
		checks: map[string][2]int64{"::awaited response": passed(4), "::side by side": passed(4), "::post body": passed(4),
			"::an error status resolves too": passed(4)},
		metrics: map[string]float64{"http_reqs.count": 16, "iterations.count": 4, "http_req_failed.passes": 4},
		served:  map[string]int64{"/items": 4, "/users": 4, "/echo": 4, "/status": 4},
	},
	"http_batch_per_host.js": {
		checks:  map[string][2]int64{"::all answered": passed(1), "::at most 2 at once": passed(1)},
		metrics: map[string]float64{"http_reqs.count": 7},
		served:  map[string]int64{"/barrier": 7},
	},
	"http_hosts.js": {
		checks: map[string][2]int64{"::shop.test reached": passed(2), "::url keeps the name": passed(2),
			"::host:port mapped": passed(2)},
		metrics: map[string]float64{"http_reqs.count": 4},
		served:  map[string]int64{"/items": 2, "/users": 2},
	},
	"http_auth.js": {
		checks:     map[string][2]int64{"::basic authenticated": passed(2), "::digest authenticated": passed(2)},
		metrics:    map[string]float64{"http_reqs.count": 6, "http_req_failed.passes": 0},
		thresholds: map[string]bool{"http_req_failed rate==0": true},
		served:     map[string]int64{"/basic-auth": 2, "/digest-auth": 4},
	},
	"http_tls.js": {
		checks:  map[string][2]int64{"::HTTP/2 over TLS": passed(2), "::TLS 1.3": passed(2)},
		metrics: map[string]float64{"http_reqs.count": 2, "http_req_failed.passes": 0},
		served:  map[string]int64{"/proto": 2},
		protos:  map[string]int64{"HTTP/2.0": 2},
	},
	"http_tls_verify.js": {
		checks:  map[string][2]int64{"::refused, not crashed": passed(2)},
		metrics: map[string]float64{"http_reqs.count": 2, "http_req_failed.passes": 2},
		errors:  map[string]int64{"x509: unknown certificate authority": 2},
	},
}

func TestK6Compatibility(t *testing.T) {
	target := newCompatTarget(t)
	entries, err := os.ReadDir(compatDir)
	if err != nil {
		t.Fatal(err)
	}
	var scripts []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".js") || strings.HasSuffix(e.Name(), ".ts")) {
			scripts = append(scripts, e.Name())
		}
	}
	for name := range compatCases {
		if !slices.Contains(scripts, name) {
			t.Errorf("compatCases has %s, which is not in %s", name, compatDir)
		}
	}
	for _, name := range scripts {
		c, ok := compatCases[name]
		if !ok {
			t.Errorf("%s has no entry in compatCases", name)
			continue
		}
		t.Run(name, func(t *testing.T) { runCompatCase(t, target, name, c) })
	}
}

func runCompatCase(t *testing.T, target *compatTarget, name string, c compatCase) {
	target.reset()
	out := t.TempDir()
	export := filepath.Join(out, "export.json")
	args := []string{"run", "-q", "--no-color", "--summary-export", export, "--summary-trend-stats", "avg,min,med,max,p(95),count",
		"-e", "BASE_URL=" + target.URL, "-e", "TLS_URL=" + target.tls.URL, "-e", "OUT_DIR=" + out}
	args = append(append(args, c.args...), filepath.Join(compatDir, name))
	r := runCLI(t, nil, nil, args...)
	if r.code != c.exit {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, c.exit, r.stdout, r.stderr)
	}
	for _, s := range c.stdout {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	for _, s := range c.stderr {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	for path, want := range c.served {
		if got := target.count(path); got != want {
			t.Errorf("the target served %s %d times, want %d (all: %v)", path, got, want, target.counts())
		}
	}
	for proto, want := range c.protos {
		if got := target.protoCount(proto); got != want {
			t.Errorf("the targets served %d requests over %s, want %d", got, proto, want)
		}
	}
	for file, want := range c.files {
		data, err := os.ReadFile(filepath.Join(out, file))
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s: %v, content lacks %q", file, err, want)
		}
	}
	if c.exit == exitScriptError {
		return // the run never started: no export
	}
	ex := readExport(t, export)
	compareChecks(t, ex, c.checks)
	compareMetrics(t, ex, c.metrics)
	compareThresholds(t, ex, c.thresholds)
	for reason, want := range c.errors {
		var got int64
		for _, e := range ex.Throng.Errors {
			if strings.Contains(e.Reason, reason) {
				got += e.Count
			}
		}
		if got != want {
			t.Errorf("errors %q counted %d, want %d (%v)", reason, got, want, ex.Throng.Errors)
		}
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

func compareChecks(t *testing.T, ex *summary.Export, want map[string][2]int64) {
	t.Helper()
	got := map[string][2]int64{}
	var walk func(g summary.Group)
	walk = func(g summary.Group) {
		for _, c := range g.Checks {
			got[c.Path] = [2]int64{c.Passes, c.Fails}
		}
		for _, sub := range g.Groups {
			walk(sub)
		}
	}
	walk(ex.RootGroup)
	for path, w := range want {
		if got[path] != w {
			t.Errorf("check %q: ✓ %d ✗ %d, want ✓ %d ✗ %d", path, got[path][0], got[path][1], w[0], w[1])
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("unexpected check %q %v", path, got[path])
		}
	}
}

func compareMetrics(t *testing.T, ex *summary.Export, want map[string]float64) {
	t.Helper()
	for key, w := range want {
		i := strings.LastIndex(key, ".")
		name, stat := key[:i], key[i+1:]
		m, found := ex.Metrics[name]
		if !found {
			if w == 0 { // a metric without samples is not exported
				continue
			}
			t.Errorf("no metric %s in the export", name)
			continue
		}
		if got, found := m.Values[stat]; !found || !closeTo(got, w) {
			t.Errorf("%s = %v (present %v), want %v", key, got, found, w)
		}
	}
}

func closeTo(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}

func compareThresholds(t *testing.T, ex *summary.Export, want map[string]bool) {
	t.Helper()
	for key, w := range want {
		name, expr, _ := strings.Cut(key, " ")
		st, found := ex.Metrics[name].Thresholds[expr]
		if !found || st.OK != w {
			t.Errorf("threshold %s %q: ok %v (present %v), want %v", name, expr, st.OK, found, w)
		}
	}
}

// compatTarget is the system under test of the corpus: a loopback server
// with endpoints for the corpus's scripts to exercise, counting what it
// serves by first path segment ("/users/3" counts as "/users").
type compatTarget struct {
	*httptest.Server                  // HTTP/1.1 and cleartext HTTP/2 (h2c) on one port
	tls              *httptest.Server // the same endpoints over TLS, HTTP/2 by ALPN, self-signed
	mu               sync.Mutex
	served           map[string]int64
	protos           map[string]int64 // requests served per protocol
	inflight, most   int              // /barrier requests in flight, and the most seen at once
}

// compatSecret is the HMAC key the corpus's crypto script signs with.
const compatSecret = "compat-secret"

func newCompatTarget(t *testing.T) *compatTarget {
	c := &compatTarget{served: map[string]int64{}, protos: map[string]int64{}}
	mux := http.NewServeMux()
	c.httpFeatures(mux)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"total": 2, "items": []map[string]any{
			{"id": 1, "name": "apple", "price": 1.5}, {"id": 2, "name": "pear", "price": 2.25}}})
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		headers := map[string]string{}
		for k := range r.Header {
			headers[k] = r.Header.Get(k)
		}
		query := map[string]string{}
		for k := range r.URL.Query() {
			query[k] = r.URL.Query().Get(k)
		}
		writeJSON(w, 200, map[string]any{"method": r.Method, "headers": headers, "query": query, "body": string(body)})
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.PathValue("code"))
		if err != nil {
			code = 400
		}
		w.WriteHeader(code)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("pass") != "secret" {
			writeJSON(w, 401, map[string]any{"error": "bad credentials"})
			return
		}
		writeJSON(w, 200, map[string]any{"token": "tok-" + r.FormValue("user")})
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		user, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer tok-")
		if !found {
			writeJSON(w, 401, map[string]any{"error": "no token"})
			return
		}
		writeJSON(w, 200, map[string]any{"user": user})
	})
	mux.HandleFunc("GET /basic", func(w http.ResponseWriter, r *http.Request) {
		if u, p, found := r.BasicAuth(); !found || u != "admin" || p != "hunter2:é" {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, "welcome")
	})
	mux.HandleFunc("POST /signed", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(compatSecret))
		mac.Write(body)
		if r.Header.Get("X-Signature") != hex.EncodeToString(mac.Sum(nil)) {
			w.WriteHeader(403)
			return
		}
		sum := sha256.Sum256(body)
		writeJSON(w, 200, map[string]any{"sha256": hex.EncodeToString(sum[:])})
	})
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, compatPage)
	})
	mux.HandleFunc("POST /cart", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("csrf") != "csrf-42" || r.FormValue("product") == "" {
			w.WriteHeader(403)
			return
		}
		w.WriteHeader(201)
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"id": r.PathValue("id"), "name": "user " + r.PathValue("id")})
	})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		c.mu.Lock()
		c.served["/"+first]++
		c.protos[r.Proto]++
		c.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
	c.Server = httptest.NewUnstartedServer(handler)
	c.Config.Protocols = new(http.Protocols)
	c.Config.Protocols.SetHTTP1(true)
	c.Config.Protocols.SetUnencryptedHTTP2(true)
	c.Start()
	t.Cleanup(c.Close)
	c.tls = httptest.NewUnstartedServer(handler)
	c.tls.EnableHTTP2 = true
	c.tls.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes of http_tls_verify.js
	c.tls.StartTLS()
	t.Cleanup(c.tls.Close)
	return c
}

const compatPage = `<!DOCTYPE html>
<html lang="en"><head><title>Compat shop</title></head>
<body>
  <!-- token:[csrf-42] -->
  <ul id="products">
    <li class="product" data-sku="A1"><a href="/p/A1">Apple</a> <span class="price">1.50</span></li>
    <li class="product" data-sku="P2"><a href="/p/P2">Pear</a> <span class="price">2.25</span></li>
    <li class="product sold-out" data-sku="F3"><a href="/p/F3">Fig</a> <span class="price">3.00</span></li>
  </ul>
  <form action="/cart" method="post"><input type="hidden" name="csrf" value="csrf-42"></form>
</body></html>`

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprint("writing JSON: ", err))
	}
}

func (c *compatTarget) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.served, c.protos, c.inflight, c.most = map[string]int64{}, map[string]int64{}, 0, 0
}

func (c *compatTarget) protoCount(proto string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.protos[proto]
}

func (c *compatTarget) count(path string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.served[path]
}

func (c *compatTarget) counts() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.served)
}
