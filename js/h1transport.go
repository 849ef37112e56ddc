package js

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync"
	"syscall"
	"time"
)

// h1Transport sends plain-HTTP/1.1 requests on the calling goroutine.
//
// net/http's Transport gives every connection a reader and a writer
// goroutine and hands each request and response between them over
// channels: four goroutine switches per request, which on loopback cost
// more CPU than the request itself. A VU sends one request at a time on
// connections of its own, so it can write the request and read the
// response itself, as wrk does. Everything else (TLS, HTTP/2, proxies)
// stays with net/http's Transport: the exchange chooses per request
// (vuTransport.takesH1).
//
// It marks the instants of the exchange on the request's tracer where
// Transport would call the httptrace hooks, so the timings are measured
// the same way without the per-request cost of a ClientTrace (a context
// value and a closure per hook), and dials through the VU's dialer, so
// bytes are counted and hosts mapped as before.
//
// A request's timeout is a deadline on its connection. Its context ending
// stops it too: the transport watches one context at a time (a VU's
// requests nearly all share one, the scenario's) with one AfterFunc,
// which cuts the connections of the requests under way with that
// context; a request with another context while those are under way
// gets an AfterFunc of its own.
type h1Transport struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	mu      sync.Mutex // http.batch sends from several goroutines
	idle    map[string][]*h1Conn
	watched context.Context // the context watched for all, or nil
	unwatch func() bool     // stops watching it
	active  []*h1Conn       // the connections of exchanges under way with it
}

// h1Conn is a kept-alive connection and its buffers.
type h1Conn struct {
	conn      net.Conn
	r         *bufio.Reader
	w         *bufio.Writer
	keys      []string // writeRequest's scratch
	idleSince time.Time
}

// Limits as the VU's Transport has them.
const (
	h1MaxIdlePerHost = 100
	h1IdleTimeout    = 90 * time.Second
)

// aLongTimeAgo, as a deadline, makes a blocked read or write return.
var aLongTimeAgo = time.Unix(1, 0)

// roundTrip sends req and reads the response head, marking the instants
// on tr; the body is read by the caller.
func (t *h1Transport) roundTrip(req *http.Request, body []byte, deadline time.Time, tr *tracer) (*http.Response, error) {
	addr := canonicalAddr(req)
	for attempt := 0; ; attempt++ {
		c, reused, err := t.conn(req.Context(), addr, deadline, tr)
		if err != nil {
			return nil, err
		}
		resp, err, retry := t.exchange(req, body, c, addr, reused, deadline, tr)
		if err == nil || !retry || attempt > 0 {
			return resp, err
		}
		// The server had closed the idle connection before reading the
		// request: send it again on a new one, as net/http does.
		if req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
	}
}

// exchange writes req, whose body is body, on c and reads the response
// head. retry says the request may be sent again: c was a reused
// connection that failed before any byte of a response came.
func (t *h1Transport) exchange(req *http.Request, body []byte, c *h1Conn, addr string, reused bool, deadline time.Time, tr *tracer) (resp *http.Response, err error, retry bool) {
	ctx := req.Context()
	tr.mark(&tr.gotConn)
	c.conn.SetDeadline(deadline)
	// Cancelling the request unblocks the reads and writes; the connection
	// is then closed, never reused.
	stop := t.watch(ctx, c)
	fail := func(err error, retry bool) (*http.Response, error, bool) {
		stop()
		c.conn.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr, false
		}
		return nil, err, retry && reused && (req.Body == nil || req.GetBody != nil)
	}
	if !writeRequest(c.w, req, body, &c.keys) {
		err = req.Write(c.w)
	}
	if err == nil {
		err = c.w.Flush()
	}
	tr.mark(&tr.wrote)
	if err != nil {
		return fail(err, isClosedConn(err))
	}
	if _, err := c.r.Peek(1); err != nil {
		return fail(err, isClosedConn(err))
	}
	tr.mark(&tr.firstByte)
	for {
		resp, err = http.ReadResponse(c.r, req)
		if err != nil {
			return fail(err, false)
		}
		// 1xx responses (but 101) precede the real one.
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
	}
	keep := !resp.Close && !req.Close && resp.StatusCode != http.StatusSwitchingProtocols
	respBody := &h1Body{ReadCloser: resp.Body, t: t, c: c, addr: addr, keep: keep, stop: stop}
	if resp.Body == http.NoBody { // HEAD, 204, 304: done already; callers test for NoBody
		respBody.eof = true
		respBody.Close()
		return resp, nil, false
	}
	resp.Body = respBody
	return resp, nil, false
}

