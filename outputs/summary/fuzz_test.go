package summary

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// FuzzMergeExports feeds two summary exports through what `throng merge`
// does with them: read both, merge them, render the summary and the
// JUnit report, and write the merged export. Files come from other
// machines and other versions; none may panic it, every rejection needs a
// message, and a merged export must read back.
func FuzzMergeExports(f *testing.F) {
	whole, part := seedExport(f, 20), seedExport(f, 7)
	f.Add(whole, part)
	f.Add(part, part)
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"version": 2}`, `{"version": 1}`, `{"version": 1, "metrics": null}`,
		`{"version": 1, "metrics": {"x": {"type": "counter", "sink": null}}}`,
		`{"version": 1, "metrics": {"x": {"type": "rate", "sink": {"trues": 3, "total": 2}}}}`,
		`{"version": 1, "metrics": {"http_req_duration": {"type": "trend", "sink": {"alpha": 0.004, "count": 1, "positive": {"offset": 1000000000000, "counts": [1]}}}}}`,
		`{"version": 1, "metrics": {"http_req_duration": {"type": "trend", "sink": {"alpha": 0.004, "count": 1, "negative": {"offset": -9000000000000000000, "counts": [1]}}}}}`,
		`{"version": 1, "metrics": {"http_req_duration": {"type": "trend", "sink": {"alpha": 0.004, "count": 0, "positive": {"offset": 0, "counts": [18446744073709551615, 1]}}}}}`,
		`{"version": 1, "metrics": {"http_reqs": {"type": "trend", "sink": {"alpha": 0.004, "count": 0}}}}`,
		`{"version": 1, "metrics": {"x": {"type": "gauge", "sink": {"value": 1, "min": 1, "max": 1, "last": 1, "set": true}}}, "options": {"thresholds": {"x": ["value<0"]}}}`,
		`{"version": 1, "metrics": {}, "options": {"thresholds": {"nope": ["avg<1"]}}}`,
		`{"version": 1, "throng": {"status_codes": {"200": 9223372036854775807}, "errors": [{"reason": "", "count": -1}]}}`,
	} {
		f.Add(whole, []byte(s))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ea, errA := ReadExport(bytes.NewReader(a))
		eb, errB := ReadExport(bytes.NewReader(b))
		for _, err := range []error{errA, errB} {
			if err != nil && err.Error() == "" {
				t.Fatal("ReadExport: empty error message")
			}
		}
		if errA != nil {
			return
		}
		sets := [][]*Export{{ea}, {ea, ea}}
		if errB == nil {
			sets = append(sets, []*Export{ea, eb})
		}
		for _, set := range sets {
			mergeAndReport(t, set)
		}
	})
}

// mergeAndReport merges exports as throng merge does and checks that
// everything it writes can be written, and the export read back.
func mergeAndReport(t *testing.T, exports []*Export) {
	m, err := Merge(exports)
	if err != nil {
		if err.Error() == "" {
			t.Fatal("Merge: empty error message")
		}
		return
	}
	data, err := NewData(m.Snapshot, Options{}, State{})
	if err != nil {
		if err.Error() == "" {
			t.Fatal("NewData: empty error message")
		}
		return
	}
	if err := Render(io.Discard, data, Options{}); err != nil && err.Error() == "" {
		t.Fatal("Render: empty error message")
	}
	if err := WriteJUnit(io.Discard, data); err != nil && err.Error() == "" {
		t.Fatal("WriteJUnit: empty error message")
	}
	var buf bytes.Buffer
	meta := ExportMeta{Version: "fuzz", Script: exports[0].Script, Options: exports[0].Options, Instance: "merged"}
	if err := WriteExport(&buf, m.Snapshot, Options{}, meta); err != nil {
		if err.Error() == "" {
			t.Fatal("WriteExport: empty error message")
		}
		return
	}
	if _, err := ReadExport(&buf); err != nil {
		t.Fatalf("the merged export does not read back: %v\n%s", err, buf.Bytes())
	}
}

// seedExport is the export of a small run with metrics of every type,
// thresholds, checks, statuses and errors, as throng run writes it.
func seedExport(f *testing.F, requests int) []byte {
	reg := metrics.NewRegistry()
	b := metrics.RegisterBuiltins(reg)
	sets, err := metrics.ParseThresholds([]byte(`{"http_req_duration": ["p(95)<250"], "http_req_failed": ["rate<0.1"],
		"http_reqs": ["count>10"], "vus": ["value<=10"], "http_req_duration{status:200}": ["avg<100"]}`), reg)
	if err != nil {
		f.Fatal(err)
	}
	e := metrics.NewEngine(b)
	e.SetThresholds(sets)
	e.Start()
	buf := e.NewBuffer()
	at := time.Unix(1_700_000_000, 0).UnixNano()
	add := func(m *metrics.Metric, v float64, tags map[string]string) {
		buf.Add(metrics.Sample{Metric: m, Tags: metrics.NewTagSet(tags), Time: at, Value: v})
		at += int64(time.Millisecond)
	}
	for i := range requests {
		status, reason, failed := "200", "", 0.0
		switch {
		case i%9 == 4:
			status, reason, failed = "0", "connection refused", 1
		case i%7 == 3:
			status, failed = "503", 1
		}
		tags := map[string]string{"status": status, "name": "home"}
		if reason != "" {
			tags["error"] = reason
		}
		add(b.HTTPReqs, 1, tags)
		add(b.HTTPReqFailed, failed, tags)
		add(b.HTTPReqDuration, 10+float64(i%3)*0.5, tags) // a few buckets: a short seed fuzzes faster
		add(b.Checks, 1-failed, map[string]string{"group": "::home", "check": "is 200"})
		add(b.VUs, float64(i%5), nil)
	}
	buf.Flush()
	e.Stop()
	snap := e.Snapshot(time.Duration(requests) * 100 * time.Millisecond)
	var out bytes.Buffer
	opts := json.RawMessage(fmt.Sprintf(`{"iterations": %d, "thresholds": {"http_req_failed": ["rate<0.1"]}}`, requests))
	if err := WriteExport(&out, snap, Options{}, ExportMeta{Version: "seed", Script: "s.js", Options: opts}); err != nil {
		f.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, out.Bytes()); err != nil {
		f.Fatal(err)
	}
	return compact.Bytes()
}
