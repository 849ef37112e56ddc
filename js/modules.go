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
	vu.modules[canonical] = m
	return m
}

// esModule wraps exports as the bundler's ES-module interop expects, so
// both `import http from 'k6/http'` and `import { check } from 'k6'` work:
// an object flagged __esModule whose `default` is itself. Its functions
// are made on first use, because a goja function object costs hundreds
// of bytes and most scripts use a few functions of each module: this
// keeps a VU small.
func (vu *VU) esModule(name string, exports map[string]any) goja.Value {
	m := &lazyModule{vu: vu, name: name, exports: exports, made: map[string]goja.Value{}}
	m.self = vu.rt.NewDynamicObject(m)
	return m.self
}

type lazyModule struct {
	vu      *VU
	name    string // canonical, for messages
	self    *goja.Object
	exports map[string]any
	made    map[string]goja.Value
}

func (m *lazyModule) Get(key string) goja.Value {
	switch key {
	case "default":
		return m.self
	case "__esModule", builtinMarker:
		return m.vu.rt.ToValue(true)
	}
	if v, ok := m.made[key]; ok {
		return v
	}
	raw, ok := m.exports[key]
	if !ok {
		// A k6 API the module lacks throws naming it when called.
		return m.vu.unsupportedFunction(m.name, key)
	}
	v := m.vu.rt.ToValue(raw)
	m.made[key] = v
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
