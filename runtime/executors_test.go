package runtime

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// mustExecutor builds the executor of c, failing the test if c is invalid.
func mustExecutor(t *testing.T, c ScenarioConfig) Executor {
	t.Helper()
	ex, err := NewExecutor(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// counts is a snapshot of a scenario's counters.
type counts struct{ completed, interrupted, dropped, active int64 }

func countsOf(ex Executor) counts {
	c := &ex.Scenario().Counters
	return counts{c.Completed.Load(), c.Interrupted.Load(), c.Dropped.Load(), c.ActiveVUs.Load()}
}

func TestSharedIterationsRunsExactlyTheTotal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewSharedIterationsConfig("s")
		c.VUs, c.Iterations = 4, 103
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, f := testEnv(clock, 4, 4, vuSpec{})
		clock.RunUntil(start(t.Context(), ex, env))
		if got := countsOf(ex); got != (counts{completed: 103}) || f.total() != 103 {
			t.Errorf("counters %+v, VUs ran %d; want 103 completed", got, f.total())
		}
		var numbers []int64
		for _, v := range f.all() {
			numbers = append(numbers, v.numbers...)
		}
		slices.Sort(numbers)
		for i, n := range numbers {
			if n != int64(i) {
				t.Fatalf("iteration numbers %v, want 0…102 once each", numbers)
			}
		}
	})
}

func TestSharedIterationsDropsWhatMaxDurationLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewSharedIterationsConfig("s")
		c.VUs, c.Iterations, c.MaxDuration = 2, 1000, Duration(10*time.Second)
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, _ := testEnv(clock, 2, 2, vuSpec{work: 3 * time.Second})
		took := clock.RunUntil(start(t.Context(), ex, env))
		// Each VU starts at 0, 3, 6 and 9s; the last ones end at 12s,
		// within the graceful stop.
		if got := countsOf(ex); got != (counts{completed: 8, dropped: 992}) || took != 12*time.Second {
			t.Errorf("counters %+v after %s; want 8 completed, 992 dropped, after 12s", got, took)
		}
	})
}

func TestPerVUIterationsRunsExactlyNPerVU(t *testing.T) {
	// Instant iterations too: a VU that finishes its own must not be
	// taken by a goroutine that had not got one yet.
	for _, work := range []time.Duration{time.Second, 0} {
		synctest.Test(t, func(t *testing.T) {
			c := NewPerVUIterationsConfig("p")
			c.VUs, c.Iterations = 30, 7
			ex := mustExecutor(t, c)
			clock := newFakeClock()
			env, f := testEnv(clock, 30, 30, vuSpec{work: work})
			took := clock.RunUntil(start(t.Context(), ex, env))
			for i, v := range f.all() {
				if v.iters.Load() != 7 {
					t.Errorf("work %s: VU %d ran %d iterations, want 7", work, i, v.iters.Load())
				}
			}
			if got := countsOf(ex); got != (counts{completed: 210}) || took != 7*work {
				t.Errorf("counters %+v after %s; want 210 completed after %s", got, took, 7*work)
			}
		})
	}
}

func TestPerVUIterationsDropsWhatMaxDurationLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewPerVUIterationsConfig("p")
		c.VUs, c.Iterations, c.MaxDuration = 2, 5, Duration(10*time.Second)
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, _ := testEnv(clock, 2, 2, vuSpec{work: 3 * time.Second})
		clock.RunUntil(start(t.Context(), ex, env))
		if got := countsOf(ex); got != (counts{completed: 8, dropped: 2}) {
			t.Errorf("counters %+v; want 4 per VU completed, 1 per VU dropped", got)
		}
	})
}

func TestConstantVUsInterruptsStuckIterationsAfterGracefulStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewConstantVUsConfig("c")
		c.VUs, c.Duration, c.GracefulStop = 3, Duration(10*time.Second), Duration(5*time.Second)
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, f := testEnv(clock, 3, 3, vuSpec{stuck: true})
		done := start(t.Context(), ex, env)
		clock.Advance(15*time.Second - 1)
		if got := countsOf(ex); got != (counts{active: 3}) {
			t.Errorf("just before duration + gracefulStop: %+v, want 3 VUs still running", got)
		}
		took := clock.RunUntil(done)
		if got := countsOf(ex); got != (counts{interrupted: 3}) || took != 1 || f.total() != 3 {
			t.Errorf("counters %+v, %d started, ended %s later; want 3 interrupted at once", got, f.total(), took)
		}
	})
}

