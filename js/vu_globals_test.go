package js

import (
	"strings"
	"testing"
)

// TestVUGlobals: __VU, __ITER, __ENV, global, console and open, which
// live on the global object's prototype chain (vuGlobals), read as they
// did as own properties of the global object, and a script that assigns
// __ITER still reads the iteration's number in the next iteration.
func TestVUGlobals(t *testing.T) {
	h := newHarnessFiles(t, map[string]string{
		"s.js": `
const data = open('data.txt');
export default function () {
  const want = globalThis.expectIter === undefined ? 0 : globalThis.expectIter;
  if (__ITER !== want || globalThis.__ITER !== want) throw new Error('__ITER ' + __ITER + ' want ' + want);
  if (__VU !== 7 || globalThis.__VU !== 7) throw new Error('__VU ' + __VU);
  if (__ENV.WHO !== 'tester' || global !== globalThis) throw new Error('env or global');
  if (data !== 'hello' || typeof open !== 'function') throw new Error('open');
  if (!('__ENV' in globalThis) || !('console' in globalThis)) throw new Error('in');
  console.log('iteration', __ITER);
  __ITER = 99; // hides vuGlobals' own: the next iteration must still see its number
  if (__ITER !== 99) throw new Error('assignment');
  globalThis.expectIter = want + 1;
}`,
		"data.txt": "hello",
	}, "s.js", map[string]string{"WHO": "tester"})
	vu := h.vu(7)
	h.iterate(vu, 3)
	if s := h.snapshot(); len(s.Errors) != 0 {
		t.Fatalf("errors %+v; log: %s", s.Errors, h.log.String())
	}
	if got := strings.Count(h.log.String(), "iteration"); got != 3 {
		t.Errorf("console.log lines %d: %s", got, h.log.String())
	}
}
