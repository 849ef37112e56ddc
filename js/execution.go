package js

import (
	"time"

	"github.com/dop251/goja"
)

// executionModule is `k6/execution`: what the VU knows of the run, and
// exec.test.abort()/fail().
func executionModule(vu *VU) map[string]any {
	rt := vu.rt
	test := rt.NewObject()
	_ = test.Set("abort", vu.abortTest)
	_ = test.Set("fail", vu.failTest)
	getters(vu, test, map[string]func() any{"options": vu.optionsObject})
	return map[string]any{"test": test, "vu": vu.execVU(), "scenario": vu.execScenario(), "instance": vu.execInstance()}
}

func (vu *VU) execVU() *goja.Object {
	obj := vu.rt.NewObject()
	getters(vu, obj, map[string]func() any{
		"idInInstance":        func() any { return vu.id },
		"idInTest":            func() any { return vu.idInTest() },
		"iterationInInstance": func() any { return vu.iter },
		"iterationInScenario": func() any {
			if vu.scenario == nil {
				return 0
			}
			return vu.state(vu.scenario).iterations
		},
	})
	metricsObj := vu.rt.NewObject()
	tags := vu.rt.NewDynamicObject(&vuTags{vu: vu})
	_ = metricsObj.Set("tags", tags)
	_ = obj.Set("metrics", metricsObj)
	_ = obj.Set("tags", tags) // k6's deprecated alias
	return obj
}

// SetIDInTest sets how VU ids map to ids among all the instances of a
// segmented test; call it before creating VUs.
func (b *Bundle) SetIDInTest(f func(id uint64) uint64) { b.cfg.IDInTest = f }

func (vu *VU) idInTest() uint64 {
	if f := vu.b.cfg.IDInTest; f != nil {
		return f(vu.id)
	}
	return vu.id
}

func (vu *VU) execScenario() *goja.Object {
	obj := vu.rt.NewObject()
	sc := func() *Scenario {
		if vu.scenario == nil {
			vu.throw("exec.scenario is only available in an iteration")
		}
		return vu.scenario
	}
	getters(vu, obj, map[string]func() any{
		"name":     func() any { return sc().Name },
		"executor": func() any { return sc().Executor },
		"startTime": func() any {
			if f := sc().StartTime; f != nil {
				return f().UnixMilli()
			}
			return 0
		},
		"progress": func() any {
			if f := sc().Progress; f != nil {
				return f()
			}
			return 0
		},
		"iterationInInstance": func() any { sc(); return vu.iteration.Number },
		"iterationInTest":     func() any { sc(); return vu.iteration.InTest },
	})
	return obj
}

func (vu *VU) execInstance() *goja.Object {
	obj := vu.rt.NewObject()
	get := func() Instance {
		if vu.b.cfg.Instance == nil {
			return Instance{}
		}
		return vu.b.cfg.Instance()
	}
	getters(vu, obj, map[string]func() any{
		"currentTestRunDuration": func() any { return float64(get().CurrentTestRunDuration) / float64(time.Millisecond) },
		"iterationsCompleted":    func() any { return get().IterationsCompleted },
		"iterationsInterrupted":  func() any { return get().IterationsInterrupted },
		"vusActive":              func() any { return get().VUsActive },
		"vusInitialized":         func() any { return get().VUsInitialized },
	})
	return obj
}

// optionsObject is exec.test.options: the consolidated options, frozen.
func (vu *VU) optionsObject() any {
	if vu.b.options == nil {
		return goja.Undefined()
	}
	v, err := vu.parseJSON(vu.b.options)
	if err != nil {
		return goja.Undefined()
	}
	freeze, _ := goja.AssertFunction(vu.rt.Get("Object").ToObject(vu.rt).Get("freeze"))
	frozen, _ := freeze(goja.Undefined(), v)
	return frozen
}

// vuTags is exec.vu.metrics.tags: tags the script sets on its VU, added to
// every later sample.
type vuTags struct{ vu *VU }

func (t *vuTags) Get(key string) goja.Value {
	if v, ok := t.vu.tags.Get(key); ok {
		return t.vu.rt.ToValue(v)
	}
	return goja.Undefined()
}

func (t *vuTags) Set(key string, val goja.Value) bool {
	if t.vu.extraTags == nil {
		t.vu.extraTags = map[string]string{}
	}
	t.vu.extraTags[key] = val.String()
	t.vu.applyTags()
	return true
}

func (t *vuTags) Has(key string) bool { _, ok := t.vu.tags.Get(key); return ok }

func (t *vuTags) Delete(key string) bool {
	delete(t.vu.extraTags, key)
	t.vu.applyTags()
	return true
}

func (t *vuTags) Keys() []string {
	keys := make([]string, 0, t.vu.tags.Len())
	for _, tag := range t.vu.tags.Tags() {
		keys = append(keys, tag.Key)
	}
	return keys
}

// getters defines read-only properties computed on each access.
func getters(vu *VU, obj *goja.Object, props map[string]func() any) {
	for name, get := range props {
		_ = obj.DefineAccessorProperty(name, vu.rt.ToValue(func() any { return get() }), nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
	}
}

// abortTest stops the whole run (exit code 108). The interrupt cannot be
// caught by the script, so the iteration ends here.
func (vu *VU) abortTest(msg string) {
	reason := "test aborted by the script"
	if msg != "" {
		reason += ": " + msg
	}
	if vu.b.cfg.OnAbort != nil {
		vu.b.cfg.OnAbort(reason)
	}
	vu.rt.Interrupt(&AbortError{Reason: reason})
}

// failTest marks the run failed (exit code 110) and lets it go on.
func (vu *VU) failTest(msg string) {
	reason := "test marked failed by the script"
	if msg != "" {
		reason += ": " + msg
	}
	if vu.b.cfg.OnFail != nil {
		vu.b.cfg.OnFail(reason)
	}
	vu.b.cfg.Log.Warnf("%s", reason)
}

// summaryModule is `throng/summary`, also served for k6's jslib
// k6-summary URLs: textSummary(data, {indent, enableColors}).
func summaryModule(vu *VU) map[string]any {
	return map[string]any{
		"textSummary": func(data goja.Value, opts *goja.Object) string {
			if vu.b.cfg.TextSummary == nil {
				vu.throw("textSummary is not available here")
			}
			raw, err := data.ToObject(vu.rt).MarshalJSON()
			if err != nil {
				vu.throw("textSummary: the data cannot be read as JSON: %v", err)
			}
			indent, colors := " ", false
			if opts != nil {
				if v := opts.Get("indent"); present(v) {
					indent = v.String()
				}
				colors = opts.Get("enableColors") != nil && opts.Get("enableColors").ToBoolean()
			}
			text, err := vu.b.cfg.TextSummary(raw, indent, colors)
			if err != nil {
				vu.throw("textSummary: %v", err)
			}
			return text
		},
	}
}