func TestConstantVUsLetsIterationsFinishWithinGracefulStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewConstantVUsConfig("c")
		c.VUs, c.Duration, c.GracefulStop = 2, Duration(10*time.Second), Duration(5*time.Second)
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, _ := testEnv(clock, 2, 2, vuSpec{work: 3 * time.Second})
		took := clock.RunUntil(start(t.Context(), ex, env))
		// Starts at 0, 3, 6 and 9s, none after 10s; the last ends at 12s.
		if got := countsOf(ex); got != (counts{completed: 8}) || took != 12*time.Second {
			t.Errorf("counters %+v after %s; want 8 completed after 12s", got, took)
		}
	})
}

func TestCancelStopsStartingAndAppliesGracefulStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewConstantVUsConfig("c")
		c.VUs, c.Duration, c.GracefulStop = 2, Duration(time.Hour), Duration(2*time.Second)
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, _ := testEnv(clock, 2, 2, vuSpec{stuck: true})
		ctx, cancel := context.WithCancel(t.Context())
		done := start(ctx, ex, env)
		clock.Advance(5 * time.Second)
		cancel()
		took := clock.RunUntil(done)
		if got := countsOf(ex); got != (counts{interrupted: 2}) || took != 2*time.Second {
			t.Errorf("counters %+v, ended %s after the cancel; want 2 interrupted after the 2s graceful stop", got, took)
		}
	})
}

func TestCancelDropsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewSharedIterationsConfig("s")
		c.VUs, c.Iterations = 2, 100
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, _ := testEnv(clock, 2, 2, vuSpec{work: time.Second})
		ctx, cancel := context.WithCancel(t.Context())
		done := start(ctx, ex, env)
		clock.Advance(2500 * time.Millisecond)
		cancel()
		clock.RunUntil(done)
		// The user stopped the test: k6 reports no dropped iterations.
		if got := countsOf(ex); got != (counts{completed: 6}) {
			t.Errorf("counters %+v; want 6 completed (starts at 0, 1, 2s), none dropped", got)
		}
	})
}

// startTimes are the instants, after t0, at which the VUs of f started
// each iteration, by iteration number.
func startTimes(f *testFactory, t0 time.Time) map[int64]time.Duration {
	out := map[int64]time.Duration{}
	for _, v := range f.all() {
		for i, n := range v.numbers {
			out[n] = v.starts[i].Sub(t0)
		}
	}
	return out
}

func TestConstantArrivalRateStartsOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewConstantArrivalRateConfig("a")
		c.Rate, c.Duration, c.PreAllocatedVUs = 20, Duration(5*time.Second), ptr(int64(2))
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		t0 := clock.Now()
		env, f := testEnv(clock, 2, 2, vuSpec{work: 70 * time.Millisecond})
		clock.RunUntil(start(t.Context(), ex, env))
		if got := countsOf(ex); got != (counts{completed: 100}) {
			t.Errorf("counters %+v, want 100 completed", got)
		}
		starts := startTimes(f, t0)
		for n := range int64(100) {
			if want := time.Duration(n) * 50 * time.Millisecond; starts[n] != want {
				t.Errorf("iteration %d started at %s, want %s", n, starts[n], want)
			}
		}
	})
}

func TestRampingArrivalRateStartsOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewRampingArrivalRateConfig("r")
		c.Stages, c.PreAllocatedVUs = stages(10*time.Second, 20), ptr(int64(3))
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		t0 := clock.Now()
		env, f := testEnv(clock, 3, 3, vuSpec{})
		clock.RunUntil(start(t.Context(), ex, env))
		if got := countsOf(ex); got != (counts{completed: 100}) {
			t.Errorf("counters %+v, want 100 completed", got)
		}
		// The rate is 2t per second, its integral t²: the n-th at √n s.
		starts := startTimes(f, t0)
		for n, want := range map[int64]time.Duration{0: 0, 1: time.Second, 25: 5 * time.Second, 81: 9 * time.Second} {
			if starts[n] != want {
				t.Errorf("iteration %d started at %s, want %s", n, starts[n], want)
			}
		}
	})
}

