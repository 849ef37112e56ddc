package runtime

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// fromJSON builds the executors of a scenarios object.
func fromJSON(t *testing.T, scenarios string) ([]Executor, error) {
	t.Helper()
	return ScenariosFromOptions(Options{Scenarios: json.RawMessage(scenarios)})
}

// one builds the single executor of a scenarios object, failing on error.
func one(t *testing.T, scenario string) Executor {
	t.Helper()
	execs, err := fromJSON(t, `{"x": `+scenario+`}`)
	if err != nil || len(execs) != 1 {
		t.Fatalf("%s: %v", scenario, err)
	}
	return execs[0]
}

func TestExecutorDefaults(t *testing.T) {
	for _, c := range []struct {
		json, description string
		pre, max          int64
		maxRunTime        time.Duration
	}{
		{`{"executor": "shared-iterations"}`,
			"1 iterations shared among 1 VUs (maxDuration: 10m0s, gracefulStop: 30s)", 1, 1, 10*time.Minute + 30*time.Second},
		{`{"executor": "per-vu-iterations"}`,
			"1 iterations for each of 1 VUs (maxDuration: 10m0s, gracefulStop: 30s)", 1, 1, 10*time.Minute + 30*time.Second},
		{`{"executor": "constant-vus", "duration": "1m"}`, "1 looping VUs for 1m0s (gracefulStop: 30s)", 1, 1, 90 * time.Second},
		{`{"executor": "ramping-vus", "stages": [{"duration": "1m", "target": 5}]}`,
			"Up to 5 looping VUs for 1m0s over 1 stages (gracefulRampDown: 30s, gracefulStop: 30s)", 5, 5, 90 * time.Second},
		{`{"executor": "constant-arrival-rate", "rate": 10, "duration": "1m", "preAllocatedVUs": 20}`,
			"10.00 iterations/s for 1m0s (maxVUs: 20, gracefulStop: 30s)", 20, 20, 90 * time.Second},
		{`{"executor": "ramping-arrival-rate", "stages": [{"duration": "2m", "target": 50}], "preAllocatedVUs": 10}`,
			"Up to 50.00 iterations/s for 2m0s over 1 stages (maxVUs: 10, gracefulStop: 30s)", 10, 10, 150 * time.Second},
	} {
		ex := one(t, c.json)
		sc := ex.Scenario()
		if got := ex.Description(); got != c.description {
			t.Errorf("%s:\n got %q\nwant %q", c.json, got, c.description)
		}
		if ex.PreAllocatedVUs() != c.pre || ex.MaxVUs() != c.max || ex.MaxRunTime() != c.maxRunTime {
			t.Errorf("%s: VUs %d-%d, max run time %s; want %d-%d, %s", c.json, ex.PreAllocatedVUs(), ex.MaxVUs(), ex.MaxRunTime(), c.pre, c.max, c.maxRunTime)
		}
		if sc.Name != "x" || sc.Exec != "default" || sc.StartTime != 0 || sc.GracefulStop != 30*time.Second || !strings.Contains(c.json, sc.Executor) {
			t.Errorf("%s: scenario %+v", c.json, sc)
		}
	}
	rvu := NewRampingVUsConfig("r")
	if rvu.StartVUs != 1 || rvu.GracefulRampDown != Duration(30*time.Second) {
		t.Errorf("ramping-vus defaults: %+v", rvu)
	}
	rar := NewRampingArrivalRateConfig("r")
	if rar.StartRate != 0 || rar.TimeUnit != Duration(time.Second) {
		t.Errorf("ramping-arrival-rate defaults: %+v", rar)
	}
}

