package js

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// UserAgent is sent with every request that does not set its own.
var UserAgent = "throng/dev"

// httpClient is a VU's HTTP client: its own keep-alive connection pool, and
// counters of the bytes that cross its connections.
type httpClient struct {
	client         *http.Client
	sent, received atomic.Int64
}

func newHTTPClient() *httpClient {
	c := &httpClient{}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: conn, c: c}, nil
		},
		MaxIdleConnsPerHost: 100, // http.batch runs requests side by side
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 30 * time.Second,
		DisableCompression:  true, // as k6: no Accept-Encoding unless the script sends one
		ForceAttemptHTTP2:   true,
	}
	c.client = &http.Client{
		Transport: transport,
		// Redirects are followed by do, so that every hop is measured.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// startIteration resets the I/O counters: data_sent and data_received are
// reported per iteration.
func (c *httpClient) startIteration() { c.takeIO() }

func (c *httpClient) takeIO() (sent, received int64) {
	return c.sent.Swap(0), c.received.Swap(0)
}

type countingConn struct {
	net.Conn
	c *httpClient
}

func (cc *countingConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	cc.c.received.Add(int64(n))
	return n, err
}

func (cc *countingConn) Write(p []byte) (int, error) {
	n, err := cc.Conn.Write(p)
	cc.c.sent.Add(int64(n))
	return n, err
}

// request is an HTTP request as the script described it.
type request struct {
	method, url  string
	body         []byte
	headers      http.Header
	tags         map[string]string
	timeout      time.Duration
	redirects    int
	responseType string // text, binary or none
}

// result is one HTTP exchange (one hop of a redirect chain) with its
// phases. Times are in milliseconds, as k6 reports them.
type result struct {
	req        *request
	method     string
	url        string
	status     int
	statusText string
	proto      string
	headers    http.Header
	body       []byte
	errCode    int
	errMsg     string
	end        time.Time
	timings    timings
}

type timings struct {
	blocked, connecting, tlsHandshaking, sending, waiting, receiving float64
}

func (t timings) duration() float64 { return t.sending + t.waiting + t.receiving }

// do runs the request and follows redirects, returning every hop; the
// last one is the response the script sees.
func (c *httpClient) do(ctx context.Context, r *request) []*result {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	method, target, body := r.method, r.url, r.body
	var hops []*result
	for {
		res := c.exchange(ctx, r, method, target, body)
		hops = append(hops, res)
		next, ok := redirectTarget(res)
		if !ok || len(hops) > r.redirects {
			return hops
		}
		if res.status == 301 || res.status == 302 || res.status == 303 {
			if method != http.MethodHead {
				method = http.MethodGet
			}
			body = nil
		}
		target = next
	}
}

func redirectTarget(res *result) (string, bool) {
	if res.errCode != 0 && res.status == 0 {
		return "", false
	}
	switch res.status {
	case 301, 302, 303, 307, 308:
	default:
		return "", false
	}
	loc := res.headers.Get("Location")
	if loc == "" {
		return "", false
	}
	base, err := url.Parse(res.url)
	if err != nil {
		return "", false
	}
	next, err := base.Parse(loc)
	if err != nil {
		return "", false
	}
	return next.String(), true
}

// exchange sends one request and reads the whole response, timing each
// phase with httptrace.
func (c *httpClient) exchange(ctx context.Context, r *request, method, target string, body []byte) *result {
	res := &result{req: r, method: method, url: target}
	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	var tr tracer
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, tr.trace()), method, target, bodyReader)
	if err != nil {
		res.errCode, res.errMsg = 1020, "invalid URL"
		res.end = time.Now()
		return res
	}
	for k, vs := range r.headers { // into the request's own map: no clone per request
		req.Header[k] = vs
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", UserAgent)
	}
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host
	}
	resp, err := c.client.Do(req)
	if err != nil {
		res.end = time.Now()
		res.errCode, res.errMsg = classify(ctx, err)
		res.timings = tr.timings(monotonicNow())
		return res
	}
	res.status, res.proto, res.headers = resp.StatusCode, resp.Proto, resp.Header
	res.statusText = resp.Status
	res.body, err = readBody(resp.Body, resp.ContentLength, r.responseType)
	resp.Body.Close()
	res.end = time.Now()
	res.timings = tr.timings(monotonicNow())
	if err != nil {
		res.errCode, res.errMsg = classify(ctx, err)
	} else if res.status >= 400 {
		res.errCode = 1000 + res.status
	}
	return res
}

