package runtime

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// DefaultGracefulStop is how long iterations may run past a scenario's end.
const DefaultGracefulStop = 30 * time.Second

// Plan is the execution plan of a set of scenarios: how many VUs they need
// at once, at most, and how long they can run.
type Plan struct {
	PreAllocatedVUs int64         // VUs initialised before the start
	MaxVUs          int64         // VUs the run may have at once
	MaxDuration     time.Duration // the latest end, graceful stops included
}

// NewPlan sizes the shared VU pool: at each moment, the sum over the
// scenarios running then, so scenarios that run one after the other (by
// startTime) reuse the same VUs.
func NewPlan(execs []Executor) Plan {
	type event struct {
		at       time.Duration
		pre, max int64
	}
	var events []event
	var p Plan
	for _, ex := range execs {
		start := ex.Scenario().StartTime
		end := start + ex.MaxRunTime()
		events = append(events, event{start, ex.PreAllocatedVUs(), ex.MaxVUs()}, event{end, -ex.PreAllocatedVUs(), -ex.MaxVUs()})
		p.MaxDuration = max(p.MaxDuration, end)
	}
	// At the same instant, ends come before starts: a scenario that starts
	// when another ends takes over its VUs.
	slices.SortStableFunc(events, func(a, b event) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return int(a.max - b.max)
	})
	var pre, maxVUs int64
	for _, e := range events {
		pre, maxVUs = pre+e.pre, maxVUs+e.max
		p.PreAllocatedVUs, p.MaxVUs = max(p.PreAllocatedVUs, pre), max(p.MaxVUs, maxVUs)
	}
	return p
}

// Run is one test run: its scenarios, each started at its startTime,
// sharing one pool of VUs. It reports the vus and vus_max gauges and the
// dropped iterations to the engine.
type Run struct {
	Executors []Executor
	Factory   VUFactory
	Engine    *metrics.Engine
	Builtins  *metrics.Builtins
	Tags      *metrics.TagSet // run-wide tags for the samples the runtime emits
	Clock     Clock           // nil: the wall clock

	Plan    Plan
	pool    *Pool
	mu      sync.Mutex
	started time.Time
}

func (r *Run) clock() Clock {
	if r.Clock == nil {
		return RealClock{}
	}
	return r.Clock
}

// InitVUs creates the plan's pre-allocated VUs, in parallel on every core.
func (r *Run) InitVUs(ctx context.Context) ([]VU, error) {
	r.Plan = NewPlan(r.Executors)
	n := r.Plan.PreAllocatedVUs
	vus := make([]VU, n)
	ids := make(chan int64)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				vu, err := r.Factory.NewVU(ctx, uint64(i+1))
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("initialising VU %d: %w", i+1, err) })
					continue
				}
				vus[i] = vu
			}
		}()
	}
	for i := range n {
		ids <- i
	}
	close(ids)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return vus, nil
}

// Start runs every scenario over the pool made of vus, and returns when
// all are done, or when ctx is cancelled and their iterations have
// stopped.
func (r *Run) Start(ctx context.Context, vus []VU) error {
	r.pool = NewPool(r.Factory, vus, r.Plan.MaxVUs)
	r.mu.Lock()
	r.started = r.clock().Now()
	r.mu.Unlock()
	stopGauges := r.reportVUs()
	var wg sync.WaitGroup
	for _, ex := range r.Executors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runScenario(ctx, ex)
		}()
	}
	wg.Wait()
	stopGauges()
	return nil
}

// runScenario waits for the scenario's startTime, then runs it.
func (r *Run) runScenario(ctx context.Context, ex Executor) {
	sc := ex.Scenario()
	if !Sleep(ctx, r.clock(), sc.StartTime) {
		return
	}
	sc.started.Store(r.clock().Now().UnixNano())
	ex.Run(ctx, Env{Pool: r.pool, Clock: r.clock()})
	if d := sc.Counters.Dropped.Load(); d > 0 {
		r.emit(r.Builtins.DroppedIterations, float64(d), r.Tags.With("scenario", sc.Name))
	}
}

// Elapsed is the time since the scenarios started.
func (r *Run) Elapsed() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started.IsZero() {
		return 0
	}
	return r.clock().Now().Sub(r.started)
}

// Pool is the run's VU pool (nil before Start).
func (r *Run) Pool() *Pool { return r.pool }

// Totals sums the counters of every scenario.
func (r *Run) Totals() (completed, interrupted, dropped, active int64) {
	for _, ex := range r.Executors {
		c := &ex.Scenario().Counters
		completed += c.Completed.Load()
		interrupted += c.Interrupted.Load()
		dropped += c.Dropped.Load()
		active += c.ActiveVUs.Load()
	}
	return
}

// reportVUs samples vus and vus_max every second, as k6 does.
func (r *Run) reportVUs() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	sample := func() {
		r.gauge(r.Builtins.VUs, float64(r.pool.Active()))
		r.gauge(r.Builtins.VUsMax, float64(r.pool.Initialized()))
	}
	go func() {
		defer wg.Done()
		// A first reading once the scenarios have taken their VUs, then
		// one a second.
		select {
		case <-done:
			return
		case <-time.After(100 * time.Millisecond):
			sample()
		}
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	r.gauge(r.Builtins.VUsMax, float64(r.pool.Initialized()))
	return func() { close(done); wg.Wait(); r.gauge(r.Builtins.VUsMax, float64(r.pool.Initialized())) }
}

func (r *Run) gauge(m *metrics.Metric, v float64) { r.emit(m, v, r.Tags) }

func (r *Run) emit(m *metrics.Metric, v float64, tags *metrics.TagSet) {
	r.Engine.Push([]metrics.Sample{{Metric: m, Tags: tags, Time: time.Now().UnixNano(), Value: v}})
}
