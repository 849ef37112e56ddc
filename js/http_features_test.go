package js

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

// featureHarness runs src against a featureServer (BASE in __ENV), with
// the given consolidated options (JSON; "" for none).
func featureHarness(t *testing.T, srv *featureServer, options, src string) *harness {
	t.Helper()
	h := newHarness(t, src, map[string]string{"BASE": srv.URL, "HOSTPORT": strings.TrimPrefix(srv.URL, "http://")})
	if options != "" {
		h.bundle.SetOptions([]byte(options))
	}
	return h
}

// allChecksPassed fails the test for every failed check, and when fewer
// than want checks ran.
func allChecksPassed(t *testing.T, h *harness, s *metrics.Snapshot, want int) {
	t.Helper()
	if len(s.Errors) > 0 {
		t.Errorf("errors: %+v\nlog:\n%s", s.Errors, h.log.String())
	}
	n := 0
	var walk func(g *metrics.Group)
	walk = func(g *metrics.Group) {
		for _, c := range g.Checks {
			n++
			if c.Fails != 0 || c.Passes == 0 {
				t.Errorf("check %q: ✓ %d ✗ %d", c.Name, c.Passes, c.Fails)
			}
		}
		for _, sub := range g.Groups {
			walk(sub)
		}
	}
	walk(s.Root)
	if n != want {
		t.Errorf("%d checks ran, want %d\nlog:\n%s", n, want, h.log.String())
	}
}

// tagValues counts the http_reqs samples by the value of one tag ("-" when
// a sample lacks it).
func tagValues(h *harness, key string) map[string]int {
	got := map[string]int{}
	h.engine.AddConsumer(func(batch []metrics.Sample) {
		for _, s := range batch {
			if s.Metric == h.builtins.HTTPReqs {
				v, ok := s.Tags.Get(key)
				if !ok {
					v = "-"
				}
				got[v]++
			}
		}
	})
	return got
}

func TestHTTPURLTemplateNamesGroupURLs(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, "", `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  for (const id of [1, 2, 3]) {
    const u = http.url`+"`${__ENV.BASE}/users/${id}?x=${id * 2}`"+`;
    const r = http.get(u);
    check(r, { 'template url': (r) => r.body === 'ok /users/' + id && String(u) === __ENV.BASE + '/users/' + id + '?x=' + id * 2 && u.name === '${}/users/${}?x=${}' });
  }
  const b = http.batch([http.url`+"`${__ENV.BASE}/b/${1}`"+`, ['GET', http.url`+"`${__ENV.BASE}/b/${2}`"+`]]);
  check(b, { 'batch of urls': (b) => b[0].body === 'ok /b/1' && b[1].body === 'ok /b/2' });
  http.get(http.url`+"`${__ENV.BASE}/users/${9}`"+`, { tags: { name: 'explicit' } });
}`)
	names := tagValues(h, "name")
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	allChecksPassed(t, h, s, 2)
	want := map[string]int{"${}/users/${}?x=${}": 3, "${}/b/${}": 2, "explicit": 1}
	if len(names) != len(want) {
		t.Errorf("name tags %v, want %v", names, want)
	}
	for k, n := range want {
		if names[k] != n {
			t.Errorf("name %q tagged %d requests, want %d (all %v)", k, names[k], n, names)
		}
	}
}

