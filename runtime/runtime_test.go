package runtime

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// countingVU is a VU whose iteration takes a fixed time, or blocks until
// interrupted when stuck is set.
type countingVU struct {
	iters   *atomic.Int64
	workFor time.Duration
	stuck   bool
}

func (v *countingVU) Iterate(ctx context.Context, sc *Scenario) bool {
	v.iters.Add(1)
	if v.stuck {
		<-ctx.Done()
		return false
	}
	select {
	case <-time.After(v.workFor):
		return true
	case <-ctx.Done():
		return false
	}
}

func vus(n int, iters *atomic.Int64, work time.Duration, stuck bool) []VU {
	out := make([]VU, n)
	for i := range out {
		out[i] = &countingVU{iters: iters, workFor: work, stuck: stuck}
	}
	return out
}

func TestSharedIterationsRunsExactlyTheTotal(t *testing.T) {
	var iters atomic.Int64
	ex := &SharedIterations{Scenario: &Scenario{Name: "default"}, VUs: 4, Iterations: 103, MaxDuration: time.Minute}
	var c Counters
	ex.Run(context.Background(), vus(4, &iters, 0, false), &c)
	if iters.Load() != 103 || c.Completed.Load() != 103 || c.Dropped.Load() != 0 {
		t.Fatalf("ran %d, completed %d, dropped %d; want 103", iters.Load(), c.Completed.Load(), c.Dropped.Load())
	}
}

func TestSharedIterationsDropsWhatMaxDurationCuts(t *testing.T) {
	var iters atomic.Int64
	ex := &SharedIterations{Scenario: &Scenario{Name: "default", GracefulStop: time.Second}, VUs: 2, Iterations: 1000, MaxDuration: 100 * time.Millisecond}
	var c Counters
	ex.Run(context.Background(), vus(2, &iters, 20*time.Millisecond, false), &c)
	if done := c.Completed.Load(); done+c.Dropped.Load()+c.Interrupted.Load() != 1000 || c.Dropped.Load() == 0 {
		t.Fatalf("completed %d + interrupted %d + dropped %d should be 1000, with some dropped", done, c.Interrupted.Load(), c.Dropped.Load())
	}
}

func TestConstantVUsStopsStartingAtDurationAndInterruptsAfterGracefulStop(t *testing.T) {
	var iters atomic.Int64
	ex := &ConstantVUs{Scenario: &Scenario{Name: "default", GracefulStop: 50 * time.Millisecond}, VUs: 3, Duration: 100 * time.Millisecond}
	var c Counters
	start := time.Now()
	ex.Run(context.Background(), vus(3, &iters, 0, true), &c)
	took := time.Since(start)
	if c.Interrupted.Load() != 3 || c.Completed.Load() != 0 {
		t.Errorf("interrupted %d completed %d, want 3 and 0", c.Interrupted.Load(), c.Completed.Load())
	}
	// Not a timing assertion on speed: the run must not end before the
	// duration plus the graceful stop, which is behaviour.
	if took < 150*time.Millisecond {
		t.Errorf("stuck iterations were interrupted after %s, before duration + gracefulStop", took)
	}
}

func TestConstantVUsLetsIterationsFinishWithinGracefulStop(t *testing.T) {
	var iters atomic.Int64
	ex := &ConstantVUs{Scenario: &Scenario{Name: "default", GracefulStop: 5 * time.Second}, VUs: 2, Duration: 50 * time.Millisecond}
	var c Counters
	ex.Run(context.Background(), vus(2, &iters, 30*time.Millisecond, false), &c)
	if c.Interrupted.Load() != 0 || c.Completed.Load() != iters.Load() {
		t.Errorf("completed %d of %d started, interrupted %d", c.Completed.Load(), iters.Load(), c.Interrupted.Load())
	}
}

func TestCancelStopsTheRun(t *testing.T) {
	var iters atomic.Int64
	ex := &ConstantVUs{Scenario: &Scenario{Name: "default", GracefulStop: 0}, VUs: 2, Duration: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	var c Counters
	ex.Run(ctx, vus(2, &iters, time.Millisecond, false), &c)
	if c.Completed.Load() == 0 {
		t.Error("nothing ran before the cancel")
	}
}

func ptr[T any](v T) *T { return &v }

func TestExecutorFromOptions(t *testing.T) {
	d := Duration(30 * time.Second)
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"nothing", Options{}, "1 iterations shared among 1 VUs (maxDuration: 10m0s, gracefulStop: 30s)"},
		{"vus and duration", Options{VUs: ptr(int64(10)), Duration: &d}, "10 looping VUs for 30s (gracefulStop: 30s)"},
		{"iterations", Options{VUs: ptr(int64(2)), Iterations: ptr(int64(8))}, "8 iterations shared among 2 VUs (maxDuration: 10m0s, gracefulStop: 30s)"},
		{"iterations and duration", Options{Iterations: ptr(int64(8)), Duration: &d}, "8 iterations shared among 1 VUs (maxDuration: 30s, gracefulStop: 30s)"},
		{"vus alone", Options{VUs: ptr(int64(3))}, "3 iterations shared among 3 VUs (maxDuration: 10m0s, gracefulStop: 30s)"},
	}
	for _, c := range cases {
		ex, err := ExecutorFromOptions(c.o)
		if err != nil || ex.Description() != c.want {
			t.Errorf("%s: %v %q, want %q", c.name, err, descr(ex), c.want)
		}
	}
	zero := Duration(0)
	for _, bad := range []Options{{VUs: ptr(int64(0)), Duration: &d}, {Duration: &zero}, {VUs: ptr(int64(5)), Iterations: ptr(int64(2))}} {
		if _, err := ExecutorFromOptions(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func descr(e Executor) string {
	if e == nil {
		return ""
	}
	return e.Description()
}

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

// fakeFactory builds countingVUs and records the ids asked for.
type fakeFactory struct {
	iters atomic.Int64
	ids   atomic.Int64
}

func (f *fakeFactory) NewVU(_ context.Context, id uint64) (VU, error) {
	f.ids.Add(int64(id))
	return &countingVU{iters: &f.iters}, nil
}

func TestRunInitialisesVUsAndReportsGauges(t *testing.T) {
	b := metrics.RegisterBuiltins(metrics.NewRegistry())
	e := metrics.NewEngine(b)
	e.Start()
	f := &fakeFactory{}
	r := &Run{Executor: &SharedIterations{Scenario: &Scenario{Name: "default"}, VUs: 10, Iterations: 50, MaxDuration: time.Minute},
		Factory: f, Engine: e, Builtins: b}
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
	if _, ok := s.Metric("vus"); !ok {
		t.Error("no vus gauge")
	}
	if f.iters.Load() != 50 {
		t.Errorf("iterations %d", f.iters.Load())
	}
}
