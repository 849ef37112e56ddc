package influxdb

import (
	"bytes"
	"math"
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
			got := string(appendRawPoint(nil, names.get(m), s.get(set), v, ts.UnixNano()))

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
