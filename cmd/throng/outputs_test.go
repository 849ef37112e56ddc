package main

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs/summary"
)

// TestJSONAndCSVOutputsRoundTrip reads the files back: every metric has
// as many points as the summary export counted.
func TestJSONAndCSVOutputsRoundTrip(t *testing.T) {
	srv := okServer(t)
	dir := t.TempDir()
	jsonPath, csvPath, export := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.csv.gz"), filepath.Join(dir, "s.json")
	p := writeFile(t, "s.js", `import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 40, vus: 4 };
export default function () { check(http.get(__ENV.BASE), { ok: (r) => r.status === 200 }); }`)
	r := runCLI(t, []string{"THRONG_CSV_TIME_FORMAT=unix_milli"}, nil, "run", "-q", "-e", "BASE="+srv.URL,
		"-o", "json="+jsonPath, "-o", "csv="+csvPath, "--summary-export", export, p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	ex := readExport(t, export)
	want := map[string]int64{}
	for name, m := range ex.Metrics {
		sink, err := ex.Sink(name)
		if err != nil {
			t.Fatal(err)
		}
		switch s := sink.(type) {
		case *metrics.TrendSink:
			want[name] = int64(s.Count())
		case *metrics.RateSink:
			want[name] = s.Total
		case *metrics.CounterSink:
			if m.Contains == "default" {
				want[name] = int64(s.Sum) // one sample per unit for http_reqs and iterations
			}
		}
	}
	points, metricLines := readJSONPoints(t, jsonPath)
	for name, n := range want {
		if points[name] != n {
			t.Errorf("%s: %d points in the json output, the summary counted %d", name, points[name], n)
		}
		if !metricLines[name] {
			t.Errorf("%s: no Metric line", name)
		}
	}
	rows := readCSVRows(t, csvPath)
	if rows["http_reqs"] != want["http_reqs"] || rows["checks"] != want["checks"] {
		t.Errorf("csv rows %v, want http_reqs %d checks %d", rows, want["http_reqs"], want["checks"])
	}
}

func readExport(t *testing.T, path string) *summary.Export {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := summary.ReadExport(f)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func readJSONPoints(t *testing.T, path string) (map[string]int64, map[string]bool) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	points, metricLines := map[string]int64{}, map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Type   string `json:"type"`
			Metric string `json:"metric"`
			Data   struct {
				Time  string            `json:"time"`
				Value *float64          `json:"value"`
				Tags  map[string]string `json:"tags"`
			} `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		switch line.Type {
		case "Metric":
			metricLines[line.Metric] = true
		case "Point":
			if line.Data.Value == nil || line.Data.Time == "" || !metricLines[line.Metric] {
				t.Fatalf("bad point (or before its Metric line): %s", sc.Text())
			}
			points[line.Metric]++
		}
	}
	return points, metricLines
}

func readCSVRows(t *testing.T, path string) map[string]int64 {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(gz).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if records[0][0] != "metric_name" || records[0][len(records[0])-2] != "extra_tags" {
		t.Fatalf("header %v", records[0])
	}
	rows := map[string]int64{}
	for _, rec := range records[1:] {
		rows[rec[0]]++
	}
	return rows
}
