package js

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

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

// The end of a context cuts the exchanges under way with it and no
// other: the transport watches the context most requests share with one
// AfterFunc, and gives a request with another context one of its own. A
// new context after the watched one has ended is watched in its turn.
func TestH1TransportContextEndCutsOnlyItsExchanges(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	defer close(release)
	dialer := &net.Dialer{}
	tr := &h1Transport{dial: dialer.DialContext}
	deadline := time.Now().Add(time.Minute)
	get := func(ctx context.Context, path string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		resp, err := tr.roundTrip(req, nil, deadline, &tracer{})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}

	shared, cancelShared := context.WithCancel(context.Background())
	other, cancelOther := context.WithCancel(context.Background())
	sharedDone, otherDone := make(chan error, 1), make(chan error, 1)
	go func() { sharedDone <- get(shared, "/stall") }()
	for tr.mu.Lock(); tr.watched != shared; tr.mu.Lock() { // the first becomes the watched one
		tr.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	tr.mu.Unlock()
	go func() { otherDone <- get(other, "/stall") }()

	cancelOther()
	if err := <-otherDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("the other context's request ended with %v, want context.Canceled", err)
	}
	select {
	case err := <-sharedDone:
		t.Fatalf("cancelling another context ended the watched one's request: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancelShared()
	if err := <-sharedDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("the watched context's request ended with %v, want context.Canceled", err)
	}

	next, cancelNext := context.WithCancel(context.Background())
	defer cancelNext()
	if err := get(next, "/"); err != nil {
		t.Fatalf("a request with a new context after the watched one ended: %v", err)
	}
	tr.mu.Lock()
	watched, active := tr.watched, len(tr.active)
	tr.mu.Unlock()
	if watched != next || active != 0 {
		t.Errorf("after the exchange: watching the new context %v, %d under way; want true, 0", watched == next, active)
	}
}

// A request's timeout is a deadline on its connection: a server that
// never answers gives os.ErrDeadlineExceeded, which classify names.
func TestH1TransportTimeoutIsTheDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	dialer := &net.Dialer{}
	tr := &h1Transport{dial: dialer.DialContext}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err := tr.roundTrip(req, nil, time.Now().Add(50*time.Millisecond), &tracer{})
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want os.ErrDeadlineExceeded", err)
	}
	if code, reason := classify(context.Background(), err); code != 1050 || reason != "request timeout" {
		t.Errorf("classified as %d %q, want 1050 request timeout", code, reason)
	}
}
