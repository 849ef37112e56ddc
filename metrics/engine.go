package metrics

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// Consumer receives every batch the engine ingests, on the engine's
// goroutine, after the sinks have it. It must not block and must not keep
// the slice: copy what it needs (outputs buffer and write on their own
// goroutines).
type Consumer func(batch []Sample)

// Engine folds sample batches into one sink per metric, and keeps what the
// summary shows beyond plain metrics: the tree of groups and checks, counts
// per HTTP status and per error reason.
//
// Producers get a Buffer each; one goroutine started by Start consumes the
// batches, so the request path takes no shared lock. Snapshot may be called
// at any time from any goroutine.
type Engine struct {
	builtins  *Builtins
	in        chan []Sample
	done      chan struct{}
	consumers []Consumer
	pool      sync.Pool

	mu          sync.Mutex
	sinks       []Sink // by Metric.Index
	thresholds  []*ThresholdSet
	subs        [][]*subSink // by the parent's Metric.Index
	root        *Group
	statusCodes map[string]int64
	errors      map[string]int64

	// sending guards in against Stop: senders hold it for reading, Stop
	// for writing, so that no batch is sent on a closed channel.
	sending sync.RWMutex
	stopped bool
}

// NewEngine returns an engine for the metrics of b's registry.
func NewEngine(b *Builtins) *Engine {
	e := &Engine{
		builtins:    b,
		in:          make(chan []Sample, 1024),
		done:        make(chan struct{}),
		root:        &Group{},
		statusCodes: make(map[string]int64),
		errors:      make(map[string]int64),
	}
	e.pool.New = func() any { return make([]Sample, 0, batchSize) }
	return e
}

// AddConsumer registers c to see every batch. Call it before Start.
func (e *Engine) AddConsumer(c Consumer) { e.consumers = append(e.consumers, c) }

// NewBuffer returns a buffer for one producer.
func (e *Engine) NewBuffer() *Buffer { return &Buffer{engine: e} }

// Push hands one batch to the engine, for producers without a Buffer.
func (e *Engine) Push(batch []Sample) {
	if len(batch) > 0 {
		e.send(batch)
	}
}

// send hands a batch to the engine's goroutine. Once Stop is called the
// results are final, and a batch sent later is dropped: the requests a
// script's handleSummary makes, say, which no result includes (sending it
// on the closed channel would crash the run).
func (e *Engine) send(batch []Sample) {
	e.sending.RLock()
	defer e.sending.RUnlock()
	if !e.stopped {
		e.in <- batch
	}
}

func (e *Engine) getBatch() []Sample { return e.pool.Get().([]Sample)[:0] }

// Start begins consuming batches.
func (e *Engine) Start() {
	go func() {
		defer close(e.done)
		for batch := range e.in {
			e.ingest(batch)
			for _, c := range e.consumers {
				c(batch)
			}
			if cap(batch) == batchSize {
				e.pool.Put(batch[:0]) //nolint:staticcheck // slices are the pooled value
			}
		}
	}()
}

// Stop waits until every batch pushed so far is consumed. Batches pushed
// after it are dropped (see send).
func (e *Engine) Stop() {
	e.sending.Lock()
	if !e.stopped {
		e.stopped = true
		close(e.in)
	}
	e.sending.Unlock()
	<-e.done
}

func (e *Engine) ingest(batch []Sample) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range batch {
		i := s.Metric.index
		if i >= len(e.sinks) {
			e.sinks = append(e.sinks, make([]Sink, i+1-len(e.sinks))...)
		}
		if e.sinks[i] == nil {
			e.sinks[i] = NewSink(s.Metric.Type)
		}
		e.sinks[i].Add(s)
		if i < len(e.subs) {
			for _, sub := range e.subs[i] {
				if s.Tags.Contains(sub.Tags) {
					sub.sink.Add(s)
				}
			}
		}
		switch s.Metric {
		case e.builtins.Checks:
			e.addCheck(s)
		case e.builtins.HTTPReqs:
			if status, ok := s.Tags.Get("status"); ok && status != "0" {
				e.statusCodes[status] += int64(s.Value)
			}
			if reason, ok := s.Tags.Get("error"); ok && reason != "" {
				e.countError(reason, int64(s.Value))
			}
		}
	}
}

func (e *Engine) addCheck(s Sample) {
	path, _ := s.Tags.Get("group")
	name, _ := s.Tags.Get("check")
	c := e.root.group(path).check(name)
	if s.Value != 0 {
		c.Passes++
	} else {
		c.Fails++
	}
}

