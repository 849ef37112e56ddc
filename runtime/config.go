package runtime

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// defaultScenario is the name of the scenario the shortcut options make.
const defaultScenario = "default"

// ScenariosFromOptions returns the executors of the run o describes, in
// the order they start (by startTime, then name). It reports every
// problem of every scenario at once.
func ScenariosFromOptions(o Options) ([]Executor, error) {
	cfgs, err := ScenarioConfigs(o)
	if err != nil {
		return nil, err
	}
	seg, err := ParseSegment(deref(o.ExecutionSegment, ""), deref(o.ExecutionSegmentSequence, ""))
	if err != nil {
		return nil, err
	}
	execs := make([]Executor, 0, len(cfgs))
	var errs []error
	for _, c := range cfgs {
		ex, err := NewExecutor(c, seg)
		errs = append(errs, err)
		execs = append(execs, ex)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return execs, nil
}

// ScenarioConfigs returns the scenario configurations o describes, not
// yet validated: its scenarios, or else the default scenario its shortcut
// options (vus, duration, iterations, stages) make, as k6 derives it.
func ScenarioConfigs(o Options) ([]ScenarioConfig, error) {
	if !hasScenarios(o) {
		c, err := shortcutScenario(o)
		if err != nil {
			return nil, err
		}
		return []ScenarioConfig{c}, nil
	}
	if set := shortcutsSet(o); len(set) > 0 {
		return nil, fmt.Errorf("the shortcut options duration/iterations/stages cannot be combined with scenarios; put them in a scenario (set: %s)",
			strings.Join(set, ", "))
	}
	return ParseScenarios(o.Scenarios)
}

func hasScenarios(o Options) bool {
	raw := bytes.TrimSpace(o.Scenarios)
	return len(raw) > 0 && string(raw) != "null"
}

// shortcutsSet names the shortcut options that cannot go with scenarios.
// vus can: k6 ignores it then.
func shortcutsSet(o Options) []string {
	var set []string
	if o.Duration != nil {
		set = append(set, "duration")
	}
	if o.Iterations != nil {
		set = append(set, "iterations")
	}
	if len(o.Stages) > 0 {
		set = append(set, "stages")
	}
	return set
}

// shortcutScenario derives the default scenario: iterations (with vus,
// and duration as maxDuration) make shared-iterations; duration (with
// vus) constant-vus; stages (with vus as startVUs) ramping-vus; vus alone
// shared-iterations of one iteration per VU; nothing, one VU running one
// iteration.
func shortcutScenario(o Options) (ScenarioConfig, error) {
	stages := len(o.Stages) > 0
	switch {
	case stages && o.Iterations != nil:
		return nil, errors.New("the options iterations and stages cannot be combined: stages ramp VUs for a time, iterations count a total")
	case stages && o.Duration != nil:
		return nil, errors.New("the options duration and stages cannot be combined: the stages' durations make the test's")
	case o.Iterations != nil:
		c := NewSharedIterationsConfig(defaultScenario)
		c.VUs, c.Iterations = deref(o.VUs, 1), *o.Iterations
		if o.Duration != nil {
			c.MaxDuration = *o.Duration
		}
		return c, nil
	case o.Duration != nil:
		c := NewConstantVUsConfig(defaultScenario)
		c.VUs, c.Duration = deref(o.VUs, 1), *o.Duration
		return c, nil
	case stages:
		c := NewRampingVUsConfig(defaultScenario)
		c.StartVUs, c.Stages = deref(o.VUs, 1), o.Stages
		return c, nil
	case o.VUs != nil:
		c := NewSharedIterationsConfig(defaultScenario)
		c.VUs, c.Iterations = *o.VUs, *o.VUs
		return c, nil
	}
	return NewPerVUIterationsConfig(defaultScenario), nil
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// ParseScenarios reads options.scenarios, a JSON object of scenario
// configurations by name, each with an `executor`. Fields left out, or
// null, keep k6's defaults; an unknown field is an error. The result is
// sorted by startTime, then name, and not yet validated.
func ParseScenarios(raw json.RawMessage) ([]ScenarioConfig, error) {
	var objs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &objs); err != nil {
		return nil, fmt.Errorf("option \"scenarios\": want an object of scenarios by name: %s", jsonReason(err))
	}
	if len(objs) == 0 {
		return nil, errors.New("option \"scenarios\" holds no scenario")
	}
	cfgs := make([]ScenarioConfig, 0, len(objs))
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(objs)) {
		c, err := parseScenario(name, objs[name])
		errs = append(errs, err)
		if err == nil {
			cfgs = append(cfgs, c)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortFunc(cfgs, func(a, b ScenarioConfig) int {
		return cmp.Or(cmp.Compare(a.Base().StartTime, b.Base().StartTime), strings.Compare(a.Base().Name, b.Base().Name))
	})
	return cfgs, nil
}

// parseScenario reads one scenario: its executor first, which says what
// the other fields are.
func parseScenario(name string, raw json.RawMessage) (ScenarioConfig, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("scenario %q: want an object, got %s", name, raw)
	}
	var executor string
	if err := json.Unmarshal(fields["executor"], &executor); err != nil || executor == "" {
		return nil, fmt.Errorf("scenario %q: executor is required: one of %s", name, strings.Join(ExecutorTypes(), ", "))
	}
	c, err := newConfig(executor, name)
	if err != nil {
		return nil, err
	}
	if err := decodeFields(c, fields); err != nil {
		return nil, fmt.Errorf("scenario %q: %w", name, err)
	}
	return c, nil
}

// newConfig returns the configuration of an executor type with k6's
// defaults.
func newConfig(executor, name string) (ScenarioConfig, error) {
	switch executor {
	case SharedIterations:
		return NewSharedIterationsConfig(name), nil
	case PerVUIterations:
		return NewPerVUIterationsConfig(name), nil
	case ConstantVUs:
		return NewConstantVUsConfig(name), nil
	case RampingVUs:
		return NewRampingVUsConfig(name), nil
	case ConstantArrivalRate:
		return NewConstantArrivalRateConfig(name), nil
	case RampingArrivalRate:
		return NewRampingArrivalRateConfig(name), nil
	}
	return nil, fmt.Errorf("scenario %q: unknown executor %q: want one of %s", name, executor, strings.Join(ExecutorTypes(), ", "))
}

// decodeFields sets c's fields from fields, one at a time so that an
// error names its field, and so that null keeps the default.
func decodeFields(c ScenarioConfig, fields map[string]json.RawMessage) error {
	dst := jsonFields(c)
	var unknown []string
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		ptr, ok := dst[key]
		switch {
		case !ok:
			unknown = append(unknown, strconv.Quote(key))
		case string(bytes.TrimSpace(fields[key])) == "null":
		default:
			if err := json.Unmarshal(fields[key], ptr); err != nil {
				return fmt.Errorf("field %q: %s", key, jsonReason(err))
			}
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("unknown field(s) %s for executor %s; its fields are %s",
			strings.Join(unknown, ", "), c.Base().Executor, strings.Join(slices.Sorted(maps.Keys(dst)), ", "))
	}
	return nil
}

// jsonFields maps the JSON names of the fields of the struct c points
// to, embedded structs included, to pointers to those fields.
func jsonFields(c any) map[string]any {
	out := map[string]any{}
	collectFields(reflect.ValueOf(c).Elem(), out)
	return out
}

func collectFields(s reflect.Value, out map[string]any) {
	for i := range s.NumField() {
		f := s.Type().Field(i)
		if f.Anonymous {
			collectFields(s.Field(i), out)
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			out[name] = s.Field(i).Addr().Interface()
		}
	}
}

// ParseStage reads a stage as the command line writes it, DURATION:TARGET
// (--stage 30s:10). The duration is ParseDuration's (a bare number is
// seconds); the target is a whole number of VUs, or of iterations per
// timeUnit.
func ParseStage(s string) (Stage, error) {
	ds, ts, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Stage{}, fmt.Errorf("stage %q: want DURATION:TARGET, such as 30s:10", s)
	}
	d, err := ParseDuration(ds)
	if err != nil {
		return Stage{}, fmt.Errorf("stage %q: %w", s, err)
	}
	if d < 0 {
		return Stage{}, fmt.Errorf("stage %q: the duration must not be negative", s)
	}
	target, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil || target < 0 {
		return Stage{}, fmt.Errorf("stage %q: the target must be a whole number, 0 or more", s)
	}
	return Stage{Duration: Duration(d), Target: target}, nil
}
