package influxdb

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	http2 "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

const (
	// maxBatchPoints bounds one write request (InfluxDB advises batches
	// of about 5,000 lines).
	maxBatchPoints = 5000
	// Retries wait 100ms, 200ms, … up to 5s between attempts.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
	// requestTimeout bounds one write request.
	requestTimeout = 10 * time.Second
	// probeTimeout bounds the checks Start makes.
	probeTimeout = 3 * time.Second
)

// Output writes samples to InfluxDB. Build it with New.
type Output struct {
	cfg   config
	warnf func(format string, args ...any)
	now   func() time.Time // the clock aggregate mode closes intervals by

	httpc  *http.Client
	client influxdb2.Client
	writer api.WriteAPIBlocking

	// split and names belong to AddSamples' goroutine.
	split *splitter
	names measurements

	mu        sync.Mutex
	cur       []byte // lines not yet in a batch
	curPoints int
	recent    *recentPoints // the last points written, to keep them apart
	pending   []batch       // sealed batches, oldest first
	queued    int           // points held: cur, pending, in flight, open aggregate points
	agg       *aggregator
	aggNames  measurements // for agg's points, under mu
	stopping  bool

	wake        chan struct{} // a batch is pending (capacity 1)
	done        chan struct{} // closed when no more batches will come
	stopPusher  chan struct{}
	pusherDone  chan struct{}
	ctx         context.Context // cancelled when Stop gives up
	cancel      context.CancelFunc
	workers     sync.WaitGroup
	started     bool
	stopOnce    sync.Once
	warnMu      sync.Mutex
	warnedDown  bool
	warnedFull  bool
	warned4xx   bool
	dropped     atomic.Int64 // points (samples in aggregate mode) refused: queue full
	rejected    atomic.Int64 // points in batches the server refused (4xx)
	undelivered atomic.Int64 // points still queued or retrying when Stop gave up
	retries     atomic.Int64
	written     atomic.Int64 // points the server accepted
	skipped     atomic.Int64 // samples whose value was NaN or infinite
}

// batch is a request body of line protocol.
type batch struct {
	body   string
	points int
}

var _ outputs.Reporter = (*Output)(nil)

// New builds the output for -o influxdb=URL; see the package doc for the
// URL and the settings.
func New(p outputs.Params) (outputs.Output, error) {
	cfg, err := parseConfig(p)
	if err != nil {
		return nil, err
	}
	return newOutput(cfg, p.Warnf), nil
}

func newOutput(cfg config, warnf func(string, ...any)) *Output {
	if warnf == nil {
		warnf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, "WARN "+format+"\n", args...) }
	}
	o := &Output{
		cfg:        cfg,
		warnf:      warnf,
		now:        time.Now,
		split:      newSplitter(cfg.asFields, cfg.aggregate == 0),
		recent:     new(recentPoints),
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		stopPusher: make(chan struct{}),
		pusherDone: make(chan struct{}),
	}
	if cfg.aggregate > 0 {
		o.agg = newAggregator(int64(cfg.aggregate))
	}
	o.ctx, o.cancel = context.WithCancel(context.Background())
	return o
}

// Description implements outputs.Output: the server and bucket, never
// the credentials.
func (o *Output) Description() string { return "influxdb (" + o.cfg.display + ")" }

// Start implements outputs.Output. A server that does not answer is not an
// error: Start warns, and points wait in the queue until it does.
func (o *Output) Start() error {
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConnsPerHost: o.cfg.concurrency + 1,
		IdleConnTimeout:     90 * time.Second,
	}
	if o.cfg.insecure {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with INFLUXDB_INSECURE
	}
	o.httpc = &http.Client{Transport: transport, Timeout: requestTimeout}
	opts := influxdb2.DefaultOptions().
		SetHTTPClient(o.httpc).
		SetLogLevel(0).
		SetApplicationName("throng").
		SetPrecision(time.Nanosecond)
	o.client = influxdb2.NewClientWithOptions(o.cfg.server, o.cfg.token, opts)
	o.writer = o.client.WriteAPIBlocking(o.cfg.org, o.cfg.bucket)

	o.probe()

	o.started = true
	go o.pusher()
	for range o.cfg.concurrency {
		o.workers.Add(1)
		go o.worker()
	}
	return nil
}

