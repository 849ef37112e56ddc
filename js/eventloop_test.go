package js

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

func TestTimersRunInOrderAndTheIterationWaitsForThem(t *testing.T) {
	expectAllPass(t, `
import { check } from 'k6';
import { setTimeout as st, clearTimeout as ct } from 'k6/timers';
export default function () {
  const log = [];
  setTimeout(() => log.push('b'), 20);
  setTimeout(() => log.push('a'), 0);
  setTimeout((x, y) => log.push(x + y), 20, 'c', 'd'); // same time as b: after it
  const gone = setTimeout(() => log.push('cleared'), 5);
  clearTimeout(gone);
  clearTimeout(12345); // unknown ids are ignored
  st(() => log.push('module'), 1);
  const g = ct(st(() => log.push('module cleared'), 1));
  Promise.resolve().then(() => log.push('micro'));
  log.push('sync');
  let n = 0;
  const iv = setInterval(() => {
    log.push('i' + n);
    if (++n < 3) return;
    clearInterval(iv);
    // Due after every other timer: it sees them all, in order.
    setTimeout(() => check(log, {
      'order': (l) => l[0] === 'sync' && l[1] === 'micro' && l.indexOf('a') < l.indexOf('b') && l.indexOf('b') < l.indexOf('cd'),
      'interval ran 3 times': (l) => l.filter((x) => x[0] === 'i').join() === 'i0,i1,i2',
      'cleared never ran': (l) => !l.includes('cleared') && !l.includes('module cleared') && l.includes('module'),
    }), 25);
  }, 2);
}`, 3)
}

func TestAsyncFunctionsAwaitTimersAndAsyncRequests(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, "", `
import http from 'k6/http';
import { check, sleep } from 'k6';
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export default async function () {
  const before = Date.now();
  await wait(10);
  check(Date.now() - before, { 'awaited a timer': (d) => d >= 9 });
  const res = await http.asyncRequest('GET', __ENV.BASE + '/proto');
  check(res, { 'asyncRequest resolves with the response': (r) => r.status === 200 && r.body === 'HTTP/1.1' });
  const all = await Promise.all([1, 2, 3].map((i) => http.asyncRequest('POST', __ENV.BASE + '/upload', { n: String(i), f: http.file('x') })));
  check(all, { 'side by side': (a) => a.map((r) => r.json('n')).join() === '1,2,3' });
  const failed = await http.asyncRequest('GET', 'http://127.0.0.1:1/');
  check(failed, { 'network errors resolve too': (r) => r.status === 0 && r.error_code === 1212 });
  http.asyncRequest('GET', __ENV.BASE + '/late').then((r) => check(r, { 'not awaited, still finished': (r) => r.body === 'ok /late' }));
}`)
	vu := h.vu(1)
	h.iterate(vu, 2)
	s := h.snapshot()
	if len(s.Errors) != 1 || s.Errors[0] != (metrics.Count{Key: "connection refused", N: 2}) {
		t.Errorf("errors block %+v, want the 2 refused connections", s.Errors)
	}
	s.Errors = nil
	allChecksPassed(t, h, s, 5)
	if reqs := sinkOf[*metrics.CounterSink](t, s, "http_reqs"); reqs.Sum != 12 {
		t.Errorf("http_reqs = %v, want 12", reqs.Sum)
	}
	if it := sinkOf[*metrics.CounterSink](t, s, "iterations"); it.Sum != 2 {
		t.Errorf("iterations = %v, want 2", it.Sum)
	}
	if vu.loop.inflight != 0 || len(vu.loop.active) != 0 {
		t.Errorf("the loop kept %d callbacks and %d timers after the iteration", vu.loop.inflight, len(vu.loop.active))
	}
}

func TestEventLoopErrors(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"timer callback throws", `export default function () { setTimeout(() => { throw new Error('boom in timer'); }, 1); }`, "boom in timer"},
		{"rejected after await", `export default async function () { await new Promise((r) => setTimeout(r, 1)); throw new Error('late boom'); }`, "late boom"},
		{"not a function", `export default function () { setTimeout('code', 1); }`, "setTimeout: the first argument must be a function"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, c.src, nil)
			vu := h.vu(1)
			h.iterate(vu, 2)
			s := h.snapshot()
			h.bundle.cfg.Log.Close()
			if len(s.Errors) != 1 || s.Errors[0].N != 2 || !strings.Contains(h.log.String(), c.want) {
				t.Errorf("errors %+v, log %q; want 2 script exceptions mentioning %q", s.Errors, h.log.String(), c.want)
			}
		})
	}
}

