package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
	"github.com/throng-dev/throng/outputs/report"
	"github.com/throng-dev/throng/outputs/summary"
)

// synthetic makes the samples of a run without running one: a fixed
// pattern of requests per second, so a 2-minute or 24-hour run costs
// milliseconds and tests never wait on the clock.
type synthetic struct {
	b     *metrics.Builtins
	start time.Time
	base  *metrics.TagSet
}

func newSynthetic() *synthetic {
	return &synthetic{
		b:     metrics.RegisterBuiltins(metrics.NewRegistry()),
		start: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		base:  metrics.NewTagSet(map[string]string{"scenario": "default"}),
	}
}

// endpoints the synthetic script requests, each with its own latency.
var endpoints = []struct {
	method, name string
	ms           float64
}{{"POST", "login", 40}, {"GET", "items", 12}, {"GET", "http://127.0.0.1/item?id=7", 25}}

// second returns the samples of second sec with perSecond requests: one
// request in 20 answers 500, one in 25 is refused (status 0), and latency
// rises and falls over the run so the charts have a shape.
func (s *synthetic) second(sec, perSecond int) []metrics.Sample {
	t0 := s.start.Add(time.Duration(sec) * time.Second).UnixNano()
	out := []metrics.Sample{
		{Metric: s.b.VUs, Tags: s.base, Time: t0, Value: float64(5 + sec%10)},
		{Metric: s.b.VUsMax, Tags: s.base, Time: t0, Value: 15},
	}
	for i := range perSecond {
		t := t0 + int64(i)*int64(time.Second)/int64(perSecond)
		n := sec*perSecond + i
		e := endpoints[n%len(endpoints)]
		status, errText := 200, ""
		switch {
		case n%25 == 7:
			status, errText = 0, "connection refused"
		case n%20 == 3:
			status = 500
		}
		tags := s.base.Extend(metrics.Tag{Key: "method", Value: e.method}, metrics.Tag{Key: "name", Value: e.name},
			metrics.Tag{Key: "url", Value: e.name}, metrics.Tag{Key: "status", Value: fmt.Sprint(status)})
		if errText != "" {
			tags = tags.With("error", errText)
		}
		ms := e.ms * (1 + 0.5*math.Sin(float64(sec)/15)) * (1 + float64(i%7)/10)
		failed := 0.0
		if status != 200 {
			failed = 1
		}
		check := s.base.Extend(metrics.Tag{Key: "check", Value: "status is 200"}, metrics.Tag{Key: "group", Value: ""})
		out = append(out,
			metrics.Sample{Metric: s.b.HTTPReqs, Tags: tags, Time: t, Value: 1},
			metrics.Sample{Metric: s.b.HTTPReqDuration, Tags: tags, Time: t, Value: ms},
			metrics.Sample{Metric: s.b.HTTPReqFailed, Tags: tags, Time: t, Value: failed},
			metrics.Sample{Metric: s.b.DataSent, Tags: s.base, Time: t, Value: 120},
			metrics.Sample{Metric: s.b.DataReceived, Tags: s.base, Time: t, Value: float64(900 + 10*(i%5))},
			metrics.Sample{Metric: s.b.Checks, Tags: check, Time: t, Value: 1 - failed},
		)
		if i%3 == 2 {
			out = append(out, metrics.Sample{Metric: s.b.Iterations, Tags: s.base, Time: t, Value: 1})
		}
	}
	return out
}

// run is a finished synthetic run: the report output fed through an
// outputs.Manager from the engine, as in throng, and the engine's summary.
type run struct {
	out     *report.Output
	snap    *metrics.Snapshot
	data    *summary.Data
	summary *report.Summary
}

const syntheticThresholds = `{"http_req_duration":["p(95)<100","avg<30"],"http_req_failed":["rate<0.01"],"checks":["rate>0.5"]}`

// liveRun is a synthetic run in progress: samples go through an engine
// (with thresholds) and an outputs.Manager to the report output, as in
// throng.
type liveRun struct {
	t      testing.TB
	s      *synthetic
	out    *report.Output
	engine *metrics.Engine
	m      *outputs.Manager
}

func startSynthetic(t testing.TB, s *synthetic, out *report.Output) *liveRun {
	t.Helper()
	engine := metrics.NewEngine(s.b)
	sets, err := metrics.ParseThresholds([]byte(syntheticThresholds), s.b.Registry())
	if err != nil {
		t.Fatal(err)
	}
	engine.SetThresholds(sets)
	m := outputs.NewManager([]outputs.Output{out}, t.Logf)
	engine.AddConsumer(m.Consume)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	engine.Start()
	return &liveRun{t: t, s: s, out: out, engine: engine, m: m}
}

// push sends seconds [from, to) of samples.
func (l *liveRun) push(from, to, perSecond int) {
	for sec := from; sec < to; sec++ {
		l.engine.Push(l.s.second(sec, perSecond))
	}
}

// end stops the run after seconds and builds its summary.
func (l *liveRun) end(seconds int) *run {
	l.t.Helper()
	l.engine.Stop()
	if err := l.m.Stop(); err != nil {
		l.t.Fatal(err)
	}
	snap := l.engine.Snapshot(time.Duration(seconds) * time.Second)
	data, err := summary.NewData(snap, summary.Options{NoColor: true}, summary.State{})
	if err != nil {
		l.t.Fatal(err)
	}
	var text bytes.Buffer
	if err := summary.Render(&text, data, summary.Options{NoColor: true}); err != nil {
		l.t.Fatal(err)
	}
	return &run{out: l.out, snap: snap, data: data, summary: &report.Summary{Data: data, Text: text.String()}}
}

// runSynthetic runs seconds seconds of perSecond requests into out.
func runSynthetic(t testing.TB, s *synthetic, out *report.Output, seconds, perSecond int) *run {
	t.Helper()
	l := startSynthetic(t, s, out)
	l.push(0, seconds, perSecond)
	return l.end(seconds)
}

var testMeta = report.Meta{
	Title: "synthetic.js", Generator: "throng test",
	Options: json.RawMessage(`{"vus":15,"duration":"2m","thresholds":` + syntheticThresholds + `}`),
	Plan:    json.RawMessage(`{"maxVUs":15,"maxDuration":"2m30s","scenarios":[{"name":"default","executor":"constant-vus"}]}`),
}

var embeddedData = regexp.MustCompile(`(?s)<script>window\.THRONG_REPORT = (.*?);</script>`)

// reportData reads the data a report embeds back.
func reportData(t testing.TB, html []byte) report.Data {
	t.Helper()
	m := embeddedData.FindSubmatch(html)
	if m == nil {
		t.Fatalf("no embedded data in the report (%d bytes)", len(html))
	}
	var d report.Data
	if err := json.Unmarshal(m[1], &d); err != nil {
		t.Fatalf("embedded data: %v", err)
	}
	return d
}

func sum(c report.Column) float64 {
	var s float64
	for _, v := range c {
		if !math.IsNaN(v) {
			s += v
		}
	}
	return s
}

// within reports whether got is within rel (relative) of want.
func within(got, want, rel float64) bool {
	if want == 0 {
		return math.Abs(got) <= rel
	}
	return math.Abs(got-want) <= rel*math.Abs(want)
}

func kb(n int) string { return fmt.Sprintf("%.1f KB", float64(n)/1024) }

func hasPrefixAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
