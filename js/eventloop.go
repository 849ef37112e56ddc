package js

import (
	"container/heap"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// A VU's event loop, as k6 has one: it runs timer callbacks and settles
// the promises of asynchronous work (http.asyncRequest) on the VU's own
// goroutine, the only one that may touch the runtime. An iteration ends
// when its function has returned, its promise (for an async function) is
// no longer pending on anything, and no timer or request is outstanding.
//
// The loop is made the first time a script uses a timer or an
// asynchronous request. A VU whose script never does has none, and its
// iterations pay one nil check for it: no goroutine, channel or allocation.
type eventLoop struct {
	mu    sync.Mutex
	queue []func() error // callbacks sent from other goroutines
	epoch uint64         // callbacks registered in an older epoch are dropped
	wake  chan struct{}  // signalled (without blocking) when queue grows

	// Used by the VU's goroutine only.
	inflight int              // registered callbacks not yet run
	active   map[int64]*timer // timers neither cleared nor done
	pending  timerHeap        // by due time; may hold cleared timers
	nextID   int64            // the last timer id given
	seq      uint64           // orders timers due at the same instant
	clock    *time.Timer      // wakes the loop for the next due timer
	spare    []func() error   // the queue's other buffer
}

func (vu *VU) eventLoop() *eventLoop {
	if vu.loop == nil {
		vu.loop = &eventLoop{wake: make(chan struct{}, 1), active: map[int64]*timer{}}
	}
	return vu.loop
}

// register announces a callback that another goroutine will hand over
// later; the iteration does not end before it has run. The returned
// function hands it over (once); after the iteration was interrupted it
// drops it instead.
func (l *eventLoop) register() func(func() error) {
	l.inflight++
	l.mu.Lock()
	epoch := l.epoch
	l.mu.Unlock()
	return func(cb func() error) {
		l.mu.Lock()
		if l.epoch != epoch {
			l.mu.Unlock()
			return
		}
		l.queue = append(l.queue, cb)
		l.mu.Unlock()
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// finish ends an iteration's asynchronous part: after the function
// returned res (or failed with err), it runs the loop until nothing is
// outstanding, a callback throws, the function's promise is rejected, or
// ctx ends. A failed or interrupted iteration drops what is outstanding.
func (l *eventLoop) finish(ctx context.Context, res goja.Value, err error) error {
	if err != nil {
		l.reset()
		return err
	}
	if err := l.run(ctx, func() error { return rejection(res) }); err != nil {
		l.reset()
		return err
	}
	return nil
}

// settledValue is the value of a fulfilled promise, or v itself when it
// is not a promise (nor a pending or rejected one).
func settledValue(v goja.Value) goja.Value {
	if v == nil {
		return v
	}
	if p, ok := v.Export().(*goja.Promise); ok && p.State() == goja.PromiseStateFulfilled {
		return p.Result()
	}
	return v
}

func (l *eventLoop) run(ctx context.Context, settled func() error) error {
	for {
		if err := l.runQueued(); err != nil {
			return err
		}
		if err := l.runDueTimers(); err != nil {
			return err
		}
		if err := settled(); err != nil {
			return err // as k6: an unhandled rejection ends the iteration
		}
		if l.inflight == 0 && len(l.active) == 0 {
			return nil
		}
		if !l.wait(ctx) {
			return errInterrupted
		}
	}
}

// runQueued runs the callbacks other goroutines have handed over.
func (l *eventLoop) runQueued() error {
	l.mu.Lock()
	batch := l.queue
	l.queue = l.spare[:0]
	l.mu.Unlock()
	defer func() {
		clear(batch) // let the callbacks be collected
		l.spare = batch[:0]
	}()
	for _, cb := range batch {
		l.inflight--
		if err := cb(); err != nil {
			return err // finish resets the loop
		}
	}
	return nil
}

// wait blocks until a callback is handed over, the next timer is due, or
// ctx ends (false).
func (l *eventLoop) wait(ctx context.Context) bool {
	var due <-chan time.Time
	if t := l.pending.next(l.active); t != nil {
		d := t.when.Sub(time.Now())
		if d <= 0 {
			return true
		}
		if l.clock == nil {
			l.clock = time.NewTimer(d)
		} else {
			l.clock.Reset(d)
		}
		due = l.clock.C
		defer l.clock.Stop()
	}
	select {
	case <-l.wake:
	case <-due:
	case <-ctx.Done():
		return false
	}
	return true
}

// reset drops everything outstanding: timers, and callbacks still to come
// from requests in flight (their goroutines finish on their own, their
// requests cancelled with the iteration's context).
func (l *eventLoop) reset() {
	l.mu.Lock()
	l.epoch++
	clear(l.queue)
	l.queue = l.queue[:0]
	l.mu.Unlock()
	select {
	case <-l.wake:
	default:
	}
	l.inflight = 0
	clear(l.active)
	l.pending = l.pending[:0]
}

// timer is one setTimeout or setInterval.
type timer struct {
	id       int64
	when     time.Time
	seq      uint64
	every    time.Duration // setInterval's period; 0 for setTimeout
	fn       goja.Callable
	args     []goja.Value
	interval bool
}

// timerHeap orders timers by due time, then by creation.
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

// next is the earliest timer still active, dropping cleared ones.
func (h *timerHeap) next(active map[int64]*timer) *timer {
	for h.Len() > 0 {
		t := (*h)[0]
		if active[t.id] == t {
			return t
		}
		heap.Pop(h)
	}
	return nil
}

// runDueTimers calls the timers that are due, in order. A timer set by a
// callback for "now" waits for the next turn, so a zero-delay interval
// cannot starve the rest of the loop.
func (l *eventLoop) runDueTimers() error {
	now := time.Now()
	for {
		t := l.pending.next(l.active)
		if t == nil || t.when.After(now) {
			return nil
		}
		heap.Pop(&l.pending)
		if t.interval {
			l.schedule(t, now.Add(t.every))
		} else {
			delete(l.active, t.id)
		}
		if _, err := t.fn(goja.Undefined(), t.args...); err != nil {
			return err
		}
	}
}

func (l *eventLoop) schedule(t *timer, when time.Time) {
	l.seq++
	t.when, t.seq = when, l.seq
	heap.Push(&l.pending, t)
}

// timerFunctions are setTimeout, setInterval, clearTimeout and
// clearInterval, for the globals and k6/timers.
func (vu *VU) timerFunctions() map[string]any {
	return map[string]any{
		"setTimeout":    func(c goja.FunctionCall) goja.Value { return vu.setTimer(c, false) },
		"setInterval":   func(c goja.FunctionCall) goja.Value { return vu.setTimer(c, true) },
		"clearTimeout":  vu.clearTimer,
		"clearInterval": vu.clearTimer,
	}
}

func timersModule(vu *VU) map[string]any { return vu.timerFunctions() }

// lazyGlobals makes the timer functions globals without making them for
// every VU: a goja function costs about a kilobyte, and most scripts never
// use timers. They live on a dynamic object inserted between the global
// object and Object.prototype, which makes each function on its first
// lookup; free identifiers resolve through the global object's prototype
// chain, so `setTimeout(…)` finds them.
func (vu *VU) lazyGlobals() {
	global := vu.rt.GlobalObject()
	proto := vu.rt.NewDynamicObject(&timerGlobals{vu: vu})
	proto.SetPrototype(global.Prototype())
	global.SetPrototype(proto)
}

var timerNames = []string{"setTimeout", "setInterval", "clearTimeout", "clearInterval"}

type timerGlobals struct {
	vu   *VU
	made map[string]goja.Value // made or set so far
}

func (g *timerGlobals) Get(key string) goja.Value {
	if v, ok := g.made[key]; ok {
		return v
	}
	f, ok := g.vu.timerFunctions()[key]
	if !ok {
		return nil
	}
	v := g.vu.rt.ToValue(f)
	g.Set(key, v)
	return v
}

// Set lets a script replace a timer global (a polyfill, a spy).
func (g *timerGlobals) Set(key string, v goja.Value) bool {
	if g.made == nil {
		g.made = map[string]goja.Value{}
	}
	g.made[key] = v
	return true
}

func (g *timerGlobals) Has(key string) bool {
	_, ok := g.made[key]
	return ok || slices.Contains(timerNames, key)
}

func (g *timerGlobals) Delete(key string) bool {
	delete(g.made, key)
	return true
}

func (g *timerGlobals) Keys() []string { return timerNames }

// maxTimerDelay (ms) keeps a huge delay from overflowing time.Duration
// into the past: about a hundred years is "never" for a load test.
const maxTimerDelay = float64(100 * 365 * 24 * time.Hour / time.Millisecond)

func (vu *VU) setTimer(c goja.FunctionCall, interval bool) goja.Value {
	name := "setTimeout"
	if interval {
		name = "setInterval"
	}
	fn, ok := goja.AssertFunction(c.Argument(0))
	if !ok {
		panic(vu.rt.NewTypeError("%s: the first argument must be a function", name))
	}
	delay := time.Duration(0)
	if ms := c.Argument(1).ToFloat(); ms > 0 { // NaN and negative delays are 0, as in browsers
		delay = time.Duration(min(ms, maxTimerDelay) * float64(time.Millisecond))
	}
	l := vu.eventLoop()
	l.nextID++
	t := &timer{id: l.nextID, fn: fn, every: delay, interval: interval}
	if len(c.Arguments) > 2 {
		t.args = append([]goja.Value(nil), c.Arguments[2:]...)
	}
	l.active[t.id] = t
	l.schedule(t, time.Now().Add(delay))
	return vu.rt.ToValue(t.id)
}

// clearTimer is clearTimeout and clearInterval: as in browsers, either
// clears a timer of either kind; an unknown id is ignored.
func (vu *VU) clearTimer(c goja.FunctionCall) goja.Value {
	if vu.loop != nil {
		delete(vu.loop.active, c.Argument(0).ToInteger())
	}
	return goja.Undefined()
}
