package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The executor types: the values of a scenario's `executor` field.
const (
	SharedIterations    = "shared-iterations"
	PerVUIterations     = "per-vu-iterations"
	ConstantVUs         = "constant-vus"
	RampingVUs          = "ramping-vus"
	ConstantArrivalRate = "constant-arrival-rate"
	RampingArrivalRate  = "ramping-arrival-rate"
)

// ExecutorTypes lists the executor types, in k6's order.
func ExecutorTypes() []string {
	return []string{SharedIterations, PerVUIterations, ConstantVUs, RampingVUs, ConstantArrivalRate, RampingArrivalRate}
}

// ScenarioConfig is the configuration of one scenario: data with JSON
// tags, which checks itself and builds the executor that carries it out.
// The implementations are the *…Config types of this package.
type ScenarioConfig interface {
	// Base is the part every scenario has.
	Base() *BaseConfig
	// Validate reports every problem at once; each message names the
	// scenario and the field.
	Validate() error
	// newExecutor builds the executor of a valid configuration, running
	// seg's share of its work (nil: all of it).
	newExecutor(sc *Scenario, seg *Segment) Executor
}

// NewExecutor validates c and returns the executor that runs segment
// seg's share of it (nil: the whole). The executor keeps a copy: later
// changes to c do not reach it.
func NewExecutor(c ScenarioConfig, seg *Segment) (Executor, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	sc := c.Base().scenario()
	sc.segment = seg
	return c.newExecutor(sc, seg), nil
}