func TestHTTPCookies(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, "", `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const first = http.get(__ENV.BASE + '/cookies/echo');
  check(first, { 'jar empty at each iteration start': (r) => Object.keys(r.json()).length === 0 });
  const set = http.get(__ENV.BASE + '/cookies/set?session=abc&theme=dark');
  check(set, {
    'res.cookies': (r) => r.cookies.session[0].value === 'abc' && r.cookies.session[0].http_only === true &&
      r.cookies.theme[0].path === '/' && r.cookies.theme[0].max_age === 3600,
  });
  check(http.get(__ENV.BASE + '/cookies/echo'), { 'jar sends them back': (r) => r.json().session === 'abc' && r.json().theme === 'dark' });
  check(http.get(__ENV.BASE + '/cookies/echo', { cookies: { extra: 'x', theme: { value: 'light', replace: true } } }), {
    'params.cookies, replace': (r) => r.json().extra === 'x' && r.json().theme === 'light' && r.json().session === 'abc',
  });
  check(http.get(__ENV.BASE + '/cookies/echo', { cookies: { theme: 'blue' } }), {
    'params.cookies without replace adds': (r) => r.json().theme === 'blue|dark',
  });
  const jar = http.cookieJar();
  check(jar.cookiesForURL(__ENV.BASE + '/'), { 'cookiesForURL': (c) => c.session[0] === 'abc' && c.theme[0] === 'dark' });
  jar.set(__ENV.BASE, 'manual', 'm1');
  jar.delete(__ENV.BASE, 'theme');
  check(http.get(__ENV.BASE + '/cookies/echo'), { 'set and delete': (r) => r.json().manual === 'm1' && r.json().theme === undefined });
  jar.clear(__ENV.BASE);
  check(http.get(__ENV.BASE + '/cookies/echo'), { 'clear': (r) => Object.keys(r.json()).length === 0 });
  const login = http.get(__ENV.BASE + '/login');
  check(login, { 'cookie of a redirect hop is sent to the next': (r) => r.json().session === 's-42' && r.url.endsWith('/cookies/echo') });
  const other = new http.CookieJar();
  other.set(__ENV.BASE, 'own', 'jar');
  check(http.get(__ENV.BASE + '/cookies/echo', { jar: other }), { 'params.jar': (r) => r.json().own === 'jar' && r.json().session === undefined });
  check(http.get(__ENV.BASE + '/cookies/echo', { jar: null }), { 'jar: null sends none': (r) => Object.keys(r.json()).length === 0 });
}`)
	vu := h.vu(1)
	h.iterate(vu, 2)
	s := h.snapshot()
	allChecksPassed(t, h, s, 11)
}

func TestHTTPCookiesKeptWithNoCookiesReset(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, `{"noCookiesReset": true}`, `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const r = http.get(__ENV.BASE + '/cookies/set?n=' + __ITER);
  check(r, { 'previous iteration cookie': (r) => __ITER === 0 || r.json().n === String(__ITER - 1) });
}`)
	h.iterate(h.vu(1), 3)
	allChecksPassed(t, h, h.snapshot(), 1)
}

func TestHTTPExpectedStatusesAndResponseCallback(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, "", `
import http from 'k6/http';
export default function () {
  http.get(__ENV.BASE + '/status/404');                       // default: unexpected
  http.get(__ENV.BASE + '/status/404', { responseCallback: http.expectedStatuses(404, { min: 500, max: 502 }) }); // expected
  http.get(__ENV.BASE + '/status/201', { responseCallback: http.expectedStatuses(404) }); // unexpected
  http.get(__ENV.BASE + '/status/404', { responseCallback: null }); // no callback
  http.setResponseCallback(http.expectedStatuses({ min: 200, max: 204 }, 501));
  http.get(__ENV.BASE + '/status/501');   // expected
  http.get(__ENV.BASE + '/redirect/1');   // 302 unexpected, 200 expected
  http.setResponseCallback(null);
  http.get(__ENV.BASE + '/status/500');   // no callback
}`)
	expected := tagValues(h, "expected_response")
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	failed := sinkOf[*metrics.RateSink](t, s, "http_req_failed")
	if failed.Total != 6 || failed.Trues != 3 {
		t.Errorf("http_req_failed = %d/%d, want 3/6 (the callback-less requests are not counted)", failed.Trues, failed.Total)
	}
	want := map[string]int{"true": 3, "false": 3, "-": 2}
	for k, n := range want {
		if expected[k] != n {
			t.Errorf("expected_response=%s on %d requests, want %d (%v)", k, expected[k], n, expected)
		}
	}
	if reqs := sinkOf[*metrics.CounterSink](t, s, "http_reqs"); reqs.Sum != 8 {
		t.Errorf("http_reqs = %v, want 8", reqs.Sum)
	}
}

func TestHTTPResponseCallbackRejectsOtherValues(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, "", `
import http from 'k6/http';
export default function () { http.setResponseCallback((r) => true); }`)
	h.iterate(h.vu(1), 1)
	h.bundle.cfg.Log.Close()
	if !strings.Contains(h.log.String(), "only http.expectedStatuses(...) or null") {
		t.Errorf("log = %q", h.log.String())
	}
}

