package prometheus

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

// Name is the output's name in -o NAME=ARG.
const Name = "prometheus-rw"

const (
	// maxSeries bounds the output's memory: samples of series beyond it
	// are dropped and counted (a tag with a value per request, left in by
	// PROMETHEUS_RW_DROP_TAGS, would otherwise grow it without end).
	maxSeries = 100_000
	// maxSeriesPerRequest splits a push into requests of bounded size, as
	// Prometheus's own sender does.
	maxSeriesPerRequest = 2000
	// The retry backoff within a push: doubling from the first to the cap.
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 2 * time.Second
	// maxAttempts bounds the retries of one request whatever the deadline.
	maxAttempts = 30
	// probeTimeout bounds Start's check that the server answers.
	probeTimeout = 3 * time.Second
	// finalTimeout bounds the last push, at Stop.
	finalTimeout = 5 * time.Second
	// requestTimeout bounds one request, however long the interval.
	requestTimeout = 10 * time.Second
)

// Output sends throng's metrics to a Prometheus remote-write endpoint.
type Output struct {
	cfg    config
	client *http.Client
	warnf  func(format string, args ...any)

	// finalTimeout bounds the last push; a field so tests can shorten it.
	finalTimeout time.Duration

	mu     sync.Mutex
	series map[*metrics.Metric]map[string]*series
	nSer   int
	lm     labelMaker

	ctx     context.Context
	cancel  context.CancelFunc
	stop    chan struct{}
	done    chan struct{}
	started bool
	stopped bool

	warned         atomic.Bool
	pushes         atomic.Int64 // requests delivered
	failedPushes   atomic.Int64 // requests that failed after their retries
	retries        atomic.Int64
	lostValues     atomic.Int64 // series values that no push delivered
	refusedSamples atomic.Int64 // samples of series not created, over maxSeries
}

var (
	_ outputs.Output   = (*Output)(nil)
	_ outputs.Reporter = (*Output)(nil)
)

// New is the prometheus-rw output's constructor: -o prometheus-rw=URL, or
// the URL from PROMETHEUS_RW_SERVER_URL; settings from the environment
// (see the package documentation).
func New(p outputs.Params) (outputs.Output, error) {
	cfg, err := parseConfig(p)
	if err != nil {
		return nil, err
	}
	warnf := p.Warnf
	if warnf == nil {
		warnf = func(string, ...any) {}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the endpoint is named explicitly: no proxy from the environment
	if cfg.insecureTLS {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by PROMETHEUS_RW_INSECURE_SKIP_TLS_VERIFY
	}
	o := &Output{
		cfg:          cfg,
		client:       &http.Client{Transport: tr},
		warnf:        warnf,
		finalTimeout: finalTimeout,
		series:       map[*metrics.Metric]map[string]*series{},
		lm:           labelMaker{drop: cfg.dropTags, names: map[string]string{}},
		stop:         make(chan struct{}),
		done:         make(chan struct{}),
	}
	o.ctx, o.cancel = context.WithCancel(context.Background())
	return o, nil
}

// Description implements outputs.Output; it never shows credentials.
func (o *Output) Description() string {
	return fmt.Sprintf("%s (%s)", Name, safeURL(o.cfg.url))
}

// Start implements outputs.Output. It checks that the server answers an
// empty write; when it does not, it warns once and the run goes on, the
// pushes retrying every interval.
func (o *Output) Start() error {
	o.started = true
	ctx, cancel := context.WithTimeout(o.ctx, min(probeTimeout, max(o.cfg.pushInterval, time.Second)))
	_, err := o.post(ctx, encodeWriteRequest(nil))
	cancel()
	if err != nil {
		o.warnOnce(err)
	}
	go o.loop()
	return nil
}

// AddSamples implements outputs.Output: it folds the batch into the
// per-series state and returns; the network is the pusher's business.
func (o *Output) AddSamples(batch []metrics.Sample) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, smp := range batch {
		if smp.Metric == nil {
			continue
		}
		byLabels := o.series[smp.Metric]
		if byLabels == nil {
			byLabels = map[string]*series{}
			o.series[smp.Metric] = byLabels
		}
		o.lm.labels(smp.Tags)
		s := byLabels[string(o.lm.key)]
		if s == nil {
			if o.nSer >= maxSeries {
				o.refusedSamples.Add(1)
				continue
			}
			s = o.lm.newSeries(smp.Metric)
			byLabels[string(o.lm.key)] = s
			o.nSer++
		}
		s.add(smp)
	}
}

// Stop implements outputs.Output: it pushes the final state and waits at
// most for the request under way (a push under way retries no more) plus
// the final push's bound.
func (o *Output) Stop() error {
	if o.stopped {
		return nil
	}
	o.stopped = true
	defer o.cancel()
	if !o.started {
		return nil
	}
	close(o.stop)
	bound := min(o.cfg.pushInterval, requestTimeout) + o.finalTimeout + time.Second
	select {
	case <-o.done:
		return nil
	case <-time.After(bound):
	}
	o.cancel() // the push under way gives up
	select {
	case <-o.done:
	case <-time.After(time.Second):
	}
	return fmt.Errorf("the last push did not finish within %s", bound)
}

