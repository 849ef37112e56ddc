package js

import (
	"time"

	"github.com/dop251/goja"

	"github.com/throng-dev/throng/metrics"
)

// k6Module is the `k6` module: check, group, sleep, fail.
func k6Module(*VU) map[string]any { return k6Exports }

// k6Exports is the `k6` module's table, shared by all VUs; each function
// is made for a VU on first use (see member).
var k6Exports = map[string]any{
	// check and sleep run in hot loops: native signatures spare them
	// goja's reflection (see httpModule).
	"check": member(func(vu *VU) any {
		return func(c goja.FunctionCall) goja.Value {
			return vu.rt.ToValue(vu.check(c.Argument(0), objectOrNil(c.Argument(1)), objectOrNil(c.Argument(2))))
		}
	}),
	"group": member(func(vu *VU) any { return vu.group }),
	"sleep": member(func(vu *VU) any {
		return func(c goja.FunctionCall) goja.Value { vu.sleep(c.Argument(0).ToFloat()); return goja.Undefined() }
	}),
	"fail": member(func(vu *VU) any { return vu.fail }),
}

// check evaluates each named condition against val, emits one `checks`
// sample per condition, and returns whether all passed. A condition is a
// function of val or a plain value; exceptions propagate, as in k6.
func (vu *VU) check(val goja.Value, conditions *goja.Object, extraTags *goja.Object) bool {
	vu.mustNotBeInit("check()")
	if conditions == nil {
		vu.throw("check() needs an object of conditions as its second argument")
	}
	tags := vu.tags
	if extraTags != nil {
		tags = tags.WithAll(vu.stringMap(extraTags))
	}
	all := true
	now := time.Now().UnixNano()
	for _, name := range conditions.Keys() {
		cond := conditions.Get(name)
		pass := cond.ToBoolean()
		if fn, ok := goja.AssertFunction(cond); ok {
			res, err := fn(goja.Undefined(), val)
			if err != nil {
				panic(err)
			}
			pass = res.ToBoolean()
		}
		v := 0.0
		if pass {
			v = 1
		} else {
			all = false
		}
		vu.emit(metrics.Sample{Metric: vu.b.cfg.Builtins.Checks, Tags: vu.withTag(tags, "check", name), Time: now, Value: v})
	}
	return all
}

// group runs fn with the group tag set to the nested path, emits its
// group_duration, and returns fn's result.
func (vu *VU) group(name string, fn goja.Callable) goja.Value {
	vu.mustNotBeInit("group()")
	if fn == nil {
		vu.throw("group() needs a function as its second argument")
	}
	parentPath, parentTags := vu.groupPath, vu.tags
	vu.groupPath = parentPath + "::" + name
	vu.tags = vu.withTag(vu.baseTags, "group", vu.groupPath)
	if vu.b.cfg.Engine != nil {
		vu.b.cfg.Engine.Group(vu.groupPath)
	}
	defer func() { vu.groupPath, vu.tags = parentPath, parentTags }()
	start := time.Now()
	res, err := fn(goja.Undefined())
	end := time.Now()
	vu.emit(metrics.Sample{Metric: vu.b.cfg.Builtins.GroupDuration, Tags: vu.tags, Time: end.UnixNano(), Value: msSince(start, end)})
	if err != nil {
		panic(err)
	}
	return res
}

// sleep pauses the VU; the end of the iteration's time interrupts it.
func (vu *VU) sleep(seconds float64) {
	vu.mustNotBeInit("sleep()")
	vu.buf.Flush() // samples should not wait behind a sleep
	if seconds <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(seconds * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-vu.ctx.Done():
	}
}

// fail throws an error that ends the iteration.
func (vu *VU) fail(msg string) { panic(vu.jsError(msg)) }

// stringMap reads a JS object of tags.
func (vu *VU) stringMap(obj *goja.Object) map[string]string {
	m := make(map[string]string, len(obj.Keys()))
	for _, k := range obj.Keys() {
		m[k] = obj.Get(k).String()
	}
	return m
}

type derivedTagKey struct {
	base       *metrics.TagSet
	key, value string
}

// withTag is base.With(key, value), kept per VU so that a VU's samples
// share tag sets from one iteration to the next (see requestTags).
func (vu *VU) withTag(base *metrics.TagSet, key, value string) *metrics.TagSet {
	k := derivedTagKey{base, key, value}
	if ts, ok := vu.derivedTags[k]; ok {
		return ts
	}
	if vu.derivedTags == nil || len(vu.derivedTags) >= maxCachedRequestTags {
		vu.derivedTags = make(map[derivedTagKey]*metrics.TagSet)
	}
	ts := base.With(key, value)
	vu.derivedTags[k] = ts
	return ts
}

// objectOrNil is v as an object, or nil for undefined, null and primitives.
func objectOrNil(v goja.Value) *goja.Object {
	if obj, ok := v.(*goja.Object); ok {
		return obj
	}
	return nil
}
