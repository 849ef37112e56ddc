package faulttarget

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault names one kind of misbehaviour; the target's counts are keyed by
// it.
type Fault string

// The faults, each served under the path of the same name (Start lists
// the paths and their parameters).
const (
	Reset        Fault = "reset"         // a TCP RST after the headers and part of the body
	StallHeaders Fault = "stall-headers" // nothing sent for a while, then a 200
	StallBody    Fault = "stall-body"    // the headers and part of the body, a pause, the rest
	Malformed    Fault = "malformed"     // a status line that is not HTTP, then the connection closed
	HugeBody     Fault = "huge-body"     // a body of gigabytes, generated as it is sent
	EarlyClose   Fault = "early-close"   // a complete response, then the keep-alive connection closed
	Slow         Fault = "slow"          // a response delayed by the schedule (counted when the delay is not zero)
)

// Status is the fault of answering with status code.
func Status(code int) Fault { return Fault("status-" + strconv.Itoa(code)) }

// Schedule is a latency as a function of the time since the target
// started.
type Schedule func(since time.Duration) time.Duration

// Step is a schedule that adds no latency before at and latency from then
// on: the shape of a target that degrades at one moment.
func Step(at, latency time.Duration) Schedule {
	return func(since time.Duration) time.Duration {
		if since < at {
			return 0
		}
		return latency
	}
}

// Config sets what the target does beyond what the paths say.
type Config struct {
	// Slow is the latency of /slow over time; nil adds none.
	Slow Schedule
}

// DefaultHugeSize is the body size of /huge without a size parameter.
const DefaultHugeSize = 10 << 30

// maxStall bounds a stall whose length the request did not give: the
// client is expected to give up long before.
const maxStall = time.Minute

// Target is a running fault-injecting server.
type Target struct {
	// URL is the target's base, http://127.0.0.1:PORT, without a slash.
	URL string

	cfg     Config
	ln      net.Listener
	srv     *http.Server
	start   time.Time
	closing chan struct{}
	once    sync.Once

	mu     sync.Mutex
	counts map[Fault]int64

	requests, conns, hugeBytes atomic.Int64
}

// Start listens on a free loopback port and serves:
//
//	/ok                    200 "ok"
//	/reset                 200, Content-Length 1 MiB, 512 bytes, then RST (SO_LINGER 0)
//	/stall/headers?for=D   nothing for D (default 1m, or until the client leaves), then 200
//	/stall/body?for=D      200, Content-Length 1024, 512 bytes, nothing for D, the rest
//	/malformed             "GARBAGE / NOT HTTP\r\n\r\n" as the status line, then close
//	/huge?size=N           200 with an N-byte body (K, M, G suffixes; default 10G), streamed
//	/close                 a complete 200 without Connection: close, then the connection closed
//	/status/CODE           CODE (100–599 but 101); a 1xx is followed by a 200, a 3xx has Location: /ok
//	/slow                  200 after Config.Slow's latency at this moment
//
// Every fault is counted (see Count) before the client can see any of
// it, so a count read after the client has seen a fault includes it;
// requests that the client gives up on are counted too, as the fault was
// injected all the same.
func Start(cfg Config) (*Target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &Target{
		URL: "http://" + ln.Addr().String(), cfg: cfg, ln: ln,
		start: time.Now(), closing: make(chan struct{}), counts: map[Fault]int64{},
	}
	t.srv = &http.Server{
		Handler:           t.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				t.conns.Add(1)
			}
		},
	}
	go t.srv.Serve(ln)
	return t, nil
}

// RefusedURL is the URL of a loopback port that nobody listens on, so
// that connecting to it is refused. Refusals cannot be counted: the
// kernel answers them, not a server. (Another process could take the
// port in between; on loopback in a test that is remote enough.)
func RefusedURL() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", err
	}
	return "http://" + addr, nil
}

// Close stops the target: stalls end at once and every connection is
// closed.
func (t *Target) Close() error {
	t.once.Do(func() { close(t.closing) })
	return t.srv.Close()
}

// Count is how many times the target injected f.
func (t *Target) Count(f Fault) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[f]
}

// Counts is every fault injected so far, by fault.
func (t *Target) Counts() map[Fault]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[Fault]int64, len(t.counts))
	for f, n := range t.counts {
		out[f] = n
	}
	return out
}

// String lists the counts, for test failure messages.
func (t *Target) String() string {
	counts := t.Counts()
	var parts []string
	for f, n := range counts {
		parts = append(parts, fmt.Sprintf("%s=%d", f, n))
	}
	sort.Strings(parts)
	return fmt.Sprintf("requests=%d connections=%d %s", t.Requests(), t.Connections(), strings.Join(parts, " "))
}

// Requests is how many requests the target has read.
func (t *Target) Requests() int64 { return t.requests.Load() }

// Connections is how many connections the target has accepted.
func (t *Target) Connections() int64 { return t.conns.Load() }

// HugeBytes is how many body bytes /huge has sent in all.
func (t *Target) HugeBytes() int64 { return t.hugeBytes.Load() }

