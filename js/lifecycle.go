package js

import (
	"context"
	"errors"
	"fmt"

	"github.com/dop251/goja"
)

// ErrTimeout marks a setup() or teardown() that ran out of time.
var ErrTimeout = errors.New("timed out")

// RunLifecycle calls the exported setup or teardown function once, in a
// fresh VU whose samples are tagged group "::setup" or "::teardown", as in
// k6. data is the JSON passed as the argument (nil for none); the result
// comes back as JSON (nil when the function returns undefined). defined
// is false when the script does not export the function. An exception is
// a located ScriptError; running past ctx's deadline wraps ErrTimeout.
func (b *Bundle) RunLifecycle(ctx context.Context, name string, data []byte) (result []byte, defined bool, err error) {
	vu, err := b.newVU(ctx, 0)
	if err != nil {
		return nil, true, err
	}
	fn, ok := goja.AssertFunction(vu.exports.Get(name))
	if !ok {
		return nil, false, nil
	}
	vu.startIteration(ctx, Iteration{Scenario: &Scenario{Name: "", Exec: name}})
	vu.groupPath = "::" + name
	vu.tags = vu.baseTags.With("group", vu.groupPath)
	arg, err := vu.jsonArg(data)
	if err != nil {
		return nil, true, err
	}
	stop := context.AfterFunc(ctx, func() { vu.rt.Interrupt(ErrTimeout) })
	defer stop()
	res, err := fn(goja.Undefined(), arg)
	if vu.loop != nil { // timers or async requests to wait for
		err = vu.loop.finish(ctx, res, err)
	}
	res = settledValue(res) // an async setup's data is what its promise resolved to
	if err == nil {
		err = rejection(res)
	}
	vu.buf.Flush()
	if err != nil {
		var ie *goja.InterruptedError
		if (errors.As(err, &ie) || errors.Is(err, errInterrupted)) && ctx.Err() != nil { // interrupted in JS, or while the event loop waited
			return nil, true, fmt.Errorf("%s() %w", name, ErrTimeout)
		}
		return nil, true, exceptionError(err)
	}
	return vu.toJSON(name, res)
}

// jsonArg parses data (JSON) into a JS value; nil is undefined.
func (vu *VU) jsonArg(data []byte) (goja.Value, error) {
	if data == nil {
		return goja.Undefined(), nil
	}
	return vu.parseJSON(data)
}

func (vu *VU) toJSON(name string, v goja.Value) ([]byte, bool, error) {
	if v == nil || goja.IsUndefined(v) {
		return nil, true, nil
	}
	stringify, _ := goja.AssertFunction(vu.rt.Get("JSON").ToObject(vu.rt).Get("stringify"))
	s, err := stringify(goja.Undefined(), v)
	if err != nil {
		return nil, true, fmt.Errorf("%s() returned a value that is not JSON-serialisable: %w", name, exceptionError(err))
	}
	if goja.IsUndefined(s) {
		return nil, true, nil
	}
	return []byte(s.String()), true, nil
}

// SetSetupData sets the JSON of setup()'s result, handed to every
// iteration (each VU parses it once).
func (b *Bundle) SetSetupData(raw []byte) { b.setupRaw = raw }

// setupArg is the VU's copy of setup()'s result.
func (vu *VU) setupArg() goja.Value {
	if vu.setupData == nil {
		v, err := vu.jsonArg(vu.b.setupRaw)
		if err != nil {
			v = goja.Undefined()
		}
		vu.setupData = v
	}
	return vu.setupData
}
