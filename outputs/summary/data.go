package summary

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// Data is k6's handleSummary data object: what a script's handleSummary
// receives, what Render draws and what the exports are made of. The JSON
// tags are k6's, so scripts written for k6 read it unchanged; throng's
// additions live under the one key "throng".
type Data struct {
	RootGroup Group             `json:"root_group"`
	Options   DataOptions       `json:"options"`
	State     State             `json:"state"`
	Metrics   map[string]Metric `json:"metrics"` // by name; sub-metrics as "metric{k:v}"
	Throng    Extras            `json:"throng"`
}

// Group is a group of the test and its checks; the root has an empty name
// and path. Groups and Checks are never null in JSON, as k6 scripts
// iterate them without checking.
type Group struct {
	Name   string  `json:"name"`
	Path   string  `json:"path"` // "::a::b"
	ID     string  `json:"id"`   // hex MD5 of Path, as k6 computes it
	Groups []Group `json:"groups"`
	Checks []Check `json:"checks"`
}

// Check is one check of a group with its counts.
type Check struct {
	Name   string `json:"name"`
	Path   string `json:"path"` // the group's path + "::" + Name
	ID     string `json:"id"`   // hex MD5 of Path
	Passes int64  `json:"passes"`
	Fails  int64  `json:"fails"`
}

// DataOptions are the summary options the data was built with.
type DataOptions struct {
	SummaryTrendStats []string `json:"summaryTrendStats"`
	SummaryTimeUnit   string   `json:"summaryTimeUnit"` // "" when each value picks its unit
	NoColor           bool     `json:"noColor"`
}

// State describes the run's terminal and length. NewData takes the TTY
// flags from the caller and the duration from the snapshot.
type State struct {
	IsStdOutTTY       bool    `json:"isStdOutTTY"`
	IsStdErrTTY       bool    `json:"isStdErrTTY"`
	TestRunDurationMs float64 `json:"testRunDurationMs"`
}

// Metric is one metric's aggregates.
type Metric struct {
	Type     string `json:"type"`     // counter, gauge, rate or trend
	Contains string `json:"contains"` // default, time (milliseconds) or data (bytes)
	// Values: counter {count, rate (per second)}; gauge {value, min, max};
	// rate {rate, passes, fails}; trend one key per summary trend stat.
	Values Values `json:"values"`
	// Thresholds by expression as written; absent when there are none.
	Thresholds map[string]ThresholdState `json:"thresholds,omitempty"`
}

// ThresholdState is a threshold's verdict. k6 gives only ok; Value is the
// aggregate it was judged on (p(95) for "p(95)<200"), so renderers need
// not recompute it. It is nil (null) when the metric had no samples.
type ThresholdState struct {
	OK    bool     `json:"ok"`
	Value *float64 `json:"value"`
}

// MarshalJSON writes a value JSON cannot hold (±Inf from a gauge fed
// Infinity) as null, rather than failing the whole summary.
func (t ThresholdState) MarshalJSON() ([]byte, error) {
	type plain ThresholdState // without this method
	p := plain(t)
	if p.Value != nil && !finite(*p.Value) {
		p.Value = nil
	}
	return json.Marshal(p)
}

// Values are a metric's aggregates by name.
type Values map[string]float64

