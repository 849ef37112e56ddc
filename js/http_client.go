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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dop251/goja"
)

// UserAgent is sent with every request that does not set its own, unless
// the userAgent option says otherwise.
var UserAgent = "throng/dev"

// httpClient is a VU's HTTP client: its own keep-alive connection pool,
// counters of the bytes that cross its connections, its cookie jar and its
// response callback.
type httpClient struct {
	cfg      *clientConfig
	client   atomic.Pointer[http.Client] // HTTP/1.1, and HTTP/2 when TLS negotiates it; made on first use
	vt       *vuTransport                // client's transport, set with it
	once     sync.Once
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	h2cOnce  sync.Once
	h2c      atomic.Pointer[http.Client] // cleartext HTTP/2, made on first use
	ua       []string                    // the User-Agent header value, shared by all requests
	jar      *cookieJar                  // the VU's jar, emptied at each iteration (cookies.go)
	callback *statusSet                  // http.setResponseCallback's; nil: none
	jarProto *goja.Object                // the methods of CookieJar objects, made on first use
	urlProto *goja.Object                // the same for http.url's URL objects

	sent, received atomic.Int64
}

func newHTTPClient(cfg *clientConfig) *httpClient {
	c := &httpClient{cfg: cfg, jar: &cookieJar{}, callback: defaultStatuses}
	c.ua = []string{UserAgent}
	if cfg.userAgent != nil {
		c.ua = []string{*cfg.userAgent}
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	c.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, cfg.mapHost(addr))
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: conn, c: c}, nil
	}
	return c
}

// netClient is the VU's net/http client, made on its first request: the
// transports are most of a client's memory, and a VU that only sleeps
// (or that only ever uses h2c) never needs them.
func (c *httpClient) netClient() *http.Client {
	c.once.Do(func() {
		transport := c.transport()
		transport.ForceAttemptHTTP2 = true // ALPN over TLS, as k6
		c.vt = &vuTransport{h1: &h1Transport{dial: c.dial}, std: transport, plain: !c.cfg.noConnReuse}
		c.client.Store(&http.Client{Transport: c.vt, CheckRedirect: doNotFollow})
	})
	return c.client.Load()
}

// transport is a new transport that dials through the VU's dialer.
func (c *httpClient) transport() *http.Transport {
	return &http.Transport{
		Proxy:               c.proxy(),
		DialContext:         c.dial,
		MaxIdleConnsPerHost: 100, // http.batch runs requests side by side
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 30 * time.Second,
		DisableCompression:  true,              // as k6: no Accept-Encoding unless the script sends one
		TLSClientConfig:     c.cfg.tls.Clone(), // a copy: the transport adds its ALPN protocols to it
		DisableKeepAlives:   c.cfg.noConnReuse,
	}
}

// proxy is the environment's proxy (HTTP_PROXY, …), except for hosts the
// hosts option maps: the script said where those are.
func (c *httpClient) proxy() func(*http.Request) (*url.URL, error) {
	if len(c.cfg.hosts) == 0 {
		return http.ProxyFromEnvironment
	}
	return func(req *http.Request) (*url.URL, error) {
		port := req.URL.Port()
		if port == "" {
			port = "80"
			if req.URL.Scheme == "https" {
				port = "443"
			}
		}
		if addr := net.JoinHostPort(req.URL.Hostname(), port); c.cfg.mapHost(addr) != addr {
			return nil, nil
		}
		return http.ProxyFromEnvironment(req)
	}
}

