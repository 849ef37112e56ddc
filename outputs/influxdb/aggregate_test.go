package influxdb

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

func TestIntervalEnd(t *testing.T) {
	a := newAggregator(1e9)
	for _, tt := range []struct{ t, end int64 }{
		{0, 1e9}, {1, 1e9}, {999_999_999, 1e9}, {1e9, 2e9}, {1_700_000_000_500_000_000, 1_700_000_001_000_000_000},
		{-1, 0}, {-1e9, 0}, {-1e9 - 1, -1e9},
	} {
		if got := a.intervalEnd(tt.t); got != tt.end {
			t.Errorf("intervalEnd(%d) = %d, want %d", tt.t, got, tt.end)
		}
	}
	a = newAggregator(10e9)
	if got := a.intervalEnd(1_700_000_003_000_000_000); got != 1_700_000_010_000_000_000 {
		t.Errorf("10s: %d", got)
	}
}

// collect flushes a up to upTo and returns the lines, sorted.
func collect(a *aggregator, upTo int64) []string {
	var names measurements
	var lines []string
	a.flush(upTo, func(k aggKey, c *aggCell) {
		lines = append(lines, strings.TrimSuffix(string(appendAggPoint(nil, names.get(k.metric), k, c)), "\n"))
	})
	sort.Strings(lines)
	return lines
}

func TestAggregatePoints(t *testing.T) {
	r := metrics.NewRegistry()
	b := metrics.RegisterBuiltins(r)
	const s = int64(1e9)
	t0 := 1_700_000_000 * s
	a := newAggregator(s)
	add := func(m *metrics.Metric, tags string, at int64, v float64) {
		if added, _ := a.add(m, tags, at, v, true); !added {
			t.Fatal("not added")
		}
	}
	// Interval [t0, t0+1s): two tag sets for the counter.
	add(b.HTTPReqs, ",status=200", t0+1, 1)
	add(b.HTTPReqs, ",status=200", t0+5e8, 1)
	add(b.HTTPReqs, ",status=500", t0+6e8, 1)
	add(b.VUs, "", t0+2e8, 7)
	add(b.VUs, "", t0+9e8, 5)
	add(b.VUs, "", t0+1e8, 9) // arrives last, but is not the latest
	add(b.HTTPReqFailed, "", t0+1, 1)
	add(b.HTTPReqFailed, "", t0+2, 0)
	add(b.HTTPReqFailed, "", t0+3, 0)
	add(b.HTTPReqFailed, "", t0+4, 0)
	for i := 1; i <= 100; i++ {
		add(b.HTTPReqDuration, ",status=200", t0+int64(i), float64(i))
	}
	// The next interval.
	add(b.HTTPReqs, ",status=200", t0+s, 1)

	if got := collect(a, t0+s-1); len(got) != 0 {
		t.Fatalf("an interval was written before its end: %v", got)
	}
	got := collect(a, t0+s)
	end := "1700000001000000000"
	want := []string{
		"http_req_duration,status=200 count=100i,sum=5050,min=1,max=100,value=50.5,p50=",
		"http_req_failed count=4i,sum=1,min=0,max=1,value=0.25 " + end,
		"http_reqs,status=200 count=2i,sum=2,min=1,max=1,value=2 " + end,
		"http_reqs,status=500 count=1i,sum=1,min=1,max=1,value=1 " + end,
		"vus count=3i,sum=21,min=5,max=9,value=5 " + end,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d points:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("point %d:\n got %s\nwant %s…", i, got[i], want[i])
		}
	}
	// Trend percentiles, within the histogram's 1%.
	for _, p := range []struct {
		field string
		want  float64
	}{{"p50=", 50.5}, {"p90=", 90.1}, {"p95=", 95.05}, {"p99=", 99.01}} {
		i := strings.Index(got[0], p.field)
		if i < 0 {
			t.Fatalf("no %s in %s", p.field, got[0])
		}
		var v float64
		rest := got[0][i+len(p.field):]
		if j := strings.IndexAny(rest, ", "); j >= 0 {
			rest = rest[:j]
		}
		v = mustFloat(t, rest)
		if math.Abs(v-p.want)/p.want > 0.01 {
			t.Errorf("%s%v, want %v ±1%%", p.field, v, p.want)
		}
	}
	if !strings.HasSuffix(got[0], " "+end) {
		t.Errorf("the point is not at the interval's end: %s", got[0])
	}

	// A late sample of a written interval counts in the next open one.
	add(b.HTTPReqs, ",status=200", t0+10, 1)
	got = collect(a, math.MaxInt64)
	if want := "http_reqs,status=200 count=2i,sum=2,min=1,max=1,value=2 1700000002000000000"; len(got) != 1 || got[0] != want {
		t.Errorf("after the late sample: %v, want %s", got, want)
	}
}

func TestAggregateRoom(t *testing.T) {
	r := metrics.NewRegistry()
	m := r.MustNew("c", metrics.Counter, metrics.Default)
	a := newAggregator(1e9)
	if added, created := a.add(m, "", 5, 1, true); !added || !created {
		t.Fatal("first sample")
	}
	// No room for new points, but an existing one still takes samples.
	if added, created := a.add(m, "", 6, 1, false); !added || created {
		t.Error("a sample of an existing point was refused")
	}
	if added, _ := a.add(m, ",x=1", 6, 1, false); added {
		t.Error("a new point was started without room")
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return f
}
