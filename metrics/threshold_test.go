package metrics

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseThreshold(t *testing.T) {
	cases := []struct {
		src    string
		agg    string
		p      float64
		op     string
		target float64
	}{
		{"count>10", "count", 0, ">", 10},
		{"rate < 0.01", "rate", 0, "<", 0.01},
		{"value<=5", "value", 0, "<=", 5},
		{"avg>=100", "avg", 0, ">=", 100},
		{"min==0", "min", 0, "==", 0},
		{"max===1", "max", 0, "==", 1},
		{"med!=3", "med", 0, "!=", 3},
		{"p(95)<200", "p", 95, "<", 200},
		{"p(99.9) < 500.5", "p", 99.9, "<", 500.5},
		{" p( 0 ) > -1 ", "p", 0, ">", -1},
		{"p(100)<1e3", "p", 100, "<", 1000},
	}
	for _, c := range cases {
		th, err := ParseThreshold(c.src)
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		if th.Agg != c.agg || th.P != c.p || th.Op != c.op || th.Target != c.target || th.Source != c.src {
			t.Errorf("%q parsed as %+v", c.src, th)
		}
	}
	bad := map[string]string{
		"":             "unknown aggregation",
		"p95<200":      "unknown aggregation",
		"avg":          "expected an operator",
		"avg<":         "expected a number",
		"avg<abc":      "expected a number",
		"avg=100":      "expected an operator",
		"p(101)<1":     "[0, 100]",
		"p(-1)<1":      "[0, 100]",
		"p(x)<1":       "[0, 100]",
		"p(95<1":       "not closed",
		"average<1":    "unknown aggregation",
		"avg<1 extra":  "expected a number",
		"avg < NaN":    "expected a number",
		"count => 3":   "expected an operator",
		"rate<0.1<0.2": "expected a number",
	}
	for src, want := range bad {
		if _, err := ParseThreshold(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one saying %q", src, err, want)
		}
	}
}

func TestThresholdAggregationsAndOperators(t *testing.T) {
	trend := &TrendSink{}
	for _, v := range []float64{10, 20, 30, 40} {
		trend.Add(Sample{Value: v})
	}
	counter := &CounterSink{Sum: 50, First: 1}
	rate := &RateSink{Trues: 1, Total: 4}
	gauge := &GaugeSink{Value: 7, Set: true}
	cases := []struct {
		src  string
		sink Sink
		want float64
	}{
		{"avg<0", trend, 25}, {"min<0", trend, 10}, {"max<0", trend, 40}, {"med<0", trend, 25},
		{"p(0)<0", trend, 10}, {"p(100)<0", trend, 40},
		{"count<0", counter, 50}, {"rate<0", counter, 5}, // 50 over 10 s
		{"rate<0", rate, 0.25}, {"value<0", gauge, 7},
	}
	for _, c := range cases {
		th, _ := ParseThreshold(c.src)
		if got := th.Value(c.sink, 10*time.Second); got < c.want*0.996 || got > c.want*1.004 {
			t.Errorf("%s = %v, want %v", c.src, got, c.want)
		}
	}
	for src, pass := range map[string]bool{"avg<25.1": true, "avg<25": false, "avg<=25": true, "avg>24": true, "avg>=25": true,
		"avg==25": true, "avg===25": true, "avg!=25": false, "avg!=1": true} {
		th, _ := ParseThreshold(src)
		if got := th.Passes(25); got != pass {
			t.Errorf("%s on 25: %v, want %v", src, got, pass)
		}
	}
}

func TestParseThresholdsChecksMetricsAndTypes(t *testing.T) {
	r := NewRegistry()
	RegisterBuiltins(r)
	sets, err := ParseThresholds([]byte(`{
		"http_req_duration": ["p(95)<200", {"threshold": "avg<100", "abortOnFail": true, "delayAbortEval": "10s"}],
		"http_req_duration{name:login,method:POST}": "p(99)<500",
		"checks{check:is status 200}": ["rate>0.99"],
		"group_duration{group:::a::b}": ["max<1000"],
		"http_reqs": ["count>10", "rate>5"]
	}`), r)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 5 {
		t.Fatalf("%d sets", len(sets))
	}
	byName := map[string]*ThresholdSet{}
	for _, s := range sets {
		byName[s.Name] = s
	}
	obj := byName["http_req_duration"].Thresholds[1]
	if !obj.AbortOnFail || obj.DelayAbortEval != 10*time.Second {
		t.Errorf("object form lost its fields: %+v", obj)
	}
	sub := byName["http_req_duration{name:login,method:POST}"].Sub
	if sub == nil || sub.Tags.String() != "method=POST,name=login" {
		t.Errorf("sub-metric tags: %+v", sub)
	}
	if g := byName["group_duration{group:::a::b}"].Sub.Tags.String(); g != "group=::a::b" {
		t.Errorf("group path tags = %q", g)
	}
	if c := byName["checks{check:is status 200}"].Sub.Tags.String(); c != "check=is status 200" {
		t.Errorf("check tag = %q", c)
	}
	bad := map[string]string{
		`{"nope": ["avg<1"]}`:                    `no metric is called "nope"`,
		`{"http_reqs": ["avg<1"]}`:               `avg does not apply to http_reqs, a counter`,
		`{"checks": ["p(95)<1"]}`:                `p(95) does not apply to checks`,
		`{"vus": ["count>1"]}`:                   `count does not apply to vus, a gauge`,
		`{"http_req_duration": ["p(95)"]}`:       `threshold "p(95)" on "http_req_duration"`,
		`{"http_req_duration{name": ["avg<1"]}`:  `must end with }`,
		`{"http_req_duration{name}": ["avg<1"]}`: `not a key:value pair`,
		`{"http_req_duration": [3]}`:             `neither an expression`,
		`{"http_req_duration": [{"threshold": "avg<1", "delayAbortEval": "soon"}]}`: `delayAbortEval`,
		`["avg<1"]`: `must be an object`,
	}
	for raw, want := range bad {
		if _, err := ParseThresholds([]byte(raw), r); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", raw, err, want)
		}
	}
}