// doNotFollow leaves redirects to do, so that every hop is measured.
func doNotFollow(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// h2cClient speaks HTTP/2 with prior knowledge over cleartext connections
// (and HTTP/2 over TLS), never HTTP/1.1: a request asks for it with
// http2: 'h2c', so falling back would hide that the server lacks it.
func (c *httpClient) h2cClient() *http.Client {
	c.h2cOnce.Do(func() {
		t := c.transport()
		t.Protocols = new(http.Protocols)
		t.Protocols.SetUnencryptedHTTP2(true)
		t.Protocols.SetHTTP2(true)
		c.h2c.Store(&http.Client{Transport: t, CheckRedirect: doNotFollow})
	})
	return c.h2c.Load()
}

// startIteration resets the I/O counters (data_sent and data_received are
// reported per iteration), empties the cookie jar unless noCookiesReset,
// and with noVUConnectionReuse closes the connections the last iteration
// left open.
func (c *httpClient) startIteration() {
	c.takeIO()
	if !c.cfg.noCookiesReset && c.jar.used() {
		c.jar = &cookieJar{} // a new one: a request still in flight keeps the old
	}
	if c.cfg.noVUConnReuse {
		if client := c.client.Load(); client != nil { // an interrupted request may be making it
			client.CloseIdleConnections()
		}
		if h2c := c.h2c.Load(); h2c != nil { // an interrupted request may be making it
			h2c.CloseIdleConnections()
		}
	}
}

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

// request is an HTTP request as the script described it. It holds only Go
// values, so it can be sent from any goroutine (http.batch,
// http.asyncRequest).
type request struct {
	method, url  string
	name         string // the http.url template, when the URL came from one
	body         []byte
	headers      http.Header
	tags         map[string]string
	timeout      time.Duration
	redirects    int
	responseType string          // text, binary or none
	jar          *cookieJar      // nil: no cookies (jar: null)
	cookies      []requestCookie // params.cookies, sent before the jar's
	callback     *statusSet      // which statuses are expected; nil: no callback
	digest       bool            // auth: 'digest'
	h2c          bool            // http2: 'h2c'
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
	tlsVersion string
	headers    http.Header
	body       []byte
	errCode    int
	errMsg     string
	end        time.Time
	timings    timings
	challenge  bool // the 401 that a digest authentication answers
}

type timings struct {
	blocked, connecting, tlsHandshaking, sending, waiting, receiving float64
}

func (t timings) duration() float64 { return t.sending + t.waiting + t.receiving }

// measuredStatus is the status an exchange's samples carry: 0 when it
// failed, even after a status line had come (a body cut by a reset or a
// timeout), so that it counts as failed and as an error, not as a 200;
// as k6 tags it. The script still sees the status that came.
func (r *result) measuredStatus() int {
	if r.errMsg != "" {
		return 0
	}
	return r.status
}

// do runs the request and follows redirects, returning every hop; the
// last one is the response the script sees.
//
// The timeout covers all the hops: it is one deadline, which each hop
// applies in the way its transport allows (see exchange).
func (c *httpClient) do(ctx context.Context, r *request) []*result {
	deadline := time.Now().Add(r.timeout)
	method, target, body := r.method, r.url, r.body
	var hops []*result
	authorization, redirects := "", 0
	for {
		res := c.exchange(ctx, deadline, r, method, target, body, authorization)
		hops = append(hops, res)
		if r.digest && authorization == "" && res.status == http.StatusUnauthorized {
			if a, ok := digestAuthorization(method, target, res.headers); ok {
				res.challenge, authorization = true, a
				continue
			}
		}
		next, ok := redirectTarget(res)
		if !ok || redirects >= r.redirects {
			return hops
		}
		redirects++
		if res.status == 301 || res.status == 302 || res.status == 303 {
			if method != http.MethodHead {
				method = http.MethodGet
			}
			body = nil
		}
		target, authorization = next, ""
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

// exchange sends one request and reads the whole response by deadline,
// timing each phase: plain HTTP/1.1 through h1Transport, which marks the
// instants on the tracer itself and puts the deadline on the connection,
// the rest through net/http with httptrace and a context that ends at the
// deadline. (A context per request costs a plain exchange about a tenth
// of its CPU: a timer, a cancel func, and an AfterFunc to make it stop
// the connection.)
func (c *httpClient) exchange(ctx context.Context, deadline time.Time, r *request, method, target string, body []byte, authorization string) *result {
	res := &result{req: r, method: method, url: target}
	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	var tr tracer
	req, err := http.NewRequestWithContext(ctx, method, target, bodyReader)
	if err != nil {
		res.errCode, res.errMsg = 1020, "invalid URL"
		res.end = time.Now()
		return res
	}
	c.prepare(req, r, authorization)
	client := c.netClient()
	if r.h2c {
		client = c.h2cClient()
	}
	var resp *http.Response
	if !r.h2c && c.vt.takesH1(req) {
		resp, err = c.vt.h1.roundTrip(req, body, deadline, &tr)
		if err != nil && req.Body != nil {
			req.Body.Close() // as http.Client does
		}
	} else {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
		resp, err = client.Do(req.WithContext(httptrace.WithClientTrace(ctx, tr.trace())))
	}
	if err != nil {
		res.end = time.Now()
		res.errCode, res.errMsg = classify(ctx, err)
		res.timings = tr.timings(monotonicNow())
		return res
	}
	res.status, res.proto, res.headers = resp.StatusCode, resp.Proto, resp.Header
	res.statusText = resp.Status
	if resp.TLS != nil {
		res.tlsVersion = tlsVersionName(resp.TLS.Version)
	}
	if resp.Body != http.NoBody { // HEAD, 204, 304: Content-Length is not the body's
		res.body, err = readBody(resp.Body, resp.ContentLength, r.responseType)
	}
	resp.Body.Close()
	if enc := resp.Header["Content-Encoding"]; err == nil && len(enc) > 0 && len(res.body) > 0 {
		if res.body, err = decodeBody(res.body, enc); err != nil {
			err = &decodeError{err}
		}
	}
	res.end = time.Now()
	res.timings = tr.timings(monotonicNow())
	if r.jar != nil && len(resp.Header["Set-Cookie"]) > 0 {
		r.jar.store(req.URL, resp.Cookies())
	}
	if err != nil {
		res.errCode, res.errMsg = classify(ctx, err)
	} else if res.status >= 400 {
		res.errCode = 1000 + res.status
	}
	return res
}

// prepare sets the headers of one hop: the script's, the User-Agent, the
// cookies and the digest authorization.
func (c *httpClient) prepare(req *http.Request, r *request, authorization string) {
	for k, vs := range r.headers { // into the request's own map: no clone per request
		req.Header[k] = vs
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = c.ua // Go only reads it
	}
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host
	}
	if len(r.cookies) > 0 || r.jar != nil {
		addCookies(req, r)
	}
	if r.digest {
		req.URL.User = nil // no basic authentication from the URL
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
	}
	if u := req.URL.User; u != nil && req.Header.Get("Authorization") == "" {
		// Basic authentication from the URL, as http.Client adds it:
		// h1Transport is called without one.
		password, _ := u.Password()
		req.SetBasicAuth(u.Username(), password)
	}
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

func tlsVersionName(v uint16) string {
	for name, n := range tlsVersions {
		if n == v {
			return name
		}
	}
	return ""
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

// mark records that the instant f stands for is now.
func (t *tracer) mark(f *atomic.Int64) { f.Store(monotonicNow()) }

// trace is the ClientTrace that marks the instants of an exchange made
// through net/http.
func (t *tracer) trace() *httptrace.ClientTrace {
	mark := t.mark
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
		decErr  *decodeError
		opErr   *net.OpError
		dnsErr  *net.DNSError
		unkAuth x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &decErr):
		return 1701, "the response body could not be decompressed"
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
	case strings.Contains(err.Error(), "malformed HTTP"), strings.Contains(err.Error(), "malformed MIME header"):
		// net/http's parse errors quote what the server sent, which would
		// make one reason per garbage line; it has no error type for them.
		return 1000, "malformed HTTP response"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the method and URL are tags already
	}
	return 1000, err.Error()
}
