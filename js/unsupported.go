package js

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/evanw/esbuild/pkg/api"
)

// A k6 script that uses an API throng lacks must fail when it is loaded,
// with a message naming the API, not minutes into a run with goja's
// "undefined is not a function". Two things make that possible:
//
//   - the k6 modules throng does not have are refused when esbuild resolves
//     the import (unsupportedModule);
//   - every built-in module is bundled as a small virtual ES module that
//     re-exports exactly the names the module has, so esbuild itself checks
//     named imports (`import { foo } from 'k6/http'`) and `ns.foo` on
//     namespace imports, and reports them at the importing line. The
//     virtual module re-exports from the external name, so the program
//     still reaches the module through require at run time, and a
//     function is still only made when the script first touches it.
//
// Access through a module's default export (`crypto.md4(...)`)
// cannot be seen at build time; for the k6 APIs listed in
// unsupportedExports the module object returns a function that throws the
// same message (see lazyModule.Get).

// unsupportedModules are the k6 modules throng does not have, with why.
var unsupportedModules = map[string]string{
	"k6/ws":          "WebSockets are not implemented",
	"k6/websockets":  "WebSockets are not implemented",
	"k6/net/grpc":    "gRPC is not implemented",
	"k6/browser":     "browser automation is not implemented",
	"k6/crypto/x509": "X.509 certificate parsing is not implemented",
	"k6/secrets":     "secret sources are not implemented; pass secrets with -e NAME=VALUE and read __ENV",
	"k6/webcrypto":   "WebCrypto is not implemented; k6/crypto is",
}

// unsupportedModulePrefixes are families of k6 modules throng does not have.
var unsupportedModulePrefixes = map[string]string{
	"k6/experimental/": "experimental k6 modules are not implemented",
	"k6/x/":            "xk6 extensions cannot be loaded into throng",
}

// unsupportedExports are the k6 APIs of modules throng has that throng
// lacks, with why. A name a module gains is no longer refused: the
// module's own exports take precedence.
var unsupportedExports = map[string]map[string]string{
	"k6": {
		"randomSeed": "seeding Math.random is not implemented",
	},
	"k6/http": {
		"OCSP_STATUS_GOOD":          "OCSP stapling information (res.ocsp) is not implemented",
		"OCSP_STATUS_REVOKED":       "OCSP stapling information (res.ocsp) is not implemented",
		"OCSP_STATUS_UNKNOWN":       "OCSP stapling information (res.ocsp) is not implemented",
		"OCSP_STATUS_SERVER_FAILED": "OCSP stapling information (res.ocsp) is not implemented",
	},
	"k6/crypto": {
		"md4":       "MD4 is not implemented",
		"ripemd160": "RIPEMD-160 is not implemented",
	},
	"k6/utils": {
		"check":                      "the Promise-aware check of k6-utils is not implemented; use check from k6",
		"getCurrentStageIndex":       "stage tracking is not implemented",
		"tagWithCurrentStageIndex":   "stage tracking is not implemented",
		"tagWithCurrentStageProfile": "stage tracking is not implemented",
	},
}

func unsupportedModule(canonical string) (string, bool) {
	if why, ok := unsupportedModules[canonical]; ok {
		return fmt.Sprintf("%s is not supported by throng (%s)", canonical, why), true
	}
	for prefix, why := range unsupportedModulePrefixes {
		if strings.HasPrefix(canonical, prefix) {
			return fmt.Sprintf("%s is not supported by throng (%s)", canonical, why), true
		}
	}
	return "", false
}

// missingExportMessage says why module has no export called name.
func missingExportMessage(module, name string) string {
	if why, ok := unsupportedExports[module][name]; ok {
		return fmt.Sprintf("%s.%s is not supported by throng (%s)", module, name, why)
	}
	names, _ := moduleExportNames(module)
	return fmt.Sprintf("%s.%s does not exist: %s exports %s", module, name, module, strings.Join(names, ", "))
}

// unsupportedFunction is what a module object gives for a k6 API it lacks:
// a function that throws, so the script learns which API it was.
func (vu *VU) unsupportedFunction(module, name string) goja.Value {
	if _, ok := unsupportedExports[module][name]; !ok {
		return nil
	}
	msg := missingExportMessage(module, name)
	return vu.rt.ToValue(func(goja.FunctionCall) goja.Value { panic(vu.jsError(msg)) })
}

