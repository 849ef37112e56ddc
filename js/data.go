package js

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/dop251/goja"
)

// dataModule is `k6/data`: SharedArray.
//
// new SharedArray(name, fn) runs fn once per run, in the init context of
// the first VU that asks for name, and keeps its result on the Bundle as
// JSON, one element after another in one buffer. Every VU then gets a
// read-only array view of that one copy: an element is parsed (and
// frozen, as k6 does) when it is read, so a VU holds none of the data
// until it looks at it, and only what it looks at for as long as it keeps
// it. Array methods (forEach, map, filter, slice, for…of, length) work on
// the view as on any array.
func dataModule(vu *VU) map[string]any {
	return map[string]any{
		"SharedArray": func(call goja.ConstructorCall) *goja.Object {
			return vu.newSharedArray(call.Argument(0), call.Argument(1))
		},
	}
}

// sharedArrays are a run's SharedArrays, by name.
type sharedArrays struct {
	mu     sync.Mutex
	byName map[string]*sharedArray
}

// sharedArray is one SharedArray's data: element i is the JSON in
// data[start(i):ends[i]]. It is immutable once ready is closed.
type sharedArray struct {
	ready   chan struct{}
	builder *VU // the VU running fn, to catch fn asking for its own array
	data    []byte
	ends    []int
	err     error // fn failed; the array was not made
}

func (sa *sharedArray) element(i int) []byte {
	start := 0
	if i > 0 {
		start = sa.ends[i-1]
	}
	return sa.data[start:sa.ends[i]]
}

func (vu *VU) newSharedArray(nameArg, fnArg goja.Value) *goja.Object {
	if !vu.inInit {
		vu.throw("new SharedArray must be called in the init context")
	}
	if !present(nameArg) || nameArg.String() == "" {
		vu.throw("new SharedArray needs a name as its first argument")
	}
	name := nameArg.String()
	fn, ok := goja.AssertFunction(fnArg)
	if !ok {
		vu.throw("new SharedArray(%q, fn): fn must be a function that returns an array", name)
	}
	sa, err := vu.b.shared.get(vu, name, func() ([]byte, []int, error) { return vu.encodeSharedArray(name, fn) })
	if ex, ok := err.(*goja.Exception); ok {
		panic(ex) // fn's own exception, with its stack
	}
	if err != nil {
		vu.throw("%v", err)
	}
	return vu.rt.NewDynamicArray(&sharedArrayView{vu: vu, sa: sa})
}

// get returns the array called name, building it with build if no VU has.
// Other VUs asking meanwhile wait for it. If build fails, its error is
// returned as it is to the VU that ran it, and as text to those that
// waited (a JS exception belongs to one runtime); the next VU to ask tries
// again.
func (s *sharedArrays) get(vu *VU, name string, build func() ([]byte, []int, error)) (*sharedArray, error) {
	s.mu.Lock()
	if s.byName == nil {
		s.byName = map[string]*sharedArray{}
	}
	sa, found := s.byName[name]
	if !found {
		sa = &sharedArray{ready: make(chan struct{}), builder: vu}
		s.byName[name] = sa
	}
	s.mu.Unlock()
	if found {
		if sa.builder == vu {
			select {
			case <-sa.ready:
			default:
				return nil, fmt.Errorf("SharedArray %q is asked for inside its own function", name)
			}
		}
		<-sa.ready
		if sa.err != nil {
			return nil, fmt.Errorf("new SharedArray(%q): its function failed in another VU: %v", name, sa.err)
		}
		return sa, nil
	}
	var err error
	sa.data, sa.ends, err = build()
	if err != nil {
		sa.err = err
		s.mu.Lock()
		delete(s.byName, name)
		s.mu.Unlock()
	}
	close(sa.ready)
	return sa, err
}

// encodeSharedArray runs fn and keeps its result as JSON, element by
// element. An exception from fn is returned as it is, to propagate.
func (vu *VU) encodeSharedArray(name string, fn goja.Callable) ([]byte, []int, error) {
	res, err := fn(goja.Undefined())
	if err != nil {
		return nil, nil, err
	}
	obj, ok := res.(*goja.Object)
	if !ok || obj.ClassName() != "Array" {
		return nil, nil, fmt.Errorf("new SharedArray(%q, fn): fn must return an array, it returned %s", name, res)
	}
	raw, err := obj.MarshalJSON()
	if err != nil {
		return nil, nil, fmt.Errorf("new SharedArray(%q, fn): the array cannot be stored as JSON: %v", name, err)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, nil, fmt.Errorf("new SharedArray(%q): %w", name, err)
	}
	var data bytes.Buffer
	ends := make([]int, len(elems))
	for i, e := range elems {
		data.Write(e)
		ends[i] = data.Len()
	}
	return bytes.Clone(data.Bytes()), ends, nil
}

// sharedArrayView is a VU's read-only window on a sharedArray.
type sharedArrayView struct {
	vu     *VU
	sa     *sharedArray
	freeze goja.Callable
}

func (v *sharedArrayView) Len() int { return len(v.sa.ends) }

func (v *sharedArrayView) Get(i int) goja.Value {
	if i < 0 || i >= len(v.sa.ends) {
		return goja.Undefined()
	}
	return v.parse(v.sa.element(i))
}

// Set and SetLen throw, as k6's SharedArray does, in strict code or not.
func (v *sharedArrayView) Set(int, goja.Value) bool {
	panic(v.vu.rt.NewTypeError("SharedArray is immutable"))
}
func (v *sharedArrayView) SetLen(int) bool { panic(v.vu.rt.NewTypeError("SharedArray is immutable")) }

// parse turns one element's JSON into a JS value: primitives directly,
// objects and arrays through JSON.parse, then deep-frozen so that a script
// cannot believe it changed shared data.
func (v *sharedArrayView) parse(raw []byte) goja.Value {
	rt := v.vu.rt
	switch raw[0] {
	case 'n':
		return goja.Null()
	case 't':
		return rt.ToValue(true)
	case 'f':
		return rt.ToValue(false)
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return rt.ToValue(s)
		}
	case '{', '[':
		val, err := v.vu.parseJSON(raw)
		if err != nil {
			panic(err)
		}
		v.deepFreeze(val)
		return val
	default:
		if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
			return rt.ToValue(f)
		}
	}
	panic(v.vu.jsError(fmt.Sprintf("SharedArray: cannot read element %s", raw)))
}

func (v *sharedArrayView) deepFreeze(val goja.Value) {
	obj, ok := val.(*goja.Object)
	if !ok {
		return
	}
	if v.freeze == nil {
		v.freeze, _ = goja.AssertFunction(v.vu.rt.Get("Object").ToObject(v.vu.rt).Get("freeze"))
	}
	if _, err := v.freeze(goja.Undefined(), obj); err != nil {
		panic(err)
	}
	for _, k := range obj.Keys() {
		v.deepFreeze(obj.Get(k))
	}
}