func TestDescriptions(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"executor": "constant-vus", "vus": 50, "duration": "1m"}`,
			"50 looping VUs for 1m0s (gracefulStop: 30s)"},
		{`{"executor": "shared-iterations", "vus": 5, "iterations": 10}`,
			"10 iterations shared among 5 VUs (maxDuration: 10m0s, gracefulStop: 30s)"},
		{`{"executor": "per-vu-iterations", "vus": 5, "iterations": 10, "maxDuration": "1m"}`,
			"10 iterations for each of 5 VUs (maxDuration: 1m0s, gracefulStop: 30s)"},
		{`{"executor": "ramping-vus", "stages": [{"duration": "1m", "target": 100}, {"duration": "1m", "target": 100}, {"duration": "1m", "target": 0}]}`,
			"Up to 100 looping VUs for 3m0s over 3 stages (gracefulRampDown: 30s, gracefulStop: 30s)"},
		{`{"executor": "constant-arrival-rate", "rate": 10, "duration": "1m", "preAllocatedVUs": 20, "maxVUs": 100}`,
			"10.00 iterations/s for 1m0s (maxVUs: 20-100, gracefulStop: 30s)"},
		{`{"executor": "constant-arrival-rate", "rate": 3, "timeUnit": "2s", "duration": "1m", "preAllocatedVUs": 1}`,
			"1.50 iterations/s for 1m0s (maxVUs: 1, gracefulStop: 30s)"},
		{`{"executor": "ramping-arrival-rate", "preAllocatedVUs": 10, "maxVUs": 50, "stages": [{"duration": "1m", "target": 50}, {"duration": "1m", "target": 0}]}`,
			"Up to 50.00 iterations/s for 2m0s over 2 stages (maxVUs: 10-50, gracefulStop: 30s)"},
		{`{"executor": "constant-vus", "duration": "10s", "exec": "api", "startTime": "30s", "gracefulStop": "5s"}`,
			"1 looping VUs for 10s (exec: api, startTime: 30s, gracefulStop: 5s)"},
		{`{"executor": "per-vu-iterations", "gracefulStop": 0}`,
			"1 iterations for each of 1 VUs (maxDuration: 10m0s)"},
	} {
		if got := one(t, c.json).Description(); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.json, got, c.want)
		}
	}
}

func TestScenarioFieldsAndOrder(t *testing.T) {
	execs, err := fromJSON(t, `{
		"b": {"executor": "constant-vus", "duration": "10s", "startTime": "30s"},
		"c": {"executor": "constant-vus", "duration": "10s", "startTime": "30s", "exec": "api",
		      "env": {"A": "1"}, "tags": {"kind": "api"}, "gracefulStop": 1500, "options": {"browser": {"type": "chromium"}}},
		"a": {"executor": "constant-vus", "duration": "10s", "startTime": "1m"},
		"z": {"executor": "constant-vus", "duration": "10s", "startTime": null}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ex := range execs {
		names = append(names, ex.Scenario().Name)
	}
	if strings.Join(names, ",") != "z,b,c,a" {
		t.Errorf("order %v, want by startTime then name: z,b,c,a", names)
	}
	c := execs[2].Scenario()
	if c.Exec != "api" || c.Env["A"] != "1" || c.Tags["kind"] != "api" || c.GracefulStop != 1500*time.Millisecond || c.StartTime != 30*time.Second {
		t.Errorf("scenario c: %+v", c)
	}
}