// TestSubmetricSeesOnlyMatchingSamples feeds samples with different tags
// and checks that a sub-metric's threshold judges only those that match.
func TestSubmetricSeesOnlyMatchingSamples(t *testing.T) {
	r := NewRegistry()
	b := RegisterBuiltins(r)
	sets, err := ParseThresholds([]byte(`{
		"http_req_duration{name:login}": ["max<100"],
		"http_req_duration{name:login,method:GET}": ["max<60"],
		"http_req_duration": ["max<100"]
	}`), r)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(b)
	e.SetThresholds(sets)
	e.Start()
	buf := e.NewBuffer()
	add := func(v float64, tags map[string]string) {
		buf.Add(Sample{Metric: b.HTTPReqDuration, Tags: NewTagSet(tags), Time: 1, Value: v})
	}
	add(50, map[string]string{"name": "login", "method": "GET", "status": "200"})
	add(80, map[string]string{"name": "login", "method": "POST"})
	add(500, map[string]string{"name": "search", "method": "GET"})
	buf.Flush()
	e.Stop()
	s := e.Snapshot(time.Second)
	want := map[string]struct {
		count uint64
		max   float64
		ok    bool
	}{
		"http_req_duration":                        {3, 500, false},
		"http_req_duration{name:login}":            {2, 80, true},
		"http_req_duration{name:login,method:GET}": {1, 50, true},
	}
	for name, w := range want {
		m, ok := s.Metric(name)
		if !ok {
			t.Fatalf("%s missing from the snapshot", name)
		}
		tr := m.Sink.(*TrendSink)
		if tr.Count() != w.count || tr.Max() != w.max || m.Thresholds[0].OK != w.ok {
			t.Errorf("%s: count %d max %v ok %v; want %+v", name, tr.Count(), tr.Max(), m.Thresholds[0].OK, w)
		}
	}
	if !s.ThresholdsFailed() {
		t.Error("ThresholdsFailed should be true")
	}
	failed, abort := e.EvaluateThresholds(time.Second)
	if !failed || abort != nil {
		t.Errorf("EvaluateThresholds = %v, %v; want failed without abort", failed, abort)
	}
}

func TestEmptyMetricsAtTheEnd(t *testing.T) {
	r := NewRegistry()
	b := RegisterBuiltins(r)
	if _, err := r.New("never", Counter, Default); err != nil {
		t.Fatal(err)
	}
	sets, _ := ParseThresholds([]byte(`{"never": ["count>0"], "http_req_failed": ["rate<0.01"], "http_req_duration{name:x}": ["p(95)<200"]}`), r)
	e := NewEngine(b)
	e.SetThresholds(sets)
	e.Start()
	e.Stop()
	if failed, _ := e.EvaluateThresholds(time.Second); failed {
		t.Error("during the run, metrics without samples are not judged")
	}
	s := e.Snapshot(time.Second)
	never, _ := s.Metric("never")
	if never.Thresholds[0].OK || !never.Thresholds[0].NoData {
		t.Errorf("count>0 on a counter that never moved must fail at the end: %+v", never.Thresholds[0])
	}
	failedRate, _ := s.Metric("http_req_failed")
	if !failedRate.Thresholds[0].OK {
		t.Error("a Rate without samples has no value and passes, as in k6")
	}
	sub, _ := s.Metric("http_req_duration{name:x}")
	if !sub.Thresholds[0].OK {
		t.Error("an empty Trend counts as 0, so p(95)<200 passes, as in k6")
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, seed := range []string{"p(95)<200", "avg < 100", "count>=10", "rate<0.01", "value==1", "med!=2",
		"p(99.9)<=1e3", "max===5", "p(", "p()", "", "avg<", "<1", "p(50)>"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		th, err := ParseThreshold(src)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if th.Op == "" || (th.Agg == "p" && (th.P < 0 || th.P > 100)) {
			t.Fatalf("%q accepted as %+v", src, th)
		}
		// A parsed threshold re-parses from its own canonical form.
		canon := th.AggName() + th.Op + formatFloat(th.Target)
		again, err := ParseThreshold(canon)
		if err != nil || again.Agg != th.Agg || again.P != th.P || again.Op != th.Op || again.Target != th.Target {
			t.Fatalf("%q → %q does not re-parse the same: %+v %v", src, canon, again, err)
		}
	})
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
