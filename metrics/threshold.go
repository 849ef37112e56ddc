package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A threshold is a pass/fail condition on a metric's aggregate, written as
// in k6:
//
//	threshold   = aggregation op number       (whitespace anywhere between)
//	aggregation = "count" | "rate" | "value" | "avg" | "min" | "max" | "med" | "p(" number ")"
//	op          = "<" | "<=" | ">" | ">=" | "==" | "===" | "!="
//
// The aggregations a metric type allows: Counter count, rate; Gauge value;
// Rate rate; Trend avg, min, max, med, p(N) with N in [0, 100].
type Threshold struct {
	Source         string // as written, e.g. "p(95)<200"
	Agg            string // count, rate, value, avg, min, max, med or p
	P              float64
	Op             string
	Target         float64
	AbortOnFail    bool
	DelayAbortEval time.Duration
}

// AggName is the aggregation as written in summaries: "avg", "p(95)".
func (t *Threshold) AggName() string {
	if t.Agg == "p" {
		return "p(" + strconv.FormatFloat(t.P, 'f', -1, 64) + ")"
	}
	return t.Agg
}

var aggregationsByType = map[Type][]string{
	Counter: {"count", "rate"},
	Gauge:   {"value"},
	Rate:    {"rate"},
	Trend:   {"avg", "min", "max", "med", "p(N)"},
}

// ParseThreshold parses one expression. It does not know the metric; see
// ThresholdSet.Validate for the check of the aggregation against the type.
func ParseThreshold(src string) (*Threshold, error) {
	s := strings.TrimSpace(src)
	t := &Threshold{Source: src}
	agg, rest, err := parseAggregation(s)
	if err != nil {
		return nil, err
	}
	t.Agg, t.P = agg.name, agg.p
	rest = strings.TrimSpace(rest)
	for _, op := range []string{"===", "==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(rest, op) {
			t.Op, rest = op, rest[len(op):]
			break
		}
	}
	if t.Op == "" {
		return nil, fmt.Errorf("expected an operator (<, <=, >, >=, ==, ===, !=) after %q", agg.text)
	}
	if t.Op == "===" {
		t.Op = "=="
	}
	num := strings.TrimSpace(rest)
	t.Target, err = strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(t.Target) || math.IsInf(t.Target, 0) {
		return nil, fmt.Errorf("expected a number after %q, got %q", t.Op, num)
	}
	return t, nil
}

type aggregation struct {
	name, text string
	p          float64
}

func parseAggregation(s string) (aggregation, string, error) {
	for _, name := range []string{"count", "rate", "value", "avg", "min", "max", "med"} {
		if strings.HasPrefix(s, name) {
			return aggregation{name: name, text: name}, s[len(name):], nil
		}
	}
	if !strings.HasPrefix(s, "p(") {
		return aggregation{}, "", fmt.Errorf("unknown aggregation at %q: expected count, rate, value, avg, min, max, med or p(N)", firstWord(s))
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return aggregation{}, "", fmt.Errorf("p( is not closed")
	}
	p, err := strconv.ParseFloat(strings.TrimSpace(s[2:end]), 64)
	if err != nil || p < 0 || p > 100 {
		return aggregation{}, "", fmt.Errorf("percentile %q must be a number in [0, 100]", s[2:end])
	}
	return aggregation{name: "p", text: s[:end+1], p: p}, s[end+1:], nil
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, "<>=! "); i > 0 {
		return s[:i]
	}
	return s
}

// Value computes the threshold's aggregate from a sink; d is the test's
// running time (for a Counter's rate).
func (t *Threshold) Value(sink Sink, d time.Duration) float64 {
	switch s := sink.(type) {
	case *CounterSink:
		if t.Agg == "rate" {
			return s.Rate(d)
		}
		return s.Sum
	case *GaugeSink:
		return s.Value
	case *RateSink:
		return s.Rate()
	case *TrendSink:
		switch t.Agg {
		case "avg":
			return s.Mean()
		case "min":
			return s.Min()
		case "max":
			return s.Max()
		case "med":
			return s.Median()
		case "p":
			return s.Percentile(t.P)
		}
	}
	return math.NaN()
}

// Passes reports whether value satisfies the threshold.
func (t *Threshold) Passes(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Target
	case "<=":
		return v <= t.Target
	case ">":
		return v > t.Target
	case ">=":
		return v >= t.Target
	case "==":
		return v == t.Target
	case "!=":
		return v != t.Target
	}
	return false
}

// ThresholdSet is the thresholds of one metric or sub-metric, as named in
// options.thresholds: "http_req_duration" or "http_req_duration{name:login}".
type ThresholdSet struct {
	Name       string
	Metric     *Metric
	Sub        *Submetric // nil for the whole metric
	Thresholds []*Threshold
}

// Submetric is a metric restricted to the samples whose tags contain Tags.
type Submetric struct {
	Name   string // metric{k:v,...} as written
	Parent *Metric
	Tags   *TagSet
	Suffix string // the part in braces, for display: "name:login"
}

