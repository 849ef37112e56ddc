package runtime

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// defaultMaxDuration is k6's maxDuration for the iteration executors.
const defaultMaxDuration = Duration(10 * time.Minute)

// SharedIterationsConfig configures shared-iterations: VUs take
// Iterations from one shared counter, so fast VUs do more of them.
// Iterations not started by MaxDuration are dropped.
type SharedIterationsConfig struct {
	BaseConfig
	VUs         int64    `json:"vus"`
	Iterations  int64    `json:"iterations"`
	MaxDuration Duration `json:"maxDuration"`
}

// NewSharedIterationsConfig returns k6's defaults: 1 VU, 1 iteration, 10m.
func NewSharedIterationsConfig(name string) *SharedIterationsConfig {
	return &SharedIterationsConfig{BaseConfig: newBase(name, SharedIterations), VUs: 1, Iterations: 1, MaxDuration: defaultMaxDuration}
}

// Validate implements ScenarioConfig.
func (c *SharedIterationsConfig) Validate() error {
	p := c.problems()
	p.check(c.VUs >= 1, "vus must be at least 1, got %d", c.VUs)
	p.check(c.Iterations >= c.VUs, "iterations (%d) must be at least vus (%d): each VU needs one", c.Iterations, c.VUs)
	p.atLeastOneSecond("maxDuration", c.MaxDuration)
	return p.err()
}

func (c *SharedIterationsConfig) newExecutor(sc *Scenario, seg *Segment) Executor {
	return &sharedIterations{executorBase{sc}, *c, seg.Scale(c.VUs), segmentIterations(seg, c.VUs, c.Iterations)}
}

// segmentIterations is a segment's part of shared-iterations: the whole's
// iterations are dealt to its VUs as evenly as can be (VU v gets
// ⌊(v+1)·I/V⌋ − ⌊v·I/V⌋, at least one since I ≥ V), and the segment gets
// those of its VUs. Dealing by VU rather than by iteration keeps a
// segment without VUs from being given iterations it could not run.
func segmentIterations(seg *Segment, vus, iterations int64) int64 {
	if seg == nil {
		return iterations
	}
	var n int64
	for k := range seg.Scale(vus) {
		v := seg.Global(k)
		n += mulDiv(v+1, iterations, vus) - mulDiv(v, iterations, vus)
	}
	return n
}

type sharedIterations struct {
	executorBase
	cfg        SharedIterationsConfig
	vus        int64 // this instance's share of cfg.VUs
	iterations int64 // and of cfg.Iterations
}

func (e *sharedIterations) PreAllocatedVUs() int64 { return e.vus }
func (e *sharedIterations) MaxVUs() int64          { return e.vus }

func (e *sharedIterations) MaxRunTime() time.Duration {
	return time.Duration(e.cfg.MaxDuration) + e.sc.GracefulStop
}

func (e *sharedIterations) Description() string {
	return fmt.Sprintf("%d iterations shared among %d VUs%s", e.iterations, e.vus,
		e.cfg.describe("maxDuration: "+fmtDur(e.cfg.MaxDuration)))
}

// Progress is the share of the iterations done.
func (e *sharedIterations) Progress(time.Duration) float64 {
	return e.iterationProgress(e.iterations)
}

// Run implements Executor.
func (e *sharedIterations) Run(ctx context.Context, env Env) {
	r := beginRun(ctx, env, e.sc, time.Duration(e.cfg.MaxDuration))
	var taken atomic.Int64
	r.loopVUs(e.vus, func(int64) bool { return taken.Add(1) <= e.iterations })
	r.wait()
	// Every VU takes one number past the total before it stops, so the
	// count of iterations started is capped.
	if left := e.iterations - min(taken.Load(), e.iterations); left > 0 && !r.stoppedByParent() {
		e.sc.Counters.Dropped.Add(left)
	}
}

// PerVUIterationsConfig configures per-vu-iterations: each of VUs runs
// exactly Iterations. Those not started by MaxDuration are dropped.
type PerVUIterationsConfig struct {
	BaseConfig
	VUs         int64    `json:"vus"`
	Iterations  int64    `json:"iterations"`
	MaxDuration Duration `json:"maxDuration"`
}

// NewPerVUIterationsConfig returns k6's defaults: 1 VU, 1 iteration, 10m.
// It is also the scenario of a script without options.
func NewPerVUIterationsConfig(name string) *PerVUIterationsConfig {
	return &PerVUIterationsConfig{BaseConfig: newBase(name, PerVUIterations), VUs: 1, Iterations: 1, MaxDuration: defaultMaxDuration}
}

// Validate implements ScenarioConfig.
func (c *PerVUIterationsConfig) Validate() error {
	p := c.problems()
	p.check(c.VUs >= 1, "vus must be at least 1, got %d", c.VUs)
	p.check(c.Iterations >= 1, "iterations must be at least 1, got %d", c.Iterations)
	p.atLeastOneSecond("maxDuration", c.MaxDuration)
	return p.err()
}

func (c *PerVUIterationsConfig) newExecutor(sc *Scenario, seg *Segment) Executor {
	return &perVUIterations{executorBase{sc}, *c, seg.Scale(c.VUs)}
}

type perVUIterations struct {
	executorBase
	cfg PerVUIterationsConfig
	vus int64 // this instance's share of cfg.VUs
}

func (e *perVUIterations) PreAllocatedVUs() int64 { return e.vus }
func (e *perVUIterations) MaxVUs() int64          { return e.vus }

func (e *perVUIterations) MaxRunTime() time.Duration {
	return time.Duration(e.cfg.MaxDuration) + e.sc.GracefulStop
}

func (e *perVUIterations) Description() string {
	return fmt.Sprintf("%d iterations for each of %d VUs%s", e.cfg.Iterations, e.vus,
		e.cfg.describe("maxDuration: "+fmtDur(e.cfg.MaxDuration)))
}

// Progress is the share of the iterations done.
func (e *perVUIterations) Progress(time.Duration) float64 {
	return e.iterationProgress(e.vus * e.cfg.Iterations)
}

// Run implements Executor.
func (e *perVUIterations) Run(ctx context.Context, env Env) {
	r := beginRun(ctx, env, e.sc, time.Duration(e.cfg.MaxDuration))
	// Each counter belongs to one goroutine; they are read after wait.
	started := make([]int64, e.vus)
	r.loopVUs(e.vus, func(i int64) bool {
		started[i]++
		return started[i] <= e.cfg.Iterations
	})
	r.wait()
	if r.stoppedByParent() {
		return
	}
	for _, n := range started {
		e.sc.Counters.Dropped.Add(e.cfg.Iterations - min(n, e.cfg.Iterations))
	}
}
