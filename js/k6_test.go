package js

import (
	"strings"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

func TestCheckGroupAndTree(t *testing.T) {
	h := newHarness(t, `
import { check, group } from 'k6';
export default function () {
  check(1, { 'one is one': (v) => v === 1, 'one is two': (v) => v === 2 });
  group('outer', () => {
    check(null, { 'plain true': true });
    group('inner', () => { check(0, { 'falsy': (v) => v }); });
  });
}`, nil)
	h.iterate(h.vu(1), 3)
	s := h.snapshot()
	checks := sinkOf[*metrics.RateSink](t, s, "checks")
	if checks.Total != 12 || checks.Trues != 6 {
		t.Fatalf("checks = %d/%d, want 6/12", checks.Trues, checks.Total)
	}
	root := s.Root
	if len(root.Checks) != 2 || root.Checks[0].Name != "one is one" || root.Checks[0].Passes != 3 || root.Checks[1].Fails != 3 {
		t.Fatalf("root checks wrong: %+v %+v", root.Checks[0], root.Checks[1])
	}
	outer := root.Groups[0]
	if outer.Name != "outer" || outer.Checks[0].Passes != 3 {
		t.Fatalf("outer group wrong: %+v", outer)
	}
	inner := outer.Groups[0]
	if inner.Path != "::outer::inner" || inner.Checks[0].Fails != 3 {
		t.Fatalf("inner group wrong: %+v", inner)
	}
	gd := sinkOf[*metrics.TrendSink](t, s, "group_duration")
	if gd.Count() != 6 {
		t.Fatalf("group_duration count = %d, want 6", gd.Count())
	}
	if it := sinkOf[*metrics.CounterSink](t, s, "iterations"); it.Sum != 3 {
		t.Fatalf("iterations = %v, want 3", it.Sum)
	}
}

func TestCheckReturnValueAndTags(t *testing.T) {
	h := newHarness(t, `
import { check } from 'throng';
import { Counter } from 'throng/metrics';
const results = new Counter('results');
export default function () {
  const all = check(1, { a: true, b: false }, { kind: 'x' });
  results.add(all ? 1 : 0, { outcome: String(all) });
}`, nil)
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	if c := sinkOf[*metrics.CounterSink](t, s, "results"); c.Sum != 0 {
		t.Fatalf("check returned true with a failing condition")
	}
}

func TestSleepIsInterruptible(t *testing.T) {
	h := newHarness(t, `
import { sleep } from 'k6';
export default function () { sleep(30); }`, nil)
	vu := h.vu(1)
	ctx, cancel := contextWithTimeoutMS(50)
	defer cancel()
	if vu.Iterate(ctx, testIteration) {
		t.Fatal("a sleep cut short by the context should be an interrupted iteration")
	}
}

func TestFailEndsIterationAndIsCounted(t *testing.T) {
	h := newHarness(t, `
import { fail } from 'k6';
import { Counter } from 'k6/metrics';
const after = new Counter('after_fail');
export default function () { fail('boom'); after.add(1); }`, nil)
	h.iterate(h.vu(1), 2)
	s := h.snapshot()
	if _, ok := s.Metric("after_fail"); ok {
		t.Fatal("code after fail() ran")
	}
	if len(s.Errors) != 1 || s.Errors[0].Key != "script exception" || s.Errors[0].N != 2 {
		t.Fatalf("errors = %+v, want 2 script exceptions", s.Errors)
	}
	if !strings.Contains(h.log.String(), "script.js:5:") || !strings.Contains(h.log.String(), "Error: boom") {
		t.Fatalf("log does not locate the failure: %q", h.log.String())
	}
}

// An exception after an await rejects the async default function's
// promise; it must be counted and logged like any other, not vanish.
func TestAsyncExceptionIsCounted(t *testing.T) {
	h := newHarness(t, `
export default async function () {
  await Promise.resolve(1);
  throw new Error('boom after await');
}`, nil)
	h.iterate(h.vu(1), 3)
	s := h.snapshot()
	if len(s.Errors) != 1 || s.Errors[0].Key != "script exception" || s.Errors[0].N != 3 {
		t.Fatalf("errors = %+v, want 3 script exceptions", s.Errors)
	}
	if !strings.Contains(h.log.String(), "Uncaught (in promise) Error: boom after await") {
		t.Fatalf("log does not report the rejection: %q", h.log.String())
	}
}

func TestCheckInInitIsAnError(t *testing.T) {
	p := writeScript(t, map[string]string{"s.js": `import { check } from 'k6';
check(1, { a: true });
export default function () {}`}, "s.js")
	b, err := Load(p, Config{Builtins: metrics.RegisterBuiltins(metrics.NewRegistry()), Log: NewLogger(&strings.Builder{})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Options()
	if err == nil || !strings.Contains(err.Error(), "init context") || !strings.Contains(err.Error(), "s.js:2:") {
		t.Fatalf("err = %v, want an init-context error at s.js:2", err)
	}
}

func TestExceptionLogIsRateLimited(t *testing.T) {
	h := newHarness(t, `export default function () { throw new Error('always'); }`, nil)
	h.iterate(h.vu(1), 500)
	h.bundle.cfg.Log.Close()
	s := h.snapshot()
	if lines := strings.Count(h.log.String(), "\n"); lines > exceptionRepeats+1 {
		t.Errorf("%d log lines for 500 identical exceptions:\n%s", lines, h.log.String())
	}
	if !strings.Contains(h.log.String(), "497 more iteration errors") {
		t.Errorf("the held-back count is missing: %q", h.log.String())
	}
	if s.Errors[0].N != 500 {
		t.Errorf("counted %d exceptions, want 500", s.Errors[0].N)
	}
	if it := sinkOf[*metrics.CounterSink](t, s, "iterations"); it.Sum != 500 {
		t.Errorf("an iteration ended by an exception still completes: iterations = %v", it.Sum)
	}
}

// A custom metric's add() takes tags as an object, or none; anything
// else is a located error, not a sample with the tags quietly dropped.
func TestCustomMetricAddTags(t *testing.T) {
	h := newHarness(t, `
import { Trend } from 'k6/metrics';
const latency = new Trend('latency', true);
export default function () {
  latency.add(1);
  latency.add(2, { kind: 'a' });
  latency.add(3, null);
  latency.add(4, 'kind=a');
}`, nil)
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	if tr := sinkOf[*metrics.TrendSink](t, s, "latency"); tr.Count() != 3 {
		t.Errorf("%d samples, want the 3 before the bad tags", tr.Count())
	}
	if log := h.log.String(); !strings.Contains(log, "latency.add(): the tags must be an object, not kind=a") || !strings.Contains(log, "script.js:8:") {
		t.Errorf("log does not locate the bad tags: %q", log)
	}
}
