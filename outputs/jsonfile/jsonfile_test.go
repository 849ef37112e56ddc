package jsonfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/internal/samplegen"
	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

// line is one line of the file as a reader of k6's files decodes it.
type line struct {
	Type   string `json:"type"`
	Metric string `json:"metric"`
	Data   struct {
		Name  string            `json:"name"`
		Type  string            `json:"type"`
		Time  string            `json:"time"`
		Value json.RawMessage   `json:"value"`
		Tags  map[string]string `json:"tags"`
	} `json:"data"`
}

// writeSamples runs samples through a json output into a file and returns
// the file's lines.
func writeSamples(t testing.TB, batches ...[]metrics.Sample) []line {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.json")
	out, err := New(outputs.Params{Arg: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Start(); err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		out.AddSamples(b)
	}
	if err := out.Stop(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []line
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", len(lines)+1, err, sc.Bytes())
		}
		lines = append(lines, l)
	}
	return lines
}

// TestLinesAreWhatEncodingJSONWrites checks the hand-built lines against
// encoding/json and time.RFC3339Nano: every time, value and tag reads
// back as written, in the same text encoding/json would give, including
// the awkward values (negative zero, tiny and huge floats, times before
// 1970 and on whole seconds) and tags that need escaping.
func TestLinesAreWhatEncodingJSONWrites(t *testing.T) {
	reg := metrics.NewRegistry()
	b := metrics.RegisterBuiltins(reg)
	plain := metrics.NewTagSet(map[string]string{"method": "GET", "status": "200", "url": "http://127.0.0.1:1/?a=1&b=2"})
	odd := metrics.NewTagSet(map[string]string{"quote\"d": "back\\slash", "ctl": "tab\there\n", "html": "<b>&amp;</b>", "utf8": "żółw 🐢", "bad": "\xff"})
	values := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 0.123456789, 1234.5678, 1e-7, 5e-324, 1e15, 1e16, 123456789012345678, 1e21, 1.5e300, -2.25, 65}
	times := []time.Time{
		time.Date(2026, 11, 24, 3, 21, 31, 123456789, time.UTC),
		time.Date(2026, 11, 24, 3, 21, 31, 120000000, time.UTC),
		time.Date(2026, 11, 24, 3, 21, 32, 0, time.UTC),
		time.Date(2026, 11, 24, 3, 21, 32, 1, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 58, 0, time.UTC),
		time.Date(2026, 11, 24, 3, 21, 31, 123456789, time.FixedZone("X", 3600)),
	}
	var batch []metrics.Sample
	for i, v := range values {
		tags := plain
		if i%3 == 1 {
			tags = odd
		}
		m := b.HTTPReqDuration
		if i%2 == 1 {
			m = b.DataSent
		}
		batch = append(batch, metrics.Sample{Metric: m, Tags: tags, Time: times[i%len(times)].UnixNano(), Value: v})
	}
	lines := writeSamples(t, batch[:5], batch[5:])

	var points []line
	metricLines := map[string]int{}
	for _, l := range lines {
		switch l.Type {
		case "Metric":
			metricLines[l.Metric]++
			if l.Data.Name != l.Metric {
				t.Errorf("Metric line for %q names %q", l.Metric, l.Data.Name)
			}
		case "Point":
			if metricLines[l.Metric] == 0 {
				t.Errorf("a %s point came before its Metric line", l.Metric)
			}
			points = append(points, l)
		default:
			t.Errorf("unknown line type %q", l.Type)
		}
	}
	if metricLines[b.HTTPReqDuration.Name] != 1 || metricLines[b.DataSent.Name] != 1 || len(metricLines) != 2 {
		t.Errorf("Metric lines: %v, want one per metric", metricLines)
	}
	if len(points) != len(batch) {
		t.Fatalf("%d points, want %d", len(points), len(batch))
	}
	for i, p := range points {
		s := batch[i]
		if want := s.T().UTC().Format(time.RFC3339Nano); p.Data.Time != want {
			t.Errorf("point %d: time %q, want %q", i, p.Data.Time, want)
		}
		if want, _ := json.Marshal(s.Value); !bytes.Equal(p.Data.Value, want) {
			t.Errorf("point %d: value %s, want %s", i, p.Data.Value, want)
		}
		if p.Metric != s.Metric.Name {
			t.Errorf("point %d: metric %q, want %q", i, p.Metric, s.Metric.Name)
		}
		want := s.Tags.Map()
		if len(p.Data.Tags) != len(want) {
			t.Errorf("point %d: tags %v, want %v", i, p.Data.Tags, want)
		}
		for k, v := range want {
			if k == "bad" {
				v = "\uFFFD" // invalid UTF-8 reads back as encoding/json writes it
			}
			if p.Data.Tags[k] != v {
				t.Errorf("point %d: tag %q = %q, want %q", i, k, p.Data.Tags[k], v)
			}
		}
	}
}

