package js

import (
	"sort"

	"github.com/dop251/goja"
)

// envObject is __ENV: the run's environment (and a scenario's additions),
// shared read-only by every VU in Go maps, with the VU's own writes kept
// on top. Copying the whole environment into every VU's runtime was a
// large share of a VU's memory and of its start-up time.
type envObject struct {
	rt      *goja.Runtime
	layers  []map[string]string // looked up in order: scenario env, then the run's
	own     map[string]goja.Value
	deleted map[string]bool
}

func newEnvObject(rt *goja.Runtime, layers ...map[string]string) *goja.Object {
	return rt.NewDynamicObject(&envObject{rt: rt, layers: layers})
}

func (e *envObject) Get(key string) goja.Value {
	if v, ok := e.own[key]; ok {
		return v
	}
	if e.deleted[key] {
		return nil
	}
	for _, l := range e.layers {
		if v, ok := l[key]; ok {
			return e.rt.ToValue(v)
		}
	}
	return nil
}

func (e *envObject) Set(key string, v goja.Value) bool {
	if e.own == nil {
		e.own = map[string]goja.Value{}
	}
	e.own[key] = v
	delete(e.deleted, key)
	return true
}

func (e *envObject) Has(key string) bool { return e.Get(key) != nil }

func (e *envObject) Delete(key string) bool {
	delete(e.own, key)
	if e.deleted == nil {
		e.deleted = map[string]bool{}
	}
	e.deleted[key] = true
	return true
}

func (e *envObject) Keys() []string {
	seen := map[string]bool{}
	for k := range e.own {
		seen[k] = true
	}
	for _, l := range e.layers {
		for k := range l {
			seen[k] = seen[k] || !e.deleted[k]
		}
	}
	keys := make([]string, 0, len(seen))
	for k, ok := range seen {
		if ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
