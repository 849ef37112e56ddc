package runtime

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// VU is one virtual user as the runtime sees it. A VU is used by one
// goroutine at a time.
type VU interface {
	// Iterate runs one iteration of scenario sc. Cancelling ctx interrupts
	// it. It reports whether the iteration ran to its end: an exception
	// thrown by the script still ends the iteration (the VU counts and logs
	// it); an interruption does not.
	Iterate(ctx context.Context, sc *Scenario) (completed bool)
}

// VUFactory creates VUs. NewVU may be called from several goroutines at
// once; ids start at 1.
type VUFactory interface {
	NewVU(ctx context.Context, id uint64) (VU, error)
}

// Scenario is what an executor runs and what the VUs need to know of it.
type Scenario struct {
	Name         string // the `scenario` tag of every sample
	Exec         string // the exported function to call
	GracefulStop time.Duration
}

// Executor decides when VUs run iterations. Its configuration is data;
// Run only carries it out.
type Executor interface {
	// MaxVUs is how many VUs the executor needs at most.
	MaxVUs() int64
	// MaxRunTime is the longest the executor can run, graceful stop included.
	MaxRunTime() time.Duration
	// Description is the banner line, as k6 prints it.
	Description() string
	// Run drives vus (len(vus) == MaxVUs()) until the work is done or ctx
	// ends, counting into c. It returns once every iteration it started
	// has returned.
	Run(ctx context.Context, vus []VU, c *Counters)
}

// Counters are the live figures of a run, read by progress displays.
type Counters struct {
	Completed   atomic.Int64
	Interrupted atomic.Int64
	Dropped     atomic.Int64
	ActiveVUs   atomic.Int64
}

// ConstantVUs runs a fixed number of VUs in a loop for a duration.
type ConstantVUs struct {
	Scenario *Scenario
	VUs      int64
	Duration time.Duration
}

// Validate reports a configuration that cannot run.
func (e *ConstantVUs) Validate() error {
	if e.VUs < 1 {
		return fmt.Errorf("vus must be at least 1, got %d", e.VUs)
	}
	if e.Duration <= 0 {
		return fmt.Errorf("duration must be positive, got %s", e.Duration)
	}
	return nil
}

// MaxVUs implements Executor.
func (e *ConstantVUs) MaxVUs() int64 { return e.VUs }

// MaxRunTime implements Executor.
func (e *ConstantVUs) MaxRunTime() time.Duration { return e.Duration + e.Scenario.GracefulStop }

// Description implements Executor.
func (e *ConstantVUs) Description() string {
	return fmt.Sprintf("%d looping VUs for %s (gracefulStop: %s)", e.VUs, FormatDuration(e.Duration), FormatDuration(e.Scenario.GracefulStop))
}

// Run implements Executor.
func (e *ConstantVUs) Run(ctx context.Context, vus []VU, c *Counters) {
	loop(ctx, vus, c, e.Scenario, e.Duration, func() bool { return true })
}

// SharedIterations runs a total number of iterations shared by the VUs:
// faster VUs do more of them.
type SharedIterations struct {
	Scenario    *Scenario
	VUs         int64
	Iterations  int64
	MaxDuration time.Duration
}

// Validate reports a configuration that cannot run.
func (e *SharedIterations) Validate() error {
	if e.VUs < 1 {
		return fmt.Errorf("vus must be at least 1, got %d", e.VUs)
	}
	if e.Iterations < e.VUs {
		return fmt.Errorf("iterations (%d) must be at least vus (%d)", e.Iterations, e.VUs)
	}
	if e.MaxDuration <= 0 {
		return fmt.Errorf("maxDuration must be positive, got %s", e.MaxDuration)
	}
	return nil
}

// MaxVUs implements Executor.
func (e *SharedIterations) MaxVUs() int64 { return e.VUs }

// MaxRunTime implements Executor.
func (e *SharedIterations) MaxRunTime() time.Duration {
	return e.MaxDuration + e.Scenario.GracefulStop
}

// Description implements Executor.
func (e *SharedIterations) Description() string {
	return fmt.Sprintf("%d iterations shared among %d VUs (maxDuration: %s, gracefulStop: %s)",
		e.Iterations, e.VUs, FormatDuration(e.MaxDuration), FormatDuration(e.Scenario.GracefulStop))
}

// Run implements Executor.
func (e *SharedIterations) Run(ctx context.Context, vus []VU, c *Counters) {
	var taken atomic.Int64
	loop(ctx, vus, c, e.Scenario, e.MaxDuration, func() bool { return taken.Add(1) <= e.Iterations })
	if left := e.Iterations - min(taken.Load(), e.Iterations); left > 0 {
		c.Dropped.Add(left)
	}
}

// loop runs every VU in its own goroutine, starting iterations while more()
// says so and until d has passed; iterations still running then get the
// scenario's graceful stop to finish before they are interrupted.
func loop(ctx context.Context, vus []VU, c *Counters, sc *Scenario, d time.Duration, more func() bool) {
	startCtx, stopStarting := context.WithTimeout(ctx, d)
	defer stopStarting()
	iterCtx, interrupt := context.WithCancel(ctx)
	defer interrupt()
	stopTimer := context.AfterFunc(startCtx, func() {
		t := time.AfterFunc(sc.GracefulStop, interrupt)
		context.AfterFunc(iterCtx, func() { t.Stop() })
	})
	defer stopTimer()

	var wg sync.WaitGroup
	for _, vu := range vus {
		wg.Add(1)
		c.ActiveVUs.Add(1)
		go func() {
			defer wg.Done()
			defer c.ActiveVUs.Add(-1)
			for startCtx.Err() == nil && more() {
				if vu.Iterate(iterCtx, sc) {
					c.Completed.Add(1)
				} else {
					c.Interrupted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
}

// FormatDuration renders d as k6 does in its banner: "30s", "1m0s", "1h2m3s".
func FormatDuration(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}