func TestArrivalRateDropsWithoutAVU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewConstantArrivalRateConfig("a")
		c.Rate, c.Duration, c.PreAllocatedVUs = 20, Duration(5*time.Second), ptr(int64(1))
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		// The pool could give more, but the scenario's maxVUs is 1.
		env, _ := testEnv(clock, 1, 10, vuSpec{stuck: true})
		took := clock.RunUntil(start(t.Context(), ex, env))
		if got := countsOf(ex); got != (counts{interrupted: 1, dropped: 99}) || took != 35*time.Second {
			t.Errorf("counters %+v after %s; want 1 interrupted, 99 dropped, after 5s + 30s", got, took)
		}
	})
}

// Arrivals that were due while the loop was held up (here by a VU whose
// initialisation outlasts the scenario) are counted as dropped, not lost:
// every iteration of the schedule is either run or dropped.
func TestArrivalRateCountsOverdueArrivalsAsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewConstantArrivalRateConfig("a")
		c.Rate, c.Duration, c.PreAllocatedVUs, c.MaxVUs = 20, Duration(5*time.Second), ptr(int64(0)), ptr(int64(5))
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, f := testEnv(clock, 0, 5, vuSpec{})
		f.initTime = 6 * time.Second
		clock.RunUntil(start(t.Context(), ex, env))
		if got := countsOf(ex); got != (counts{dropped: 100}) {
			t.Errorf("counters %+v; want the 100 due iterations dropped", got)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		// Held up for 2 of the 5 seconds: the 40 that came due meanwhile
		// start late, at once, and the rest on time; none is lost.
		c := NewConstantArrivalRateConfig("a")
		c.Rate, c.Duration, c.PreAllocatedVUs, c.MaxVUs = 20, Duration(5*time.Second), ptr(int64(0)), ptr(int64(1))
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, f := testEnv(clock, 0, 1, vuSpec{})
		f.initTime = 2 * time.Second
		clock.RunUntil(start(t.Context(), ex, env))
		if got := countsOf(ex); got.completed+got.dropped != 100 || got.completed < 60 {
			t.Errorf("counters %+v; want all 100 run or dropped, at least the 60 after the hold-up run", got)
		}
	})
}

func TestArrivalRateGrowsToMaxVUs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewRampingArrivalRateConfig("r")
		c.Stages, c.PreAllocatedVUs, c.MaxVUs = stages(5*time.Second, 10), ptr(int64(1)), ptr(int64(3))
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, f := testEnv(clock, 1, 3, vuSpec{stuck: true})
		clock.RunUntil(start(t.Context(), ex, env))
		// 25 iterations are due; 3 VUs get stuck in the first three.
		if got := countsOf(ex); got != (counts{interrupted: 3, dropped: 22}) || len(f.all()) != 3 {
			t.Errorf("counters %+v with %d VUs; want 3 interrupted, 22 dropped, 3 VUs", got, len(f.all()))
		}
	})
}

func TestRampingVUsFollowsTheStages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewRampingVUsConfig("r")
		c.StartVUs = 0
		c.Stages = stages(10*time.Second, 10, 10*time.Second, 10, 5*time.Second, 3, 5*time.Second, 6, 5*time.Second, 6)
		ex := mustExecutor(t, c)
		work := 700 * time.Millisecond
		clock := newFakeClock()
		env, f := testEnv(clock, 10, 10, vuSpec{work: work})
		done := start(t.Context(), ex, env)
		for _, step := range []struct {
			advance time.Duration
			want    int64
		}{
			{5 * time.Second, 5},
			{5 * time.Second, 10}, // 10s: the first stage's target
			{10 * time.Second, 10},
			// 25s: down to 3; the VUs let go finish their iteration.
			{5*time.Second + work, 3},
			{5*time.Second - work, 6}, // 30s
		} {
			clock.Advance(step.advance)
			if got := ex.Scenario().Counters.ActiveVUs.Load(); got != step.want {
				t.Errorf("at %s: %d active VUs, want %d", clock.Now().Sub(time.Unix(1_000_000, 0)), got, step.want)
			}
		}
		clock.RunUntil(done)
		if got := countsOf(ex); got.interrupted != 0 || got.active != 0 || got.completed != f.total() {
			t.Errorf("counters %+v, %d started; want every iteration completed", got, f.total())
		}
	})
}

