// Package jsonfile is the json output: every sample as newline-delimited
// JSON in k6's shape, so tools that read k6's files read throng's:
//
//	{"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}
//	{"type":"Point","data":{"time":"2026-11-24T03:21:31.123456789Z","value":1,"tags":{"method":"GET","status":"200"}},"metric":"http_reqs"}
//
// A Metric line comes before the first Point of each metric. `-o json`
// writes to stdout, `-o json=FILE` to FILE, gzip-compressed when FILE ends
// in .gz. Lines are built by hand, with the text encoding/json would
// write: at tens of thousands of requests per second a run makes hundreds
// of thousands of samples per second, and encoding/json per sample would
// cost it a large share of its requests per second. The tags of a tag
// set, the date and time of day of the current second, and each metric's
// line ending are encoded once and reused (BenchmarkAddSamples: about 90
// ns per sample, a third of encoding/json's).
package jsonfile

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

// Output writes samples as k6-style NDJSON.
type Output struct {
	name string
	w    *outputs.FileWriter
	// Each metric's line ending, `},"metric":"NAME"}` and a newline, by
	// the metric's index in its registry (a map lookup per sample cost
	// as much as encoding the value); suffix holds those of metrics
	// whose index another metric took, which one registry never makes.
	byIndex []metricSuffix
	suffix  map[*metrics.Metric][]byte
	tags    [tagSlots]encodedTags
	clock   clock
	line    []byte
	err     error
}

// encodedTags is one slot of a small direct-mapped cache of encoded tag
// sets. The request path makes a new *TagSet per request and its samples
// arrive one after another, so a few slots hit nearly always, and a miss
// costs one hand encoding, never a map insert that grows.
type encodedTags struct {
	set *metrics.TagSet
	enc []byte
}

const tagSlots = 64

var _ outputs.Output = (*Output)(nil)

// New is the json output's constructor.
func New(p outputs.Params) (outputs.Output, error) {
	name := p.Arg
	if name == "" {
		name = "-"
	}
	return &Output{name: name, suffix: map[*metrics.Metric][]byte{}}, nil
}

// Description implements outputs.Output.
func (o *Output) Description() string { return "json (" + o.name + ")" }

// Start implements outputs.Output.
func (o *Output) Start() error {
	w, err := outputs.CreateFile(o.name)
	o.w = w
	return err
}

// AddSamples implements outputs.Output.
func (o *Output) AddSamples(batch []metrics.Sample) {
	for i := range batch {
		o.write(o.pointLine(&batch[i]))
	}
}

func (o *Output) write(b []byte) {
	if o.err == nil {
		_, o.err = o.w.Write(b)
	}
}

// Stop implements outputs.Output.
func (o *Output) Stop() error {
	err := o.w.Close()
	if o.err != nil {
		return o.err
	}
	return err
}

func metricLine(m *metrics.Metric) []byte {
	data, _ := json.Marshal(map[string]any{
		"type":   "Metric",
		"metric": m.Name,
		"data": map[string]any{
			"name": m.Name, "type": m.Type.String(), "contains": m.Contains.String(),
			"thresholds": []string{}, "submetrics": nil,
		},
	})
	return append(data, '\n')
}

// pointLine encodes s, after its metric's Metric line when s is the first
// of its metric.
func (o *Output) pointLine(s *metrics.Sample) []byte {
	b := o.line[:0]
	suffix := o.lineEnd(s.Metric)
	if suffix == nil {
		b = append(b, metricLine(s.Metric)...)
		suffix = append([]byte(`},"metric":`), appendString(nil, s.Metric.Name)...)
		suffix = append(suffix, "}\n"...)
		o.setLineEnd(s.Metric, suffix)
	}
	b = append(b, `{"type":"Point","data":{"time":"`...)
	b = o.clock.append(b, s.Time)
	b = append(b, `","value":`...)
	b = appendFloat(b, s.Value)
	b = append(b, `,"tags":`...)
	b = append(b, o.encodedTags(s.Tags)...)
	b = append(b, suffix...)
	o.line = b
	return b
}

// metricSuffix is a metric's line ending, with the metric it is for.
type metricSuffix struct {
	m      *metrics.Metric
	suffix []byte
}

