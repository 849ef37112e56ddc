package js

import (
	"math"
	"time"

	"github.com/dop251/goja"

	"github.com/throng-dev/throng/metrics"
)

// metricsModule is `k6/metrics`: the custom metric constructors.
func metricsModule(vu *VU) map[string]any {
	return map[string]any{
		"Counter": vu.metricConstructor(metrics.Counter),
		"Gauge":   vu.metricConstructor(metrics.Gauge),
		"Rate":    vu.metricConstructor(metrics.Rate),
		"Trend":   vu.metricConstructor(metrics.Trend),
	}
}

// metricConstructor returns a JS constructor, `new Trend(name, isTime)`,
// that registers the metric in the run's registry (init context only) and
// returns an object with `name` and `add(value, tags?)`.
func (vu *VU) metricConstructor(t metrics.Type) func(goja.ConstructorCall) *goja.Object {
	return func(call goja.ConstructorCall) *goja.Object {
		if !vu.inInit {
			vu.throw("custom metrics must be created in the init context (top-level code)")
		}
		name := call.Argument(0).String()
		vt := metrics.Default
		if call.Argument(1).ToBoolean() && (t == metrics.Trend || t == metrics.Gauge) {
			vt = metrics.Time
		}
		m, err := vu.b.cfg.Builtins.Registry().New(name, t, vt)
		if err != nil {
			vu.throw("new %s(%q): %v", t, name, err)
		}
		obj := vu.rt.NewObject()
		_ = obj.Set("name", name)
		// A native function, not a Go func goja wraps through reflection:
		// the first reflective call in a runtime builds its conversion
		// caches, which cost every VU's first iteration more than the
		// rest of it.
		_ = obj.Set("add", func(c goja.FunctionCall) goja.Value {
			tags := c.Argument(1)
			obj, isObject := tags.(*goja.Object)
			if !isObject && !goja.IsUndefined(tags) && !goja.IsNull(tags) {
				vu.throw("%s.add(): the tags must be an object, not %s", m.Name, tags)
			}
			return vu.rt.ToValue(vu.addMetric(m, c.Argument(0), obj))
		})
		return obj
	}
}

// addMetric emits one sample of a custom metric. Booleans count as 1 and
// 0; a value that is not a number is refused with a warning, as in k6.
func (vu *VU) addMetric(m *metrics.Metric, value goja.Value, tags *goja.Object) bool {
	vu.mustNotBeInit(m.Name + ".add()")
	v := value.ToFloat()
	if _, isBool := value.Export().(bool); isBool {
		v = 0
		if value.ToBoolean() {
			v = 1
		}
	}
	if math.IsNaN(v) || goja.IsNull(value) || goja.IsUndefined(value) {
		vu.b.cfg.Log.Warnf("%s.add(%s): the value is not a number; the sample is dropped", m.Name, value)
		return false
	}
	ts := vu.tags
	if tags != nil {
		ts = ts.WithAll(vu.stringMap(tags))
	}
	vu.emit(metrics.Sample{Metric: m, Tags: ts, Time: time.Now().UnixNano(), Value: v})
	return true
}