// ParseSubmetric splits "metric{k:v,k2:v2}" into the metric name and its
// tags. Values may be quoted and may be empty; the first colon of a pair
// separates key and value, so group:::a is the group "::a".
func ParseSubmetric(name string) (metric string, tags *TagSet, suffix string, err error) {
	open := strings.IndexByte(name, '{')
	if open < 0 {
		return strings.TrimSpace(name), nil, "", nil
	}
	if !strings.HasSuffix(name, "}") {
		return "", nil, "", fmt.Errorf("%q: the tag list must end with }", name)
	}
	metric, suffix = strings.TrimSpace(name[:open]), name[open+1:len(name)-1]
	m := map[string]string{}
	for _, pair := range strings.Split(suffix, ",") {
		k, v, ok := strings.Cut(pair, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return "", nil, "", fmt.Errorf("%q: %q is not a key:value pair", name, pair)
		}
		m[k] = unquote(strings.TrimSpace(v))
	}
	return metric, NewTagSet(m), suffix, nil
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// thresholdJSON is one entry of a threshold list: a string, or the object
// form {threshold, abortOnFail, delayAbortEval}.
type thresholdJSON struct {
	Threshold      string          `json:"threshold"`
	AbortOnFail    bool            `json:"abortOnFail"`
	DelayAbortEval json.RawMessage `json:"delayAbortEval"`
}

// ParseThresholds reads options.thresholds (JSON) against the metrics of
// r. Every error names the threshold and says what is wrong with it.
func ParseThresholds(raw []byte, r *Registry) ([]*ThresholdSet, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var byName map[string]json.RawMessage
	if err := json.Unmarshal(raw, &byName); err != nil {
		return nil, fmt.Errorf("thresholds must be an object of metric name → list of expressions: %v", err)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	sets := make([]*ThresholdSet, 0, len(names))
	for _, name := range names {
		set, err := parseSet(name, byName[name], r)
		if err != nil {
			return nil, err
		}
		sets = append(sets, set)
	}
	return sets, nil
}

func parseSet(name string, raw json.RawMessage, r *Registry) (*ThresholdSet, error) {
	metricName, tags, suffix, err := ParseSubmetric(name)
	if err != nil {
		return nil, fmt.Errorf("threshold on %s", err)
	}
	m := r.Get(metricName)
	if m == nil {
		return nil, fmt.Errorf("threshold on %q: no metric is called %q (built-in metrics are created by throng, custom ones with new Counter/Gauge/Rate/Trend in the init context)", name, metricName)
	}
	set := &ThresholdSet{Name: name, Metric: m}
	if tags != nil {
		set.Sub = &Submetric{Name: name, Parent: m, Tags: tags, Suffix: suffix}
	}
	entries, err := thresholdEntries(raw)
	if err != nil {
		return nil, fmt.Errorf("threshold on %q: %v", name, err)
	}
	for _, e := range entries {
		t, err := parseEntry(e, m)
		if err != nil {
			return nil, fmt.Errorf("threshold %q on %q: %v", e.Threshold, name, err)
		}
		set.Thresholds = append(set.Thresholds, t)
	}
	return set, nil
}

func thresholdEntries(raw json.RawMessage) ([]thresholdJSON, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		list = []json.RawMessage{raw} // a single expression is accepted too
	}
	out := make([]thresholdJSON, len(list))
	for i, item := range list {
		if err := json.Unmarshal(item, &out[i].Threshold); err == nil {
			continue
		}
		if err := json.Unmarshal(item, &out[i]); err != nil || out[i].Threshold == "" {
			return nil, fmt.Errorf("%s is neither an expression string nor {threshold, abortOnFail, delayAbortEval}", item)
		}
	}
	return out, nil
}

func parseEntry(e thresholdJSON, m *Metric) (*Threshold, error) {
	t, err := ParseThreshold(e.Threshold)
	if err != nil {
		return nil, err
	}
	if !allows(m.Type, t.Agg) {
		return nil, fmt.Errorf("%s does not apply to %s, a %s; use %s", t.AggName(), m.Name, m.Type, strings.Join(aggregationsByType[m.Type], ", "))
	}
	t.AbortOnFail = e.AbortOnFail
	if len(e.DelayAbortEval) > 0 && string(e.DelayAbortEval) != "null" {
		d, err := parseDelay(e.DelayAbortEval)
		if err != nil {
			return nil, fmt.Errorf("delayAbortEval: %v", err)
		}
		t.DelayAbortEval = d
	}
	return t, nil
}

func allows(t Type, agg string) bool {
	for _, a := range aggregationsByType[t] {
		if a == agg || (a == "p(N)" && agg == "p") {
			return true
		}
	}
	return false
}

// parseDelay reads a duration string ("10s") or a number of milliseconds.
func parseDelay(raw json.RawMessage) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as \"10s\"", s)
		}
		if d < 0 {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return d, nil
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return 0, fmt.Errorf("%s is not a duration", raw)
	}
	// A negative delay, or one that wraps past time.Duration's range,
	// would make the abort immediate.
	if ns := ms * float64(time.Millisecond); ns < 0 || ns >= 1<<63 {
		return 0, fmt.Errorf("%s milliseconds is negative or too long", raw)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// ThresholdResult is a threshold's verdict at one moment.
type ThresholdResult struct {
	Threshold *Threshold
	Value     float64 // the aggregate, as computed; 0 when there are no samples
	OK        bool
	NoData    bool // the metric had no samples (see evaluate for what that means)
}
