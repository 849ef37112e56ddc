package summary

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestRenderGolden(t *testing.T) {
	cases := []struct {
		golden string
		snap   func(*testing.T) *metrics.Snapshot
		opts   Options
	}{
		{"summary.golden", realistic, Options{NoColor: true}},
		{"summary_custom_stats.golden", realistic, Options{NoColor: true, TrendStats: []string{"avg", "p(99)", "p(99.9)", "count"}, TimeUnit: "ms"}},
		{"summary_noisy.golden", noisy, Options{NoColor: true}},
		{"summary_empty.golden", empty, Options{NoColor: true}},
		{"summary_thresholds.golden", thresholded, Options{NoColor: true}},
		{"summary_thresholds_indent.golden", thresholded, Options{NoColor: true, Indent: "> ", TimeUnit: "ms",
			TrendStats: []string{"avg", "p(95)", "count"}}},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderSnapshot(&buf, c.snap(t), c.opts, State{}); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, c.golden, buf.Bytes())
		})
	}
}

func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./outputs/summary -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("summary differs from %s (rerun with -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestRenderColor(t *testing.T) {
	s := thresholded(t)
	for _, noColor := range []bool{false, true} {
		var buf bytes.Buffer
		if err := RenderSnapshot(&buf, s, Options{NoColor: noColor}, State{}); err != nil {
			t.Fatal(err)
		}
		if has := strings.Contains(buf.String(), "\x1b["); has == noColor {
			t.Errorf("NoColor=%v: output has ANSI escapes = %v", noColor, has)
		}
	}
}

// Colours must follow Options alone, whatever fatih/color's globals say.
func TestRenderColorIgnoresGlobals(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	var buf bytes.Buffer
	if err := RenderSnapshot(&buf, realistic(t), Options{}, State{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\x1b[36m") {
		t.Error("colours were requested but NO_COLOR turned them off")
	}
}

// The coloured and plain summaries must be the same text once the escapes
// are removed: widths are computed on plain text.
func TestRenderColorSameLayout(t *testing.T) {
	s := thresholded(t)
	var plain, colored bytes.Buffer
	if err := RenderSnapshot(&plain, s, Options{NoColor: true}, State{}); err != nil {
		t.Fatal(err)
	}
	if err := RenderSnapshot(&colored, s, Options{}, State{}); err != nil {
		t.Fatal(err)
	}
	if got := stripANSI(colored.String()); got != plain.String() {
		t.Errorf("coloured layout differs:\n%s\nwant\n%s", got, plain.String())
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\x1b' {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestRenderReturnsWriteError(t *testing.T) {
	want := errors.New("disk full")
	if err := RenderSnapshot(failingWriter{want}, empty(t), Options{}, State{}); !errors.Is(err, want) {
		t.Errorf("Render() = %v, want %v", err, want)
	}
}

func TestRenderRejectsBadOptionsBeforeWriting(t *testing.T) {
	for _, o := range []Options{{TrendStats: []string{"avg", "p(101)"}}, {TimeUnit: "m"}} {
		var buf bytes.Buffer
		if err := RenderSnapshot(&buf, empty(t), o, State{}); err == nil || buf.Len() > 0 {
			t.Errorf("RenderSnapshot(%+v) = %v after writing %d bytes, want an error and nothing written", o, err, buf.Len())
		}
		d, err := NewData(empty(t), Options{}, State{})
		if err != nil {
			t.Fatal(err)
		}
		if err := Render(&buf, d, o); err == nil || buf.Len() > 0 {
			t.Errorf("Render(%+v) = %v after writing %d bytes, want an error and nothing written", o, err, buf.Len())
		}
	}
	if err := RenderSnapshot(&bytes.Buffer{}, nil, Options{}, State{}); err == nil {
		t.Error("RenderSnapshot(nil snapshot) succeeded")
	}
	if err := Render(&bytes.Buffer{}, nil, Options{}); err == nil {
		t.Error("Render(nil data) succeeded")
	}
}

func TestValidateTrendStats(t *testing.T) {
	good := [][]string{nil, {}, defaultTrendStats(), {"count", "p(0)", "p(100)", "p(99.9)", "p(99.99)", "avg", "avg"}}
	for _, stats := range good {
		if err := ValidateTrendStats(stats); err != nil {
			t.Errorf("ValidateTrendStats(%q) = %v", stats, err)
		}
	}
	for _, bad := range []string{"mean", "p(100.1)", "p(101)", "p(-1)", "p()", "p(9x)", "p90", "p(1e2)", "P(90)", "avg ", ""} {
		err := ValidateTrendStats([]string{"avg", bad})
		if err == nil {
			t.Errorf("ValidateTrendStats(%q) accepted it", bad)
			continue
		}
		for _, want := range []string{`"` + bad + `"`, "avg, min, med, max, count and p(N)"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %s", err, want)
			}
		}
	}
}

func TestValidateTimeUnit(t *testing.T) {
	for _, u := range []string{"", "s", "ms", "us"} {
		if err := ValidateTimeUnit(u); err != nil {
			t.Errorf("ValidateTimeUnit(%q) = %v", u, err)
		}
	}
	for _, u := range []string{"m", "ns", "µs", "S", " ms"} {
		err := ValidateTimeUnit(u)
		if err == nil || !strings.Contains(err.Error(), `"`+u+`"`) || !strings.Contains(err.Error(), "s, ms and us") {
			t.Errorf("ValidateTimeUnit(%q) = %v, want an error naming it and the allowed units", u, err)
		}
	}
}
