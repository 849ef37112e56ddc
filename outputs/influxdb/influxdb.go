package influxdb

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

	httpc    *http.Client
	writeURL string // .../api/v2/write?bucket=…&org=…&precision=ns

	// split and names belong to AddSamples' goroutine.
	split *splitter
	names measurements

	mu        sync.Mutex
	cur       []byte // lines not yet in a batch
	curPoints int
	recent    *recentPoints // the last points written, to keep them apart
	times     timeText      // the last timestamp's digits
	pending   []batch       // sealed batches, oldest first
	spare     [][]byte      // emptied batch buffers, for reuse
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

// batch is a request body of line protocol. Its buffer goes back to
// Output.spare once it is sent, so that batches cost no allocation (and
// the collector and the page scavenger no work) once the run is going.
type batch struct {
	body   []byte
	points int
}

// maxSpare bounds the buffers kept for reuse (about 1 MB each).
const maxSpare = 8

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
	o.writeURL = writeURL(o.cfg.server, o.cfg.bucket, o.cfg.org)

	o.probe()

	o.started = true
	// The writers run under a profiler label, which the HTTP transport's
	// connection goroutines they start inherit: a CPU profile
	// (THRONG_CPUPROFILE) then tells what writing costs the generator, with
	// go tool pprof -tagfocus output=influxdb.
	labels := pprof.Labels("output", "influxdb")
	go pprof.Do(context.Background(), labels, func(context.Context) { o.pusher() })
	for range o.cfg.concurrency {
		o.workers.Add(1)
		go pprof.Do(context.Background(), labels, func(context.Context) { o.worker() })
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
			o.cur = appendRawPoint(o.cur, o.names.get(s.Metric), sp, s.Value, o.recent.uniqueTime(s.Metric, sp.series, s.Time), &o.times)
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
// one request would vanish from the counts.
//
// It holds a 64-bit fingerprint of each key in two open-addressing tables,
// the current one and the one before, each of recentSize entries; when the
// current one fills, it becomes the one before and the older is emptied.
// A point takes one entry, or up to three with its time's markers (below),
// so the last recentSize/3 = 21,845 points at least are always remembered
// (about 55,000 in a run, where most points take one entry: more than the
// samples of one time that the VUs' buffers can hold apart), in 2 MB, and
// nothing is allocated once the tables exist. Two keys with the same
// fingerprint (about one pair in 2^64) only cost an unneeded 1ns shift; a
// taken time is never reused.
//
// Checking every point in tables this size cost a cache miss or two per
// sample, half of what the output cost the generator. So the points are
// taken in groups, the consecutive samples with one time (the 9 of a
// request, the 4 that end an iteration): a key's probe starts at a slot
// chosen by its time alone, and each time in use also has a marker entry
// there. A group whose time has no marker in either table (the usual case)
// cannot meet an earlier point: its points are only compared with each
// other and written one after the other from the marker, in the same
// cache line or two. Only a group whose time was seen before (two VUs in
// one nanosecond, a request split between two of a VU's batches) looks
// each key up.
type recentPoints struct {
	cur, prev []uint64 // recentSlots fingerprints each, 0 = free
	n         int      // entries in cur

	// The current group: its time, whether that time was new (no
	// lookups needed), where its last entry went in cur, and its points.
	open  bool
	gT    int64
	gSlot uint64 // slot(gT)
	fresh bool
	last  uint64
	keys  []timedKey
}

type timedKey struct {
	key uint64
	t   int64
}

const (
	recentSize  = 1 << 16        // entries per table
	recentSlots = 2 * recentSize // a table is at most half full
	maxGroup    = 64             // points per group, past which another starts
	markerKey   = ^uint64(0)     // the key of a time's marker: no metric has it
)

// uniqueTime returns t, or the next nanosecond not taken by a recent point
// of the same metric and tags.
func (r *recentPoints) uniqueTime(m *metrics.Metric, series uint32, t int64) int64 {
	if r.cur == nil {
		r.cur, r.prev = make([]uint64, recentSlots), make([]uint64, recentSlots)
	}
	if !r.open || t != r.gT || len(r.keys) >= maxGroup {
		r.startGroup(t)
	}
	key := uint64(m.Index())<<32 | uint64(series)
	at, dup := t, false
	for _, k := range r.keys {
		if k.key == key && k.t >= at {
			at, dup = k.t+1, true
		}
	}
	if r.fresh && !dup {
		// No earlier point has this time: write the key after the
		// group's last entry (the run from the marker is unbroken, so a
		// probe from the time's slot finds it).
		mask := uint64(len(r.cur) - 1)
		i := (r.last + 1) & mask
		for r.cur[i] != 0 {
			i = (i + 1) & mask
		}
		r.cur[i] = fingerprintAt(key, r.gSlot)
		r.last = i
		r.keys = append(r.keys, timedKey{key, t})
		r.added()
		return t
	}
	for range 1000 {
		home, fp := slot(at), fingerprint(key, at)
		if !probe(r.cur, home, fp, false) && !probe(r.prev, home, fp, false) {
			r.mark(at)
			probe(r.cur, home, fp, true)
			r.keys = append(r.keys, timedKey{key, at})
			r.added()
			return at
		}
		at++
	}
	return at
}

// startGroup opens a group of points of time t.
func (r *recentPoints) startGroup(t int64) {
	home, fp := slot(t), fingerprint(markerKey, t)
	r.open, r.gT, r.gSlot, r.keys = true, t, home, r.keys[:0]
	r.fresh = !probe(r.cur, home, fp, false) && !probe(r.prev, home, fp, false)
	if r.fresh {
		r.last = insert(r.cur, home, fp)
		r.added()
	} else {
		r.mark(t)
	}
}

// mark makes sure the current table has t's marker, which every table
// holding points of time t must have.
func (r *recentPoints) mark(t int64) {
	home, fp := slot(t), fingerprint(markerKey, t)
	if !probe(r.cur, home, fp, false) {
		insert(r.cur, home, fp)
		r.added()
	}
}

// added counts an entry in cur; when cur is full it becomes prev, and the
// group ends (its entries after the marker must stay beside it).
func (r *recentPoints) added() {
	if r.n++; r.n >= recentSize {
		r.cur, r.prev = r.prev, r.cur
		clear(r.cur)
		r.n = 0
		r.open = false
	}
}

// slot is where the probes for the keys of time t start.
func slot(t int64) uint64 { return mix(uint64(t)) }

// fingerprint of a (metric, series) key and a time: 64 bits, never 0.
func fingerprint(key uint64, t int64) uint64 { return fingerprintAt(key, slot(t)) }

// fingerprintAt is fingerprint with the time's slot already mixed.
func fingerprintAt(key, slot uint64) uint64 {
	fp := mix(slot ^ key*0x9e3779b97f4a7c15)
	if fp == 0 {
		fp = 1
	}
	return fp
}

// mix is a 64-bit finalizer (splitmix64's): every input bit moves about
// half the output bits.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// probe looks fp up in table, linear probing from slot home; with insert
// it stores fp in the free slot it stopped at.
func probe(table []uint64, home, fp uint64, insert bool) bool {
	mask := uint64(len(table) - 1)
	for i := home & mask; ; i = (i + 1) & mask {
		switch table[i] {
		case fp:
			return true
		case 0:
			if insert {
				table[i] = fp
			}
			return false
		}
	}
}

// insert stores fp in the first free slot from home and returns it.
func insert(table []uint64, home, fp uint64) uint64 {
	mask := uint64(len(table) - 1)
	i := home & mask
	for table[i] != 0 {
		i = (i + 1) & mask
	}
	table[i] = fp
	return i
}

// sealLocked turns the current lines into a pending batch.
func (o *Output) sealLocked() {
	if o.curPoints == 0 {
		return
	}
	o.pending = append(o.pending, batch{body: o.cur, points: o.curPoints})
	size := len(o.cur)
	o.cur, o.curPoints = nil, 0
	if n := len(o.spare); n > 0 {
		o.cur = o.spare[n-1][:0]
		o.spare[n-1] = nil
		o.spare = o.spare[:n-1]
	} else {
		// No buffer to reuse (the writers are behind): start the next
		// one at this one's size rather than grow it from nothing, which
		// copied each batch about twice over.
		o.cur = make([]byte, 0, size+size/8)
	}
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
	// The transport may close (and stop reading) a request body after Do
	// returns: the buffer is reused only once every body made from it is
	// closed.
	var bodies sync.WaitGroup
	defer func() { o.release(b, closedWithin(&bodies, requestTimeout)) }()
	backoff := minBackoff
	for {
		err := o.write(b.body, &bodies)
		if err == nil {
			o.written.Add(int64(b.points))
			o.recovered()
			return
		}
		if o.ctx.Err() != nil {
			o.undelivered.Add(int64(b.points))
			return
		}
		var he *writeError
		status := 0
		if errors.As(err, &he) {
			status = he.status
		}
		if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
			o.rejected.Add(int64(b.points))
			o.warnRejected(status, err)
			return
		}
		o.retries.Add(1)
		o.warnDown(err)
		wait := backoff/2 + rand.N(backoff/2+1)
		if he != nil && he.retryAfter > 0 {
			wait = max(wait, min(he.retryAfter, maxBackoff))
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

// release forgets a batch that was written, refused or given up, and
// keeps its buffer for a later batch when reuse says nothing reads it.
func (o *Output) release(b batch, reuse bool) {
	o.mu.Lock()
	o.queued -= b.points
	if reuse && len(o.spare) < maxSpare {
		o.spare = append(o.spare, b.body[:0])
	}
	o.mu.Unlock()
}

// closedWithin waits up to d for wg; it says whether wg was done.
func closedWithin(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// trackedBody is a request body that tells its WaitGroup when the
// transport closes it.
type trackedBody struct {
	*bytes.Reader
	closed atomic.Bool
	wg     *sync.WaitGroup
}

func (b *trackedBody) Close() error {
	if b.closed.CompareAndSwap(false, true) {
		b.wg.Done()
	}
	return nil
}

// writeURL is the write endpoint of the 2.x API, which InfluxDB 1.8 also
// serves (there the bucket is "db/rp" and the organization is ignored).
func writeURL(server, bucket, org string) string {
	q := url.Values{"bucket": {bucket}, "org": {org}, "precision": {"ns"}}
	return strings.TrimRight(server, "/") + "/api/v2/write?" + q.Encode()
}

// writeError is a write the server answered with a status other than 2xx.
type writeError struct {
	status     int
	msg        string        // the server's message, or the status text
	retryAfter time.Duration // from Retry-After, 0 without one
}

func (e *writeError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status, http.StatusText(e.status), e.msg)
}

// write sends one batch: POST /api/v2/write with the body as it is, so
// a batch is never copied on its way out. Each body made from it (the
// transport makes another to retry on a fresh connection) is counted in
// bodies until the transport closes it.
func (o *Output) write(body []byte, bodies *sync.WaitGroup) error {
	req, err := http.NewRequestWithContext(o.ctx, http.MethodPost, o.writeURL, nil)
	if err != nil {
		return err
	}
	newBody := func() io.ReadCloser {
		bodies.Add(1)
		return &trackedBody{Reader: bytes.NewReader(body), wg: bodies}
	}
	req.Body, req.ContentLength = newBody(), int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return newBody(), nil }
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "throng")
	if o.cfg.token != "" {
		req.Header.Set("Authorization", "Token "+o.cfg.token)
	}
	resp, err := o.httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil
	}
	return responseError(resp)
}

// responseError reads the server's reason from a failed write: the JSON
// body's "message" (2.x) or "error" (1.8), else X-Influxdb-Error, else the
// body's start.
func responseError(resp *http.Response) *writeError {
	e := &writeError{status: resp.StatusCode}
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
		e.retryAfter = time.Duration(s) * time.Second
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var body struct{ Message, Error string }
	if json.Unmarshal(raw, &body) == nil && (body.Message != "" || body.Error != "") {
		e.msg = body.Message
		if e.msg == "" {
			e.msg = body.Error
		}
	} else if h := resp.Header.Get("X-Influxdb-Error"); h != "" {
		e.msg = h
	} else {
		e.msg = strings.TrimSpace(string(raw[:min(len(raw), 200)]))
	}
	if e.msg == "" {
		e.msg = http.StatusText(resp.StatusCode)
	}
	return e
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
		parts = append(parts, fmt.Sprintf("%d points not delivered (server unreachable or too slow)", n))
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
