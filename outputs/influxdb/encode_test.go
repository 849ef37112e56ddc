package influxdb

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/write"
	lp "github.com/influxdata/line-protocol"

	"github.com/throng-dev/throng/metrics"
)

func defaultSplitter(withFields bool) *splitter {
	specs, _ := parseTagsAsFields(defaultTagsAsFields)
	return newSplitter(specs, withFields)
}

func TestSplitTagsAsFields(t *testing.T) {
	s := defaultSplitter(true)
	ts := metrics.NewTagSet(map[string]string{
		"url": `http://h/a b,"c"`, "vu": "12", "iter": "x7", "status": "200", "method": "GET", "empty": "", "time": "now",
	})
	sp := s.get(ts)
	if want := ",method=GET,status=200"; sp.tags != want {
		t.Errorf("tags %q, want %q", sp.tags, want)
	}
	// iter does not parse as an integer: a string; url is always a string.
	if want := `,iter="x7",url="http://h/a b,\"c\"",vu=12i`; sp.fields != want {
		t.Errorf("fields %q, want %q", sp.fields, want)
	}
	if s.get(ts) != sp {
		t.Error("the split is not cached by tag set")
	}
	agg := defaultSplitter(false).get(ts)
	if agg.tags != sp.tags || agg.fields != "" {
		t.Errorf("aggregate split %+v", agg)
	}

	typed, err := parseTagsAsFields("n:float,ok:bool,s:string,i:int")
	if err != nil {
		t.Fatal(err)
	}
	sp = newSplitter(typed, true).get(metrics.NewTagSet(map[string]string{"n": "1.5", "ok": "true", "s": "42", "i": "-3"}))
	if want := `,i=-3i,n=1.5,ok=true,s="42"`; sp.fields != want || sp.tags != "" {
		t.Errorf("typed fields %+v", sp)
	}
}

func TestSplitCacheIsBounded(t *testing.T) {
	s := defaultSplitter(true)
	for i := range 3 * splitCacheSize {
		s.get(metrics.NewTagSet(map[string]string{"i": string(rune('a' + i%26))}))
		if len(s.cache) > splitCacheSize {
			t.Fatalf("cache holds %d sets", len(s.cache))
		}
	}
}

// TestLineProtocolMatchesTheClient checks the hand-written encoder against
// the one influxdb-client-go's WritePoint uses, on awkward names and values.
func TestLineProtocolMatchesTheClient(t *testing.T) {
	r := metrics.NewRegistry()
	m := r.MustNew("my_metric", metrics.Trend, metrics.Time)
	tagsets := []map[string]string{
		{},
		{"status": "200"},
		{"a b": "c,d", "e=f": "g=h", "nl": "x\ny", "tab": "a\tb", "cr": "a\rb", "ff": "a\fb", "quote": `say "hi"`, "back": `a\b`, "empty": ""},
		{"url": "http://h/?q=\"1\"&b=\\x\n\ty", "vu": "3", "iter": "-1", "group": "::g1::g2"},
		{"url": "plain", "vu": "x", "iter": "2.5"},
	}
	values := []float64{0, 1, -2.5, 123456789, 1e21, 1.5e-7, math.MaxFloat64, math.SmallestNonzeroFloat64}
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	s := defaultSplitter(true)
	var names measurements
	var buf bytes.Buffer
	enc := lp.NewEncoder(&buf)
	enc.SetFieldSortOrder(lp.NoSortFields)
	enc.FailOnFieldErr(true)
	for _, tags := range tagsets {
		for _, v := range values {
			set := metrics.NewTagSet(tags)
			got := string(appendRawPoint(nil, names.get(m), s.get(set), v, ts.UnixNano(), nil))
			var tt timeText
			for _, at := range []int64{ts.UnixNano(), ts.UnixNano(), 0, -1, ts.UnixNano()} {
				plain := string(appendRawPoint(nil, names.get(m), s.get(set), v, at, nil))
				if cached := string(appendRawPoint(nil, names.get(m), s.get(set), v, at, &tt)); cached != plain {
					t.Fatalf("with the remembered timestamp: %q, want %q", cached, plain)
				}
			}

			p := write.NewPointWithMeasurement("my_metric").SetTime(ts).AddField("value", v)
			for _, tg := range set.Tags() {
				switch tg.Key {
				case "url":
					p.AddField("url", tg.Value)
				case "vu", "iter":
					if n, err := strconv.ParseInt(tg.Value, 10, 64); err == nil {
						p.AddField(tg.Key, n)
					} else {
						p.AddField(tg.Key, tg.Value)
					}
				default:
					p.AddTag(tg.Key, tg.Value)
				}
			}
			buf.Reset()
			if _, err := enc.Encode(p); err != nil {
				t.Fatal(err)
			}
			if want := buf.String(); got != want {
				t.Errorf("tags %v value %v:\n got %q\nwant %q", tags, v, got, want)
			}
		}
	}
}