func TestValidationErrors(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"executor": "shared-iterations", "vus": 0}`,
			`scenario "x": vus must be at least 1, got 0`},
		{`{"executor": "shared-iterations", "vus": 5, "iterations": 2}`,
			`scenario "x": iterations (2) must be at least vus (5)`},
		{`{"executor": "shared-iterations", "maxDuration": "500ms"}`,
			`scenario "x": maxDuration must be at least 1s, got 500ms`},
		{`{"executor": "per-vu-iterations", "vus": -1}`,
			`scenario "x": vus must be at least 1, got -1`},
		{`{"executor": "per-vu-iterations", "iterations": 0}`,
			`scenario "x": iterations must be at least 1, got 0`},
		{`{"executor": "per-vu-iterations", "maxDuration": 0}`,
			`scenario "x": maxDuration is required (at least 1s)`},
		{`{"executor": "constant-vus"}`,
			`scenario "x": duration is required (at least 1s)`},
		{`{"executor": "constant-vus", "duration": "1m", "vus": 0}`,
			`scenario "x": vus must be at least 1, got 0`},
		{`{"executor": "ramping-vus"}`,
			`scenario "x": stages must hold at least one stage`},
		{`{"executor": "ramping-vus", "startVUs": -1, "stages": [{"duration": "1s", "target": 1}]}`,
			`scenario "x": startVUs must not be negative, got -1`},
		{`{"executor": "ramping-vus", "stages": [{"duration": "1s", "target": -3}]}`,
			`scenario "x": stages[0].target must not be negative, got -3`},
		{`{"executor": "ramping-vus", "stages": [{"duration": "1s", "target": 1}, {"duration": "-1s", "target": 1}]}`,
			`scenario "x": stages[1].duration must not be negative, got -1s`},
		{`{"executor": "ramping-vus", "stages": [{"duration": 0, "target": 1}]}`,
			`scenario "x": stages must last longer than 0s`},
		{`{"executor": "ramping-vus", "startVUs": 0, "stages": [{"duration": "1s", "target": 0}]}`,
			`scenario "x": startVUs or a stage's target must be above 0`},
		{`{"executor": "ramping-vus", "gracefulRampDown": "-1s", "stages": [{"duration": "1s", "target": 1}]}`,
			`scenario "x": gracefulRampDown must not be negative, got -1s`},
		{`{"executor": "constant-arrival-rate", "duration": "1m", "preAllocatedVUs": 1}`,
			`scenario "x": rate must be positive, got 0`},
		{`{"executor": "constant-arrival-rate", "rate": 1, "timeUnit": 0, "duration": "1m", "preAllocatedVUs": 1}`,
			`scenario "x": timeUnit must be positive, got 0s`},
		{`{"executor": "constant-arrival-rate", "rate": 1, "preAllocatedVUs": 1}`,
			`scenario "x": duration is required (at least 1s)`},
		{`{"executor": "constant-arrival-rate", "rate": 1, "duration": "1m"}`,
			`scenario "x": preAllocatedVUs is required`},
		{`{"executor": "constant-arrival-rate", "rate": 1, "duration": "1m", "preAllocatedVUs": -2, "maxVUs": 1}`,
			`scenario "x": preAllocatedVUs must not be negative, got -2`},
		{`{"executor": "constant-arrival-rate", "rate": 1, "duration": "1m", "preAllocatedVUs": 5, "maxVUs": 2}`,
			`scenario "x": maxVUs (2) must be at least preAllocatedVUs (5)`},
		{`{"executor": "constant-arrival-rate", "rate": 1, "duration": "1m", "preAllocatedVUs": 0}`,
			`scenario "x": maxVUs must be at least 1, got 0`},
		{`{"executor": "ramping-arrival-rate", "preAllocatedVUs": 1}`,
			`scenario "x": stages must hold at least one stage`},
		{`{"executor": "ramping-arrival-rate", "startRate": -1, "preAllocatedVUs": 1, "stages": [{"duration": "1s", "target": 1}]}`,
			`scenario "x": startRate must not be negative, got -1`},
		{`{"executor": "ramping-arrival-rate", "timeUnit": "-1s", "preAllocatedVUs": 1, "stages": [{"duration": "1s", "target": 1}]}`,
			`scenario "x": timeUnit must be positive, got -1s`},
		{`{"executor": "ramping-arrival-rate", "preAllocatedVUs": 1, "stages": [{"duration": "1s", "target": 0}]}`,
			`scenario "x": startRate or a stage's target must be above 0`},
		{`{"executor": "ramping-arrival-rate", "stages": [{"duration": "1s", "target": 1}]}`,
			`scenario "x": preAllocatedVUs is required`},
		{`{"executor": "constant-vus", "duration": "1m", "startTime": "-1s"}`,
			`scenario "x": startTime must not be negative, got -1s`},
		{`{"executor": "constant-vus", "duration": "1m", "gracefulStop": "-1s"}`,
			`scenario "x": gracefulStop must not be negative, got -1s`},
		{`{"executor": "constant-vus", "duration": "soon"}`,
			`scenario "x": field "duration": invalid duration "soon"`},
		{`{"executor": "constant-vus", "vus": "ten"}`,
			`scenario "x": field "vus": want a int64, got a JSON string`},
		{`{"executor": "warp-speed"}`,
			`scenario "x": unknown executor "warp-speed": want one of shared-iterations, per-vu-iterations, constant-vus, ramping-vus, constant-arrival-rate, ramping-arrival-rate`},
		{`{"vus": 3}`,
			`scenario "x": executor is required: one of shared-iterations,`},
		{`{"executor": "constant-vus", "duration": "1m", "rate": 5, "iteration": 1}`,
			`scenario "x": unknown field(s) "iteration", "rate" for executor constant-vus; its fields are duration, env, exec, executor, gracefulStop, options, startTime, tags, vus`},
		{`[1]`,
			`scenario "x": want an object, got [1]`},
	} {
		_, err := fromJSON(t, `{"x": `+c.json+`}`)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.json, err, c.want)
		}
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	_, err := fromJSON(t, `{"bad name": {"executor": "constant-vus", "vus": 0}, "ok": {"executor": "constant-vus", "duration": "1m"}}`)
	for _, want := range []string{`scenario "bad name": the name must match`, `scenario "bad name": vus must be at least 1`, `scenario "bad name": duration is required`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to contain %q", err, want)
		}
	}
	for _, raw := range []string{`{}`, `[]`, `3`} {
		if _, err := fromJSON(t, raw); err == nil || !strings.Contains(err.Error(), `"scenarios"`) {
			t.Errorf("scenarios %s: %v", raw, err)
		}
	}
}

