package js

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHTTPGet is the per-request hot path: one http.get and one
// check() from JS, through the VU's buffer and the engine into the sinks.
func BenchmarkHTTPGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("Hello, world!"))
	}))
	defer srv.Close()
	h := newHarness(b, `
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const r = http.get(__ENV.BASE);
  check(r, { 'is status 200': (r) => r.status === 200 });
}`, map[string]string{"BASE": srv.URL})
	vu := h.vu(1)
	h.iterate(vu, 1) // warm up: the connection
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		vu.Iterate(b.Context(), testIteration)
	}
	b.StopTimer()
	s := h.snapshot()
	if m, ok := s.Metric("http_reqs"); !ok || m.Sink == nil {
		b.Fatal("no requests measured")
	}
}
