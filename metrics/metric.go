package metrics

import (
	"fmt"
	"regexp"
	"sort"
	"sync"
)

// Type is the kind of a metric, which decides how its samples are aggregated.
type Type uint8

// The four metric types, as in k6.
const (
	Counter Type = iota + 1
	Gauge
	Rate
	Trend
)

func (t Type) String() string {
	switch t {
	case Counter:
		return "counter"
	case Gauge:
		return "gauge"
	case Rate:
		return "rate"
	case Trend:
		return "trend"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// ValueType says what a metric's values are, for formatting only.
type ValueType uint8

// Value types: plain numbers, durations in milliseconds, bytes.
const (
	Default ValueType = iota
	Time
	Data
)

func (v ValueType) String() string {
	switch v {
	case Time:
		return "time"
	case Data:
		return "data"
	}
	return "default"
}

// Metric is a named measurement. Metrics are created through a Registry and
// compared by pointer.
type Metric struct {
	Name     string
	Type     Type
	Contains ValueType
	index    int // position in the registry, so the engine can keep sinks in a slice
}

// Index is the metric's position in its registry: dense, starting at zero.
func (m *Metric) Index() int { return m.index }

var metricNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,127}$`)

// Registry holds every metric of a run. It is safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	byName map[string]*Metric
	all    []*Metric
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byName: make(map[string]*Metric)}
}

// New returns the metric called name, creating it if needed. Asking again for
// an existing name with the same type returns the same metric; a different
// type or value type is an error, as is a name that is not an identifier.
func (r *Registry) New(name string, t Type, vt ValueType) (*Metric, error) {
	if !metricNameRE.MatchString(name) {
		return nil, fmt.Errorf("invalid metric name %q: it must start with a letter or underscore and hold only letters, digits and underscores (at most 128)", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.byName[name]; ok {
		if m.Type != t || m.Contains != vt {
			return nil, fmt.Errorf("metric %q already exists as a %s of %s values", name, m.Type, m.Contains)
		}
		return m, nil
	}
	m := &Metric{Name: name, Type: t, Contains: vt, index: len(r.all)}
	r.byName[name] = m
	r.all = append(r.all, m)
	return m, nil
}

// MustNew is New for built-in metrics whose definitions cannot clash.
func (r *Registry) MustNew(name string, t Type, vt ValueType) *Metric {
	m, err := r.New(name, t, vt)
	if err != nil {
		panic(err)
	}
	return m
}

// Get returns the metric called name, or nil.
func (r *Registry) Get(name string) *Metric {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byName[name]
}

// All returns the metrics sorted by name.
func (r *Registry) All() []*Metric {
	r.mu.RLock()
	out := append([]*Metric(nil), r.all...)
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Len is the number of metrics registered so far.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.all)
}

// Builtins are the metrics every run has, named as in k6.
type Builtins struct {
	registry *Registry

	VUs, VUsMax            *Metric
	Iterations             *Metric
	IterationDuration      *Metric
	DroppedIterations      *Metric
	Checks                 *Metric
	GroupDuration          *Metric
	DataSent, DataReceived *Metric
	HTTPReqs               *Metric
	HTTPReqFailed          *Metric
	HTTPReqDuration        *Metric
	HTTPReqBlocked         *Metric
	HTTPReqConnecting      *Metric
	HTTPReqTLSHandshaking  *Metric
	HTTPReqSending         *Metric
	HTTPReqWaiting         *Metric
	HTTPReqReceiving       *Metric
}

// RegisterBuiltins creates the built-in metrics in r.
func RegisterBuiltins(r *Registry) *Builtins {
	return &Builtins{
		registry:              r,
		VUs:                   r.MustNew("vus", Gauge, Default),
		VUsMax:                r.MustNew("vus_max", Gauge, Default),
		Iterations:            r.MustNew("iterations", Counter, Default),
		IterationDuration:     r.MustNew("iteration_duration", Trend, Time),
		DroppedIterations:     r.MustNew("dropped_iterations", Counter, Default),
		Checks:                r.MustNew("checks", Rate, Default),
		GroupDuration:         r.MustNew("group_duration", Trend, Time),
		DataSent:              r.MustNew("data_sent", Counter, Data),
		DataReceived:          r.MustNew("data_received", Counter, Data),
		HTTPReqs:              r.MustNew("http_reqs", Counter, Default),
		HTTPReqFailed:         r.MustNew("http_req_failed", Rate, Default),
		HTTPReqDuration:       r.MustNew("http_req_duration", Trend, Time),
		HTTPReqBlocked:        r.MustNew("http_req_blocked", Trend, Time),
		HTTPReqConnecting:     r.MustNew("http_req_connecting", Trend, Time),
		HTTPReqTLSHandshaking: r.MustNew("http_req_tls_handshaking", Trend, Time),
		HTTPReqSending:        r.MustNew("http_req_sending", Trend, Time),
		HTTPReqWaiting:        r.MustNew("http_req_waiting", Trend, Time),
		HTTPReqReceiving:      r.MustNew("http_req_receiving", Trend, Time),
	}
}

// Registry is the registry the built-ins were created in.
func (b *Builtins) Registry() *Registry { return b.registry }