// watch makes the end of ctx cut c until the returned stop is called;
// stop reports false when ctx has ended (c is then not to be reused).
func (t *h1Transport) watch(ctx context.Context, c *h1Conn) (stop func() bool) {
	t.mu.Lock()
	if t.watched != ctx && len(t.active) == 0 {
		if t.unwatch != nil {
			t.unwatch()
		}
		t.watched = ctx
		t.unwatch = context.AfterFunc(ctx, func() { t.cut(ctx) })
	}
	if t.watched != ctx { // another context's exchanges are under way
		t.mu.Unlock()
		return context.AfterFunc(ctx, func() { c.conn.SetDeadline(aLongTimeAgo) })
	}
	t.active = append(t.active, c)
	t.mu.Unlock()
	if ctx.Err() != nil {
		// Ended before c was in active: the AfterFunc may have missed it.
		c.conn.SetDeadline(aLongTimeAgo)
	}
	return func() bool {
		t.mu.Lock()
		if i := slices.Index(t.active, c); i >= 0 {
			t.active = slices.Delete(t.active, i, i+1)
		}
		t.mu.Unlock()
		return ctx.Err() == nil
	}
}

// cut stops the exchanges under way with ctx, which has ended.
func (t *h1Transport) cut(ctx context.Context) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.watched != ctx {
		return
	}
	for _, c := range t.active {
		c.conn.SetDeadline(aLongTimeAgo)
	}
}

// conn takes an idle connection to addr, or dials one by deadline.
func (t *h1Transport) conn(ctx context.Context, addr string, deadline time.Time, tr *tracer) (*h1Conn, bool, error) {
	tr.mark(&tr.getConn)
	if c := t.takeIdle(addr); c != nil {
		return c, true, nil
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	// The dialer reports ConnectStart and ConnectDone through the
	// context, after resolving the name, as it does for Transport: a
	// ClientTrace for a new connection only.
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		ConnectStart: func(string, string) { tr.mark(&tr.connectStart) },
		ConnectDone:  func(string, string, error) { tr.mark(&tr.connectDone) },
	})
	conn, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	return &h1Conn{conn: conn, r: bufio.NewReaderSize(conn, 4096), w: bufio.NewWriterSize(conn, 4096)}, false, nil
}

func (t *h1Transport) takeIdle(addr string) *h1Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	for conns := t.idle[addr]; len(conns) > 0; conns = t.idle[addr] {
		c := conns[len(conns)-1]
		t.idle[addr] = conns[:len(conns)-1]
		if time.Since(c.idleSince) < h1IdleTimeout {
			return c
		}
		c.conn.Close()
	}
	return nil
}

// putIdle keeps c for the next request to addr.
func (t *h1Transport) putIdle(addr string, c *h1Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle == nil {
		t.idle = map[string][]*h1Conn{}
	}
	if len(t.idle[addr]) >= h1MaxIdlePerHost {
		c.conn.Close()
		return
	}
	c.idleSince = time.Now()
	t.idle[addr] = append(t.idle[addr], c)
}

// CloseIdleConnections closes the kept-alive connections.
func (t *h1Transport) CloseIdleConnections() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for addr, conns := range t.idle {
		for _, c := range conns {
			c.conn.Close()
		}
		delete(t.idle, addr)
	}
}

// h1Body gives the connection back once the body has been read to its
// end, and closes it if the body is closed before that.
type h1Body struct {
	io.ReadCloser
	t    *h1Transport
	c    *h1Conn
	addr string
	keep bool
	stop func() bool
	eof  bool
	done bool
}

func (b *h1Body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// Close implements io.Closer.
func (b *h1Body) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	err := b.ReadCloser.Close()
	// stop fails when the request's context has ended: the deadline that
	// cancelled it is set, or about to be, on the connection.
	if b.stop() && b.keep && b.eof && err == nil && b.c.r.Buffered() == 0 {
		b.t.putIdle(b.addr, b.c)
		return nil
	}
	b.c.conn.Close()
	return err
}

// isClosedConn reports whether err says the server closed or reset the
// connection: on a reused connection, it had closed it while idle.
func isClosedConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// canonicalAddr is the host:port to connect to for req.
func canonicalAddr(req *http.Request) string {
	port := req.URL.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(req.URL.Hostname(), port)
}

// vuTransport holds a VU's two transports: h1Transport for plain
// HTTP/1.1, which the exchange calls directly (takesH1), and net/http's
// for everything else (https, proxied requests, no keep-alive), which is
// the VU's http.Client's transport.
type vuTransport struct {
	h1    *h1Transport
	std   *http.Transport
	plain bool // the fast path may be used at all
}

// takesH1 reports whether req goes through h1Transport.
func (t *vuTransport) takesH1(req *http.Request) bool {
	if !t.plain || req.URL.Scheme != "http" {
		return false
	}
	proxy, err := t.std.Proxy(req)
	return err == nil && proxy == nil
}

// RoundTrip implements http.RoundTripper for the requests h1Transport
// does not take.
func (t *vuTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.std.RoundTrip(req)
}

// CloseIdleConnections closes both transports' kept-alive connections.
func (t *vuTransport) CloseIdleConnections() {
	t.h1.CloseIdleConnections()
	t.std.CloseIdleConnections()
}
