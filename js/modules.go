package js

import (
	"path"
	"sort"
	"strings"

	"github.com/dop251/goja"
)

// builtinModules maps each built-in module's canonical (k6) name to the
// function that builds its exports for one VU. Every module is importable
// as k6/… and as throng/….
var builtinModules = map[string]func(vu *VU) map[string]any{
	"k6":           k6Module,
	"k6/http":      httpModule,
	"k6/metrics":   metricsModule,
	"k6/execution": executionModule,
	"k6/summary":   summaryModule,
	"k6/encoding":  encodingModule,
	"k6/crypto":    cryptoModule,
	"k6/html":      htmlModule,
	"k6/data":      dataModule,
	"k6/utils":     utilsModule, // jslib's k6-utils, see jslibAliases
	"k6/timers":    timersModule,
}

// jslibAliases are remote modules that k6 users import and that throng
// has built in, so they work without a network.
var jslibAliases = map[string]string{
	"https://jslib.k6.io/k6-summary/0.0.1/index.js": "k6/summary",
	"https://jslib.k6.io/k6-summary/0.0.2/index.js": "k6/summary",
	"https://jslib.k6.io/k6-summary/0.0.3/index.js": "k6/summary",
	"https://jslib.k6.io/k6-summary/0.0.4/index.js": "k6/summary",
	"https://jslib.k6.io/k6-summary/0.1.0/index.js": "k6/summary",
	"https://jslib.k6.io/k6-utils/1.0.0/index.js":   "k6/utils",
	"https://jslib.k6.io/k6-utils/1.1.0/index.js":   "k6/utils",
	"https://jslib.k6.io/k6-utils/1.2.0/index.js":   "k6/utils",
	"https://jslib.k6.io/k6-utils/1.3.0/index.js":   "k6/utils",
	"https://jslib.k6.io/k6-utils/1.4.0/index.js":   "k6/utils",
	"https://jslib.k6.io/k6-utils/1.5.0/index.js":   "k6/utils",
	"https://jslib.k6.io/k6-utils/1.6.0/index.js":   "k6/utils",
}

// require resolves the built-in modules that the bundler left external.
// Local files never reach it: they are bundled at compile time.
func (vu *VU) require(name string) goja.Value {
	canonical := canonicalModule(name)
	if m, ok := vu.modules[canonical]; ok {
		return m
	}
	build, ok := builtinModules[canonical]
	if !ok {
		if strings.HasPrefix(name, "http://") || strings.HasPrefix(name, "https://") {
			vu.throw("remote module %q: throng does not fetch modules over the network, at run time or before; vendor it: download it once into your repository (curl -o lib/%s %s) and import it by relative path ('./lib/%s'). The built-in modules are %s",
				name, path.Base(name), name, path.Base(name), moduleList())
		}
		vu.throw("unknown module %q: the built-in modules are %s", name, moduleList())
	}
	m := vu.esModule(canonical, build(vu))
	if vu.modules == nil {
		vu.modules = map[string]goja.Value{}
	}
	vu.modules[canonical] = m
	return m
}

// requireFunc is the bundle's require: it resolves a built-in module
// (require), and does the work of esbuild's helpers __export and
// __toCommonJS (interop) when called with an object, which no import
// does: lazyHelpers (compile.go) makes those helpers this function, to
// spare each VU the function objects the helpers would cost. It takes a
// goja.FunctionCall: goja calls that directly, where it would wrap a
// typed Go function through reflection (a larger function object, and
// reflect.Call on every import).
func (vu *VU) requireFunc(c goja.FunctionCall) goja.Value {
	if obj, ok := c.Argument(0).(*goja.Object); ok && obj.ClassName() != "String" {
		return vu.interop(c)
	}
	return vu.require(stringArg(c, 0))
}

// interop does the work of esbuild's helpers __export and __toCommonJS,
// without reading Object.keys and Object.defineProperty:
//
//   - interop(target, all) is __export: for each of all's own enumerable
//     names, in order, an enumerable, non-configurable getter all[name]
//     on target, as __defProp(target, name, { get: all[name], enumerable: true }).
//   - interop(mod) is __toCommonJS: it marks mod with a read-only,
//     non-enumerable __esModule (true) and returns it.
func (vu *VU) interop(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	target := c.Argument(0).ToObject(rt)
	if len(c.Arguments) < 2 {
		if err := target.DefineDataProperty("__esModule", rt.ToValue(true), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE); err != nil {
			panic(err)
		}
		return target
	}
	all := c.Argument(1).ToObject(rt)
	for _, name := range all.Keys() {
		if err := target.DefineAccessorProperty(name, all.Get(name), nil, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
			panic(err)
		}
	}
	return goja.Undefined()
}

// esModule wraps exports as the bundler's ES-module interop expects, so
// both `import http from 'k6/http'` and `import { check } from 'k6'` work:
// an object flagged __esModule whose `default` is itself. Its functions
// are made on first use, because a goja function object costs hundreds
// of bytes and most scripts use a few functions of each module: this
// keeps a VU small.
func (vu *VU) esModule(name string, exports map[string]any) goja.Value {
	m := &lazyModule{vu: vu, name: name, exports: exports}
	m.self = vu.rt.NewDynamicObject(m)
	return m.self
}

// member is an export that is made for a VU when first read. It lets a
// module keep one table of exports for all VUs (httpExports, k6Exports)
// instead of building, in every VU, a map and a closure per name that
// the script mostly never reads.
type member func(vu *VU) any

type lazyModule struct {
	vu      *VU
	name    string // canonical, for messages
	self    *goja.Object
	exports map[string]any // may be shared by all VUs: never written
	// The exports made so far: a script reads a few of a module's
	// exports, so a short list costs a VU less than a map (and is as
	// fast to search).
	made []madeExport
}

type madeExport struct {
	key string
	v   goja.Value
}

func (m *lazyModule) Get(key string) goja.Value {
	switch key {
	case "default":
		return m.self
	case "__esModule", builtinMarker:
		return m.vu.rt.ToValue(true)
	}
	for _, e := range m.made {
		if e.key == key {
			return e.v
		}
	}
	raw, ok := m.exports[key]
	if !ok {
		// A k6 API the module lacks throws naming it when called.
		return m.vu.unsupportedFunction(m.name, key)
	}
	if f, ok := raw.(member); ok {
		raw = f(m.vu)
	}
	v := m.vu.rt.ToValue(raw)
	m.made = append(m.made, madeExport{key, v})
	return v
}

// Set refuses writes: modules are read-only, as ES module namespaces are.
func (m *lazyModule) Set(string, goja.Value) bool { return false }

func (m *lazyModule) Has(key string) bool {
	_, ok := m.exports[key]
	return ok || key == "default" || key == "__esModule"
}

func (m *lazyModule) Delete(string) bool { return false }

func (m *lazyModule) Keys() []string {
	keys := make([]string, 0, len(m.exports)+2)
	for k := range m.exports {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// The bundler's interop copies a module's own keys as getters, so
	// these must be listed too.
	return append(keys, "default", "__esModule")
}

func moduleList() string {
	names := make([]string, 0, len(builtinModules))
	for n := range builtinModules {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ") + " (also as throng/…)"
}
