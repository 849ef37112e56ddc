package js

import (
	"context"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

func TestExecutionModuleAndScenarioEnvTags(t *testing.T) {
	h := newHarness(t, `
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
const seen = new Counter('seen');
export function api() {
  if (exec.scenario.name !== 'api' || exec.scenario.executor !== 'constant-vus') throw new Error('scenario ' + exec.scenario.name);
  if (exec.scenario.progress !== 0.5 || exec.scenario.startTime !== 1700000000000) throw new Error('progress/startTime');
  if (exec.vu.idInTest !== 3 || exec.vu.iterationInScenario !== __ITER) throw new Error('vu ids');
  if (__ENV.ONLY_API !== 'yes' || __ENV.BASE !== 'b') throw new Error('env');
  if (exec.instance.vusActive !== 7 || exec.instance.iterationsCompleted !== 42) throw new Error('instance');
  if (exec.test.options.vus !== 3 || !Object.isFrozen(exec.test.options)) throw new Error('options');
  exec.vu.metrics.tags.tenant = 'acme';
  seen.add(exec.scenario.iterationInInstance);
}
export function other() {
  if (__ENV.ONLY_API !== undefined) throw new Error('scenario env leaked');
  seen.add(1000);
}`, map[string]string{"BASE": "b"})
	h.bundle.cfg.Instance = func() Instance { return Instance{VUsActive: 7, IterationsCompleted: 42} }
	h.bundle.SetOptions([]byte(`{"vus":3}`))
	var tags []*metrics.TagSet
	h.engine.AddConsumer(func(batch []metrics.Sample) {
		for _, s := range batch {
			if s.Metric.Name == "seen" {
				tags = append(tags, s.Tags)
			}
		}
	})
	api := &Scenario{Name: "api", Executor: "constant-vus", Exec: "api", Env: map[string]string{"ONLY_API": "yes"},
		Tags: map[string]string{"team": "core"}, Progress: func() float64 { return 0.5 },
		StartTime: func() time.Time { return time.UnixMilli(1700000000000) }}
	other := &Scenario{Name: "other", Executor: "shared-iterations", Exec: "other"}
	vu := h.vu(3)
	for i := range 3 {
		vu.Iterate(context.Background(), Iteration{Scenario: api, Number: int64(10 + i)})
		vu.Iterate(context.Background(), Iteration{Scenario: other})
	}
	s := h.snapshot()
	if h.log.Len() > 0 {
		t.Fatalf("script errors: %s", h.log.String())
	}
	if c := sinkOf[*metrics.CounterSink](t, s, "seen"); c.Sum != 10+11+12+3000 {
		t.Errorf("seen = %v", c.Sum)
	}
	first := tags[0]
	if v, _ := first.Get("team"); v != "core" {
		t.Errorf("scenario tags missing: %s", first)
	}
	if v, _ := first.Get("scenario"); v != "api" {
		t.Errorf("scenario tag: %s", first)
	}
	if v, ok := tags[2].Get("tenant"); !ok || v != "acme" {
		t.Errorf("exec.vu.metrics.tags did not reach later samples: %s", tags[2])
	}
}

func TestEnvIsWritablePerVU(t *testing.T) {
	h := newHarness(t, `
import { Counter } from 'k6/metrics';
const ok = new Counter('ok');
export default function () {
  if (__ENV.FROM_RUN !== 'r') throw new Error('run env');
  if (__VU === 1) { __ENV.MINE = 'x'; delete __ENV.FROM_RUN; }
  else if (__ENV.MINE !== undefined || __ENV.FROM_RUN !== 'r') throw new Error('a VU saw another VU\'s writes');
  if (__VU === 1 && (__ENV.MINE !== 'x' || 'FROM_RUN' in __ENV || Object.keys(__ENV).includes('FROM_RUN'))) throw new Error('own writes');
  ok.add(1);
}`, map[string]string{"FROM_RUN": "r"})
	vu1, vu2 := h.vu(1), h.vu(2)
	vu2.Iterate(context.Background(), testIteration) // before vu1 writes
	vu1.Iterate(context.Background(), testIteration)
	h.log.Reset()
	vu2.Iterate(context.Background(), testIteration)
	s := h.snapshot()
	if h.log.Len() > 0 {
		t.Fatal(h.log.String())
	}
	if c := sinkOf[*metrics.CounterSink](t, s, "ok"); c.Sum != 3 {
		t.Errorf("ok = %v", c.Sum)
	}
}