func (t *Target) count(f Fault) {
	t.mu.Lock()
	t.counts[f]++
	t.mu.Unlock()
}

func (t *Target) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/reset", t.reset)
	mux.HandleFunc("/stall/headers", t.stallHeaders)
	mux.HandleFunc("/stall/body", t.stallBody)
	mux.HandleFunc("/malformed", t.malformed)
	mux.HandleFunc("/huge", t.huge)
	mux.HandleFunc("/close", t.earlyClose)
	mux.HandleFunc("/status/{code}", t.status)
	mux.HandleFunc("/slow", t.slow)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.requests.Add(1)
		mux.ServeHTTP(w, r)
	})
}

// reset sends the start of a response, then aborts the connection: with
// SO_LINGER 0, close sends a RST instead of a FIN, as a crashing server
// or a load balancer killing the connection does.
func (t *Target) reset(w http.ResponseWriter, _ *http.Request) {
	conn, rw, ok := hijack(w)
	if !ok {
		return
	}
	t.count(Reset)
	fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", 1<<20)
	rw.Write(filler[:512])
	rw.Flush()
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

func (t *Target) stallHeaders(w http.ResponseWriter, r *http.Request) {
	t.count(StallHeaders)
	t.wait(r.Context(), stallFor(r))
	io.WriteString(w, "late")
}

func (t *Target) stallBody(w http.ResponseWriter, r *http.Request) {
	t.count(StallBody)
	w.Header().Set("Content-Length", "1024")
	w.Write(filler[:512])
	http.NewResponseController(w).Flush()
	t.wait(r.Context(), stallFor(r))
	w.Write(filler[:512])
}

// malformed answers with a status line that is not HTTP.
func (t *Target) malformed(w http.ResponseWriter, _ *http.Request) {
	conn, rw, ok := hijack(w)
	if !ok {
		return
	}
	t.count(Malformed)
	rw.WriteString("GARBAGE / NOT HTTP\r\n\r\n")
	rw.Flush()
	conn.Close()
}

// huge streams a body of the requested size from one small buffer, so
// the target's memory does not depend on it.
func (t *Target) huge(w http.ResponseWriter, r *http.Request) {
	size := int64(DefaultHugeSize)
	if s := r.URL.Query().Get("size"); s != "" {
		n, err := ParseSize(s)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		size = n
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	t.count(HugeBody)
	for sent := int64(0); sent < size; {
		n, err := w.Write(filler[:min(int64(len(filler)), size-sent)])
		sent += int64(n)
		t.hugeBytes.Add(int64(n))
		if err != nil {
			return
		}
	}
}

// earlyClose sends a whole response that leaves the connection open for
// keep-alive, as far as the client can tell, then closes it: the client
// finds out when it next uses the connection.
func (t *Target) earlyClose(w http.ResponseWriter, _ *http.Request) {
	conn, rw, ok := hijack(w)
	if !ok {
		return
	}
	t.count(EarlyClose)
	rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
	rw.Flush()
	conn.Close()
}

func (t *Target) status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 100 || code > 599 || code == http.StatusSwitchingProtocols {
		http.Error(w, "the status must be 100–599 but 101", http.StatusBadRequest)
		return
	}
	t.count(Status(code))
	switch {
	case code < 200:
		// An informational response precedes the final one.
		w.Header().Set("Link", "</ok>; rel=preload")
		w.WriteHeader(code)
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "after "+strconv.Itoa(code))
	case code >= 300 && code < 400 && code != http.StatusNotModified:
		w.Header().Set("Location", "/ok")
		w.WriteHeader(code)
	default:
		w.WriteHeader(code)
	}
}

func (t *Target) slow(w http.ResponseWriter, r *http.Request) {
	var delay time.Duration
	if t.cfg.Slow != nil {
		delay = t.cfg.Slow(time.Since(t.start))
	}
	if delay > 0 {
		t.count(Slow)
		t.wait(r.Context(), delay)
	}
	io.WriteString(w, "ok")
}

// wait sleeps for d. When the client leaves or the target closes first,
// it aborts the handler, so that net/http drops the connection rather
// than completing the response.
func (t *Target) wait(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return
	case <-ctx.Done():
	case <-t.closing:
	}
	panic(http.ErrAbortHandler)
}

func stallFor(r *http.Request) time.Duration {
	if d, err := time.ParseDuration(r.URL.Query().Get("for")); err == nil && d >= 0 {
		return d
	}
	return maxStall
}

// hijack takes the raw connection over from net/http.
func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, bool) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot take the connection over: "+err.Error(), http.StatusInternalServerError)
		return nil, nil, false
	}
	return conn, rw, true
}

// filler is the body bytes of every response that needs some.
var filler = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}()

// ParseSize reads a byte count with an optional K, M or G suffix (powers
// of 1024).
func ParseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, errors.New("size: want a byte count such as 512, 64K, 2G")
	}
	return n * mult, nil
}