func TestHTTPMultipartAndRequestCompression(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, "", `
import http from 'k6/http';
import { check } from 'k6';
const bin = new Uint8Array([0, 1, 2, 255]).buffer;
export default function () {
  const f = http.file('file body', 'notes.txt', 'text/plain');
  check(f, { 'file object': (f) => f.filename === 'notes.txt' && f.content_type === 'text/plain' && f.data === 'file body' });
  const r = http.post(__ENV.BASE + '/upload', { title: 'hello', doc: f, blob: http.file(bin, 'b.bin') });
  check(r, {
    'multipart fields': (r) => r.status === 200 && r.json('title') === 'hello',
    'multipart file': (r) => r.json('doc.filename') === 'notes.txt' && r.json('doc.type') === 'text/plain' && r.json('doc.data') === 'file body',
    'binary file': (r) => r.json('blob.type') === 'application/octet-stream' && r.json('blob.data').length === 4,
    'content type': (r) => r.request.headers['Content-Type'].startsWith('multipart/form-data; boundary='),
  });
  const z = http.post(__ENV.BASE + '/gunzip', 'squeeze me '.repeat(50), { compression: 'gzip' });
  check(z, { 'gzip request body': (r) => r.status === 200 && r.body === 'squeeze me '.repeat(50) });
}`)
	h.iterate(h.vu(1), 1)
	allChecksPassed(t, h, h.snapshot(), 6)
}

func TestHTTPDecodesCompressedResponses(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, "", `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  for (const enc of ['gzip', 'deflate', 'br', 'zstd']) {
    const r = http.get(__ENV.BASE + '/encoded/' + enc, { headers: { 'Accept-Encoding': enc } });
    check(r, { ['decoded ' + enc]: (r) => r.json('text') === 'hello, compressed world' && r.headers['Content-Encoding'] === enc });
  }
  const bad = http.get(__ENV.BASE + '/brokengzip');
  check(bad, { 'undecodable body is error 1701': (r) => r.error_code === 1701 && r.status === 200 });
  const none = http.get(__ENV.BASE + '/encoded/gzip', { responseType: 'none' });
  check(none, { 'none skips decoding': (r) => r.body === null && r.error_code === 0 });
}`)
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	want := []metrics.Count{{Key: "the response body could not be decompressed", N: 1}}
	if !slices.Equal(s.Errors, want) {
		t.Errorf("errors block %+v, want %+v", s.Errors, want)
	}
	s.Errors = nil
	allChecksPassed(t, h, s, 6)
}

func TestHTTPBatchPerHostAndBatchLimits(t *testing.T) {
	for _, c := range []struct {
		name, options string
		atMost        int64
		atLeast       int64
	}{
		{"batchPerHost", `{"batchPerHost": 2}`, 2, 2},
		{"batch", `{"batch": 1, "batchPerHost": 0}`, 1, 1},
		{"unlimited (control: the barrier sees 3 at once)", `{"batchPerHost": 0}`, 6, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newFeatureServer(t, false)
			h := featureHarness(t, srv, c.options, `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const rs = http.batch(Array.from({ length: 6 }, () => __ENV.BASE + '/barrier'));
  check(rs, { 'all done': (rs) => rs.length === 6 && rs.every((r) => r.status === 200) });
}`)
			h.iterate(h.vu(1), 1)
			allChecksPassed(t, h, h.snapshot(), 1)
			if got := srv.maxIn.Load(); got > c.atMost || got < c.atLeast {
				t.Errorf("at most %d requests were in flight together, want %d–%d", got, c.atLeast, c.atMost)
			}
		})
	}
}

func TestHTTPOptionsRedirectsUserAgentDiscardHosts(t *testing.T) {
	srv := newFeatureServer(t, false)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	h := featureHarness(t, srv, `{"maxRedirects": 1, "userAgent": "my-agent/1.0", "discardResponseBodies": true,
		"hosts": {"api.example.test": "127.0.0.1", "other.example.test:81": "127.0.0.1:`+port+`", "*.wild.test": "127.0.0.1:`+port+`"}}`, `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const stopped = http.get(__ENV.BASE + '/redirect/3');
  check(stopped, { 'maxRedirects option': (r) => r.status === 302 && r.url.endsWith('/redirect/2') });
  const followed = http.get(__ENV.BASE + '/redirect/3', { redirects: 5, responseType: 'text' });
  check(followed, { 'redirects param wins': (r) => r.status === 200 && r.body === 'landed' });
  const ua = http.get(__ENV.BASE + '/ua', { responseType: 'text' });
  check(ua, { 'userAgent option': (r) => r.json('ua') === 'my-agent/1.0' });
  check(http.get(__ENV.BASE + '/ua', { responseType: 'text', headers: { 'User-Agent': 'mine' } }), { 'header wins': (r) => r.json('ua') === 'mine' });
  check(http.get(__ENV.BASE + '/big'), { 'discardResponseBodies': (r) => r.body === null && r.status === 200 });
  const mapped = http.get('http://api.example.test:`+port+`/hosts', { responseType: 'text' });
  check(mapped, { 'hosts: name → ip, port kept': (r) => r.body === 'ok /hosts' && r.url.startsWith('http://api.example.test:') });
  check(http.get('http://other.example.test:81/p', { responseType: 'text' }), { 'hosts: host:port → ip:port': (r) => r.body === 'ok /p' });
  check(http.get('http://a.wild.test/w', { responseType: 'text' }), { 'hosts: wildcard': (r) => r.body === 'ok /w' });
}`)
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	allChecksPassed(t, h, s, 8)
	// 2 hops + 4 hops + 1 + 1 + 1 + 3 hosts
	if reqs := sinkOf[*metrics.CounterSink](t, s, "http_reqs"); reqs.Sum != 12 {
		t.Errorf("http_reqs = %v, want 12 (each redirect hop counts)", reqs.Sum)
	}
}

