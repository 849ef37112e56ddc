package js

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dop251/goja"

	"github.com/throng-dev/throng/metrics"
)

// VU is one virtual user: a goja runtime that has run the script's init
// context, and the state its modules share. It is driven by one goroutine
// at a time.
type VU struct {
	id      uint64
	b       *Bundle
	rt      *goja.Runtime
	exports *goja.Object
	modules map[string]goja.Value // instantiated built-in modules, by canonical name
	fns     map[string]goja.Callable

	// State that the modules read and write during an iteration.
	ctx        context.Context
	inInit     bool
	buf        *metrics.Buffer
	baseTags   *metrics.TagSet // run tags + scenario + the script's VU tags
	tags       *metrics.TagSet // baseTags + group
	groupPath  string
	iter       int64
	scenario   *Scenario // of the current iteration
	iteration  Iteration // the current iteration
	inScenario map[*Scenario]*scenarioState
	setupData  goja.Value
	http       *httpClient
	baseEnv    *goja.Object      // __ENV without scenario additions
	extraTags  map[string]string // set by the script through exec.vu.metrics.tags

	requestTagCache map[requestTagKey]*metrics.TagSet
	derivedTags     map[derivedTagKey]*metrics.TagSet
	loop            *eventLoop // timers and async requests; nil until the script uses one (eventloop.go)
}

var errInterrupted = errors.New("iteration interrupted")

func (b *Bundle) newVU(ctx context.Context, id uint64) (*VU, error) {
	vu := &VU{
		id: id, b: b, rt: goja.New(), ctx: ctx, inInit: true,
		modules: map[string]goja.Value{}, fns: map[string]goja.Callable{},
		inScenario: map[*Scenario]*scenarioState{},
		baseTags:   b.cfg.Tags,
	}
	vu.tags = vu.withTag(vu.baseTags, "group", "")
	if b.cfg.Engine != nil {
		vu.buf = b.cfg.Engine.NewBuffer()
	}
	var err error
	if vu.http, err = b.newHTTPClient(); err != nil {
		return nil, err
	}
	if err := vu.setGlobals(); err != nil {
		return nil, err
	}
	if err := vu.runInit(); err != nil {
		return nil, err
	}
	if vu.loop != nil { // the init context set timers
		if err := vu.loop.finish(ctx, nil, nil); err != nil {
			return nil, exceptionError(err)
		}
	}
	vu.inInit = false
	return vu, nil
}

func (vu *VU) setGlobals() error {
	rt := vu.rt
	env := newEnvObject(rt, vu.b.cfg.Env)
	vu.baseEnv = env
	for name, v := range map[string]any{
		"__VU": vu.id, "__ITER": 0, "__ENV": env,
		"console": newConsole(vu), "open": vu.open,
		"global": rt.GlobalObject(),
	} {
		if err := rt.Set(name, v); err != nil {
			return err
		}
	}
	vu.lazyGlobals() // setTimeout & co., made on first use (eventloop.go)
	return nil
}

// runInit runs the program: the script's top-level code, the init context.
func (vu *VU) runInit() error {
	rt := vu.rt
	wrapper, err := rt.RunProgram(vu.b.program)
	if err != nil {
		return exceptionError(err)
	}
	fn, ok := goja.AssertFunction(wrapper)
	if !ok {
		return fmt.Errorf("internal error: compiled script is not a function")
	}
	module := rt.NewObject()
	exports := rt.NewObject()
	_ = module.Set("exports", exports)
	if _, err := fn(goja.Undefined(), module, exports, rt.ToValue(vu.require)); err != nil {
		return exceptionError(err)
	}
	vu.exports = module.Get("exports").ToObject(rt)
	return nil
}

// open reads a file in the init context, as k6's open(): as a string, or as
// an ArrayBuffer when mode is "b".
func (vu *VU) open(name string, mode string) (goja.Value, error) {
	if !vu.inInit {
		return nil, fmt.Errorf("open() can only be called in the init context (top-level code)")
	}
	data, err := vu.b.readFile(name)
	if err != nil {
		return nil, err
	}
	if mode == "b" {
		return vu.rt.ToValue(vu.rt.NewArrayBuffer(append([]byte(nil), data...))), nil
	}
	return vu.rt.ToValue(string(data)), nil
}

// Iterate runs one iteration of it.Scenario's exported function. It
// reports false when ctx interrupted it.
func (vu *VU) Iterate(ctx context.Context, it Iteration) bool {
	fn, err := vu.function(it.Scenario.Exec)
	if err != nil {
		vu.b.cfg.Log.Exception(err)
		return true
	}
	vu.startIteration(ctx, it)
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		vu.rt.Interrupt(errInterrupted)
		close(interrupted)
	})
	start := time.Now()
	var res goja.Value
	res, err = fn(goja.Undefined(), vu.setupArg())
	if vu.loop != nil { // only for scripts that have used timers or async requests
		err = vu.loop.finish(ctx, res, err)
	}
	if err == nil {
		err = rejection(res)
	}
	vu.iter++
	vu.state(it.Scenario).iterations++
	stopped := stop()
	if !stopped {
		<-interrupted
	}
	var ie *goja.InterruptedError
	if !stopped || ctx.Err() != nil || errors.As(err, &ie) {
		// The context ended while the iteration ran, or the script aborted
		// the test: whatever it did last (a sleep cut short, a request
		// cancelled), it did not finish. (ctx.Err is checked too: a
		// context's Done closes a moment before its AfterFuncs are started,
		// so a sleep can see the end before stop() can.)
		vu.rt.ClearInterrupt()
		resetInterruptedVM(vu.rt) // see goja_interrupt.go
		vu.endIteration(start, false)
		return false
	}
	if err != nil {
		vu.exception(err)
	}
	vu.endIteration(start, true)
	return true
}