func TestTrailingBackslashIsDoubled(t *testing.T) {
	if got := string(appendKey(nil, `a\`, true)); got != `a\\` {
		t.Errorf("got %q", got)
	}
}

func TestNonFiniteValuesAreSkipped(t *testing.T) {
	if finite(math.NaN()) || finite(math.Inf(1)) || finite(math.Inf(-1)) || !finite(0) {
		t.Fatal("finite is wrong")
	}
}

// TestUniqueTimeKeepsEveryPointApart: many samples of one series in one
// nanosecond, among samples of other series, all get distinct times.
func TestUniqueTimeKeepsEveryPointApart(t *testing.T) {
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	var r recentPoints
	const at = int64(1_000_000)
	seen := map[int64]bool{}
	for i := range 3000 {
		series := uint32(1)
		if i%3 != 0 {
			series = uint32(2 + i) // other series interleaved
		}
		got := r.uniqueTime(b.Checks, series, at)
		if series == 1 {
			if seen[got] {
				t.Fatalf("time %d given twice to one series", got)
			}
			seen[got] = true
		}
	}
	if len(seen) != 1000 {
		t.Errorf("%d distinct times for 1000 points", len(seen))
	}
}

// TestAppendFloatMatchesStrconv: the fast path for whole numbers and
// millisecond times writes exactly what strconv's shortest 'f' format
// writes, on the values samples carry and on awkward ones.
func TestAppendFloatMatchesStrconv(t *testing.T) {
	values := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1e-6, 1e-7, 0.1, 0.3, 123456789, 1 << 52, 1<<53 - 1, 1 << 53, 1<<53 + 2,
		9007199254.740991, 9007199254.740992, 1e15, 1e21, 1.5e-7, 999999.9999995, 0.0000005, 2.5e-6,
		math.MaxFloat64, math.SmallestNonzeroFloat64, -123.456789, 4.2e-320,
		1<<31 - 1e-6, 2147483647.999999, 1 << 31, -(1 << 31) + 0.5, 4294967295.5, 8665321213.78262}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		ns := rng.Int64N(int64(10 * time.Minute))
		values = append(values,
			float64(time.Duration(ns))/float64(time.Millisecond), // how durations become milliseconds
			float64(ns)/1e6, float64(ns)/1e3, float64(ns), float64(ns%1000)/7,
			-float64(ns)/1e6, rng.Float64(), rng.NormFloat64()*1e6, math.Float64frombits(rng.Uint64()))
	}
	for _, v := range values {
		if !finite(v) {
			continue
		}
		want := strconv.AppendFloat(nil, v, 'f', -1, 64)
		if got := appendFloat(nil, v); !bytes.Equal(got, want) {
			t.Fatalf("appendFloat(%v) = %s, strconv says %s", v, got, want)
		}
	}
}

// TestUniqueTimeRemembersAcrossTheSwap: the points just before and just
// after the current table fills and becomes the previous one are both
// remembered.
func TestUniqueTimeRemembersAcrossTheSwap(t *testing.T) {
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	var r recentPoints
	// Points of distinct times take two entries each: a marker and the key.
	const points = recentSize / 2
	for i := range points + 10 {
		if got := r.uniqueTime(b.Checks, 7, int64(i)*10); got != int64(i)*10 {
			t.Fatalf("point %d shifted to %d", i, got)
		}
	}
	for _, i := range []int{0, points - 1, points, points + 9} {
		if got, want := r.uniqueTime(b.Checks, 7, int64(i)*10), int64(i)*10+1; got != want {
			t.Errorf("a second point at the time of point %d got %d, want %d", i, got, want)
		}
	}
	// Another series or metric at the same time is not shifted.
	if got := r.uniqueTime(b.Checks, 8, 10); got != 10 {
		t.Errorf("another series shifted to %d", got)
	}
	if got := r.uniqueTime(b.Iterations, 7, 10); got != 10 {
		t.Errorf("another metric shifted to %d", got)
	}
}

// TestUniqueTimeMatchesAnExactSet replays a stream shaped like a run's
// (batches of VUs, each request's samples sharing a time, times that
// collide across VUs and requests split between batches) and checks each
// answer against an exact set of every (metric, series, time) given out:
// the answer is the first time from the sample's own not taken by the same
// metric and series.
func TestUniqueTimeMatchesAnExactSet(t *testing.T) {
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	ms := []*metrics.Metric{b.HTTPReqs, b.HTTPReqFailed, b.HTTPReqDuration, b.HTTPReqBlocked, b.Checks, b.Iterations}
	rng := rand.New(rand.NewPCG(3, 4))
	type key struct {
		metric, series int
		t              int64
	}
	taken := map[key]bool{}
	var r recentPoints
	points := 0
	for points < recentSize/3 { // the points the tables always remember
		// A batch of one VU: requests of a few samples at one time each.
		for range 1 + rng.IntN(20) {
			at := int64(rng.IntN(3000)) // few distinct times: many collisions
			series := rng.IntN(3)
			for _, m := range ms[:1+rng.IntN(len(ms))] {
				for range 1 + rng.IntN(2) { // sometimes the same metric twice
					want := at
					for taken[key{m.Index(), series, want}] {
						want++
					}
					if got := r.uniqueTime(m, uint32(series), at); got != want {
						t.Fatalf("point %d (%s, series %d, time %d): got %d, want %d", points, m.Name, series, at, got, want)
					}
					taken[key{m.Index(), series, want}] = true
					points++
				}
			}
		}
	}
}
