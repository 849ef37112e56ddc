package runtime

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// arrivalVUs are the VU counts of an arrival-rate executor, read from
// its preAllocatedVUs (required) and maxVUs (defaulting to it).
type arrivalVUs struct {
	pre, max int64
	preSet   bool
}

func newArrivalVUs(pre, maxVUs *int64) arrivalVUs {
	a := arrivalVUs{preSet: pre != nil}
	if pre != nil {
		a.pre = *pre
	}
	a.max = a.pre
	if maxVUs != nil {
		a.max = *maxVUs
	}
	return a
}

// scale is seg's share of the VUs. A segment may get none; its starts
// are then counted as dropped, as k6 does, so give an arrival-rate
// scenario at least as many VUs as there are segments.
func (a arrivalVUs) scale(seg *Segment) arrivalVUs {
	a.pre, a.max = seg.Scale(a.pre), seg.Scale(a.max)
	return a
}

func (a arrivalVUs) check(p *problems) {
	p.check(a.preSet, "preAllocatedVUs is required")
	p.check(a.pre >= 0, "preAllocatedVUs must not be negative, got %d", a.pre)
	p.check(a.max >= a.pre, "maxVUs (%d) must be at least preAllocatedVUs (%d)", a.max, a.pre)
	p.check(!a.preSet || a.max >= 1, "maxVUs must be at least 1, got %d", a.max)
}

// describe is the banner's VU range, "maxVUs: 20-100", or "maxVUs: 20"
// when no VU is added during the run.
func (a arrivalVUs) describe() string {
	if a.max > a.pre {
		return fmt.Sprintf("maxVUs: %d-%d", a.pre, a.max)
	}
	return fmt.Sprintf("maxVUs: %d", a.pre)
}

// perSecond converts a rate per unit to a rate per second.
func perSecond(rate int64, unit time.Duration) float64 {
	return float64(rate) * float64(time.Second) / float64(unit)
}

// ConstantArrivalRateConfig configures constant-arrival-rate: Rate
// iterations start per TimeUnit for Duration, whatever the iterations
// before them are doing, each on a VU of its own.
type ConstantArrivalRateConfig struct {
	BaseConfig
	Rate     int64    `json:"rate"`
	TimeUnit Duration `json:"timeUnit"`
	Duration Duration `json:"duration"`
	// PreAllocatedVUs is required; MaxVUs defaults to it.
	PreAllocatedVUs *int64 `json:"preAllocatedVUs"`
	MaxVUs          *int64 `json:"maxVUs"`
}

// NewConstantArrivalRateConfig returns k6's defaults: timeUnit 1s; rate,
// duration and preAllocatedVUs are required.
func NewConstantArrivalRateConfig(name string) *ConstantArrivalRateConfig {
	return &ConstantArrivalRateConfig{BaseConfig: newBase(name, ConstantArrivalRate), TimeUnit: Duration(time.Second)}
}

// Validate implements ScenarioConfig.
func (c *ConstantArrivalRateConfig) Validate() error {
	p := c.problems()
	p.check(c.Rate > 0, "rate must be positive, got %d", c.Rate)
	p.check(c.TimeUnit > 0, "timeUnit must be positive, got %s", fmtDur(c.TimeUnit))
	p.atLeastOneSecond("duration", c.Duration)
	c.vus().check(p)
	return p.err()
}

// startAt is when the n-th iteration starts; see constantArrival.
func (c *ConstantArrivalRateConfig) startAt(n int64) (time.Duration, bool) {
	return constantArrival(c.Rate, time.Duration(c.TimeUnit), time.Duration(c.Duration), n)
}

func (c *ConstantArrivalRateConfig) vus() arrivalVUs {
	return newArrivalVUs(c.PreAllocatedVUs, c.MaxVUs)
}

func (c *ConstantArrivalRateConfig) newExecutor(sc *Scenario, seg *Segment) Executor {
	return &constantArrivalRate{executorBase{sc}, *c, c.vus().scale(seg), seg}
}

type constantArrivalRate struct {
	executorBase
	cfg ConstantArrivalRateConfig
	vus arrivalVUs // this instance's share
	seg *Segment
}

func (e *constantArrivalRate) PreAllocatedVUs() int64 { return e.vus.pre }
func (e *constantArrivalRate) MaxVUs() int64          { return e.vus.max }

func (e *constantArrivalRate) MaxRunTime() time.Duration {
	return time.Duration(e.cfg.Duration) + e.sc.GracefulStop
}

func (e *constantArrivalRate) Description() string {
	return fmt.Sprintf("%.2f iterations/s for %s%s", perSecond(e.cfg.Rate, time.Duration(e.cfg.TimeUnit))*e.seg.Share(),
		fmtDur(e.cfg.Duration), e.cfg.describe(e.vus.describe()))
}