func TestRampingVUsInterruptsAfterGracefulRampDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewRampingVUsConfig("r")
		c.StartVUs, c.GracefulRampDown = 4, Duration(5*time.Second)
		c.Stages = stages(10*time.Second, 4, time.Duration(0), 1, 20*time.Second, 1)
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, _ := testEnv(clock, 4, 4, vuSpec{stuck: true})
		done := start(t.Context(), ex, env)
		clock.Advance(15*time.Second - 1)
		if got := countsOf(ex); got != (counts{active: 4}) {
			t.Errorf("before the graceful ramp-down ends: %+v, want 4 active", got)
		}
		clock.Advance(1)
		if got := countsOf(ex); got != (counts{interrupted: 3, active: 1}) {
			t.Errorf("at 15s: %+v, want 3 interrupted, 1 active", got)
		}
		took := clock.RunUntil(done)
		// The last VU is stuck until the end, 30s, plus the graceful stop.
		if got := countsOf(ex); got != (counts{interrupted: 4}) || took != 45*time.Second {
			t.Errorf("counters %+v after %s more; want 4 interrupted after 45s", got, took)
		}
	})
}

func TestRampingVUsKeepsAVUWantedBackWithinTheGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewRampingVUsConfig("r")
		c.StartVUs, c.GracefulRampDown, c.GracefulStop = 2, Duration(5*time.Second), 0
		// Down to 1 at 10s, back to 2 at 12s (kept), down to 1 at 20s,
		// back at 30s (replaced: its grace ended at 25s).
		c.Stages = stages(10*time.Second, 2, time.Duration(0), 1, 2*time.Second, 1, time.Duration(0), 2,
			8*time.Second, 2, time.Duration(0), 1, 10*time.Second, 1, time.Duration(0), 2, 10*time.Second, 2)
		ex := mustExecutor(t, c)
		clock := newFakeClock()
		env, f := testEnv(clock, 2, 2, vuSpec{stuck: true})
		done := start(t.Context(), ex, env)
		clock.Advance(20 * time.Second)
		if got := countsOf(ex); got != (counts{active: 2}) || f.total() != 2 {
			t.Errorf("at 20s: %+v, %d started; want both first iterations still running", got, f.total())
		}
		clock.Advance(10 * time.Second)
		if got := countsOf(ex); got != (counts{interrupted: 1, active: 2}) || f.total() != 3 {
			t.Errorf("at 30s: %+v, %d started; want 1 interrupted at 25s and a new iteration", got, f.total())
		}
		clock.RunUntil(done)
		if got := countsOf(ex); got != (counts{interrupted: 3}) {
			t.Errorf("at the end: %+v, want 3 interrupted", got)
		}
	})
}

func TestProgress(t *testing.T) {
	cv := NewConstantVUsConfig("c")
	cv.Duration = Duration(time.Minute)
	si := NewSharedIterationsConfig("s")
	si.VUs, si.Iterations = 2, 8
	ex, it := mustExecutor(t, cv), mustExecutor(t, si)
	if p := ex.Progress(15 * time.Second); p != 0.25 {
		t.Errorf("constant-vus at 15s of 1m: %v", p)
	}
	if p := ex.Progress(time.Hour); p != 1 {
		t.Errorf("constant-vus past its end: %v", p)
	}
	it.Scenario().Counters.Completed.Add(3)
	it.Scenario().Counters.Dropped.Add(1)
	if p := it.Progress(time.Hour); p != 0.5 {
		t.Errorf("shared-iterations at 4 of 8: %v", p)
	}
}