func TestShortcuts(t *testing.T) {
	d30 := Duration(30 * time.Second)
	st := []Stage{{Duration: Duration(time.Minute), Target: 10}, {Duration: Duration(time.Minute), Target: 0}}
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"nothing", Options{}, "1 iterations for each of 1 VUs (maxDuration: 10m0s, gracefulStop: 30s)"},
		{"vus and duration", Options{VUs: ptr(int64(10)), Duration: &d30}, "10 looping VUs for 30s (gracefulStop: 30s)"},
		{"duration", Options{Duration: &d30}, "1 looping VUs for 30s (gracefulStop: 30s)"},
		{"iterations", Options{VUs: ptr(int64(2)), Iterations: ptr(int64(8))}, "8 iterations shared among 2 VUs (maxDuration: 10m0s, gracefulStop: 30s)"},
		{"iterations and duration", Options{Iterations: ptr(int64(8)), Duration: &d30}, "8 iterations shared among 1 VUs (maxDuration: 30s, gracefulStop: 30s)"},
		{"vus alone", Options{VUs: ptr(int64(3))}, "3 iterations shared among 3 VUs (maxDuration: 10m0s, gracefulStop: 30s)"},
		{"stages", Options{Stages: st}, "Up to 10 looping VUs for 2m0s over 2 stages (gracefulRampDown: 30s, gracefulStop: 30s)"},
		{"stages and vus", Options{Stages: st, VUs: ptr(int64(20))}, "Up to 20 looping VUs for 2m0s over 2 stages (gracefulRampDown: 30s, gracefulStop: 30s)"},
		{"vus with scenarios", Options{VUs: ptr(int64(9)), Scenarios: json.RawMessage(`{"s": {"executor": "per-vu-iterations", "vus": 2}}`)}, "1 iterations for each of 2 VUs (maxDuration: 10m0s, gracefulStop: 30s)"},
		{"null scenarios", Options{Duration: &d30, Scenarios: json.RawMessage(`null`)}, "1 looping VUs for 30s (gracefulStop: 30s)"},
	} {
		execs, err := ScenariosFromOptions(c.o)
		if err != nil || len(execs) != 1 || execs[0].Description() != c.want {
			t.Errorf("%s: %v %v, want %q", c.name, err, execs, c.want)
			continue
		}
		if name := execs[0].Scenario().Name; name != "default" && c.o.Scenarios == nil {
			t.Errorf("%s: scenario %q, want default", c.name, name)
		}
	}
}

func TestShortcutErrors(t *testing.T) {
	d30, zero := Duration(30*time.Second), Duration(0)
	st := []Stage{{Duration: Duration(time.Minute), Target: 10}}
	sc := json.RawMessage(`{"s": {"executor": "per-vu-iterations"}}`)
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Duration: &d30, Scenarios: sc}, "the shortcut options duration/iterations/stages cannot be combined with scenarios; put them in a scenario (set: duration)"},
		{Options{Iterations: ptr(int64(3)), Stages: st, Scenarios: sc}, "cannot be combined with scenarios; put them in a scenario (set: iterations, stages)"},
		{Options{Iterations: ptr(int64(3)), Stages: st}, "the options iterations and stages cannot be combined"},
		{Options{Duration: &d30, Stages: st}, "the options duration and stages cannot be combined"},
		{Options{VUs: ptr(int64(0)), Duration: &d30}, `scenario "default": vus must be at least 1, got 0`},
		{Options{Duration: &zero}, `scenario "default": duration is required`},
		{Options{VUs: ptr(int64(5)), Iterations: ptr(int64(2))}, `scenario "default": iterations (2) must be at least vus (5)`},
	} {
		if _, err := ScenariosFromOptions(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v:\n got %v\nwant %q", c.o, err, c.want)
		}
	}
}

func TestNewExecutorKeepsACopy(t *testing.T) {
	c := NewRampingVUsConfig("r")
	c.Stages = []Stage{{Duration: Duration(time.Minute), Target: 4}}
	c.Tags = map[string]string{"a": "1"}
	ex := mustExecutor(t, c)
	c.Stages[0].Target, c.Tags["a"] = 99, "2"
	if ex.MaxVUs() != 4 || ex.Scenario().Tags["a"] != "1" {
		t.Errorf("the executor saw later changes: %d VUs, tags %v", ex.MaxVUs(), ex.Scenario().Tags)
	}
}

func TestParseStage(t *testing.T) {
	for in, want := range map[string]Stage{
		"30s:10":   {Duration(30 * time.Second), 10},
		" 1m30s:0": {Duration(90 * time.Second), 0},
		"10:5":     {Duration(10 * time.Second), 5},
		"0s:7":     {0, 7},
	} {
		if got, err := ParseStage(in); err != nil || got != want {
			t.Errorf("ParseStage(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"30s":     "want DURATION:TARGET",
		"soon:10": "invalid duration",
		"-5s:10":  "must not be negative",
		"30s:-1":  "whole number",
		"30s:ten": "whole number",
		"30s:":    "whole number",
	} {
		if _, err := ParseStage(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseStage(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}
