package js

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

// A VU's plain-HTTP requests share one kept-alive connection.
func TestH1TransportKeepsConnectionsAlive(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	h := newHarness(t, `import http from 'k6/http';
export default function () {
  for (let i = 0; i < 20; i++) {
    if (http.get(__ENV.BASE + '/').body !== 'ok') throw new Error('bad body');
    http.head(__ENV.BASE + '/');
  }
}`, map[string]string{"BASE": srv.URL})
	h.iterate(h.vu(1), 2)
	s := h.snapshot()
	if reqs := sinkOf[*metrics.CounterSink](t, s, "http_reqs"); reqs.Sum != 80 || len(s.Errors) != 0 {
		t.Fatalf("http_reqs %v, errors %+v; want 80 and none", reqs.Sum, s.Errors)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 80 requests, want 1", n)
	}
}

// A server that closes each connection after one response, without
// saying so, makes the next request on it fail before any byte comes
// back: it is sent again on a new connection, and counted once.
func TestH1TransportRetriesOnAConnectionClosedWhileIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var served atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				served.Add(1)
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
			}()
		}
	}()
	h := newHarness(t, `import http from 'k6/http';
export default function () {
  for (let i = 0; i < 10; i++) {
    const r = http.post(__ENV.BASE + '/', 'payload');
    if (r.status !== 200 || r.body !== 'ok') throw new Error('request ' + i + ': ' + r.status + ' ' + r.error);
  }
}`, map[string]string{"BASE": "http://" + ln.Addr().String()})
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	if reqs := sinkOf[*metrics.CounterSink](t, s, "http_reqs"); reqs.Sum != 10 || len(s.Errors) != 0 || served.Load() != 10 {
		t.Fatalf("http_reqs %v, served %d, errors %+v, log %s; want 10, 10, none", reqs.Sum, served.Load(), s.Errors, h.log.String())
	}
}