// canonicalModule maps what a script imports to the name of the built-in
// module that serves it: jslib URLs to their built-in stand-ins, and
// throng/… to k6/….
func canonicalModule(name string) string {
	if alias, ok := jslibAliases[name]; ok {
		return alias
	}
	if rest, ok := strings.CutPrefix(name, "throng"); ok && (rest == "" || rest[0] == '/') {
		return "k6" + rest
	}
	return name
}

// exportNames caches moduleExportNames: a module's names do not change.
var exportNames sync.Map // canonical name → []string (nil: unknown)

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// moduleExportNames lists a built-in module's exports, sorted. It builds
// the module once for a throwaway VU; ok is false when that is not
// possible (no such module, or its builder needs a real VU), and the
// module is then left unchecked at build time.
func moduleExportNames(canonical string) (names []string, ok bool) {
	if v, done := exportNames.Load(canonical); done {
		names = v.([]string)
		return names, names != nil
	}
	if build, found := builtinModules[canonical]; found {
		names = probeExports(build)
	}
	exportNames.Store(canonical, names)
	return names, names != nil
}

func probeExports(build func(*VU) map[string]any) (names []string) {
	defer func() {
		if recover() != nil {
			names = nil
		}
	}()
	vu := &VU{id: 0, b: &Bundle{}, rt: goja.New(), inInit: true, modules: map[string]goja.Value{}, fns: map[string]goja.Callable{}}
	names = []string{}
	for name := range build(vu) {
		if identifier.MatchString(name) && name != "default" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// builtinNamespace holds the virtual modules that stand for the built-in
// modules in the bundle; runtimePrefix marks the external name each
// re-exports from, which require serves at run time.
const (
	builtinNamespace = "throng-builtin"
	runtimePrefix    = "throng-runtime:"
)

// builtinsPlugin resolves the built-in modules for esbuild (see the top of
// this file). Names that are neither built in nor known to be unsupported
// (k6/nope, other URLs) are left to require, which refuses them with the
// list of the modules there are.
func builtinsPlugin() api.Plugin {
	return api.Plugin{Name: "throng-builtins", Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: "^" + regexp.QuoteMeta(runtimePrefix)}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			return api.OnResolveResult{Path: strings.TrimPrefix(a.Path, runtimePrefix), External: true}, nil
		})
		b.OnResolve(api.OnResolveOptions{Filter: `^(k6|throng)(/.*)?$|^https?://`}, resolveBuiltin)
		b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: builtinNamespace}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
			names, _ := moduleExportNames(a.Path)
			src := fmt.Sprintf("export { %s } from %q;\n", strings.Join(append([]string{"default"}, names...), ", "), runtimePrefix+a.Path)
			return api.OnLoadResult{Contents: &src, Loader: api.LoaderJS}, nil
		})
	}}
}

func resolveBuiltin(a api.OnResolveArgs) (api.OnResolveResult, error) {
	canonical := canonicalModule(a.Path)
	if msg, ok := unsupportedModule(canonical); ok {
		return api.OnResolveResult{}, fmt.Errorf("%s", msg)
	}
	if _, ok := moduleExportNames(canonical); ok {
		return api.OnResolveResult{Path: canonical, Namespace: builtinNamespace}, nil
	}
	return api.OnResolveResult{Path: a.Path, External: true}, nil
}

var (
	noMatchingExport = regexp.MustCompile(`^No matching export in "` + builtinNamespace + `:([^"]+)" for import "([^"]+)"$`)
	alwaysUndefined  = regexp.MustCompile(`^Import "([^"]+)" will always be undefined because there is no matching export in "` + builtinNamespace + `:([^"]+)"$`)
)

// builtinImportErrors rewrites esbuild's messages about names a built-in
// module lacks into throng's, and turns the warning esbuild gives for
// `ns.foo` on a namespace import into an error: either would otherwise
// fail only when the line runs.
func builtinImportErrors(errs, warnings []api.Message) []api.Message {
	out := make([]api.Message, 0, len(errs))
	for _, m := range errs {
		if g := noMatchingExport.FindStringSubmatch(m.Text); g != nil {
			m.Text = missingExportMessage(g[1], g[2])
		}
		out = append(out, m)
	}
	for _, m := range warnings {
		if g := alwaysUndefined.FindStringSubmatch(m.Text); g != nil {
			m.Text = missingExportMessage(g[2], g[1])
			out = append(out, m)
		}
	}
	return out
}
