package js

import (
	"errors"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/evanw/esbuild/pkg/api"

	"github.com/throng-dev/throng/metrics"
)

func load(t *testing.T, files map[string]string, main string) (*Bundle, error) {
	t.Helper()
	return Load(writeScript(t, files, main), Config{
		Builtins: metrics.RegisterBuiltins(metrics.NewRegistry()), Log: NewLogger(&strings.Builder{}),
		Env: map[string]string{"WHO": "tester"},
	})
}

func TestSyntaxErrorNamesFileLineColumn(t *testing.T) {
	_, err := load(t, map[string]string{"bad.js": "export default function () {\n  let x = ;\n}\n"}, "bad.js")
	var se *ScriptError
	if !errors.As(err, &se) || !errors.Is(err, ErrScript) {
		t.Fatalf("err = %v, want a ScriptError", err)
	}
	if !strings.HasSuffix(se.File, "bad.js") || se.Line != 2 || se.Column != 11 {
		t.Errorf("located at %s:%d:%d, want bad.js:2:11 (%v)", se.File, se.Line, se.Column, err)
	}
}

func TestSyntaxErrorInImportedFile(t *testing.T) {
	_, err := load(t, map[string]string{
		"main.js":     "import { f } from './lib/util.js';\nexport default function () { f(); }\n",
		"lib/util.js": "export function f() {\n\n  return ) ;\n}\n",
	}, "main.js")
	var se *ScriptError
	if !errors.As(err, &se) || !strings.HasSuffix(se.File, "lib/util.js") || se.Line != 3 {
		t.Fatalf("err = %v, want it located in lib/util.js line 3", err)
	}
}

func TestMissingScriptAndMissingImport(t *testing.T) {
	_, err := Load("/nonexistent/dir/script.js", Config{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/dir/script.js") || strings.Count(err.Error(), "\n") > 0 {
		t.Errorf("missing script: %v", err)
	}
	_, err = load(t, map[string]string{"m.js": "import x from './nope.js';\nexport default function () {}\n"}, "m.js")
	if err == nil || !strings.Contains(err.Error(), "nope.js") || !strings.Contains(err.Error(), "m.js:1:") {
		t.Errorf("missing import: %v", err)
	}
}

func TestRuntimeErrorIsMappedToUserSource(t *testing.T) {
	h := newHarnessFiles(t, map[string]string{
		"main.js": `import { helper } from './helper.js';

export default function () {
  helper();
}
`,
		"helper.js": `// a comment to shift lines
export function helper() {
  const o = undefined;
  return o.field;
}
`,
	}, "main.js", nil)
	h.iterate(h.vu(1), 1)
	if log := h.log.String(); !strings.Contains(log, "helper.js:4:") || !strings.Contains(log, "TypeError") {
		t.Errorf("exception log %q should point at helper.js:4", log)
	}
}

func TestLocalImportsGlobalsEnvAndOpen(t *testing.T) {
	h := newHarnessFiles(t, map[string]string{
		"main.js": `import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { twice } from './lib.js';
import data from './data.js';
const text = open('./payload.txt');
const bin = open('payload.txt', 'b');
const out = new Counter('out');
export const options = { vus: 3, duration: '2s', tags: { team: 'x' } };
export default function () {
  if (__ENV.WHO !== 'tester') throw new Error('env ' + __ENV.WHO);
  if (text !== 'hello\n' || bin.byteLength !== 6) throw new Error('open');
  if (typeof http.get !== 'function') throw new Error('http');
  out.add(twice(__VU) + __ITER + data.n);
}
`,
		"lib.js":      "export const twice = (x) => 2 * x;\n",
		"data.js":     "module.exports = { n: 100 };\n",
		"payload.txt": "hello\n",
	}, "main.js", map[string]string{"WHO": "tester"})
	raw, err := h.bundle.Options()
	if err != nil || string(raw) != `{"duration":"2s","tags":{"team":"x"},"vus":3}` {
		t.Fatalf("options = %s, %v", raw, err)
	}
	h.iterate(h.vu(7), 2) // 14+0+100, 14+1+100
	s := h.snapshot()
	if out := sinkOf[*metrics.CounterSink](t, s, "out"); out.Sum != 229 {
		t.Errorf("out = %v, want 229; log: %s", out.Sum, h.log.String())
	}
}

func TestInitErrorsAreLocated(t *testing.T) {
	b, err := load(t, map[string]string{"s.js": "const x = 1;\nthrow new Error('init failed');\nexport default function () {}\n"}, "s.js")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Options()
	if err == nil || !strings.Contains(err.Error(), "s.js:2:") || !strings.Contains(err.Error(), "Error: init failed") || !errors.Is(err, ErrScript) {
		t.Errorf("err = %v", err)
	}
	b, _ = load(t, map[string]string{"o.js": "open('missing.txt');\nexport default function () {}\n"}, "o.js")
	if _, err = b.Options(); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("open of a missing file: %v", err)
	}
	b, _ = load(t, map[string]string{"u.js": "import x from 'k6/nope';\nexport default function () {}\n"}, "u.js")
	if _, err = b.Options(); err == nil || !strings.Contains(err.Error(), `unknown module "k6/nope"`) {
		t.Errorf("unknown module: %v", err)
	}
}