// CountError counts an error that is not a sample (an exception thrown in
// an iteration, say) under reason in the summary's errors block.
func (e *Engine) CountError(reason string) {
	e.mu.Lock()
	e.countError(reason, 1)
	e.mu.Unlock()
}

// maxErrorReasons bounds the errors block: reasons past it (error texts
// that hold addresses or ids, say) are counted together, so a run that
// fails in many ways cannot grow the engine without limit.
const maxErrorReasons = 100

// otherErrors is where reasons past maxErrorReasons are counted.
const otherErrors = "other errors (too many different reasons to list)"

func (e *Engine) countError(reason string, n int64) {
	if _, known := e.errors[reason]; !known && len(e.errors) >= maxErrorReasons {
		reason = otherErrors
	}
	e.errors[reason] += n
}

// Snapshot is what the engine knows at one moment, independent of it.
type Snapshot struct {
	Duration    time.Duration    // the test's running time, for per-second rates
	Metrics     []MetricSnapshot // metrics that received samples, sorted by name
	Root        *Group           // the groups and checks, in first-seen order
	StatusCodes []Count          // HTTP responses per status, by status
	Errors      []Count          // failures per reason, most frequent first
}

// MetricSnapshot is a metric, or a sub-metric, with a copy of its sink and
// the verdicts of its thresholds.
type MetricSnapshot struct {
	Metric     *Metric
	Sub        *Submetric // nil for the whole metric
	Sink       Sink
	Thresholds []ThresholdResult
}

// Name is the metric's name, or the sub-metric's ("metric{k:v}").
func (m MetricSnapshot) Name() string {
	if m.Sub != nil {
		return m.Sub.Name
	}
	return m.Metric.Name
}

// Count is a number of occurrences of a key.
type Count struct {
	Key string
	N   int64
}

// Metric returns the snapshot of the metric (or sub-metric) called name,
// if it has samples or thresholds.
func (s *Snapshot) Metric(name string) (MetricSnapshot, bool) {
	for _, m := range s.Metrics {
		if m.Name() == name {
			return m, true
		}
	}
	return MetricSnapshot{}, false
}

// Snapshot copies the current aggregates and evaluates the thresholds on
// them. d is the running time so far. Metrics are sorted by name, each
// followed by its sub-metrics.
func (e *Engine) Snapshot(d time.Duration) *Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &Snapshot{Duration: d, Root: e.root.clone()}
	for _, m := range e.builtins.registry.All() {
		if sink := e.sink(m); sink != nil || e.hasThresholds(m, nil) {
			s.Metrics = append(s.Metrics, e.metricSnapshot(m, nil, sink, d))
		}
		if m.index < len(e.subs) {
			for _, sub := range e.subs[m.index] {
				s.Metrics = append(s.Metrics, e.metricSnapshot(m, sub.Submetric, sub.sink, d))
			}
		}
	}
	s.StatusCodes = counts(e.statusCodes)
	sort.Slice(s.StatusCodes, func(i, j int) bool { return s.StatusCodes[i].Key < s.StatusCodes[j].Key })
	s.Errors = counts(e.errors)
	sort.SliceStable(s.Errors, func(i, j int) bool { return s.Errors[i].N > s.Errors[j].N })
	return s
}

func (e *Engine) sink(m *Metric) Sink {
	if m.index < len(e.sinks) {
		return e.sinks[m.index]
	}
	return nil
}

func (e *Engine) metricSnapshot(m *Metric, sub *Submetric, sink Sink, d time.Duration) MetricSnapshot {
	ms := MetricSnapshot{Metric: m, Sub: sub}
	if sink != nil {
		ms.Sink = sink.Clone()
	}
	for _, set := range e.thresholds {
		if set.Metric == m && sameSub(set.Sub, sub) {
			ms.Thresholds = append(ms.Thresholds, evaluate(set, sink, d, false)...)
		}
	}
	if ms.Sink == nil {
		ms.Sink = NewSink(m.Type)
	}
	return ms
}

func (e *Engine) hasThresholds(m *Metric, sub *Submetric) bool {
	for _, set := range e.thresholds {
		if set.Metric == m && sameSub(set.Sub, sub) {
			return true
		}
	}
	return false
}

func sameSub(a, b *Submetric) bool {
	return a == b || (a != nil && b != nil && a.Name == b.Name)
}

