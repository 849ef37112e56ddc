package js

import (
	"testing"

	"github.com/throng-dev/throng/metrics"
)

// protoScript makes the same requests whatever the protocol, and checks
// what res.proto says against __ENV.WANT.
const protoScript = `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const r = http.get(__ENV.BASE + '/proto');
  check(r, { 'proto': (r) => r.status === 200 && r.proto === __ENV.WANT && r.body === __ENV.WANT });
  const b = http.batch([__ENV.BASE + '/a', __ENV.BASE + '/b']);
  check(b, { 'batch proto': (b) => b.every((r) => r.proto === __ENV.WANT) });
  const p = http.post(__ENV.BASE + '/upload', { f: http.file('x', 'x.txt') });
  check(p, { 'post proto': (r) => r.status === 200 && r.proto === __ENV.WANT });
}`

// TestHTTP2CleartextAndHTTP1SameServer runs one script against one server
// that speaks both HTTP/1.1 and h2c: without the option the requests are
// HTTP/1.1, with http2: 'h2c' (option or param) HTTP/2.0, and in each
// case the server served exactly what http_reqs counts, in that protocol.
func TestHTTP2CleartextAndHTTP1SameServer(t *testing.T) {
	for _, c := range []struct {
		name, options, proto string
		script               string
	}{
		{"HTTP/1.1 by default", "", "HTTP/1.1", protoScript},
		{"h2c option", `{"http2": "h2c"}`, "HTTP/2.0", protoScript},
		{"h2c param", "", "HTTP/2.0", `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const r = http.get(__ENV.BASE + '/proto', { http2: 'h2c' });
  check(r, { 'proto': (r) => r.proto === __ENV.WANT && r.body === __ENV.WANT });
  check(http.get(__ENV.BASE + '/proto'), { 'others stay HTTP/1.1': (r) => r.proto === 'HTTP/1.1' });
}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newFeatureServer(t, false)
			h := newHarness(t, c.script, map[string]string{"BASE": srv.URL, "WANT": c.proto})
			if c.options != "" {
				h.bundle.SetOptions([]byte(c.options))
			}
			protos := tagValues(h, "proto")
			h.iterate(h.vu(1), 2)
			s := h.snapshot()
			checks := 3
			if c.script != protoScript {
				checks = 2
			}
			allChecksPassed(t, h, s, checks)
			reqs := int64(sinkOf[*metrics.CounterSink](t, s, "http_reqs").Sum)
			served := srv.served("HTTP/1.1") + srv.served("HTTP/2.0")
			if reqs != served || reqs == 0 {
				t.Errorf("http_reqs = %d, the server served %d", reqs, served)
			}
			if int64(protos[c.proto]) != srv.served(c.proto) || srv.served(c.proto) == 0 {
				t.Errorf("proto tags %v, the server served %d with %s", protos, srv.served(c.proto), c.proto)
			}
			if sent := sinkOf[*metrics.CounterSink](t, s, "data_sent"); sent.Sum <= 0 {
				t.Errorf("data_sent = %v: the connection's bytes were not counted", sent.Sum)
			}
		})
	}
}

// TestHTTP2OverTLS: against a TLS server offering h2, HTTP/2 is negotiated
// by ALPN once the certificate is accepted (insecureSkipTLSVerify); without
// that option verification fails, and that is a counted request error, not
// a crash.
func TestHTTP2OverTLS(t *testing.T) {
	src := `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const r = http.get(__ENV.BASE + '/proto');
  if (__ENV.SKIP === 'yes') {
    check(r, { 'h2 over TLS': (r) => r.status === 200 && r.proto === 'HTTP/2.0' && r.body === 'HTTP/2.0' && r.tls_version === 'tls1.3' });
  } else {
    check(r, { 'unknown authority': (r) => r.status === 0 && r.error_code === 1310 });
  }
}`
	t.Run("insecureSkipTLSVerify", func(t *testing.T) {
		srv := newFeatureServer(t, true)
		h := newHarness(t, src, map[string]string{"BASE": srv.URL, "SKIP": "yes"})
		h.bundle.SetOptions([]byte(`{"insecureSkipTLSVerify": true}`))
		versions := tagValues(h, "tls_version")
		h.iterate(h.vu(1), 3)
		s := h.snapshot()
		allChecksPassed(t, h, s, 1)
		if srv.served("HTTP/2.0") != 3 || versions["tls1.3"] != 3 {
			t.Errorf("served over HTTP/2: %d, tls_version tags %v; want 3", srv.served("HTTP/2.0"), versions)
		}
		if hs := sinkOf[*metrics.TrendSink](t, s, "http_req_tls_handshaking"); hs.Max() <= 0 {
			t.Errorf("the TLS handshake was not timed")
		}
	})
	t.Run("verification fails", func(t *testing.T) {
		srv := newFeatureServer(t, true)
		h := newHarness(t, src, map[string]string{"BASE": srv.URL, "SKIP": "no"})
		h.iterate(h.vu(1), 2)
		s := h.snapshot()
		if c := sinkOf[*metrics.RateSink](t, s, "checks"); c.Trues != 2 || c.Total != 2 {
			t.Errorf("checks %d/%d", c.Trues, c.Total)
		}
		if len(s.Errors) != 1 || s.Errors[0].Key != "x509: unknown certificate authority" || s.Errors[0].N != 2 {
			t.Errorf("errors block %+v", s.Errors)
		}
		if f := sinkOf[*metrics.RateSink](t, s, "http_req_failed"); f.Trues != 2 {
			t.Errorf("http_req_failed %d/%d", f.Trues, f.Total)
		}
		if n := srv.served("HTTP/2.0") + srv.served("HTTP/1.1"); n != 0 {
			t.Errorf("the server served %d requests", n)
		}
	})
	t.Run("tlsVersion out of the server's range", func(t *testing.T) {
		srv := newFeatureServer(t, true)
		srv.TLS.MaxVersion = 0x0303 // TLS 1.2 at most (set before the first handshake)
		h := newHarness(t, `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  check(http.get(__ENV.BASE + '/proto'), { 'refused': (r) => r.status === 0 && r.error !== '' });
}`, map[string]string{"BASE": srv.URL})
		h.bundle.SetOptions([]byte(`{"insecureSkipTLSVerify": true, "tlsVersion": {"min": "tls1.3", "max": "tls1.3"}}`))
		h.iterate(h.vu(1), 1)
		s := h.snapshot()
		if c := sinkOf[*metrics.RateSink](t, s, "checks"); c.Trues != 1 {
			t.Errorf("a TLS 1.3-only client reached a TLS 1.2 server: %+v", s.Errors)
		}
		h2 := newHarness(t, `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  check(http.get(__ENV.BASE + '/proto'), { 'tls1.2': (r) => r.status === 200 && r.tls_version === 'tls1.2' });
}`, map[string]string{"BASE": srv.URL})
		h2.bundle.SetOptions([]byte(`{"insecureSkipTLSVerify": true, "tlsVersion": "tls1.2"}`))
		h2.iterate(h2.vu(1), 1)
		allChecksPassed(t, h2, h2.snapshot(), 1)
	})
}
