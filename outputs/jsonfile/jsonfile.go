// Package jsonfile is the json output: every sample as newline-delimited
// JSON in k6's shape, so tools that read k6's files read throng's:
//
//	{"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}
//	{"type":"Point","data":{"time":"2026-11-24T03:21:31.123456789Z","value":1,"tags":{"method":"GET","status":"200"}},"metric":"http_reqs"}
//
// A Metric line comes before the first Point of each metric. `-o json`
// writes to stdout, `-o json=FILE` to FILE, gzip-compressed when FILE ends
// in .gz. Lines are built by hand (the tags of a tag set are encoded once)
// because encoding/json per sample would cost the run a large share of
// its requests per second.
package jsonfile

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

// Output writes samples as k6-style NDJSON.
type Output struct {
	name string
	w    *outputs.FileWriter
	seen map[*metrics.Metric]bool
	tags map[*metrics.TagSet][]byte // encoded tags, per tag set
	line []byte
	err  error
}

var _ outputs.Output = (*Output)(nil)

// maxCachedTagSets bounds the encoded-tags cache.
const maxCachedTagSets = 1 << 16

// New is the json output's constructor.
func New(p outputs.Params) (outputs.Output, error) {
	name := p.Arg
	if name == "" {
		name = "-"
	}
	return &Output{name: name, seen: map[*metrics.Metric]bool{}, tags: map[*metrics.TagSet][]byte{}}, nil
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
	for _, s := range batch {
		if !o.seen[s.Metric] {
			o.seen[s.Metric] = true
			o.write(metricLine(s.Metric))
		}
		o.write(o.pointLine(s))
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

func (o *Output) pointLine(s metrics.Sample) []byte {
	b := append(o.line[:0], `{"type":"Point","data":{"time":"`...)
	b = time.Unix(0, s.Time).UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","value":`...)
	b = strconv.AppendFloat(b, s.Value, 'g', -1, 64)
	b = append(b, `,"tags":`...)
	b = append(b, o.encodedTags(s.Tags)...)
	b = append(b, `},"metric":`...)
	b = strconv.AppendQuote(b, s.Metric.Name)
	b = append(b, "}\n"...)
	o.line = b
	return b
}

func (o *Output) encodedTags(ts *metrics.TagSet) []byte {
	if enc, ok := o.tags[ts]; ok {
		return enc
	}
	enc, _ := json.Marshal(ts.Map())
	if len(o.tags) >= maxCachedTagSets {
		clear(o.tags)
	}
	o.tags[ts] = enc
	return enc
}
