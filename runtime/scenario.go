package runtime

import (
	"context"
	"sync/atomic"
	"time"
)

// VU is one virtual user as the runtime sees it. A VU is used by one
// goroutine at a time.
type VU interface {
	// Iterate runs one iteration. Cancelling ctx interrupts it. It reports
	// whether the iteration ran to its end: an exception thrown by the
	// script still ends the iteration (the VU counts and logs it); an
	// interruption does not.
	Iterate(ctx context.Context, it Iteration) (completed bool)
}

// VUFactory creates VUs. NewVU may be called from several goroutines at
// once; ids start at 1.
type VUFactory interface {
	NewVU(ctx context.Context, id uint64) (VU, error)
}

// Iteration is what a VU is told of the iteration it is asked to run.
type Iteration struct {
	Scenario *Scenario
	// Number is the iteration's 0-based index among the scenario's
	// iterations in this instance (exec.scenario.iterationInInstance).
	Number int64
	// InTest is its index among the scenario's iterations in all the
	// instances of a segmented test (exec.scenario.iterationInTest):
	// unique across them, and Number when the test is not segmented.
	InTest int64
}

// Scenario is one entry of options.scenarios (or the default scenario the
// shortcut options make): what its executor runs, and its live figures.
type Scenario struct {
	Name         string            // the `scenario` tag of every sample
	Executor     string            // the executor's type, e.g. "constant-vus"
	Exec         string            // the exported function to call
	StartTime    time.Duration     // offset from the start of the test
	GracefulStop time.Duration     // how long iterations may run past the end
	Env          map[string]string // added to __ENV for this scenario's iterations
	Tags         map[string]string // added to every sample of this scenario

	Counters Counters
	started  atomic.Int64 // Unix nanoseconds of the scenario's start, 0 before
	next     atomic.Int64 // the next iteration number
	segment  *Segment     // this instance's share of the scenario; nil: all
}

// NextIteration numbers an iteration of the scenario; executors call it
// once per iteration they start.
func (s *Scenario) NextIteration() Iteration {
	n := s.next.Add(1) - 1
	return Iteration{Scenario: s, Number: n, InTest: s.segment.Global(n)}
}

// StartedAt is when the scenario started, zero before it did.
func (s *Scenario) StartedAt() time.Time {
	if ns := s.started.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Counters are the live figures of a scenario, read by progress displays
// and k6/execution.
type Counters struct {
	Completed   atomic.Int64
	Interrupted atomic.Int64
	Dropped     atomic.Int64
	ActiveVUs   atomic.Int64
}

// Executor decides when VUs run the iterations of one scenario. Its
// configuration is data with a Validate method; Run only carries it out.
type Executor interface {
	// Scenario is the scenario the executor runs.
	Scenario() *Scenario
	// PreAllocatedVUs is how many VUs must be ready before the start.
	PreAllocatedVUs() int64
	// MaxVUs is how many VUs the executor can use at most; above
	// PreAllocatedVUs they are initialised during the run.
	MaxVUs() int64
	// MaxRunTime is the longest the executor can run from its own start,
	// graceful stop included.
	MaxRunTime() time.Duration
	// Description is the banner line, as k6 prints it.
	Description() string
	// Progress is the share of the work done, in [0, 1], elapsed after
	// the scenario's start; for progress bars.
	Progress(elapsed time.Duration) float64
	// Run carries out the scenario, taking VUs from env.Pool and giving
	// them back, counting into Scenario().Counters. It returns once every
	// iteration it started has returned.
	Run(ctx context.Context, env Env)
}

// Env is what an executor runs with.
type Env struct {
	Pool  *Pool
	Clock Clock
}

// Clock is the executors' time, so that tests can run them on a fake one.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed; stop
	// prevents that if it has not happened yet, and reports whether it did.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// RealClock is the wall clock.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc implements Clock.
func (RealClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// Sleep waits d on clock c, or until ctx ends; it reports whether the
// whole of d passed.
func Sleep(ctx context.Context, c Clock, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	done := make(chan struct{})
	stop := c.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return true
	case <-ctx.Done():
		stop()
		return false
	}
}

// WithDeadline returns a context that ends after d on clock c.
func WithDeadline(ctx context.Context, c Clock, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := c.AfterFunc(d, cancel)
	return ctx, func() { stop(); cancel() }
}