func counts(m map[string]int64) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{k, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Group is a node of the tree of groups, holding its checks. The root has
// an empty name and path; a group's path is its ancestors' names and its
// own, each preceded by "::", as in k6's group tag.
type Group struct {
	Name   string
	Path   string
	Groups []*Group
	Checks []*Check
}

// Check counts the passes and failures of one check in one group.
type Check struct {
	Name          string
	Passes, Fails int64
}

// group finds or creates the descendant at path ("::a::b").
func (g *Group) group(path string) *Group {
	if path == "" {
		return g
	}
	node := g
	for _, name := range strings.Split(strings.TrimPrefix(path, "::"), "::") {
		node = node.child(name)
	}
	return node
}

func (g *Group) child(name string) *Group {
	for _, c := range g.Groups {
		if c.Name == name {
			return c
		}
	}
	c := &Group{Name: name, Path: g.Path + "::" + name}
	g.Groups = append(g.Groups, c)
	return c
}

func (g *Group) check(name string) *Check {
	for _, c := range g.Checks {
		if c.Name == name {
			return c
		}
	}
	c := &Check{Name: name}
	g.Checks = append(g.Checks, c)
	return c
}

// Group records that the group at path was entered, so that groups without
// checks still appear in the tree, in the order they were entered.
func (e *Engine) Group(path string) {
	e.mu.Lock()
	e.root.group(path)
	e.mu.Unlock()
}

func (g *Group) clone() *Group {
	c := &Group{Name: g.Name, Path: g.Path}
	for _, ch := range g.Checks {
		cc := *ch
		c.Checks = append(c.Checks, &cc)
	}
	for _, sub := range g.Groups {
		c.Groups = append(c.Groups, sub.clone())
	}
	return c
}

// subSink is the sink of one sub-metric.
type subSink struct {
	*Submetric
	sink Sink
}

// SetThresholds installs the thresholds, creating a sink for each
// sub-metric they name (and only those). Call it before Start.
func (e *Engine) SetThresholds(sets []*ThresholdSet) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.thresholds = sets
	for _, set := range sets {
		if set.Sub == nil {
			continue
		}
		i := set.Metric.index
		if i >= len(e.subs) {
			e.subs = append(e.subs, make([][]*subSink, i+1-len(e.subs))...)
		}
		known := false
		for _, s := range e.subs[i] {
			known = known || s.Name == set.Sub.Name
		}
		if !known {
			e.subs[i] = append(e.subs[i], &subSink{Submetric: set.Sub, sink: NewSink(set.Metric.Type)})
		}
	}
}

// EvaluateThresholds checks every threshold against the current
// aggregates. It returns whether any failed, and the first failed one that
// asks to abort the run once elapsed has passed its delayAbortEval.
func (e *Engine) EvaluateThresholds(elapsed time.Duration) (failed bool, abort *ThresholdResult) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, set := range e.thresholds {
		for _, r := range evaluate(set, e.setSink(set), elapsed, true) {
			if r.OK {
				continue
			}
			failed = true
			if abort == nil && r.Threshold.AbortOnFail && elapsed >= r.Threshold.DelayAbortEval {
				r := r
				abort = &r
			}
		}
	}
	return failed, abort
}

func (e *Engine) setSink(set *ThresholdSet) Sink {
	if set.Sub == nil {
		return e.sink(set.Metric)
	}
	i := set.Metric.index
	if i < len(e.subs) {
		for _, s := range e.subs[i] {
			if s.Name == set.Sub.Name {
				return s.sink
			}
		}
	}
	return nil
}

// evaluate judges the thresholds of set against sink (nil: no samples).
// With no samples, as in k6: during the run (live) nothing is judged; at
// the end a Rate has no value and passes, while the other types count as
// zero (so `count>0` on a counter that never moved fails).
func evaluate(set *ThresholdSet, sink Sink, d time.Duration, live bool) []ThresholdResult {
	out := make([]ThresholdResult, len(set.Thresholds))
	noData := sink == nil || empty(sink)
	if sink == nil {
		sink = NewSink(set.Metric.Type)
	}
	for i, t := range set.Thresholds {
		if noData && (live || set.Metric.Type == Rate) {
			out[i] = ThresholdResult{Threshold: t, OK: true, NoData: true}
			continue
		}
		v := t.Value(sink, d)
		out[i] = ThresholdResult{Threshold: t, Value: v, OK: t.Passes(v), NoData: noData}
	}
	return out
}

func empty(s Sink) bool {
	switch s := s.(type) {
	case *RateSink:
		return s.Total == 0
	case *TrendSink:
		return s.Count() == 0
	case *GaugeSink:
		return !s.Set
	case *CounterSink:
		return s.First == 0
	}
	return false
}

// ThresholdsFailed reports whether any threshold in the snapshot failed.
func (s *Snapshot) ThresholdsFailed() bool {
	for _, m := range s.Metrics {
		for _, r := range m.Thresholds {
			if !r.OK {
				return true
			}
		}
	}
	return false
}