func (vu *VU) function(exec string) (goja.Callable, error) {
	if fn, ok := vu.fns[exec]; ok {
		return fn, nil
	}
	v := vu.exports.Get(exec)
	fn, ok := goja.AssertFunction(v)
	if !ok {
		if exec == "default" {
			return nil, fmt.Errorf("%s: the script exports no default function to run", vu.b.path)
		}
		return nil, fmt.Errorf("%s: the script exports no function %q", vu.b.path, exec)
	}
	vu.fns[exec] = fn
	return fn, nil
}

// scenarioState is what a VU keeps per scenario it has run.
type scenarioState struct {
	tags       *metrics.TagSet // run tags + scenario tags + scenario name
	env        *goja.Object    // __ENV with the scenario's additions
	iterations int64           // this VU's iterations in the scenario
}

func (vu *VU) state(sc *Scenario) *scenarioState {
	st, ok := vu.inScenario[sc]
	if !ok {
		st = &scenarioState{tags: vu.b.cfg.Tags.WithAll(sc.Tags).With("scenario", sc.Name), env: vu.baseEnv}
		if len(sc.Env) > 0 {
			st.env = newEnvObject(vu.rt, sc.Env, vu.b.cfg.Env)
		}
		vu.inScenario[sc] = st
	}
	return st
}

func (vu *VU) startIteration(ctx context.Context, it Iteration) {
	st := vu.state(it.Scenario)
	if vu.scenario != it.Scenario {
		_ = vu.rt.Set("__ENV", st.env)
	}
	vu.ctx, vu.scenario, vu.iteration = ctx, it.Scenario, it
	vu.baseTags, vu.groupPath = st.tags, ""
	vu.applyTags()
	// As in k6, __ITER counts this VU's iterations in the scenario.
	_ = vu.rt.Set("__ITER", st.iterations)
	vu.http.startIteration()
}

// applyTags recomputes the tags of the VU's samples: the scenario's, the
// script's own (exec.vu.metrics.tags) and the current group.
func (vu *VU) applyTags() {
	tags := vu.baseTags
	if vu.scenario != nil {
		tags = vu.state(vu.scenario).tags
	}
	for k, v := range vu.extraTags {
		tags = vu.withTag(tags, k, v)
	}
	vu.baseTags = tags
	vu.tags = vu.withTag(tags, "group", vu.groupPath)
}

func (vu *VU) endIteration(start time.Time, completed bool) {
	now := time.Now()
	t := now.UnixNano()
	sent, received := vu.http.takeIO()
	if sent > 0 {
		vu.emit(metrics.Sample{Metric: vu.b.cfg.Builtins.DataSent, Tags: vu.tags, Time: t, Value: float64(sent)})
	}
	if received > 0 {
		vu.emit(metrics.Sample{Metric: vu.b.cfg.Builtins.DataReceived, Tags: vu.tags, Time: t, Value: float64(received)})
	}
	if completed {
		vu.emit(metrics.Sample{Metric: vu.b.cfg.Builtins.IterationDuration, Tags: vu.tags, Time: t, Value: msSince(start, now)})
		vu.emit(metrics.Sample{Metric: vu.b.cfg.Builtins.Iterations, Tags: vu.tags, Time: t, Value: 1})
	}
	vu.buf.Flush()
}

// exception records an exception that ended an iteration: counted in the
// summary's errors block and logged (the logger limits the rate).
func (vu *VU) exception(err error) {
	err = exceptionError(err)
	vu.b.cfg.Log.Exception(err)
	if vu.b.cfg.Engine != nil {
		vu.b.cfg.Engine.CountError("script exception")
	}
}

func (vu *VU) emit(s metrics.Sample) {
	if vu.buf != nil {
		vu.buf.Add(s)
	}
}

func msSince(start, end time.Time) float64 {
	return float64(end.Sub(start)) / float64(time.Millisecond)
}

// throw raises a JS Error with the message in the VU's runtime.
func (vu *VU) throw(format string, args ...any) {
	panic(vu.jsError(fmt.Sprintf(format, args...)))
}

func (vu *VU) jsError(msg string) goja.Value {
	ctor, _ := goja.AssertConstructor(vu.rt.Get("Error"))
	obj, err := ctor(nil, vu.rt.ToValue(msg))
	if err != nil {
		return vu.rt.NewGoError(errors.New(msg))
	}
	return obj
}

func (vu *VU) mustNotBeInit(what string) {
	if vu.inInit {
		vu.throw("%s cannot be called in the init context (top-level code)", what)
	}
}

// rejection is the error of an async function whose promise was rejected
// by the time it returned (its microtasks have run then): an exception
// thrown after an await must count as the iteration's exception, not
// vanish with the promise.
func rejection(v goja.Value) error {
	if v == nil {
		return nil
	}
	p, ok := v.Export().(*goja.Promise)
	if !ok || p.State() != goja.PromiseStateRejected {
		return nil
	}
	reason := p.Result()
	if obj, ok := reason.(*goja.Object); ok {
		if stack := obj.Get("stack"); stack != nil && !goja.IsUndefined(stack) {
			return fmt.Errorf("Uncaught (in promise) %s", stack.String())
		}
	}
	return fmt.Errorf("Uncaught (in promise) %s", reason.String())
}
