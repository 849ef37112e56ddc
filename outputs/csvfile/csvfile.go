// Package csvfile is the csv output, with k6's columns:
//
//	metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata
//
// The system tags have their own columns; every other tag goes into
// extra_tags as k=v pairs joined by "&". The timestamp is in Unix seconds
// unless THRONG_CSV_TIME_FORMAT (or K6_CSV_TIME_FORMAT) says unix_milli,
// unix_micro, unix_nano, rfc3339 or rfc3339_nano. `-o csv=FILE` (default
// file.csv), gzip-compressed when FILE ends in .gz.
package csvfile

import (
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

var columns = []string{"check", "error", "error_code", "expected_response", "group", "method", "name", "proto",
	"scenario", "service", "status", "subproto", "tls_version", "url"}

var isColumn = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range columns {
		m[c] = true
	}
	return m
}()

// Output writes samples as CSV rows.
type Output struct {
	name   string
	format string
	file   *outputs.FileWriter
	w      *csv.Writer
	row    []string
}

var _ outputs.Output = (*Output)(nil)

// New is the csv output's constructor.
func New(p outputs.Params) (outputs.Output, error) {
	o := &Output{name: p.Arg, format: "unix"}
	if o.name == "" {
		o.name = "file.csv"
	}
	if f, ok := p.Env("CSV_TIME_FORMAT"); ok {
		switch f {
		case "unix", "unix_milli", "unix_micro", "unix_nano", "rfc3339", "rfc3339_nano":
			o.format = f
		default:
			return nil, fmt.Errorf("CSV_TIME_FORMAT %q: allowed are unix, unix_milli, unix_micro, unix_nano, rfc3339, rfc3339_nano", f)
		}
	}
	return o, nil
}

// Description implements outputs.Output.
func (o *Output) Description() string { return "csv (" + o.name + ")" }

// Start implements outputs.Output.
func (o *Output) Start() error {
	f, err := outputs.CreateFile(o.name)
	if err != nil {
		return err
	}
	o.file, o.w = f, csv.NewWriter(f)
	header := append([]string{"metric_name", "timestamp", "metric_value"}, columns...)
	return o.w.Write(append(header, "extra_tags", "metadata"))
}

// AddSamples implements outputs.Output.
func (o *Output) AddSamples(batch []metrics.Sample) {
	for _, s := range batch {
		_ = o.w.Write(o.record(s)) // a write error surfaces at Stop
	}
}

func (o *Output) record(s metrics.Sample) []string {
	row := append(o.row[:0], s.Metric.Name, o.timestamp(s.Time), strconv.FormatFloat(s.Value, 'f', -1, 64))
	for _, c := range columns {
		v, _ := s.Tags.Get(c)
		row = append(row, v)
	}
	extra := url.Values{}
	for _, t := range s.Tags.Tags() {
		if !isColumn[t.Key] {
			extra.Set(t.Key, t.Value)
		}
	}
	row = append(row, extra.Encode(), "")
	o.row = row
	return row
}

func (o *Output) timestamp(ns int64) string {
	switch o.format {
	case "unix_milli":
		return strconv.FormatInt(ns/1e6, 10)
	case "unix_micro":
		return strconv.FormatInt(ns/1e3, 10)
	case "unix_nano":
		return strconv.FormatInt(ns, 10)
	case "rfc3339":
		return time.Unix(0, ns).UTC().Format(time.RFC3339)
	case "rfc3339_nano":
		return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
	}
	return strconv.FormatInt(ns/1e9, 10)
}

// Stop implements outputs.Output.
func (o *Output) Stop() error {
	o.w.Flush()
	err := o.w.Error()
	if cerr := o.file.Close(); err == nil {
		err = cerr
	}
	return err
}
