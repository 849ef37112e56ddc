package js

import (
	"github.com/dop251/goja"
)

// executionModule is `k6/execution`: what the VU knows of the run, and
// exec.test.abort()/fail().
func executionModule(vu *VU) map[string]any {
	rt := vu.rt
	test := rt.NewObject()
	_ = test.Set("abort", vu.abortTest)
	_ = test.Set("fail", vu.failTest)
	vuObj := rt.NewObject()
	getters(vu, vuObj, map[string]func() any{
		"idInInstance":        func() any { return vu.id },
		"idInTest":            func() any { return vu.id },
		"iterationInInstance": func() any { return vu.iter },
		"iterationInScenario": func() any { return vu.iter },
	})
	scenario := rt.NewObject()
	getters(vu, scenario, map[string]func() any{
		"name": func() any { return vu.scenario },
	})
	return map[string]any{"test": test, "vu": vuObj, "scenario": scenario}
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
