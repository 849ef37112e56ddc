package js

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	modules map[string]goja.Value // instantiated built-in modules, by canonical name; nil before the first
	// The exported function the VU runs, and the others (nil until a
	// second one is run): most runs have one, and a map costs a VU about
	// 200 bytes.
	fn0Name string
	fn0     goja.Callable
	fns     map[string]goja.Callable

	// State that the modules read and write during an iteration.
	ctx       context.Context
	inInit    bool
	buf       *metrics.Buffer
	baseTags  *metrics.TagSet // run tags + scenario + the script's VU tags
	tags      *metrics.TagSet // baseTags + group
	groupPath string
	iter      int64
	scenario  *Scenario // of the current iteration
	iteration Iteration // the current iteration

	// The state of the first scenario the VU runs, inline, and of the
	// others (nil until needed), for the same reason as fn0.
	sc0        *Scenario
	st0        scenarioState
	inScenario map[*Scenario]*scenarioState
	setupData  goja.Value
	http       *httpClient
	baseEnv    *goja.Object      // __ENV without scenario additions
	globals    *vuGlobals        // __VU, __ITER, __ENV, console, open…
	extraTags  map[string]string // set by the script through exec.vu.metrics.tags

	requestTagCache map[requestTagKey]*metrics.TagSet
	derivedTags     map[derivedTagKey]*metrics.TagSet
	loop            *eventLoop // timers and async requests; nil until the script uses one (eventloop.go)
}

var errInterrupted = errors.New("iteration interrupted")

func (b *Bundle) newVU(ctx context.Context, id uint64) (*VU, error) {
	vu := &VU{
		id: id, b: b, rt: goja.New(), ctx: ctx, inInit: true,
		baseTags: b.cfg.Tags,
		tags:     b.scenarioTags(nil).root,
	}
	if b.cfg.Engine != nil {
		vu.buf = b.cfg.Engine.NewBuffer()
	}
	var err error
	if vu.http, err = b.newVUHTTPClient(); err != nil {
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
	vu.lazyGlobals() // setTimeout & co., made on first use (eventloop.go)
	// The VU's own globals, in front of the timers, on a dynamic object
	// too: setting a property on the global object, even one, makes goja
	// list all its built-in names (about 1 KB in every VU), and console
	// and open, which most VUs never read, are made on first use (a
	// function object, an object of functions: about 1 KB together).
	vu.globals = &vuGlobals{vu: vu, id: rt.ToValue(vu.id), iter: rt.ToValue(0), env: env}
	global := rt.GlobalObject()
	proto := rt.NewDynamicObject(vu.globals)
	if err := proto.SetPrototype(global.Prototype()); err != nil {
		return err
	}
	return global.SetPrototype(proto)
}

// vuGlobals holds the VU's globals, as timerGlobals holds the timers: on
// the global object's prototype chain, where free identifiers resolve.
// The script reads and assigns them as it would own properties of the
// global object (an assignment makes one, which hides this one).
type vuGlobals struct {
	vu            *VU
	id, iter, env goja.Value            // __VU, __ITER, __ENV
	made          map[string]goja.Value // console and open once made, and whatever is set here
}

var vuGlobalNames = []string{"__VU", "__ITER", "__ENV", "global", "console", "open"}

func (g *vuGlobals) Get(key string) goja.Value {
	if v, ok := g.made[key]; ok {
		return v
	}
	var v goja.Value
	switch key {
	case "__VU":
		return g.id
	case "__ITER":
		return g.iter
	case "__ENV":
		return g.env
	case "global":
		return g.vu.rt.GlobalObject()
	case "console":
		v = g.vu.rt.ToValue(newConsole(g.vu))
	case "open":
		v = g.vu.rt.ToValue(g.vu.open)
	default:
		return nil
	}
	g.Set(key, v)
	return v
}

// Set stores what is set on this object itself (rather than on the
// global object, which takes an assignment to a global).
func (g *vuGlobals) Set(key string, v goja.Value) bool {
	if g.made == nil {
		g.made = map[string]goja.Value{}
	}
	g.made[key] = v
	return true
}

func (g *vuGlobals) Has(key string) bool {
	_, ok := g.made[key]
	return ok || slices.Contains(vuGlobalNames, key)
}

func (g *vuGlobals) Delete(key string) bool {
	delete(g.made, key)
	return true
}

func (g *vuGlobals) Keys() []string { return vuGlobalNames }

// setGlobal updates __ITER or __ENV (*field) to v, and makes sure the
// script reads v: if it has assigned its own global of that name, an own
// property of the global object that hides vuGlobals', that property is
// set, as rt.Set did when these globals were own properties.
func (vu *VU) setGlobal(field *goja.Value, name string, v goja.Value) {
	*field = v
	if got := vu.rt.GlobalObject().Get(name); got == nil || !got.SameAs(v) {
		_ = vu.rt.Set(name, v)
	}
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
	if _, err := fn(goja.Undefined(), module, exports, rt.ToValue(vu.requireFunc)); err != nil {
		return exceptionError(err)
	}
	vu.exports = module.Get("exports").ToObject(rt)
	return nil
}

// stringArg is argument i as goja passes it to a Go function's string
// parameter: "" when it is missing, undefined or null.
func stringArg(c goja.FunctionCall, i int) string {
	v := c.Argument(i)
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return ""
	}
	return v.String()
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
	if vu.fn0 != nil && vu.fn0Name == exec {
		return vu.fn0, nil
	}
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
	switch {
	case vu.fn0 == nil:
		vu.fn0Name, vu.fn0 = exec, fn
	case vu.fns == nil:
		vu.fns = map[string]goja.Callable{exec: fn}
	default:
		vu.fns[exec] = fn
	}
	return fn, nil
}