// readBody reads the whole body, in one allocation of the announced
// length when there is one (io.ReadAll grows its buffer step by step).
func readBody(body io.Reader, length int64, responseType string) ([]byte, error) {
	if responseType == "none" {
		_, err := io.Copy(io.Discard, body)
		return nil, err
	}
	if length <= 0 || length > 64<<20 {
		return io.ReadAll(body)
	}
	buf := make([]byte, length)
	n, err := io.ReadFull(body, buf)
	if err != nil {
		return buf[:n], err
	}
	// The body may not end where it said (a lying server): read the rest.
	rest, err := io.ReadAll(body)
	if len(rest) > 0 {
		buf = append(buf, rest...)
	}
	return buf, err
}

// tracer records the instants of one exchange, as monotonic nanoseconds.
// The fields are atomic because the transport may still call a hook from
// its own goroutine after a cancelled request has returned.
type tracer struct {
	getConn, gotConn, connectStart, connectDone atomic.Int64
	tlsStart, tlsDone, wrote, firstByte         atomic.Int64
}

// clockBase anchors monotonicNow: time.Since reads the monotonic clock, so
// phases stay right when the wall clock jumps.
var clockBase = time.Now()

func monotonicNow() int64 { return int64(time.Since(clockBase)) }

func (t *tracer) trace() *httptrace.ClientTrace {
	mark := func(f *atomic.Int64) { f.Store(monotonicNow()) }
	return &httptrace.ClientTrace{
		GetConn:              func(string) { mark(&t.getConn) },
		GotConn:              func(httptrace.GotConnInfo) { mark(&t.gotConn) },
		ConnectStart:         func(string, string) { mark(&t.connectStart) },
		ConnectDone:          func(string, string, error) { mark(&t.connectDone) },
		TLSHandshakeStart:    func() { mark(&t.tlsStart) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { mark(&t.tlsDone) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { mark(&t.wrote) },
		GotFirstResponseByte: func() { mark(&t.firstByte) },
	}
}

// timings turns the instants into k6's phases. A phase whose end was never
// reached (the request failed before it) counts as zero.
func (t *tracer) timings(end int64) timings {
	gotConn, wrote, firstByte := t.gotConn.Load(), t.wrote.Load(), t.firstByte.Load()
	return timings{
		blocked:        span(t.getConn.Load(), gotConn),
		connecting:     span(t.connectStart.Load(), t.connectDone.Load()),
		tlsHandshaking: span(t.tlsStart.Load(), t.tlsDone.Load()),
		sending:        span(gotConn, wrote),
		waiting:        span(wrote, firstByte),
		receiving:      span(firstByte, end),
	}
}

func span(from, to int64) float64 {
	if from == 0 || to == 0 || to < from {
		return 0
	}
	return float64(to-from) / float64(time.Millisecond)
}

// classify maps a transport error to k6's error code and a short reason,
// which becomes the `error` tag and a line of the summary's errors block.
func classify(ctx context.Context, err error) (int, string) {
	var (
		opErr   *net.OpError
		dnsErr  *net.DNSError
		unkAuth x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
	)
	switch {
	case ctx.Err() == context.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded):
		return 1050, "request timeout"
	case errors.Is(err, context.Canceled):
		return 1000, "request canceled"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return 1101, "no IP found for host"
		}
		return 1100, "DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return 1212, "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return 1220, "connection reset by peer"
	case errors.Is(err, syscall.EPIPE):
		return 1201, "broken pipe"
	case errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout():
		return 1211, "dial timeout"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return 1210, "dial failed"
	case errors.As(err, &unkAuth):
		return 1310, "x509: unknown certificate authority"
	case errors.As(err, &hostErr):
		return 1311, "x509: certificate is not valid for the host"
	case errors.As(err, &recErr):
		return 1301, "TLS: not a TLS server"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 1050, "request timeout"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return 1000, "connection closed before the response ended (EOF)"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the method and URL are tags already
	}
	return 1000, err.Error()
}