// probe pings the server, creates the database of a 1.x server, and warns
// about what would make every write fail.
func (o *Output) probe() {
	ctx, cancel := context.WithTimeout(o.ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.cfg.server+"/ping", nil)
	if err != nil {
		return
	}
	resp, err := o.httpc.Do(req)
	if err != nil {
		o.warnMu.Lock()
		o.warnedDown = true
		o.warnMu.Unlock()
		o.warnf("influxdb: %s does not answer (%v): the run goes on, and points are queued (up to %d) and written when it does", o.cfg.server, cleanErr(err), o.cfg.queuePoints)
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	// 1.x answers X-Influxdb-Version: 1.8.10 (or "unknown" when built
	// from source), 2.x answers 2.7.1 or v2.7.1.
	version := resp.Header.Get("X-Influxdb-Version")
	v2 := strings.HasPrefix(version, "2.") || strings.HasPrefix(version, "v2.")
	switch {
	case !v2 && (o.cfg.org == "" || strings.HasPrefix(version, "1.")):
		o.createDatabase(ctx)
	case v2 && o.cfg.org == "":
		o.warnf("influxdb: %s is InfluxDB %s, which needs an organization: set INFLUXDB_ORGANIZATION (or ?organization= in the URL), or writes will fail", o.cfg.server, version)
	}
}

// createDatabase creates the bucket's database on an InfluxDB 1.x server
// through its /query endpoint; a failure is left for the writes to report.
func (o *Output) createDatabase(ctx context.Context) {
	db, _, _ := strings.Cut(o.cfg.bucket, "/")
	form := url.Values{"q": {`CREATE DATABASE "` + strings.ReplaceAll(db, `"`, `\"`) + `"`}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.cfg.server+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user, pass, ok := strings.Cut(o.cfg.token, ":"); ok {
		req.SetBasicAuth(user, pass)
	} else if o.cfg.token != "" {
		req.Header.Set("Authorization", "Token "+o.cfg.token)
	}
	resp, err := o.httpc.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
}

// AddSamples implements outputs.Output: it converts and queues, never
// waiting on the server; when the queue is full the points are dropped
// and counted.
func (o *Output) AddSamples(batch []metrics.Sample) {
	if len(batch) == 0 {
		return
	}
	o.mu.Lock()
	if o.stopping {
		o.mu.Unlock()
		o.dropped.Add(int64(len(batch)))
		return
	}
	var dropped, skipped int64
	sealed := false
	if o.agg != nil {
		for i := range batch {
			s := &batch[i]
			if !finite(s.Value) || s.Metric == nil {
				skipped++
				continue
			}
			added, created := o.agg.add(s.Metric, o.split.get(s.Tags).tags, s.Time, s.Value, o.queued < o.cfg.queuePoints)
			switch {
			case !added:
				dropped++
			case created:
				o.queued++
			}
		}
	} else {
		for i := range batch {
			s := &batch[i]
			if !finite(s.Value) || s.Metric == nil {
				skipped++
				continue
			}
			if o.queued >= o.cfg.queuePoints {
				dropped++
				continue
			}
			sp := o.split.get(s.Tags)
			o.cur = appendRawPoint(o.cur, o.names.get(s.Metric), sp, s.Value, o.recent.uniqueTime(s.Metric, sp.series, s.Time))
			o.curPoints++
			o.queued++
			if o.curPoints >= maxBatchPoints {
				o.sealLocked()
				sealed = true
			}
		}
	}
	o.mu.Unlock()
	if sealed {
		o.signal()
	}
	if skipped > 0 {
		o.skipped.Add(skipped)
	}
	if dropped > 0 {
		o.dropped.Add(dropped)
		o.warnFull()
	}
}

// recentPoints remembers the (metric, series, time) of recent raw points,
// to keep points apart: two VUs can take a sample in the same nanosecond,
// and InfluxDB keeps one point per measurement, tag set and timestamp, so
// one request would vanish from the counts. The set is exact (a lossy hash
// table let a later point reuse a taken time) and bounded: it starts
// afresh after recentSize points, which only forgets times far older than
// any batch.
type recentPoints struct {
	seen map[recentKey]struct{}
}

type recentKey struct {
	metric int
	series uint32
	t      int64
}

const recentSize = 1 << 14

// uniqueTime returns t, or the next nanosecond not taken by a recent point
// of the same metric and tags.
func (r *recentPoints) uniqueTime(m *metrics.Metric, series uint32, t int64) int64 {
	if r.seen == nil || len(r.seen) >= recentSize {
		r.seen = make(map[recentKey]struct{}, recentSize)
	}
	for range 1000 {
		k := recentKey{m.Index(), series, t}
		if _, taken := r.seen[k]; !taken {
			r.seen[k] = struct{}{}
			return t
		}
		t++
	}
	return t
}

// sealLocked turns the current lines into a pending batch.
func (o *Output) sealLocked() {
	if o.curPoints == 0 {
		return
	}
	o.pending = append(o.pending, batch{body: string(o.cur), points: o.curPoints})
	o.cur, o.curPoints = o.cur[:0], 0
}

// flushAggregateLocked writes the aggregate points of the intervals that
// ended at or before upTo into batches.
func (o *Output) flushAggregateLocked(upTo int64) {
	o.agg.flush(upTo, func(k aggKey, c *aggCell) {
		o.cur = appendAggPoint(o.cur, o.aggNames.get(k.metric), k, c)
		o.curPoints++
		if o.curPoints >= maxBatchPoints {
			o.sealLocked()
		}
	})
}

func (o *Output) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// pusher seals a batch every push interval (closing the aggregate
// intervals that are due) and hands it to the writers.
func (o *Output) pusher() {
	defer close(o.pusherDone)
	t := time.NewTicker(o.cfg.push)
	defer t.Stop()
	for {
		select {
		case <-o.stopPusher:
			return
		case <-t.C:
		}
		o.mu.Lock()
		if o.agg != nil {
			o.flushAggregateLocked(o.now().UnixNano() - aggLateness)
		}
		o.sealLocked()
		ready := len(o.pending) > 0
		o.mu.Unlock()
		if ready {
			o.signal()
		}
	}
}

// worker sends pending batches, one at a time, until Stop has sealed the
// last one and none is left, or Stop gives up.
func (o *Output) worker() {
	defer o.workers.Done()
	for o.ctx.Err() == nil {
		o.mu.Lock()
		if len(o.pending) > 0 {
			b := o.pending[0]
			o.pending[0] = batch{}
			o.pending = o.pending[1:]
			more := len(o.pending) > 0
			o.mu.Unlock()
			if more {
				o.signal()
			}
			o.send(b)
			continue
		}
		stopping := o.stopping
		o.mu.Unlock()
		if stopping {
			return
		}
		select {
		case <-o.wake:
		case <-o.done:
		case <-o.ctx.Done():
		}
	}
}

// send writes one batch, retrying with exponential backoff on connection
// errors, 5xx, 408 and 429, until it is written, the server refuses it
// (another 4xx), or Stop gives up.
func (o *Output) send(b batch) {
	defer o.release(b.points)
	backoff := minBackoff
	for {
		err := o.writer.WriteRecord(o.ctx, b.body)
		if err == nil {
			o.written.Add(int64(b.points))
			o.recovered()
			return
		}
		if o.ctx.Err() != nil {
			o.undelivered.Add(int64(b.points))
			return
		}
		var he *http2.Error
		status := 0
		if errors.As(err, &he) {
			status = he.StatusCode
		}
		if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
			o.rejected.Add(int64(b.points))
			o.warnRejected(status, err)
			return
		}
		o.retries.Add(1)
		o.warnDown(err)
		wait := backoff/2 + rand.N(backoff/2+1)
		if he != nil && he.RetryAfter > 0 {
			wait = max(wait, min(time.Duration(he.RetryAfter)*time.Second, maxBackoff))
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-o.ctx.Done():
			t.Stop()
			o.undelivered.Add(int64(b.points))
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (o *Output) release(points int) {
	o.mu.Lock()
	o.queued -= points
	o.mu.Unlock()
}

func (o *Output) warnDown(err error) {
	o.warnMu.Lock()
	defer o.warnMu.Unlock()
	if o.warnedDown {
		return
	}
	o.warnedDown = true
	o.warnf("influxdb: writing to %s failed (%v): retrying with backoff; points stay queued (up to %d) until it answers", o.cfg.server, cleanErr(err), o.cfg.queuePoints)
}

func (o *Output) recovered() {
	o.warnMu.Lock()
	defer o.warnMu.Unlock()
	if o.warnedDown {
		o.warnedDown = false
		o.warnf("influxdb: %s answers again; the queued points are being written", o.cfg.server)
	}
}

func (o *Output) warnFull() {
	o.warnMu.Lock()
	defer o.warnMu.Unlock()
	if o.warnedFull {
		return
	}
	o.warnedFull = true
	o.warnf("influxdb: the queue is full (%d points): new points are dropped and counted; raise INFLUXDB_QUEUE_POINTS, or write fewer points with INFLUXDB_AGGREGATE=1s", o.cfg.queuePoints)
}

func (o *Output) warnRejected(status int, err error) {
	o.warnMu.Lock()
	defer o.warnMu.Unlock()
	if o.warned4xx {
		return
	}
	o.warned4xx = true
	hint := ""
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		hint = "; check INFLUXDB_TOKEN or the URL's user:password (InfluxDB 1.8: user:password; 2.x: an API token that may write to the bucket)"
	case http.StatusNotFound:
		hint = "; check the bucket (and for InfluxDB 2.x, INFLUXDB_ORGANIZATION)"
	}
	o.warnf("influxdb: %s refused a batch (%v)%s; such batches are not retried, and their points are counted as rejected", o.cfg.server, cleanErr(err), hint)
}

// cleanErr shortens an error for one log line.
func cleanErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return strings.TrimSpace(err.Error())
}

// Stop implements outputs.Output: it writes the rest of the queue, waiting
// up to the stop timeout (INFLUXDB_STOP_TIMEOUT, 30s by default); what is
// still unwritten then is counted in Report.
func (o *Output) Stop() error {
	if !o.started {
		return nil
	}
	o.stopOnce.Do(func() {
		close(o.stopPusher)
		<-o.pusherDone
		o.mu.Lock()
		if o.agg != nil {
			o.flushAggregateLocked(math.MaxInt64)
		}
		o.sealLocked()
		o.stopping = true
		o.mu.Unlock()
		close(o.done)

		finished := make(chan struct{})
		go func() { o.workers.Wait(); close(finished) }()
		t := time.NewTimer(o.cfg.stopTimeout)
		select {
		case <-finished:
			t.Stop()
		case <-t.C:
			o.cancel()
			<-finished
		}
		o.cancel()
		o.mu.Lock()
		var left int
		for _, b := range o.pending {
			left += b.points
		}
		o.queued -= left
		o.pending = nil
		o.mu.Unlock()
		o.undelivered.Add(int64(left))
		o.client.Close()
		o.httpc.CloseIdleConnections()
	})
	return nil
}

// Report implements outputs.Reporter: what was not written, and how many
// retries it took; "" when every point was written at the first try.
func (o *Output) Report() string {
	unit := "points"
	if o.agg != nil {
		unit = "samples"
	}
	var parts []string
	if n := o.dropped.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s dropped (queue full)", n, unit))
	}
	if n := o.rejected.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d points rejected by the server", n))
	}
	if n := o.undelivered.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d points not delivered (server unreachable)", n))
	}
	if n := o.skipped.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d samples skipped (NaN or infinite value)", n))
	}
	if n := o.retries.Load(); n > 0 {
		s := fmt.Sprintf("%d retries", n)
		if n == 1 {
			s = "1 retry"
		}
		if len(parts) == 0 {
			s += " (every point was written)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// Written is how many points the server has accepted so far.
func (o *Output) Written() int64 { return o.written.Load() }