// lineEnd is m's line ending, nil before m's first sample.
func (o *Output) lineEnd(m *metrics.Metric) []byte {
	if i := m.Index(); i < len(o.byIndex) && o.byIndex[i].m == m {
		return o.byIndex[i].suffix
	}
	return o.suffix[m]
}

func (o *Output) setLineEnd(m *metrics.Metric, suffix []byte) {
	i := m.Index()
	if i >= len(o.byIndex) {
		o.byIndex = append(o.byIndex, make([]metricSuffix, i+1-len(o.byIndex))...)
	}
	if o.byIndex[i].m == nil {
		o.byIndex[i] = metricSuffix{m, suffix}
		return
	}
	o.suffix[m] = suffix
}

func (o *Output) encodedTags(ts *metrics.TagSet) []byte {
	slot := &o.tags[(uintptr(unsafe.Pointer(ts))>>4)%tagSlots]
	if slot.set != ts || slot.enc == nil {
		slot.set = ts
		slot.enc = appendTags(slot.enc[:0], ts)
	}
	return slot.enc
}

// appendTags encodes a tag set as a JSON object, keys in order.
func appendTags(b []byte, ts *metrics.TagSet) []byte {
	b = append(b, '{')
	for i, t := range ts.Tags() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, t.Key)
		b = append(b, ':')
		b = appendString(b, t.Value)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters included), with a fast path for the plain
// ASCII that tags nearly always are.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s)
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendFloat formats v as encoding/json does (and so as k6's files
// have it): the shortest decimal that reads back as v, without an
// exponent between 1e-6 and 1e21. Whole numbers, which counters nearly
// always carry, skip the float formatting.
func appendFloat(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		if v == 0 && math.Signbit(v) {
			return append(b, "-0"...)
		}
		return strconv.AppendInt(b, int64(v), 10)
	}
	abs := math.Abs(v)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...) // JSON has no NaN; a sink never makes one
	}
	if abs < 1e9 {
		if micro := math.Round(v * 1e6); micro/1e6 == v {
			return appendMicros(b, int64(micro))
		}
	}
	if abs < 1e-6 || abs >= 1e21 {
		enc, _ := json.Marshal(v)
		return append(b, enc...)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendMicros writes micro millionths as a decimal without trailing
// zeros: the text strconv's shortest formatting gives for micro/1e6, at a
// fraction of its cost. Timings are whole nanoseconds in milliseconds, so
// nearly every value a run makes is such a number. (It is the same text:
// micro/1e6 reads back as the value by the test above, and any shorter
// decimal is at least 1e-6 away, more than the spacing of float64 values
// below 1e9.)
func appendMicros(b []byte, micro int64) []byte {
	if micro < 0 {
		b = append(b, '-')
		micro = -micro
	}
	b = strconv.AppendInt(b, micro/1e6, 10)
	return appendFraction(b, micro%1e6, 6)
}

// appendFraction appends frac, a fraction of 10^places, as a decimal
// point and its digits without trailing zeros; nothing when it is zero.
func appendFraction(b []byte, frac int64, places int) []byte {
	if frac == 0 {
		return b
	}
	var digits [10]byte // '.' and up to 9 places
	digits[0] = '.'
	for i := places; i >= 1; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := places + 1
	for digits[n-1] == '0' {
		n--
	}
	return append(b, digits[:n]...)
}

// clock formats sample times as time.RFC3339Nano in UTC, reusing the
// formatted date and time of day while the second stays the same, as it
// does for thousands of samples in a row.
type clock struct {
	sec    int64
	prefix []byte // "2006-01-02T15:04:05" of sec
}

func (c *clock) append(b []byte, unixNano int64) []byte {
	sec, frac := unixNano/1e9, unixNano%1e9
	if frac < 0 {
		sec, frac = sec-1, frac+1e9
	}
	if c.prefix == nil || sec != c.sec {
		c.sec = sec
		c.prefix = time.Unix(sec, 0).UTC().AppendFormat(c.prefix[:0], "2006-01-02T15:04:05")
	}
	b = append(b, c.prefix...)
	b = appendFraction(b, frac, 9)
	return append(b, 'Z')
}