// Report implements outputs.Reporter: what was not delivered, and how
// many retries it took; "" when every push got through at the first try.
func (o *Output) Report() string {
	var parts []string
	if n := o.failedPushes.Load(); n > 0 {
		parts = append(parts, plural(n, "push", "pushes")+" failed")
	}
	if n := o.lostValues.Load(); n > 0 {
		parts = append(parts, plural(n, "series value", "series values")+" not delivered")
	}
	if n := o.refusedSamples.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d samples dropped (over the limit of %d series)", n, maxSeries))
	}
	if n := o.retries.Load(); n > 0 {
		s := plural(n, "retry", "retries")
		if len(parts) == 0 {
			s += " (every push was delivered)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// loop pushes every interval until Stop, then pushes once more.
func (o *Output) loop() {
	defer close(o.done)
	tick := time.NewTicker(o.cfg.pushInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			o.push(o.cfg.pushInterval, o.stop)
		case <-o.stop:
			o.push(o.finalTimeout, nil)
			return
		}
	}
}

// pending is a collected series value and where it came from.
type pending struct {
	from *series
	n    int // how many timeSeries it produced
}

// collect takes the series that got samples since the last push, stamped
// with their newest sample's time (kept strictly increasing per series, so
// that Prometheus never sees an out-of-order or duplicate sample).
func (o *Output) collect() ([]timeSeries, []pending) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []timeSeries
	var from []pending
	for _, byLabels := range o.series {
		for _, s := range byLabels {
			if s == nil || !s.dirty {
				continue
			}
			ts := max(s.lastMs, s.sentMs+1)
			s.sentMs, s.dirty = ts, false
			before := len(out)
			out = s.appendSeries(out, ts, o.cfg.trendStats)
			from = append(from, pending{s, len(out) - before})
		}
	}
	return out, from
}

// push sends what changed, in requests of at most maxSeriesPerRequest,
// retrying each within budget, or until quit is closed. The cumulative
// series of a failed request are marked to go again with the next push
// (their value is the total, so nothing is lost); the interval stats of a
// Trend are lost, and counted. The final push (quit nil) has no next push.
func (o *Output) push(budget time.Duration, quit <-chan struct{}) {
	final := quit == nil
	all, from := o.collect()
	if len(all) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(o.ctx, budget)
	defer cancel()
	var failed []pending
	for start, fi := 0, 0; start < len(all); {
		// a request holds whole pendings, so that a failure maps back
		end, fj := start, fi
		for fj < len(from) && (end == start || end-start+from[fj].n <= maxSeriesPerRequest) {
			end += from[fj].n
			fj++
		}
		if err := o.send(ctx, quit, encodeWriteRequest(all[start:end])); err != nil {
			o.failedPushes.Add(1)
			o.warnOnce(err)
			failed = append(failed, from[fi:fj]...)
		} else {
			o.pushes.Add(1)
		}
		start, fi = end, fj
	}
	if len(failed) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, p := range failed {
		if p.from.cumulative() && !final {
			p.from.dirty = true
			continue
		}
		o.lostValues.Add(int64(p.n))
	}
}

// send posts one request, retrying connection errors, 429 and 5xx with a
// doubling backoff while ctx allows and quit is open.
func (o *Output) send(ctx context.Context, quit <-chan struct{}, body []byte) error {
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		retry, err := o.post(rctx, body)
		cancel()
		if err == nil || !retry || attempt >= maxAttempts {
			return err
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < backoff {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-quit:
			t.Stop()
			return err
		case <-t.C:
		}
		o.retries.Add(1)
		backoff = min(2*backoff, maxBackoff)
	}
}

// post makes one remote-write request; retry says whether a failure may
// pass (a connection error, 429 or 5xx).
func (o *Output) post(ctx context.Context, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.cfg.url.String(), bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	req.Header.Set("User-Agent", "throng")
	switch {
	case o.cfg.bearer != "":
		req.Header.Set("Authorization", "Bearer "+o.cfg.bearer)
	case o.cfg.username != "" || o.cfg.password != "":
		req.SetBasicAuth(o.cfg.username, o.cfg.password)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // it repeats the URL, which may hold a token in its query
			err = ue.Err
		}
		return true, fmt.Errorf("push to %s: %w", safeURL(o.cfg.url), err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	err = fmt.Errorf("push to %s: %s: %s", safeURL(o.cfg.url), resp.Status, strings.TrimSpace(string(msg)))
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500, err
}

func (o *Output) warnOnce(err error) {
	if o.warned.Swap(true) {
		return
	}
	o.warnf("%s: %v; the run goes on, pushes are retried, and what is not delivered is counted in the summary", Name, err)
}