// TestTagCacheFollowsTheSet feeds many tag sets that share cache slots,
// as a run's per-request sets do, and checks every point kept its own.
func TestTagCacheFollowsTheSet(t *testing.T) {
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	var batch []metrics.Sample
	for i := range 5000 {
		tags := metrics.NewTagSet(map[string]string{"i": string(rune('a' + i%26)), "n": time.Duration(i).String()})
		batch = append(batch, metrics.Sample{Metric: b.HTTPReqs, Tags: tags, Time: int64(i), Value: 1},
			metrics.Sample{Metric: b.HTTPReqs, Tags: tags, Time: int64(i), Value: 1})
	}
	for i, p := range writeSamples(t, batch)[1:] {
		if want := batch[i].Tags.Map(); p.Data.Tags["n"] != want["n"] || p.Data.Tags["i"] != want["i"] {
			t.Fatalf("point %d: tags %v, want %v", i, p.Data.Tags, want)
		}
	}
}

// BenchmarkAddSamples is the cost of one sample in the json output: the 14
// samples of an iteration of bench/get-check.js (one GET, one check), the
// request's on a new *TagSet per request as the request path makes them,
// encoded and written to a file (with direct I/O where the file system
// takes it), or to /dev/null to see the encoding alone.
//
//	go test -run '^$' -bench AddSamples -benchmem ./outputs/jsonfile
func BenchmarkAddSamples(b *testing.B) {
	builtins := metrics.RegisterBuiltins(metrics.NewRegistry())
	pool := samplegen.GetIterations(builtins, 4096, time.Unix(1_700_000_000, 0), 4*time.Second)
	for _, dst := range []struct{ name, path string }{
		{"file", filepath.Join(b.TempDir(), "out.json")},
		{"devnull", os.DevNull}, // the encoding alone
	} {
		b.Run(dst.name, func(b *testing.B) {
			out, err := New(outputs.Params{Arg: dst.path})
			if err != nil {
				b.Fatal(err)
			}
			if err := out.Start(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for done, next := 0, 0; done < b.N; {
				n := min(256, b.N-done, len(pool)-next)
				out.AddSamples(pool[next : next+n])
				done += n
				next = (next + n) % len(pool)
				if next == 0 && done%(1<<20) < len(pool) {
					// Start over every million samples or so (a quarter
					// of a GB), so a long benchmark does not fill the disk.
					if err := out.Stop(); err != nil {
						b.Fatal(err)
					}
					if err := out.Start(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			if err := out.Stop(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// appendFloat writes what encoding/json writes for every value, the ones
// a run makes (whole nanoseconds in milliseconds, bytes, counts) and
// arbitrary ones around them.
func TestAppendFloatIsEncodingJSONs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var values []float64
	for range 50_000 {
		ns := rng.Int64N(1 << uint(rng.IntN(50)))
		values = append(values, float64(ns)/1e6, -float64(ns)/1e6, float64(time.Duration(ns))/float64(time.Millisecond))
		values = append(values, rng.Float64()*math.Pow(10, float64(rng.IntN(40)-20)))
	}
	values = append(values, 1e-6, 1e-7, 999999999.999999, 1e9, 1e9+0.5, 123456789.123456, 0.1, 0.3, 2.5e-5)
	for _, v := range values {
		want, _ := json.Marshal(v)
		if got := appendFloat(nil, v); string(got) != string(want) {
			t.Fatalf("appendFloat(%v) = %s, encoding/json writes %s", v, got, want)
		}
	}
}

// Metrics of two registries may share an index; each keeps its own line
// ending and gets its own Metric line.
func TestMetricsOfTwoRegistries(t *testing.T) {
	one, err := metrics.NewRegistry().New("m_one", metrics.Counter, metrics.Default)
	if err != nil {
		t.Fatal(err)
	}
	two, err := metrics.NewRegistry().New("m_two", metrics.Counter, metrics.Default)
	if err != nil {
		t.Fatal(err)
	}
	if one.Index() != two.Index() {
		t.Fatalf("indexes %d and %d: the test needs them equal", one.Index(), two.Index())
	}
	batch := []metrics.Sample{{Metric: one, Value: 1}, {Metric: two, Value: 2}, {Metric: one, Value: 3}, {Metric: two, Value: 4}}
	var names []string
	metricLines := 0
	for _, l := range writeSamples(t, batch) {
		if l.Type == "Metric" {
			metricLines++
			continue
		}
		names = append(names, l.Metric+"="+string(l.Data.Value))
	}
	if want := "m_one=1 m_two=2 m_one=3 m_two=4"; strings.Join(names, " ") != want {
		t.Errorf("points %v, want %s", names, want)
	}
	if metricLines != 2 {
		t.Errorf("%d Metric lines, want 2", metricLines)
	}
}