// scenarioState is what a VU keeps per scenario it has run.
type scenarioState struct {
	tags       *metrics.TagSet // run tags + scenario tags + scenario name
	rootTags   *metrics.TagSet // tags + the root group (group="")
	env        *goja.Object    // __ENV with the scenario's additions
	iterations int64           // this VU's iterations in the scenario
}

func (vu *VU) state(sc *Scenario) *scenarioState {
	if vu.sc0 == sc {
		return &vu.st0
	}
	if st, ok := vu.inScenario[sc]; ok {
		return st
	}
	shared := vu.b.scenarioTags(sc)
	st := &scenarioState{tags: shared.tags, rootTags: shared.root, env: vu.baseEnv}
	if len(sc.Env) > 0 {
		st.env = newEnvObject(vu.rt, sc.Env, vu.b.cfg.Env)
	}
	switch {
	case vu.sc0 == nil:
		vu.sc0, vu.st0 = sc, *st
		return &vu.st0
	case vu.inScenario == nil:
		vu.inScenario = map[*Scenario]*scenarioState{}
	}
	vu.inScenario[sc] = st
	return st
}

func (vu *VU) startIteration(ctx context.Context, it Iteration) {
	st := vu.state(it.Scenario)
	if vu.scenario != it.Scenario {
		vu.setGlobal(&vu.globals.env, "__ENV", st.env)
	}
	vu.ctx, vu.scenario, vu.iteration = ctx, it.Scenario, it
	vu.baseTags, vu.groupPath = st.tags, ""
	vu.applyTags()
	// As in k6, __ITER counts this VU's iterations in the scenario.
	vu.setGlobal(&vu.globals.iter, "__ITER", vu.rt.ToValue(st.iterations))
	vu.http.startIteration()
}

// applyTags recomputes the tags of the VU's samples: the scenario's, the
// script's own (exec.vu.metrics.tags) and the current group.
func (vu *VU) applyTags() {
	tags := vu.baseTags
	if vu.scenario != nil {
		st := vu.state(vu.scenario)
		tags = st.tags
		if len(vu.extraTags) == 0 && vu.groupPath == "" {
			// The common case: tags shared by all VUs of the scenario.
			vu.baseTags, vu.tags = tags, st.rootTags
			return
		}
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
