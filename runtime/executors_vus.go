package runtime

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ConstantVUsConfig configures constant-vus: VUs loop for Duration.
type ConstantVUsConfig struct {
	BaseConfig
	VUs      int64    `json:"vus"`
	Duration Duration `json:"duration"`
}

// NewConstantVUsConfig returns k6's defaults: 1 VU, and no duration (it
// is required).
func NewConstantVUsConfig(name string) *ConstantVUsConfig {
	return &ConstantVUsConfig{BaseConfig: newBase(name, ConstantVUs), VUs: 1}
}

// Validate implements ScenarioConfig.
func (c *ConstantVUsConfig) Validate() error {
	p := c.problems()
	p.check(c.VUs >= 1, "vus must be at least 1, got %d", c.VUs)
	p.atLeastOneSecond("duration", c.Duration)
	return p.err()
}

func (c *ConstantVUsConfig) newExecutor(sc *Scenario, seg *Segment) Executor {
	return &constantVUs{executorBase{sc}, *c, seg.Scale(c.VUs)}
}

type constantVUs struct {
	executorBase
	cfg ConstantVUsConfig
	vus int64 // this instance's share of cfg.VUs
}

func (e *constantVUs) PreAllocatedVUs() int64 { return e.vus }
func (e *constantVUs) MaxVUs() int64          { return e.vus }

func (e *constantVUs) MaxRunTime() time.Duration {
	return time.Duration(e.cfg.Duration) + e.sc.GracefulStop
}

func (e *constantVUs) Description() string {
	return fmt.Sprintf("%d looping VUs for %s%s", e.vus, fmtDur(e.cfg.Duration), e.cfg.describe())
}

// Progress is the share of the duration elapsed.
func (e *constantVUs) Progress(elapsed time.Duration) float64 {
	return timeProgress(elapsed, time.Duration(e.cfg.Duration))
}

// Run implements Executor.
func (e *constantVUs) Run(ctx context.Context, env Env) {
	r := beginRun(ctx, env, e.sc, time.Duration(e.cfg.Duration))
	r.loopVUs(e.vus, func(int64) bool { return true })
	r.wait()
}

// RampingVUsConfig configures ramping-vus: the number of looping VUs
// moves linearly from StartVUs through the targets of Stages. VUs that a
// ramp-down removes finish their iteration, interrupted after
// GracefulRampDown.
type RampingVUsConfig struct {
	BaseConfig
	StartVUs         int64    `json:"startVUs"`
	Stages           []Stage  `json:"stages"`
	GracefulRampDown Duration `json:"gracefulRampDown"`
}

// NewRampingVUsConfig returns k6's defaults: 1 start VU, no stages (they
// are required), gracefulRampDown 30s.
func NewRampingVUsConfig(name string) *RampingVUsConfig {
	return &RampingVUsConfig{BaseConfig: newBase(name, RampingVUs), StartVUs: 1, GracefulRampDown: Duration(30 * time.Second)}
}

// Validate implements ScenarioConfig.
func (c *RampingVUsConfig) Validate() error {
	p := c.problems()
	p.check(c.StartVUs >= 0, "startVUs must not be negative, got %d", c.StartVUs)
	p.check(c.GracefulRampDown >= 0, "gracefulRampDown must not be negative, got %s", fmtDur(c.GracefulRampDown))
	p.notTooLong("gracefulRampDown", c.GracefulRampDown)
	p.stages(c.Stages)
	p.check(c.maxVUs() > 0, "startVUs or a stage's target must be above 0")
	return p.err()
}

func (c *RampingVUsConfig) maxVUs() int64 {
	n := c.StartVUs
	for _, st := range c.Stages {
		n = max(n, st.Target)
	}
	return n
}

// vusAt is how many VUs loop at elapsed; see the function vusAt.
func (c *RampingVUsConfig) vusAt(elapsed time.Duration) int64 {
	return vusAt(c.StartVUs, c.Stages, elapsed)
}

func (c *RampingVUsConfig) newExecutor(sc *Scenario, seg *Segment) Executor {
	cfg := *c
	cfg.Stages = slices.Clone(c.Stages)
	return &rampingVUs{executorBase{sc}, cfg, seg}
}

// rampingVUs runs seg's share of the whole ramp: at every instant, its
// part of the whole's VU count, so that the segments' counts add up to
// the whole's at every step, which ramping each segment's own scaled
// stages would not.
type rampingVUs struct {
	executorBase
	cfg RampingVUsConfig
	seg *Segment
}

func (e *rampingVUs) maxVUs() int64 { return e.seg.Scale(e.cfg.maxVUs()) }