// MarshalJSON writes NaN and ±Inf as null, as JavaScript's JSON.stringify
// does: a script may feed them to a metric, and the summary must still
// reach handleSummary.
func (v Values) MarshalJSON() ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	m := make(map[string]*float64, len(v))
	for k, x := range v {
		if finite(x) {
			m[k] = &x
		} else {
			m[k] = nil
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads null back as NaN: a value that is not a number.
func (v *Values) UnmarshalJSON(b []byte) error {
	var m map[string]*float64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*v = make(Values, len(m))
	for k, x := range m {
		(*v)[k] = math.NaN()
		if x != nil {
			(*v)[k] = *x
		}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Extras are what throng shows beyond k6.
type Extras struct {
	StatusCodes map[string]int64 `json:"status_codes"` // HTTP responses by status
	Errors      []ErrorCount     `json:"errors"`       // most frequent first
	// Outputs holds, per output that did not deliver everything, what
	// it dropped or failed to write; the caller fills it in.
	Outputs map[string]string `json:"outputs,omitempty"`
}

// ErrorCount is how often one error reason occurred.
type ErrorCount struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// NewData builds the handleSummary data of s. o decides the trend stats
// computed and is recorded under options; st gives the TTY flags.
func NewData(s *metrics.Snapshot, o Options, st State) (*Data, error) {
	if s == nil {
		return nil, errors.New("summary: nil snapshot")
	}
	o, err := o.resolved()
	if err != nil {
		return nil, err
	}
	st.TestRunDurationMs = durationMs(s.Duration)
	d := &Data{
		RootGroup: newGroup(s.Root),
		Options:   DataOptions{SummaryTrendStats: slices.Clone(o.TrendStats), SummaryTimeUnit: o.TimeUnit, NoColor: o.NoColor},
		State:     st,
		Metrics:   make(map[string]Metric, len(s.Metrics)),
		Throng:    newExtras(s),
	}
	for _, m := range s.Metrics {
		d.Metrics[m.Name()] = newMetric(m, s.Duration, o.TrendStats)
	}
	return d, nil
}

func durationMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// newGroup converts the tree; a nil root (no checks ever) is an empty one.
func newGroup(g *metrics.Group) Group {
	if g == nil {
		g = &metrics.Group{}
	}
	out := Group{Name: g.Name, Path: g.Path, ID: pathID(g.Path), Groups: []Group{}, Checks: []Check{}}
	for _, c := range g.Checks {
		path := g.Path + "::" + c.Name
		out.Checks = append(out.Checks, Check{Name: c.Name, Path: path, ID: pathID(path), Passes: c.Passes, Fails: c.Fails})
	}
	for _, sub := range g.Groups {
		out.Groups = append(out.Groups, newGroup(sub))
	}
	return out
}

// pathID is k6's group and check id: the hex MD5 of the path, stable
// across runs so results can be compared by id.
func pathID(path string) string {
	sum := md5.Sum([]byte(path))
	return hex.EncodeToString(sum[:])
}

func newExtras(s *metrics.Snapshot) Extras {
	x := Extras{StatusCodes: make(map[string]int64, len(s.StatusCodes)), Errors: []ErrorCount{}}
	for _, c := range s.StatusCodes {
		x.StatusCodes[c.Key] = c.N
	}
	for _, e := range s.Errors {
		x.Errors = append(x.Errors, ErrorCount{Reason: e.Key, Count: e.N})
	}
	return x
}

func newMetric(m metrics.MetricSnapshot, d time.Duration, stats []string) Metric {
	return Metric{
		Type:       m.Metric.Type.String(),
		Contains:   m.Metric.Contains.String(),
		Values:     sinkValues(m.Sink, d, stats),
		Thresholds: thresholdStates(m.Thresholds),
	}
}

func sinkValues(sink metrics.Sink, d time.Duration, stats []string) Values {
	switch s := sink.(type) {
	case *metrics.CounterSink:
		return Values{"count": s.Sum, "rate": s.Rate(d)}
	case *metrics.GaugeSink:
		return Values{"value": s.Value, "min": s.Min, "max": s.Max}
	case *metrics.RateSink:
		return Values{"rate": s.Rate(), "passes": float64(s.Trues), "fails": float64(s.Total - s.Trues)}
	case *metrics.TrendSink:
		v := make(Values, len(stats))
		for _, st := range stats {
			v[st] = trendStat(s, st)
		}
		return v
	}
	return Values{}
}

// trendStat computes one stat; stats were validated by Options.resolved.
func trendStat(s *metrics.TrendSink, stat string) float64 {
	switch stat {
	case "count":
		return float64(s.Count())
	case "avg":
		return s.Mean()
	case "min":
		return s.Min()
	case "med":
		return s.Median()
	case "max":
		return s.Max()
	}
	pct, _ := percentile(stat)
	return s.Percentile(pct)
}

func thresholdStates(rs []metrics.ThresholdResult) map[string]ThresholdState {
	if len(rs) == 0 {
		return nil
	}
	out := make(map[string]ThresholdState, len(rs))
	for _, r := range rs {
		st := ThresholdState{OK: r.OK}
		if !r.NoData {
			st.Value = &r.Value
		}
		out[r.Threshold.Source] = st
	}
	return out
}

// formatCount writes a whole number held in a float (JSON has no
// integers), such as a Trend's count or a Rate's passes.
func formatCount(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