func TestCustomMetrics(t *testing.T) {
	h := newHarness(t, `
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
const c = new Counter('c'), g = new Gauge('g'), r = new Rate('r'), tr = new Trend('tr', true);
export default function () {
  c.add(2); c.add(3, { k: 'v' });
  g.add(7); g.add(4);
  r.add(true); r.add(false); r.add(1);
  tr.add(10); tr.add(30);
  if (c.add('not a number')) throw new Error('a NaN was accepted');
  if (c.name !== 'c') throw new Error('name');
}`, nil)
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	if c := sinkOf[*metrics.CounterSink](t, s, "c"); c.Sum != 5 {
		t.Errorf("counter %v", c.Sum)
	}
	if g := sinkOf[*metrics.GaugeSink](t, s, "g"); g.Value != 4 || g.Max != 7 {
		t.Errorf("gauge %+v", g)
	}
	if r := sinkOf[*metrics.RateSink](t, s, "r"); r.Trues != 2 || r.Total != 3 {
		t.Errorf("rate %+v", r)
	}
	m, _ := s.Metric("tr")
	if tr := m.Sink.(*metrics.TrendSink); tr.Mean() != 20 || m.Metric.Contains != metrics.Time {
		t.Errorf("trend mean %v contains %v", tr.Mean(), m.Metric.Contains)
	}
	if !strings.Contains(h.log.String(), "not a number") {
		t.Errorf("no warning for a NaN: %q", h.log.String())
	}
}

func TestMetricsMustBeCreatedInInit(t *testing.T) {
	h := newHarness(t, `
import { Counter } from 'k6/metrics';
export default function () { new Counter('late'); }`, nil)
	h.iterate(h.vu(1), 1)
	if !strings.Contains(h.log.String(), "init context") {
		t.Errorf("log %q", h.log.String())
	}
}

// TestCheapInterop: a default or namespace import of a built-in module is
// the module object itself, not a copy with a getter per name made in
// every VU (see cheapInterop). If esbuild changes its helper, this fails.
func TestCheapInterop(t *testing.T) {
	h := newHarness(t, `
import http from 'k6/http';
import * as ns from 'k6/http';
import k6, { check } from 'k6';
export default function () {
  if (ns !== http || k6.check !== check) throw new Error('built-in modules were copied');
  if (typeof ns.get !== 'function' || typeof http.batch !== 'function') throw new Error('module functions missing');
}`, nil)
	h.iterate(h.vu(1), 1)
	if s := h.snapshot(); len(s.Errors) != 0 {
		t.Fatalf("errors %+v; log: %s", s.Errors, h.log.String())
	}
}

// TestCheaperHelpers: every esbuild helper that cheaperHelpers replaces
// is found in a bundle that uses them all, so an esbuild upgrade that
// rewrites one fails here rather than silently costing memory per VU.
func TestCheaperHelpers(t *testing.T) {
	path := writeScript(t, map[string]string{"s.js": `
import http from 'k6/http';
import * as ns from 'k6/metrics';
export const options = {};
export default function () { http.get(String(ns)); }`}, "s.js")
	res := api.Build(api.BuildOptions{EntryPoints: []string{path}, Bundle: true, Format: api.FormatCommonJS,
		Platform: api.PlatformNeutral, Target: api.ES2017, External: builtinPrefixes, Write: false})
	if len(res.Errors) > 0 || len(res.OutputFiles) != 1 {
		t.Fatalf("build: %+v", res.Errors)
	}
	raw := string(res.OutputFiles[0].Contents)
	code, n := cheapInterop(raw)
	if n != len(cheaperHelpers) {
		t.Fatalf("replaced %d of %d helpers: esbuild writes them differently now; update cheaperHelpers\n%s", n, len(cheaperHelpers), raw)
	}
	if strings.Count(code, "\n") != strings.Count(raw, "\n") {
		t.Errorf("the replacements changed the line count: the source map would be off")
	}
}

