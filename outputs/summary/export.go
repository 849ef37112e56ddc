package summary

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/throng-dev/throng/metrics"
)

// ExportVersion is the version of the summary export format written by
// WriteExport, and the only one ReadExport accepts. Bump it whenever a
// reader of the old format would misread the new one.
const ExportVersion = 1

// ExportMeta is what the export records about the run beyond its metrics.
type ExportMeta struct {
	Version string          // throng's version, written as generator "throng <Version>"
	Script  string          // the script's path as given
	Options json.RawMessage // the run's options, as JSON; nil writes null
	// ScriptHash identifies the script's code (hex SHA-256 of the
	// bundle), so that a merge can tell the instances ran the same one.
	ScriptHash string
	// Segment and Sequence are the execution segment the instance ran
	// ("1/4:1/2") in its sequence ("0,1/4,1/2,3/4,1"); "" for the whole.
	Segment, Sequence string
	Instance          string // the instance's id
}

// Export is a summary export document; see the package documentation for
// the format.
type Export struct {
	Version           int                     `json:"version"`
	Generator         string                  `json:"generator"`
	Script            string                  `json:"script"`
	Options           json.RawMessage         `json:"options"`
	ScriptHash        string                  `json:"scriptHash,omitempty"`
	Segment           string                  `json:"segment,omitempty"`
	Sequence          string                  `json:"sequence,omitempty"`
	Instance          string                  `json:"instance,omitempty"`
	TestRunDurationMs float64                 `json:"testRunDurationMs"`
	Metrics           map[string]ExportMetric `json:"metrics"`
	RootGroup         Group                   `json:"root_group"`
	Throng            Extras                  `json:"throng"`
}

// ExportMetric is a metric of the export: its summary values, and the sink
// they came from, which merges exactly with another run's.
type ExportMetric struct {
	Type       string                    `json:"type"`
	Contains   string                    `json:"contains"`
	Values     Values                    `json:"values"`
	Thresholds map[string]ThresholdState `json:"thresholds,omitempty"`
	Sink       json.RawMessage           `json:"sink"` // decode with Export.Sink
}

// The sinks as exported. Their fields are the sinks' own, so nothing is
// lost: a rebuilt sink merges and reports exactly as the original.
type (
	counterSinkJSON struct {
		Sum   float64 `json:"sum"`
		First int64   `json:"first"` // Unix ns of the first sample; 0 if none
	}
	gaugeSinkJSON struct {
		Value float64 `json:"value"`
		Min   float64 `json:"min"`
		Max   float64 `json:"max"`
		Last  int64   `json:"last"` // Unix ns of the latest sample
		Set   bool    `json:"set"`  // false until the first sample
	}
	rateSinkJSON struct {
		Trues int64 `json:"trues"`
		Total int64 `json:"total"`
	}
)

// WriteExport writes the summary export of s to w in one write, so a
// failure leaves nothing half written. It fails on a sink holding NaN or
// ±Inf, which JSON cannot carry exactly.
func WriteExport(w io.Writer, s *metrics.Snapshot, o Options, meta ExportMeta) error {
	d, err := NewData(s, o, State{})
	if err != nil {
		return err
	}
	e := &Export{
		Version:           ExportVersion,
		Generator:         strings.TrimSpace("throng " + meta.Version),
		Script:            meta.Script,
		Options:           meta.Options,
		ScriptHash:        meta.ScriptHash,
		Segment:           meta.Segment,
		Sequence:          meta.Sequence,
		Instance:          meta.Instance,
		TestRunDurationMs: d.State.TestRunDurationMs,
		Metrics:           make(map[string]ExportMetric, len(s.Metrics)),
		RootGroup:         d.RootGroup,
		Throng:            d.Throng,
	}
	for _, m := range s.Metrics {
		raw, err := encodeSink(m.Sink)
		if err != nil {
			return fmt.Errorf("summary export: metric %s: %w", m.Name(), err)
		}
		md := d.Metrics[m.Name()]
		e.Metrics[m.Name()] = ExportMetric{md.Type, md.Contains, md.Values, md.Thresholds, raw}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "p(95)<200" readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(e); err != nil {
		return fmt.Errorf("summary export: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func encodeSink(sink metrics.Sink) (json.RawMessage, error) {
	var v any
	switch s := sink.(type) {
	case *metrics.CounterSink:
		v = counterSinkJSON{s.Sum, s.First}
	case *metrics.GaugeSink:
		v = gaugeSinkJSON{s.Value, s.Min, s.Max, s.Last, s.Set}
	case *metrics.RateSink:
		v = rateSinkJSON{s.Trues, s.Total}
	case *metrics.TrendSink:
		v = s.Export()
	default:
		return nil, fmt.Errorf("no export for sink %T", sink)
	}
	return json.Marshal(v)
}

// ReadExport reads a summary export. It rejects another version before
// looking further (its shape may differ), and a sink that cannot be
// rebuilt, so a merge fails before it starts rather than halfway.
func ReadExport(r io.Reader) (*Export, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("summary export: %w", err)
	}
	switch {
	case head.Version == nil:
		return nil, errors.New("summary export: no version: not a throng summary export (k6's --summary-export files cannot be read)")
	case *head.Version != ExportVersion:
		return nil, fmt.Errorf("summary export: version %d, but this throng reads only version %d", *head.Version, ExportVersion)
	}
	var e Export
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("summary export: %w", err)
	}
	for _, name := range sortedKeys(e.Metrics) {
		if _, err := e.Sink(name); err != nil {
			return nil, err
		}
	}
	return &e, nil
}

// Sink rebuilds the sink of the metric (or sub-metric) called name. Each
// call returns a new sink, which the caller may merge into freely.
func (e *Export) Sink(name string) (metrics.Sink, error) {
	m, ok := e.Metrics[name]
	if !ok {
		return nil, fmt.Errorf("summary export: no metric %q", name)
	}
	s, err := decodeSink(m.Type, m.Sink)
	if err != nil {
		return nil, fmt.Errorf("summary export: metric %s: %w", name, err)
	}
	return s, nil
}

func decodeSink(typ string, raw json.RawMessage) (metrics.Sink, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("no sink")
	}
	switch typ {
	case "counter":
		var c counterSinkJSON
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		return &metrics.CounterSink{Sum: c.Sum, First: c.First}, nil
	case "gauge":
		var g gaugeSinkJSON
		if err := json.Unmarshal(raw, &g); err != nil {
			return nil, err
		}
		return &metrics.GaugeSink{Value: g.Value, Min: g.Min, Max: g.Max, Last: g.Last, Set: g.Set}, nil
	case "rate":
		return decodeRate(raw)
	case "trend":
		return decodeTrend(raw)
	}
	return nil, fmt.Errorf("unknown metric type %q", typ)
}

func decodeRate(raw json.RawMessage) (metrics.Sink, error) {
	var r rateSinkJSON
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	if r.Trues < 0 || r.Trues > r.Total {
		return nil, fmt.Errorf("rate sink has %d trues out of %d", r.Trues, r.Total)
	}
	return &metrics.RateSink{Trues: r.Trues, Total: r.Total}, nil
}

func decodeTrend(raw json.RawMessage) (metrics.Sink, error) {
	var d metrics.HistogramData
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	h, err := metrics.HistogramFromData(d)
	if err != nil {
		return nil, err
	}
	return &metrics.TrendSink{Histogram: *h}, nil
}
