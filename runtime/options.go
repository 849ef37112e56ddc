package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads k6's forms from JSON: a string
// such as "1m30s" or "500ms", or a number of milliseconds.
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := ParseDuration(s)
		*d = Duration(v)
		return err
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("want a duration such as \"30s\" or a number of milliseconds, got %s", b)
	}
	*d = Duration(time.Duration(ms * float64(time.Millisecond)))
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// ParseDuration reads a Go duration ("1m30s"), also accepting "d" for days
// and a bare number as seconds, as k6 does on the command line.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		// NaN, Inf and 1e300 parse as floats; converted, they would wrap
		// to a negative duration.
		if ns := secs * float64(time.Second); math.IsNaN(ns) || math.Abs(ns) >= 1<<63 {
			return 0, fmt.Errorf("invalid duration %q: %s", s, errDurationRange)
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseUint(s[:i], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		if n > math.MaxInt64/uint64(24*time.Hour) {
			return 0, fmt.Errorf("invalid duration %q: %s", s, errDurationRange)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want a number with a unit such as 500ms, 30s, 1m30s, 2h", s)
	}
	if d > math.MaxInt64-days {
		return 0, fmt.Errorf("invalid duration %q: %s", s, errDurationRange)
	}
	return days + d, nil
}

// errDurationRange is why a duration past time.Duration's range is refused.
const errDurationRange = "out of range (at most about 292 years)"

// Options are the run options that this version understands, as they come
// from the script's `export const options`, the environment and the command
// line. A nil pointer means "not set", so that layers merge field by field.
type Options struct {
	VUs               *int64            `json:"vus,omitempty"`
	Duration          *Duration         `json:"duration,omitempty"`
	Iterations        *int64            `json:"iterations,omitempty"`
	Stages            []Stage           `json:"stages,omitempty"`
	Scenarios         json.RawMessage   `json:"scenarios,omitempty"` // parsed by ScenariosFromOptions
	Tags              map[string]string `json:"tags,omitempty"`
	Thresholds        json.RawMessage   `json:"thresholds,omitempty"` // parsed by metrics.ParseThresholds
	SummaryTrendStats []string          `json:"summaryTrendStats,omitempty"`
	SummaryTimeUnit   *string           `json:"summaryTimeUnit,omitempty"`
	SetupTimeout      *Duration         `json:"setupTimeout,omitempty"`
	TeardownTimeout   *Duration         `json:"teardownTimeout,omitempty"`
	// ExecutionSegment and ExecutionSegmentSequence make this instance run
	// a share of the test; see ParseSegment.
	ExecutionSegment         *string `json:"executionSegment,omitempty"`
	ExecutionSegmentSequence *string `json:"executionSegmentSequence,omitempty"`
	NoSetup                  *bool   `json:"noSetup,omitempty"`
	NoTeardown               *bool   `json:"noTeardown,omitempty"`
	// HTTP options, as k6 names them; the VUs' HTTP clients read them from
	// the consolidated options (js/http_options.go), so they only need to
	// pass through here. HTTP2 ("h2c") is throng's own.
	MaxRedirects          *int64            `json:"maxRedirects,omitempty"`
	UserAgent             *string           `json:"userAgent,omitempty"`
	Batch                 *int64            `json:"batch,omitempty"`
	BatchPerHost          *int64            `json:"batchPerHost,omitempty"`
	DiscardResponseBodies *bool             `json:"discardResponseBodies,omitempty"`
	InsecureSkipTLSVerify *bool             `json:"insecureSkipTLSVerify,omitempty"`
	TLSVersion            json.RawMessage   `json:"tlsVersion,omitempty"` // "tls1.2" or {"min": …, "max": …}
	Hosts                 map[string]string `json:"hosts,omitempty"`
	NoConnectionReuse     *bool             `json:"noConnectionReuse,omitempty"`
	NoVUConnectionReuse   *bool             `json:"noVUConnectionReuse,omitempty"`
	NoCookiesReset        *bool             `json:"noCookiesReset,omitempty"`
	HTTP2                 *string           `json:"http2,omitempty"`
}

// DefaultLifecycleTimeout is k6's default for setupTimeout and
// teardownTimeout.
const DefaultLifecycleTimeout = 60 * time.Second

// Timeout returns d, or def when d is not set.
func (d *Duration) Timeout(def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return time.Duration(*d)
}

// ParseOptions decodes the JSON of a script's options object. Unknown keys
// are kept for later versions and ignored here; a known key with a bad value
// is an error naming the key.
func ParseOptions(raw []byte) (Options, error) {
	var o Options
	if len(raw) == 0 || string(raw) == "null" {
		return o, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return o, fmt.Errorf("options must be an object: %w", err)
	}
	for key, dst := range map[string]any{
		"vus": &o.VUs, "duration": &o.Duration, "iterations": &o.Iterations, "tags": &o.Tags,
		"stages": &o.Stages, "scenarios": &o.Scenarios,
		"thresholds": &o.Thresholds, "summaryTrendStats": &o.SummaryTrendStats, "summaryTimeUnit": &o.SummaryTimeUnit,
		"setupTimeout": &o.SetupTimeout, "teardownTimeout": &o.TeardownTimeout,
		"executionSegment": &o.ExecutionSegment, "executionSegmentSequence": &o.ExecutionSegmentSequence,
		"noSetup": &o.NoSetup, "noTeardown": &o.NoTeardown,
		"maxRedirects": &o.MaxRedirects, "userAgent": &o.UserAgent, "batch": &o.Batch, "batchPerHost": &o.BatchPerHost,
		"discardResponseBodies": &o.DiscardResponseBodies, "insecureSkipTLSVerify": &o.InsecureSkipTLSVerify,
		"tlsVersion": &o.TLSVersion, "hosts": &o.Hosts, "noConnectionReuse": &o.NoConnectionReuse,
		"noVUConnectionReuse": &o.NoVUConnectionReuse, "noCookiesReset": &o.NoCookiesReset, "http2": &o.HTTP2,
	} {
		v, ok := fields[key]
		if !ok || string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return o, fmt.Errorf("option %q: %s", key, jsonReason(err))
		}
	}
	return o, nil
}

func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("want a %s, got a JSON %s", te.Type, te.Value)
	}
	return err.Error()
}

// Apply returns o with every field that top sets replaced by top's value.
func (o Options) Apply(top Options) Options {
	// Every field is a pointer, slice or map, nil when not set, so one
	// loop merges them all and a new option cannot be forgotten here.
	dst, src := reflect.ValueOf(&o).Elem(), reflect.ValueOf(top)
	for i := range src.NumField() {
		if f := src.Field(i); !f.IsNil() {
			dst.Field(i).Set(f)
		}
	}
	return o
}

// Stage is one step of a ramp: move linearly to Target over Duration.
type Stage struct {
	Duration Duration `json:"duration"`
	Target   int64    `json:"target"`
}
