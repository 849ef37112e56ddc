package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// DefaultGracefulStop is how long iterations may run past a scenario's end.
const DefaultGracefulStop = 30 * time.Second

// ExecutorFromOptions derives the default scenario from the shortcut
// options, as k6 does: iterations → shared-iterations (duration becomes
// its maxDuration); duration → constant-vus; vus alone → shared-iterations
// with one iteration per VU; nothing → one VU, one iteration.
func ExecutorFromOptions(o Options) (Executor, error) {
	sc := &Scenario{Name: "default", Exec: "default", GracefulStop: DefaultGracefulStop}
	vus := int64(1)
	if o.VUs != nil {
		vus = *o.VUs
	}
	var ex interface {
		Executor
		Validate() error
	}
	switch {
	case o.Iterations != nil:
		maxDur := 10 * time.Minute
		if o.Duration != nil {
			maxDur = time.Duration(*o.Duration)
		}
		ex = &SharedIterations{Scenario: sc, VUs: vus, Iterations: *o.Iterations, MaxDuration: maxDur}
	case o.Duration != nil:
		ex = &ConstantVUs{Scenario: sc, VUs: vus, Duration: time.Duration(*o.Duration)}
	default:
		ex = &SharedIterations{Scenario: sc, VUs: vus, Iterations: vus, MaxDuration: 10 * time.Minute}
	}
	if err := ex.Validate(); err != nil {
		return nil, fmt.Errorf("invalid options: %w", err)
	}
	return ex, nil
}

// Run is one test run: it initialises the executor's VUs in parallel, runs
// the executor, and reports the vus and vus_max gauges and dropped
// iterations to the engine.
type Run struct {
	Executor Executor
	Factory  VUFactory
	Engine   *metrics.Engine
	Builtins *metrics.Builtins
	Tags     *metrics.TagSet // run-wide tags for the samples the runtime emits

	Counters Counters
	started  time.Time
	mu       sync.Mutex
}

// InitVUs creates the VUs, in parallel on every core.
func (r *Run) InitVUs(ctx context.Context) ([]VU, error) {
	n := r.Executor.MaxVUs()
	vus := make([]VU, n)
	ids := make(chan int64)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				vu, err := r.Factory.NewVU(ctx, uint64(i+1))
				if err != nil {
					select {
					case errs <- fmt.Errorf("initialising VU %d: %w", i+1, err):
					default:
					}
					continue
				}
				vus[i] = vu
			}
		}()
	}
	for i := range n {
		select {
		case err := <-errs:
			close(ids)
			wg.Wait()
			return nil, err
		case ids <- i:
		}
	}
	close(ids)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	return vus, nil
}

// Start runs the executor over vus and returns when it is done, or when
// ctx is cancelled and the iterations have stopped.
func (r *Run) Start(ctx context.Context, vus []VU) error {
	if int64(len(vus)) != r.Executor.MaxVUs() {
		return errors.New("runtime: wrong number of VUs")
	}
	r.mu.Lock()
	r.started = time.Now()
	r.mu.Unlock()
	r.gauge(r.Builtins.VUsMax, float64(len(vus)))
	stopGauges := r.reportVUs()
	r.Executor.Run(ctx, vus, &r.Counters)
	stopGauges()
	if d := r.Counters.Dropped.Load(); d > 0 {
		r.emit(r.Builtins.DroppedIterations, float64(d), r.Tags.With("scenario", "default"))
	}
	return nil
}

// Elapsed is the time since the executor started.
func (r *Run) Elapsed() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started.IsZero() {
		return 0
	}
	return time.Since(r.started)
}

// reportVUs samples the number of active VUs every second, as k6 does.
func (r *Run) reportVUs() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.gauge(r.Builtins.VUs, float64(r.Counters.ActiveVUs.Load()))
			}
		}
	}()
	// The first reading: the executor starts every VU at once.
	r.gauge(r.Builtins.VUs, float64(r.Executor.MaxVUs()))
	return func() { close(done); wg.Wait() }
}

func (r *Run) gauge(m *metrics.Metric, v float64) { r.emit(m, v, r.Tags) }

func (r *Run) emit(m *metrics.Metric, v float64, tags *metrics.TagSet) {
	r.Engine.Push([]metrics.Sample{{Metric: m, Tags: tags, Time: time.Now().UnixNano(), Value: v}})
}
