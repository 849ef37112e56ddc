package main

import (
	"strings"

	"github.com/throng-dev/throng/outputs"
	"github.com/throng-dev/throng/outputs/csvfile"
	"github.com/throng-dev/throng/outputs/influxdb"
	"github.com/throng-dev/throng/outputs/jsonfile"
	"github.com/throng-dev/throng/outputs/prometheus"
)

// outputRegistry is every output -o can name.
var outputRegistry = outputs.Registry{
	"json":     jsonfile.New,
	"csv":      csvfile.New,
	"influxdb": influxdb.New,
	// k6 calls it experimental-prometheus-rw; both names work.
	prometheus.Name:              prometheus.New,
	"experimental-prometheus-rw": prometheus.New,
	htmlOutputName:               newHTMLOutput, // the same report as --report (report.go)
}

// newOutputs builds the outputs named by -o, or else by THRONG_OUT/K6_OUT
// (comma-separated).
func (t *testRun) newOutputs() error {
	var outs []outputs.Output
	for _, spec := range t.outputSpecs() {
		out, err := outputRegistry.New(strings.TrimSpace(spec), outputs.Params{Lookup: t.e.lookup, Warnf: t.logger.Warnf})
		if err != nil {
			return invalidConfig("-o %s: %v", spec, err)
		}
		outs = append(outs, out)
	}
	t.outputs = outputs.NewManager(outs, t.logger.Warnf)
	t.engine.AddConsumer(t.outputs.Consume)
	return nil
}

// outputSpecs are the -o flags, else THRONG_OUT (or K6_OUT), comma-separated.
func (t *testRun) outputSpecs() []string {
	if len(t.f.outs) > 0 {
		return t.f.outs
	}
	if v, _ := lookupEither(t.e, "OUT"); v != "" {
		return strings.Split(v, ",")
	}
	return nil
}

// stopOutputs flushes and closes the outputs; called on every kind of end.
func (t *testRun) stopOutputs() {
	if err := t.outputs.Stop(); err != nil {
		t.logger.Warnf("outputs: %v", err)
	}
}