// BaseConfig holds the fields common to every scenario, with k6's names.
type BaseConfig struct {
	Name         string            `json:"-"` // the key in options.scenarios
	Executor     string            `json:"executor"`
	StartTime    Duration          `json:"startTime"`
	GracefulStop Duration          `json:"gracefulStop"`
	Exec         string            `json:"exec,omitempty"` // empty means "default"
	Env          map[string]string `json:"env,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	// Options holds per-scenario extras (k6's browser options), accepted
	// so that such scripts run, and not used.
	Options map[string]any `json:"options,omitempty"`
}

// Base implements ScenarioConfig.
func (b *BaseConfig) Base() *BaseConfig { return b }

func newBase(name, executor string) BaseConfig {
	return BaseConfig{Name: name, Executor: executor, GracefulStop: Duration(DefaultGracefulStop)}
}

func (b *BaseConfig) scenario() *Scenario {
	exec := b.Exec
	if exec == "" {
		exec = "default"
	}
	return &Scenario{
		Name: b.Name, Executor: b.Executor, Exec: exec, StartTime: time.Duration(b.StartTime),
		GracefulStop: time.Duration(b.GracefulStop), Env: maps.Clone(b.Env), Tags: maps.Clone(b.Tags),
	}
}

var scenarioName = regexp.MustCompile(`^[0-9a-zA-Z_-]+$`)

// problems starts the validation of a configuration with the checks of
// its common fields.
func (b *BaseConfig) problems() *problems {
	p := &problems{name: b.Name}
	p.check(scenarioName.MatchString(b.Name), "the name must match %s", scenarioName)
	p.check(b.StartTime >= 0, "startTime must not be negative, got %s", fmtDur(b.StartTime))
	p.check(b.GracefulStop >= 0, "gracefulStop must not be negative, got %s", fmtDur(b.GracefulStop))
	p.notTooLong("startTime", b.StartTime)
	p.notTooLong("gracefulStop", b.GracefulStop)
	return p
}

// maxScenarioTime bounds every duration of a scenario, and the sum of its
// stages. A scenario's times are added up (startTime + stages +
// gracefulStop + gracefulRampDown), and a sum past time.Duration's 292
// years would wrap to a negative run time; a decade is longer than any
// test.
const maxScenarioTime = Duration(10 * 365 * 24 * time.Hour)

// notTooLong checks that d is at most maxScenarioTime.
func (p *problems) notTooLong(field string, d Duration) {
	p.check(d <= maxScenarioTime, "%s must be at most 10 years, got %s", field, fmtDur(d))
}

// describe ends a banner line as k6 does: the executor's facts, then exec
// when it was set, startTime when not zero and gracefulStop when not zero.
func (b *BaseConfig) describe(facts ...string) string {
	if b.Exec != "" {
		facts = append(facts, "exec: "+b.Exec)
	}
	if b.StartTime > 0 {
		facts = append(facts, "startTime: "+FormatDuration(time.Duration(b.StartTime)))
	}
	if b.GracefulStop > 0 {
		facts = append(facts, "gracefulStop: "+FormatDuration(time.Duration(b.GracefulStop)))
	}
	if len(facts) == 0 {
		return ""
	}
	return " (" + strings.Join(facts, ", ") + ")"
}

// fmtDur renders a configured duration as FormatDuration does.
func fmtDur(d Duration) string { return FormatDuration(time.Duration(d)) }

// problems collects the errors of one scenario's configuration, each
// prefixed with the scenario's name.
type problems struct {
	name string
	errs []error
}

func (p *problems) check(ok bool, format string, args ...any) {
	if !ok {
		p.errs = append(p.errs, fmt.Errorf("scenario %q: %s", p.name, fmt.Sprintf(format, args...)))
	}
}

// atLeastOneSecond checks a duration k6 wants to be at least 1s.
func (p *problems) atLeastOneSecond(field string, d Duration) {
	p.check(d != 0, "%s is required (at least 1s)", field)
	p.check(d == 0 || d >= Duration(time.Second), "%s must be at least 1s, got %s", field, fmtDur(d))
	p.notTooLong(field, d)
}

// stages checks the stages of a ramping executor.
func (p *problems) stages(stages []Stage) {
	p.check(len(stages) > 0, "stages must hold at least one stage")
	var total Duration // summed without overflow: it stops past the bound
	for i, st := range stages {
		p.check(st.Duration >= 0, "stages[%d].duration must not be negative, got %s", i, fmtDur(st.Duration))
		p.check(st.Target >= 0, "stages[%d].target must not be negative, got %d", i, st.Target)
		if st.Duration > 0 && total <= maxScenarioTime {
			total += min(st.Duration, maxScenarioTime+1)
		}
	}
	p.check(len(stages) == 0 || total > 0, "stages must last longer than 0s")
	p.check(total <= maxScenarioTime, "the stages must last at most 10 years in all")
}

func (p *problems) err() error { return errors.Join(p.errs...) }

// executorBase is what every executor holds.
type executorBase struct{ sc *Scenario }

// Scenario implements Executor.
func (e executorBase) Scenario() *Scenario { return e.sc }

// iterationProgress is the share of total iterations done (completed,
// interrupted or dropped), so that a finished scenario shows 1. A segment
// given none of the iterations has none to do: it is done, not 0/0.
func (e executorBase) iterationProgress(total int64) float64 {
	if total <= 0 {
		return 1
	}
	c := &e.sc.Counters
	return clamp01(float64(c.Completed.Load()+c.Interrupted.Load()+c.Dropped.Load()) / float64(total))
}

// timeProgress is the share of d that elapsed covers.
func timeProgress(elapsed, d time.Duration) float64 {
	return clamp01(float64(elapsed) / float64(d))
}

func clamp01(x float64) float64 { return min(max(x, 0), 1) }

// scenarioRun is one call of an executor's Run: the two contexts that
// stop it, and the goroutines it waits for. The contract of every
// executor:
//
//   - starting ends at the nominal end, or as soon as the parent context
//     ends: from then on no iteration starts;
//   - iterating ends the scenario's gracefulStop after starting ended, and
//     so interrupts the iterations still running; a cancelled parent does
//     not cut them short by itself;
//   - wait returns once every iteration has returned.
type scenarioRun struct {
	env Env
	sc  *Scenario
	t0  time.Time

	starting, iterating     context.Context
	stopStarting, interrupt context.CancelFunc

	byParent atomic.Bool    // starting ended because the parent context did
	watched  chan struct{}  // closed when watch has returned
	wg       sync.WaitGroup // the goroutines that run iterations
}

// beginRun starts a run whose nominal end is d after now.
func beginRun(ctx context.Context, env Env, sc *Scenario, d time.Duration) *scenarioRun {
	r := &scenarioRun{env: env, sc: sc, t0: env.Clock.Now(), watched: make(chan struct{})}
	r.starting, r.stopStarting = WithDeadline(ctx, env.Clock, d)
	r.iterating, r.interrupt = context.WithCancel(context.WithoutCancel(ctx))
	go r.watch(ctx)
	return r
}

// watch applies the graceful stop once starting has ended.
func (r *scenarioRun) watch(parent context.Context) {
	defer close(r.watched)
	<-r.starting.Done()
	r.byParent.Store(parent.Err() != nil)
	Sleep(r.iterating, r.env.Clock, r.sc.GracefulStop)
	r.interrupt()
}

// wait returns once every iteration has returned, and releases the run's
// timers. After it, stoppedByParent is settled.
func (r *scenarioRun) wait() {
	r.wg.Wait()
	r.stopStarting()
	r.interrupt()
	<-r.watched
}

// stoppedByParent reports whether the parent context, not the nominal
// end, stopped the starts. k6 counts no dropped iterations then: the user
// stopped the test.
func (r *scenarioRun) stoppedByParent() bool { return r.byParent.Load() }

func (r *scenarioRun) elapsed() time.Duration { return r.env.Clock.Now().Sub(r.t0) }

// takeVU takes a VU from the pool for the scenario.
func (r *scenarioRun) takeVU() (VU, error) {
	vu, err := r.env.Pool.Get(r.starting)
	if err == nil {
		r.sc.Counters.ActiveVUs.Add(1)
	}
	return vu, err
}

func (r *scenarioRun) giveVU(vu VU) {
	r.sc.Counters.ActiveVUs.Add(-1)
	r.env.Pool.Put(vu)
}

// iterate runs the scenario's next iteration on vu and counts its end.
func (r *scenarioRun) iterate(ctx context.Context, vu VU) {
	if vu.Iterate(ctx, r.sc.NextIteration()) {
		r.sc.Counters.Completed.Add(1)
	} else {
		r.sc.Counters.Interrupted.Add(1)
	}
}

// loopVUs is the closed model: n goroutines, each holding a VU of its own
// and running iterations back to back while starting lasts and more(i)
// agrees, i being the goroutine's index in [0, n). The VUs are all taken
// before any goroutine starts, so that a VU one goroutine has finished
// with cannot pass to another: per-vu-iterations promises each VU its own
// count (its __ITER runs 0…iterations-1). If the pool has too few VUs
// (the plan sizes it so that it does not), the goroutines without one
// run nothing.
func (r *scenarioRun) loopVUs(n int64, more func(i int64) bool) {
	var vus []VU
	for range n {
		vu, err := r.takeVU()
		if err != nil {
			break
		}
		vus = append(vus, vu)
	}
	for i, vu := range vus {
		r.wg.Go(func() {
			defer r.giveVU(vu)
			for r.starting.Err() == nil && more(int64(i)) {
				r.iterate(r.iterating, vu)
			}
		})
	}
}

// arrive is the open model: it starts the n-th iteration at at(n) after
// the start, whatever the iterations before it are doing, until at
// reports the schedule over or starting ends. Late starts (a slow VU
// initialisation) catch up at once rather than shifting the schedule.
//
// When starting ends, the arrivals whose time had already come are
// counted as dropped: the loop falls behind the schedule when starting an
// iteration is slow (a VU initialised on the spot, a generator short of
// CPU), and an iteration that was due and never ran is one the target
// never got, whatever the reason.
func (r *scenarioRun) arrive(maxVUs int64, at func(n int64) (time.Duration, bool)) {
	for n := int64(0); ; n++ {
		t, ok := at(n)
		if !ok {
			return
		}
		if !Sleep(r.starting, r.env.Clock, t-r.elapsed()) {
			for now := r.elapsed(); ok && t <= now; t, ok = at(n) {
				r.sc.Counters.Dropped.Add(1)
				n++
			}
			return
		}
		r.startOne(maxVUs)
	}
}

// startOne runs one iteration on a VU of its own, or counts it dropped
// when the scenario holds maxVUs already or the pool has none to give.
func (r *scenarioRun) startOne(maxVUs int64) {
	// Only arrive's goroutine adds to ActiveVUs, so the count cannot grow
	// between this check and takeVU.
	if r.sc.Counters.ActiveVUs.Load() >= maxVUs {
		r.sc.Counters.Dropped.Add(1)
		return
	}
	vu, err := r.takeVU()
	if err != nil {
		r.sc.Counters.Dropped.Add(1)
		return
	}
	r.wg.Go(func() {
		defer r.giveVU(vu)
		r.iterate(r.iterating, vu)
	})
}

// FormatDuration renders d as k6 does in its banner: "30s", "1m0s", "1h2m3s".
func FormatDuration(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}