func TestHTTPEmptyUserAgentSendsNone(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, `{"userAgent": ""}`, `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  check(http.get(__ENV.BASE + '/ua'), { 'no User-Agent': (r) => r.json('has') === false });
}`)
	h.iterate(h.vu(1), 1)
	allChecksPassed(t, h, h.snapshot(), 1)
}

func TestHTTPBadOptionsNameTheOption(t *testing.T) {
	for opts, want := range map[string]string{
		`{"tlsVersion": "tls9"}`:                           `option "tlsVersion": unknown TLS version "tls9"`,
		`{"tlsVersion": {"min": "tls1.2", "max": "ssl3"}}`: `unknown TLS version "ssl3"`,
		`{"http2": "h3"}`:                                  `option "http2": "h3"`,
	} {
		h := newHarness(t, `export default function () {}`, nil)
		h.bundle.SetOptions([]byte(opts))
		if _, err := h.bundle.NewVU(context.Background(), 1); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want it to contain %q", opts, err, want)
		}
	}
}

func TestHTTPBasicAndDigestAuth(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, "", `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const base = 'http://ann:s3cret@' + __ENV.HOSTPORT;
  check(http.get(base + '/basic'), { 'basic auth from the URL': (r) => r.status === 200 && r.body === 'welcome ann' });
  check(http.get('http://ann:wrong@' + __ENV.HOSTPORT + '/basic'), { 'wrong password refused': (r) => r.status === 401 });
  const d = http.get(base + '/digest?x=1', { auth: 'digest' });
  check(d, { 'digest auth': (r) => r.status === 200 && r.json('user') === 'ann' });
  let threw = '';
  try { http.get(base + '/basic', { auth: 'ntlm' }); } catch (e) { threw = String(e); }
  check(threw, { 'ntlm names itself': (s) => s.includes("auth \"ntlm\" is not supported by throng") });
}`)
	urls := tagValues(h, "url")
	failedByStatus := map[string]float64{}
	h.engine.AddConsumer(func(batch []metrics.Sample) {
		for _, s := range batch {
			if s.Metric == h.builtins.HTTPReqFailed {
				st, _ := s.Tags.Get("status")
				failedByStatus[st] += s.Value
			}
		}
	})
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	allChecksPassed(t, h, s, 4)
	if reqs := sinkOf[*metrics.CounterSink](t, s, "http_reqs"); reqs.Sum != 4 {
		t.Errorf("http_reqs = %v, want 4 (digest makes two requests)", reqs.Sum)
	}
	// The digest challenge's 401 is expected, as in k6; the refused basic one is not.
	if failedByStatus["401"] != 1 {
		t.Errorf("failed 401s = %v, want 1 (%v)", failedByStatus["401"], failedByStatus)
	}
	for u := range urls {
		if strings.Contains(u, "s3cret") || strings.Contains(u, "wrong") {
			t.Errorf("a url tag shows the password: %s", u)
		}
	}
	if urls["http://****:****@"+strings.TrimPrefix(srv.URL, "http://")+"/basic"] != 2 {
		t.Errorf("url tags %v lack the masked URL", urls)
	}
}

func TestHTTPConnectionReuseOptions(t *testing.T) {
	src := `
import http from 'k6/http';
export default function () { http.get(__ENV.BASE + '/a'); http.get(__ENV.BASE + '/b'); }`
	for _, c := range []struct {
		options string
		conns   int64
	}{
		{"", 1},                              // keep-alive across requests and iterations
		{`{"noVUConnectionReuse": true}`, 3}, // one per iteration
		{`{"noConnectionReuse": true}`, 6},   // one per request
	} {
		srv := newFeatureServer(t, false)
		h := featureHarness(t, srv, c.options, src)
		h.iterate(h.vu(1), 3)
		h.snapshot()
		if got := srv.conns.Load(); got != c.conns {
			t.Errorf("options %s: %d connections, want %d", c.options, got, c.conns)
		}
	}
}
