package js

import (
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
}

// jslibAliases are remote modules that k6 users import and that throng
// has built in, so they work without a network.
var jslibAliases = map[string]string{
	"https://jslib.k6.io/k6-summary/0.0.1/index.js": "k6/summary",
	"https://jslib.k6.io/k6-summary/0.0.2/index.js": "k6/summary",
	"https://jslib.k6.io/k6-summary/0.0.3/index.js": "k6/summary",
	"https://jslib.k6.io/k6-summary/0.0.4/index.js": "k6/summary",
	"https://jslib.k6.io/k6-summary/0.1.0/index.js": "k6/summary",
}

// require resolves the built-in modules that the bundler left external.
// Local files never reach it: they are bundled at compile time.
func (vu *VU) require(name string) goja.Value {
	canonical := name
	if alias, ok := jslibAliases[name]; ok {
		canonical = alias
	}
	if rest, ok := strings.CutPrefix(name, "throng"); ok && (rest == "" || rest[0] == '/') {
		canonical = "k6" + rest
	}
	if m, ok := vu.modules[canonical]; ok {
		return m
	}
	build, ok := builtinModules[canonical]
	if !ok {
		if strings.HasPrefix(name, "http://") || strings.HasPrefix(name, "https://") {
			vu.throw("remote module %q: throng does not fetch modules over the network; bundle it locally (the built-in modules are %s)", name, moduleList())
		}
		vu.throw("unknown module %q: the built-in modules are %s", name, moduleList())
	}
	m := vu.esModule(build(vu))
	vu.modules[canonical] = m
	return m
}

// esModule wraps exports as the bundler's ES-module interop expects, so
// both `import http from 'k6/http'` and `import { check } from 'k6'` work.
func (vu *VU) esModule(exports map[string]any) goja.Value {
	obj := vu.rt.NewObject()
	def := vu.rt.NewObject()
	for k, v := range exports {
		_ = obj.Set(k, v)
		_ = def.Set(k, v)
	}
	_ = obj.Set("default", def)
	_ = obj.Set("__esModule", true)
	return obj
}

func moduleList() string {
	names := make([]string, 0, len(builtinModules))
	for n := range builtinModules {
		names = append(names, n)
	}
	// A stable order for a stable message.
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if names[j] < names[i] {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	return strings.Join(names, ", ") + " (also as throng/…)"
}