func (e *rampingVUs) PreAllocatedVUs() int64 { return e.maxVUs() }
func (e *rampingVUs) MaxVUs() int64          { return e.maxVUs() }

func (e *rampingVUs) MaxRunTime() time.Duration {
	return stagesDuration(e.cfg.Stages) + e.sc.GracefulStop
}

func (e *rampingVUs) Description() string {
	return fmt.Sprintf("Up to %d looping VUs for %s over %d stages%s", e.maxVUs(),
		FormatDuration(stagesDuration(e.cfg.Stages)), len(e.cfg.Stages),
		e.cfg.describe("gracefulRampDown: "+fmtDur(e.cfg.GracefulRampDown)))
}

// Progress is the share of the stages' length elapsed.
func (e *rampingVUs) Progress(elapsed time.Duration) float64 {
	return timeProgress(elapsed, stagesDuration(e.cfg.Stages))
}

// Run implements Executor: it sets the number of wanted VUs at each step
// of the ramps and lets the slots follow.
func (e *rampingVUs) Run(ctx context.Context, env Env) {
	r := beginRun(ctx, env, e.sc, stagesDuration(e.cfg.Stages))
	s := &vuSlots{r: r, grace: time.Duration(e.cfg.GracefulRampDown), slots: make([]*vuSlot, e.maxVUs())}
	for t := time.Duration(0); ; {
		s.set(e.seg.Scale(e.cfg.vusAt(t)))
		next, ok := vusChangeAfter(e.cfg.StartVUs, e.cfg.Stages, t)
		if !ok || !Sleep(r.starting, env.Clock, next-r.elapsed()) {
			break
		}
		t = next
	}
	r.wait()
}

// vuSlots are the VU positions of a ramping-vus run. Slot i is wanted
// while i < want; a goroutine serves a slot with a VU of its own. When a
// ramp-down unwants a slot, its goroutine finishes its iteration and
// leaves, and the iteration is interrupted if it lasts more than grace; a
// ramp back up before it left keeps it.
type vuSlots struct {
	r     *scenarioRun
	grace time.Duration

	mu    sync.Mutex
	want  int64
	slots []*vuSlot // nil where no goroutine serves the slot
}

// vuSlot is one goroutine's tenure of a slot.
type vuSlot struct {
	ctx       context.Context // its iterations; cancelled once grace has passed
	cancel    context.CancelFunc
	stopGrace func() bool   // the pending interruption after a ramp-down, or nil
	done      chan struct{} // closed once the goroutine has given its VU back
}

// set changes the number of wanted slots to n. Only Run calls it.
func (s *vuSlots) set(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := n; i < s.want; i++ {
		if sl := s.slots[i]; sl != nil && sl.stopGrace == nil {
			sl.stopGrace = s.r.env.Clock.AfterFunc(s.grace, sl.cancel)
		}
	}
	for i := s.want; i < n; i++ {
		s.rampUp(i)
	}
	s.want = n
}

// rampUp wants slot i again: its goroutine stays if its interruption was
// still pending; otherwise a new one takes over once the old has left.
func (s *vuSlots) rampUp(i int64) {
	old := s.slots[i]
	if old != nil && (old.stopGrace == nil || old.stopGrace()) {
		old.stopGrace = nil
		return
	}
	ctx, cancel := context.WithCancel(s.r.iterating)
	sl := &vuSlot{ctx: ctx, cancel: cancel, done: make(chan struct{})}
	s.slots[i] = sl
	s.r.wg.Go(func() { s.serve(i, sl, old) })
}

// serve runs iterations in slot i while it is wanted.
func (s *vuSlots) serve(i int64, sl, old *vuSlot) {
	defer close(sl.done)
	defer sl.cancel()
	if old != nil {
		<-old.done // the pool holds one VU per slot
	}
	vu, err := s.r.takeVU()
	if err != nil {
		s.stay(i, sl, false)
		return
	}
	defer s.r.giveVU(vu)
	for s.stay(i, sl, true) {
		s.r.iterate(sl.ctx, vu)
	}
}

// stay reports whether sl may start another iteration in slot i; when it
// may not (or can not, !able), sl leaves the slot.
func (s *vuSlots) stay(i int64, sl *vuSlot, able bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if able && s.slots[i] == sl && i < s.want && sl.ctx.Err() == nil && s.r.starting.Err() == nil {
		return true
	}
	if s.slots[i] == sl {
		s.slots[i] = nil
		if sl.stopGrace != nil {
			sl.stopGrace()
		}
	}
	return false
}