// TestInterruptStopsTheLoop: a context that ends while the loop waits for
// a timer an hour away, or for a request, ends the iteration at once as
// interrupted, and the VU's next iteration is not disturbed by what the
// interrupted one left behind.
func TestInterruptStopsTheLoop(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, "", `
import http from 'k6/http';
import { check } from 'k6';
export default async function () {
  if (__ITER === 0) {
    setTimeout(() => {}, 3600 * 1000);
    http.asyncRequest('GET', __ENV.BASE + '/slow').then(() => check(1, { 'never': () => false }));
    return;
  }
  const r = await http.asyncRequest('GET', __ENV.BASE + '/proto');
  check(r, { 'next iteration': (r) => r.status === 200 });
}`)
	vu := h.vu(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- vu.Iterate(ctx, testIteration) }()
	for srv.inflight.Load() == 0 && srv.served("HTTP/1.1") == 0 { // the request reached /slow
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case completed := <-done:
		if completed {
			t.Error("the interrupted iteration reported completion")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the event loop did not stop when the context ended")
	}
	h.iterate(vu, 1)
	s := h.snapshot()
	allChecksPassed(t, h, s, 1)
	if it := sinkOf[*metrics.CounterSink](t, s, "iterations"); it.Sum != 1 {
		t.Errorf("iterations = %v, want 1 (the interrupted one does not count)", it.Sum)
	}
}

// TestSynchronousScriptsHaveNoEventLoop: the loop is made only for
// scripts that use timers or async requests, so the others pay nothing.
func TestSynchronousScriptsHaveNoEventLoop(t *testing.T) {
	srv := newFeatureServer(t, false)
	h := featureHarness(t, srv, "", `
import http from 'k6/http';
export default async function () { await Promise.resolve(1); http.get(__ENV.BASE); }`)
	vu := h.vu(1)
	h.iterate(vu, 3)
	h.snapshot()
	if vu.loop != nil {
		t.Error("a script without timers or async requests got an event loop")
	}
}

func TestTimersInSetupAndInit(t *testing.T) {
	h := newHarness(t, `
let initTimerRan = false;
setTimeout(() => { initTimerRan = true; }, 1);
export function setup() {
  return new Promise((resolve) => setTimeout(() => resolve({ fromTimer: initTimerRan }), 5));
}
export default function () {}`, nil)
	h.engine.Start()
	h.started = true
	out, _, err := h.bundle.RunLifecycle(context.Background(), "setup", nil)
	if err != nil || string(out) != `{"fromTimer":true}` {
		t.Errorf("setup() = %s, %v; want the timer's value", out, err)
	}
}

// TestInterruptedAsyncVUIsReusable: an async function interrupted while
// it runs (here in a busy loop, before and after an await) leaves goja's
// VM unbalanced; the VU must still run its next iterations' awaits.
func TestInterruptedAsyncVUIsReusable(t *testing.T) {
	for _, where := range []string{"before", "after"} {
		t.Run(where+" an await", func(t *testing.T) {
			h := newHarness(t, `
import { check } from 'k6';
export default async function () {
  if (__ITER === 0) {
    if (__ENV.WHERE === 'after') await null;
    for (;;) {} // until interrupted
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
  await null;
  check(__ITER, { 'awaits resume after an interrupted iteration': () => true });
}`, map[string]string{"WHERE": where})
			vu := h.vu(1)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			if vu.Iterate(ctx, testIteration) {
				t.Fatal("the busy iteration completed")
			}
			h.iterate(vu, 2)
			allChecksPassed(t, h, h.snapshot(), 1)
			if !resetInterruptedVM(vu.rt) {
				t.Error("goja's VM layout changed: resetInterruptedVM cannot repair it")
			}
		})
	}
}

// TestTimerGlobalsBehaveAsGlobals: the timers are made lazily on a
// prototype of the global object, and must still look like globals.
func TestTimerGlobalsBehaveAsGlobals(t *testing.T) {
	expectAllPass(t, `
import { check } from 'k6';
export default function () {
  check(null, {
    'typeof': () => typeof setTimeout === 'function' && typeof clearInterval === 'function',
    'on globalThis': () => 'setInterval' in globalThis && globalThis.setTimeout === setTimeout,
    'same function each time': () => setTimeout === setTimeout,
    'global object is still an Object': () => globalThis instanceof Object && typeof globalThis.hasOwnProperty === 'function',
    'replaceable': () => {
      const orig = setTimeout;
      let called = 0;
      globalThis.setTimeout = () => { called++; return 0; };
      setTimeout(() => {}, 1);
      globalThis.setTimeout = orig;
      return called === 1 && setTimeout === orig;
    },
    'unknown globals still throw': () => { try { notDefinedAnywhere; return false; } catch (e) { return e instanceof ReferenceError; } },
  });
}`, 6)
}

// TestSetupTimeoutWhileWaitingOnATimer: a setup() that waits on the event
// loop past its deadline is a timeout, as one that runs JS past it.
func TestSetupTimeoutWhileWaitingOnATimer(t *testing.T) {
	h := newHarness(t, `
export async function setup() { await new Promise((resolve) => setTimeout(resolve, 3600 * 1000)); }
export default function () {}`, nil)
	h.engine.Start()
	h.started = true
	ctx, cancel := contextWithTimeoutMS(50)
	defer cancel()
	if _, _, err := h.bundle.RunLifecycle(ctx, "setup", nil); !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want ErrTimeout", err)
	}
}
