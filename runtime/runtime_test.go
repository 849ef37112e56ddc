package runtime

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

func ptr[T any](v T) *T { return &v }

func TestParseDurationAndOptions(t *testing.T) {
	for in, want := range map[string]time.Duration{"30s": 30 * time.Second, "1m30s": 90 * time.Second, "10": 10 * time.Second, "1d2h": 26 * time.Hour, "500ms": 500 * time.Millisecond} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "10x", "-d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
	o, err := ParseOptions([]byte(`{"vus": 5, "duration": 1500, "iterations": null, "thresholds": {}}`))
	if err != nil || *o.VUs != 5 || time.Duration(*o.Duration) != 1500*time.Millisecond || o.Iterations != nil {
		t.Errorf("ParseOptions: %+v %v", o, err)
	}
	for raw, wantName := range map[string]string{`{"vus": "ten"}`: `"vus"`, `{"duration": "soon"}`: `"duration"`, `{"tags": 3}`: `"tags"`} {
		if _, err := ParseOptions([]byte(raw)); err == nil || !strings.Contains(err.Error(), wantName) {
			t.Errorf("ParseOptions(%s) = %v, want an error naming %s", raw, err, wantName)
		}
	}
}

// fakeFactory builds VUs that complete each iteration at once, and
// records the ids asked for.
type fakeFactory struct {
	iters atomic.Int64
	ids   atomic.Int64
}

func (f *fakeFactory) NewVU(_ context.Context, id uint64) (VU, error) {
	f.ids.Add(int64(id))
	return countingVU{&f.iters}, nil
}

type countingVU struct{ iters *atomic.Int64 }

func (v countingVU) Iterate(context.Context, Iteration) bool {
	v.iters.Add(1)
	return true
}

func TestRunInitialisesVUsAndReportsGauges(t *testing.T) {
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	e := metrics.NewEngine(b)
	e.Start()
	f := &fakeFactory{}
	c := NewSharedIterationsConfig("default")
	c.VUs, c.Iterations = 10, 50
	ex, err := NewExecutor(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{Executors: []Executor{ex}, Factory: f, Engine: e, Builtins: b}
	vus, err := r.InitVUs(context.Background())
	if err != nil || len(vus) != 10 || f.ids.Load() != 55 {
		t.Fatalf("InitVUs: %d VUs, id sum %d, %v; want ids 1..10", len(vus), f.ids.Load(), err)
	}
	if err := r.Start(context.Background(), vus); err != nil {
		t.Fatal(err)
	}
	e.Stop()
	s := e.Snapshot(r.Elapsed())
	max, _ := s.Metric("vus_max")
	if g := max.Sink.(*metrics.GaugeSink); g.Value != 10 {
		t.Errorf("vus_max = %v", g.Value)
	}
	if f.iters.Load() != 50 {
		t.Errorf("iterations %d", f.iters.Load())
	}
}

func TestApplyTakesEveryFieldSetAbove(t *testing.T) {
	five, d := int64(5), Duration(time.Second)
	low := Options{VUs: &five, Tags: map[string]string{"a": "1"}}
	high := Options{Duration: &d, Stages: []Stage{{Target: 1}}}
	got := low.Apply(high)
	if got.VUs != &five || got.Duration != &d || len(got.Stages) != 1 || got.Tags["a"] != "1" {
		t.Errorf("Apply = %+v", got)
	}
	if got := high.Apply(low); got.Duration != &d || got.VUs != &five {
		t.Errorf("fields not set above must be kept: %+v", got)
	}
}
