package runtime

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing/synctest"
	"time"
)

// fakeClock is a Clock whose time moves only when the test advances it.
// It must be used inside a synctest bubble: before each timer fires, and
// after the last, it waits until every goroutine of the bubble is blocked,
// so that the code under test has registered the timers it will register
// at the current instant. Timers fire in the order of their instants, and
// of their registration for equal instants, each in its own goroutine, as
// time.AfterFunc does.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int64
	timers []*fakeTimer
}

type fakeTimer struct {
	at  time.Time
	seq int64
	f   func()
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_000_000, 0)} }

// Now implements Clock.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc implements Clock. A timer of d ≤ 0 fires at once.
func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	if d <= 0 {
		go f()
		return func() bool { return false }
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{at: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return func() bool { return c.stop(t) }
}

func (c *fakeClock) stop(t *fakeTimer) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	return true
}

// Advance moves the time d forward, firing the timers due on the way.
func (c *fakeClock) Advance(d time.Duration) {
	end := c.Now().Add(d)
	for c.fireNext(end) {
	}
	c.mu.Lock()
	c.now = end
	c.mu.Unlock()
	synctest.Wait()
}

// fireNext fires the earliest timer due by end, moving the time to it; it
// reports false when there is none.
func (c *fakeClock) fireNext(end time.Time) bool {
	synctest.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return false
	}
	t := slices.MinFunc(c.timers, func(a, b *fakeTimer) int {
		if a.at.Equal(b.at) {
			return int(a.seq - b.seq)
		}
		return a.at.Compare(b.at)
	})
	if t.at.After(end) {
		return false
	}
	c.timers = slices.DeleteFunc(c.timers, func(x *fakeTimer) bool { return x == t })
	c.now = t.at
	go t.f()
	return true
}

// RunUntil fires the timers one after the other until done is closed, and
// returns the time that took. It panics (through synctest) if nothing is
// left that could close done.
func (c *fakeClock) RunUntil(done <-chan struct{}) time.Duration {
	start := c.Now()
	for {
		synctest.Wait()
		select {
		case <-done:
			return c.Now().Sub(start)
		default:
		}
		if !c.fireNext(c.Now().Add(1000 * time.Hour)) {
			panic("fakeClock: nothing left to fire and the run is not done")
		}
	}
}

// testVU is an in-memory VU. An iteration lasts work on the test's clock
// (0: it completes at once), or, if stuck, until its context ends. It
// counts its iterations and records their numbers and start instants.
type testVU struct {
	vuSpec
	clock Clock

	iters   atomic.Int64
	mu      sync.Mutex
	numbers []int64
	starts  []time.Time
}

func (v *testVU) Iterate(ctx context.Context, it Iteration) bool {
	v.iters.Add(1)
	v.mu.Lock()
	v.numbers = append(v.numbers, it.Number)
	v.starts = append(v.starts, v.clock.Now())
	v.mu.Unlock()
	if v.stuck {
		<-ctx.Done()
		return false
	}
	return Sleep(ctx, v.clock, v.work)
}

// vuSpec is how a testVU behaves.
type vuSpec struct {
	work  time.Duration
	stuck bool
}

// testFactory makes testVUs to spec, and keeps them all.
type testFactory struct {
	clock Clock
	spec  vuSpec
	mu    sync.Mutex
	vus   []*testVU
	// initTime is how long making a VU takes on the clock, once set (the
	// pre-allocated ones of testEnv are made at once).
	initTime time.Duration
}

func (f *testFactory) NewVU(ctx context.Context, _ uint64) (VU, error) {
	f.mu.Lock()
	init := f.initTime
	f.mu.Unlock()
	if init > 0 && !Sleep(ctx, f.clock, init) {
		return nil, ctx.Err()
	}
	v := &testVU{vuSpec: f.spec, clock: f.clock}
	f.mu.Lock()
	f.vus = append(f.vus, v)
	f.mu.Unlock()
	return v, nil
}

// all returns the VUs made so far.
func (f *testFactory) all() []*testVU {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.vus)
}

// total is the number of iterations all the VUs ran.
func (f *testFactory) total() int64 {
	var n int64
	for _, v := range f.all() {
		n += v.iters.Load()
	}
	return n
}

// testEnv returns an Env on a fake clock whose pool holds pre VUs and may
// grow to limit, all behaving as spec says.
func testEnv(clock *fakeClock, pre, limit int64, spec vuSpec) (Env, *testFactory) {
	f := &testFactory{clock: clock, spec: spec}
	vus := make([]VU, pre)
	for i := range vus {
		vus[i], _ = f.NewVU(context.Background(), uint64(i+1))
	}
	return Env{Pool: NewPool(f, vus, limit), Clock: clock}, f
}

// start runs ex in its own goroutine; the channel is closed when Run returns.
func start(ctx context.Context, ex Executor, env Env) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		ex.Run(ctx, env)
	}()
	return done
}