// Progress is the share of the duration elapsed.
func (e *constantArrivalRate) Progress(elapsed time.Duration) float64 {
	return timeProgress(elapsed, time.Duration(e.cfg.Duration))
}

// Run implements Executor.
func (e *constantArrivalRate) Run(ctx context.Context, env Env) {
	r := beginRun(ctx, env, e.sc, time.Duration(e.cfg.Duration))
	r.arrive(e.vus.max, segmentStarts(e.seg, e.cfg.startAt))
	r.wait()
}

// segmentStarts is seg's part of a whole schedule of starts: its n-th
// start is the whole's start of the n-th index it owns, so the segments
// together start exactly the whole's iterations at the whole's times.
func segmentStarts(seg *Segment, startAt func(n int64) (time.Duration, bool)) func(n int64) (time.Duration, bool) {
	return func(n int64) (time.Duration, bool) { return startAt(seg.Global(n)) }
}

// RampingArrivalRateConfig configures ramping-arrival-rate: the rate of
// starts, in iterations per TimeUnit, moves linearly from StartRate
// through the targets of Stages.
type RampingArrivalRateConfig struct {
	BaseConfig
	StartRate int64    `json:"startRate"`
	TimeUnit  Duration `json:"timeUnit"`
	Stages    []Stage  `json:"stages"`
	// PreAllocatedVUs is required; MaxVUs defaults to it.
	PreAllocatedVUs *int64 `json:"preAllocatedVUs"`
	MaxVUs          *int64 `json:"maxVUs"`
}

// NewRampingArrivalRateConfig returns k6's defaults: startRate 0,
// timeUnit 1s; stages and preAllocatedVUs are required.
func NewRampingArrivalRateConfig(name string) *RampingArrivalRateConfig {
	return &RampingArrivalRateConfig{BaseConfig: newBase(name, RampingArrivalRate), TimeUnit: Duration(time.Second)}
}

// Validate implements ScenarioConfig.
func (c *RampingArrivalRateConfig) Validate() error {
	p := c.problems()
	p.check(c.StartRate >= 0, "startRate must not be negative, got %d", c.StartRate)
	p.check(c.TimeUnit > 0, "timeUnit must be positive, got %s", fmtDur(c.TimeUnit))
	p.stages(c.Stages)
	p.check(c.maxRate() > 0, "startRate or a stage's target must be above 0")
	c.vus().check(p)
	return p.err()
}

// startAt is when the n-th iteration starts; see rampingArrival.
func (c *RampingArrivalRateConfig) startAt(n int64) (time.Duration, bool) {
	return rampingArrival(c.StartRate, time.Duration(c.TimeUnit), c.Stages, n)
}

func (c *RampingArrivalRateConfig) maxRate() int64 {
	r := c.StartRate
	for _, st := range c.Stages {
		r = max(r, st.Target)
	}
	return r
}

func (c *RampingArrivalRateConfig) vus() arrivalVUs {
	return newArrivalVUs(c.PreAllocatedVUs, c.MaxVUs)
}

func (c *RampingArrivalRateConfig) newExecutor(sc *Scenario, seg *Segment) Executor {
	cfg := *c
	cfg.Stages = slices.Clone(c.Stages)
	return &rampingArrivalRate{executorBase{sc}, cfg, c.vus().scale(seg), seg}
}

type rampingArrivalRate struct {
	executorBase
	cfg RampingArrivalRateConfig
	vus arrivalVUs // this instance's share
	seg *Segment
}

func (e *rampingArrivalRate) PreAllocatedVUs() int64 { return e.vus.pre }
func (e *rampingArrivalRate) MaxVUs() int64          { return e.vus.max }

func (e *rampingArrivalRate) MaxRunTime() time.Duration {
	return stagesDuration(e.cfg.Stages) + e.sc.GracefulStop
}

func (e *rampingArrivalRate) Description() string {
	return fmt.Sprintf("Up to %.2f iterations/s for %s over %d stages%s",
		perSecond(e.cfg.maxRate(), time.Duration(e.cfg.TimeUnit))*e.seg.Share(), FormatDuration(stagesDuration(e.cfg.Stages)),
		len(e.cfg.Stages), e.cfg.describe(e.vus.describe()))
}

// Progress is the share of the stages' length elapsed.
func (e *rampingArrivalRate) Progress(elapsed time.Duration) float64 {
	return timeProgress(elapsed, stagesDuration(e.cfg.Stages))
}

// Run implements Executor.
func (e *rampingArrivalRate) Run(ctx context.Context, env Env) {
	r := beginRun(ctx, env, e.sc, stagesDuration(e.cfg.Stages))
	r.arrive(e.vus.max, segmentStarts(e.seg, e.cfg.startAt))
	r.wait()
}
