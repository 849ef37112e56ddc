package js

import (
	"reflect"
	"unsafe"

	"github.com/dop251/goja"
)

// goja leaves its VM unbalanced when an async function is interrupted
// (Runtime.Interrupt) while it runs, before or after an await: the call
// and try frames the async runner pushed are never popped, because the
// interrupt panics past the code that pops them. From then on the
// runtime believes JS is still running, so it never again runs promise
// jobs: every later `await` of that VU hangs silently, and its iterations
// do nothing. Iterations are interrupted at the end of every run and when
// ramping-vus scales down, and VUs are reused after that, so throng
// repairs the VM when an interrupted iteration has returned.
//
// The repair reaches into goja's unexported fields by name. If a later
// goja renames them it does nothing (resetInterruptedVM reports false),
// and TestInterruptedAsyncVUIsReusable fails, rather than anything
// crashing.

// resetInterruptedVM empties the VM's call and try stacks and the promise
// job queue of rt. It must only be called when no JS is running on rt,
// when all of them are empty in a healthy runtime. It reports whether
// goja's layout was the expected one.
func resetInterruptedVM(rt *goja.Runtime) bool {
	r := reflect.ValueOf(rt).Elem()
	vmPtr := r.FieldByName("vm")
	if !vmPtr.IsValid() || vmPtr.Kind() != reflect.Pointer || vmPtr.IsNil() {
		return false
	}
	vm := vmPtr.Elem()
	callStack, tryStack, sp := vm.FieldByName("callStack"), vm.FieldByName("tryStack"), vm.FieldByName("sp")
	jobs := r.FieldByName("jobQueue")
	if !callStack.IsValid() || callStack.Kind() != reflect.Slice || !tryStack.IsValid() || tryStack.Kind() != reflect.Slice ||
		!sp.IsValid() || sp.Kind() != reflect.Int || !jobs.IsValid() || jobs.Kind() != reflect.Slice {
		return false
	}
	if callStack.Len() == 0 && tryStack.Len() == 0 {
		return true // healthy: the interrupt hit no async function
	}
	writable(callStack).SetLen(0)
	writable(tryStack).SetLen(0)
	writable(sp).SetInt(0)
	writable(jobs).SetLen(0) // the interrupted iteration's reactions must not run in the next
	return true
}

// writable makes an unexported field settable.
func writable(f reflect.Value) reflect.Value {
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}