// TestLazyHelpers: scripts whose bundles lazyHelpers rewrites (built-in
// imports, local ES modules, no imports at all) or leaves as they are
// (another helper uses the rare ones: __commonJS, __reExport, object
// spread, class fields) run as they should.
func TestLazyHelpers(t *testing.T) {
	for name, src := range map[string]string{
		"noImports": `
export const options = { vus: 1 };
export default function () { if (options.vus !== 1) throw new Error('options'); }`,
		"localESM": `
import { twice, k6 } from './esm.js';
import * as esm from './esm.js';
export default function () {
  if (twice(2) !== 4 || esm.twice !== twice || typeof k6.check !== 'function') throw new Error('bad import');
  if (Object.keys(esm).join() !== 'k6,twice') throw new Error('keys ' + Object.keys(esm));
}`,
		"classFields": `
import { check } from 'k6';
class C { x = 1; static y = 2; }
export default function () { if (new C().x !== 1 || C.y !== 2 || typeof check !== 'function') throw new Error('fields'); }`,
		"toESM": `
import lib from './lib.js';
import * as ns from './lib.js';
import { check } from 'k6';
export default function () {
  if (lib.a !== 1 || ns.default.b !== 2 || ns.a !== 1) throw new Error('bad import ' + JSON.stringify([lib, Object.keys(ns)]));
  if (typeof check !== 'function') throw new Error('check');
}`,
		"reExport": `
export * from './lib.js';
import lib from './lib.js';
export default function () { if (lib.a !== 1) throw new Error('bad import'); }`,
		"spread": `
import lib from './lib.js';
export default function () {
  const o = { ...lib, c: 3 };
  if (o.a !== 1 || o.c !== 3) throw new Error('bad spread ' + JSON.stringify(o));
}`,
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarnessFiles(t, map[string]string{
				"s.js":   src,
				"lib.js": `module.exports = { a: 1, b: 2 };`,
				"esm.js": "import * as k6 from 'k6';\nexport { k6 };\nexport function twice(x) { return 2 * x; }",
			}, "s.js", nil)
			h.iterate(h.vu(1), 1)
			if s := h.snapshot(); len(s.Errors) != 0 {
				t.Fatalf("errors %+v; log: %s", s.Errors, h.log.String())
			}
		})
	}
}

// TestLazyHelpersApplies: the common bundle (built-in imports only) gets
// the lazy helpers, with its line count unchanged, and they do what
// esbuild's do; one where another helper uses __copyProps keeps them as
// they were.
func TestLazyHelpersApplies(t *testing.T) {
	build := func(src string) string {
		path := writeScript(t, map[string]string{"s.js": src, "lib.js": "module.exports = {};"}, "s.js")
		res := api.Build(api.BuildOptions{EntryPoints: []string{path}, Bundle: true, Format: api.FormatCommonJS,
			Platform: api.PlatformNeutral, Target: api.ES2017, External: builtinPrefixes, Write: false})
		if len(res.Errors) > 0 || len(res.OutputFiles) != 1 {
			t.Fatalf("build: %+v", res.Errors)
		}
		code, _ := cheapInterop(string(res.OutputFiles[0].Contents))
		return code
	}
	code := build(`import http from 'k6/http';
import { sleep } from 'k6';
export default function () { http.get('x'); sleep(1); }`)
	lazy := lazyHelpers(code)
	if lazy == code || !strings.Contains(lazy, "var __copyProps;\n") || strings.Contains(lazy, "var __create = ") {
		t.Errorf("not made lazy:\n%s", lazy)
	}
	if strings.Count(lazy, "\n") != strings.Count(code, "\n") {
		t.Errorf("the line count changed: the source map would be off")
	}
	// The slow path is only reached for a module that is not built in,
	// which such a bundle does not import: call __toESM directly, on the
	// helpers as esbuild wrote them and as made lazy, and compare.
	probe := func(code string) string {
		rt := goja.New()
		v, err := rt.RunString(wrapperHead + code + `
return JSON.stringify([0, 1, 2].map((i) => {
  const m = [{ a: 1, b: 2 }, { __esModule: true, c: 3 }, Object.create({ inherited: 1 }, { own: { value: 4, enumerable: true } })][i];
  const ns = __toESM(m);
  return [Object.keys(ns), ns.default === m, ns.a, ns.c, ns.own, ns.inherited, Object.getPrototypeOf(ns) === Object.getPrototypeOf(m)];
}).concat((() => {
  const t = {}, r1 = __export(t, { b: () => 2, a: () => 1 }), r2 = __toCommonJS(t);
  return [r1, r2 === t, Object.getOwnPropertyNames(t), t.a, t.b].concat(Object.getOwnPropertyNames(t).map((k) => {
    const d = Object.getOwnPropertyDescriptor(t, k);
    return [k, typeof d.get, typeof d.set, d.enumerable, d.configurable, d.writable, d.value];
  }));
})()));
})`)
		if err != nil {
			t.Fatal(err)
		}
		fn, _ := goja.AssertFunction(v)
		vu := &VU{rt: rt}
		res, err := fn(goja.Undefined(), rt.NewObject(), rt.NewObject(), rt.ToValue(vu.requireFunc))
		if err != nil {
			t.Fatal(err)
		}
		return res.String()
	}
	if got, want := probe(lazy), probe(code); got != want {
		t.Errorf("__toESM made lazy gives %s, as esbuild wrote it %s", got, want)
	} else {
		t.Log(got)
	}
	code = build(`export * from './lib.js';
import http from 'k6/http';
export default function () { http.get('x'); }`)
	if lazyHelpers(code) != code {
		t.Errorf("changed although __reExport uses __copyProps")
	}
}
