package js

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dop251/goja"
	"github.com/evanw/esbuild/pkg/api"
)

// ErrScript marks errors in the user's script (syntax errors, exceptions in
// the init context), which the CLI maps to exit code 107.
var ErrScript = errors.New("script error")

// ScriptError is an error located in the user's source.
type ScriptError struct {
	File         string // as the user named it, relative to the working directory when possible
	Line, Column int    // 1-based
	Message      string
}

func (e *ScriptError) Error() string {
	if e.File == "" {
		return e.Message
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
}

// Is makes errors.Is(err, ErrScript) true.
func (e *ScriptError) Is(target error) bool { return target == ErrScript }

// compile bundles the script at path with its local imports into one
// CommonJS program that goja runs in every VU. The wrapper function is put
// on the program's first line, so the inline source map still lines up.
// The built-in modules stay outside the bundle, reached through require at
// run time. esbuild picks the loader by extension, so a .ts script has its
// types stripped, and the source map points at the .ts.
//
// esbuild runs twice. The first build resolves the built-in modules to
// stand-ins that export exactly their names (builtinsPlugin), so esbuild
// itself refuses a name a module lacks, with its location; its output is
// dropped. The second leaves the built-ins external: the stand-ins'
// re-export getters would otherwise be built in every VU, about 10 KB
// each, to check what the first build has checked already. A build takes
// milliseconds, once per run.
//
// The hash is the hex SHA-256 of the bundle: the instances of a
// distributed test compare it to know they ran the same code.
func compile(path string) (prg *goja.Program, hash string, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, "", fmt.Errorf("cannot read script %s: %w", path, unwrapPathError(err))
	}
	opts := api.BuildOptions{
		EntryPoints: []string{abs},
		Bundle:      true,
		Format:      api.FormatCommonJS,
		Platform:    api.PlatformNeutral,
		Target:      api.ES2017,
		Plugins:     []api.Plugin{builtinsPlugin()},
		Outfile:     filepath.Join(filepath.Dir(abs), "__throng_bundle.js"),
		Write:       false,
		LogLevel:    api.LogLevelSilent,
		Charset:     api.CharsetUTF8,
	}
	if res := api.Build(opts); len(res.Errors) > 0 || len(builtinImportErrors(nil, res.Warnings)) > 0 {
		return nil, "", buildError(builtinImportErrors(res.Errors, res.Warnings))
	}
	opts.Plugins, opts.External, opts.Sourcemap = nil, builtinPrefixes, api.SourceMapInline
	res := api.Build(opts)
	if len(res.Errors) > 0 {
		return nil, "", buildError(res.Errors)
	}
	if len(res.OutputFiles) != 1 {
		return nil, "", fmt.Errorf("compiling %s: expected one output, got %d", path, len(res.OutputFiles))
	}
	code, _ := cheapInterop(string(res.OutputFiles[0].Contents))
	code = lazyHelpers(code)
	code = wrapperHead + commentHashbang(code) + "\n})"
	if prg, err = goja.Compile(abs, code, false); err != nil {
		return nil, "", fmt.Errorf("compiling %s: %w", path, err)
	}
	sum := sha256.Sum256(res.OutputFiles[0].Contents)
	return prg, hex.EncodeToString(sum[:]), nil
}

// wrapperHead opens the function the bundle runs in, on the bundle's
// first line so that the source map still lines up.
const wrapperHead = "(function(module, exports, require){"

// commentHashbang replaces the hashbang line that esbuild keeps at the
// top of the bundle ("#!/usr/bin/env k6") by an empty comment, keeping
// the line so that the source map still lines up: behind wrapperHead it
// is no longer the start of the program, the only place JavaScript
// allows it, and goja would refuse the script. (Its text goes too:
// esbuild passes it on byte for byte, invalid UTF-8 included.)
func commentHashbang(code string) string {
	if !strings.HasPrefix(code, "#!") {
		return code
	}
	if i := strings.IndexByte(code, '\n'); i >= 0 {
		return "//" + code[i:]
	}
	return "//"
}

// builtinMarker is a property that only throng's built-in module objects
// have (true); see cheapInterop.
const builtinMarker = "__throngBuiltin"

// cheaperHelpers replace esbuild's interop helpers, as esbuild v0.28
// writes them, with equivalents that cost a VU less to run, each keeping
// the original's number of lines so that the source map still lines up:
//
//   - __toESM hands throng's built-in modules back as they are, instead
//     of copying each of a module's names onto a new object as a getter
//     (a closure per name, in every VU: about 17 KB for a script importing
//     k6/http and k6). A built-in module object already is what __toESM
//     makes: it has default (itself) and __esModule, and reads as a
//     namespace.
//   - __export and __copyProps loop over Object.keys by index rather than
//     with for-in (which walks Object.prototype and makes goja build all
//     its methods) or for-of (which builds the array iterator machinery).
//   - __toCommonJS marks the entry module's namespace object instead of
//     copying it, getter by getter, into a new one.
//   - The aliases of Object's functions call them when used, rather than
//     reading them all when the script starts: goja builds each built-in
//     function object (about 1.2 KB) on first access, and most are never
//     called now.
//
// If a later esbuild writes a helper differently, it is left as it is and
// only the saving is lost; TestCheaperHelpers says so.
var cheaperHelpers = []struct{ esbuild, throng string }{
	{"var __create = Object.create;\n", "var __create = (proto) => Object.create(proto);\n"},
	{"var __getOwnPropDesc = Object.getOwnPropertyDescriptor;\n", "var __getOwnPropDesc = (obj, key) => Object.getOwnPropertyDescriptor(obj, key);\n"},
	{"var __getOwnPropNames = Object.getOwnPropertyNames;\n", "var __getOwnPropNames = (obj) => Object.getOwnPropertyNames(obj);\n"},
	{"var __getProtoOf = Object.getPrototypeOf;\n", "var __getProtoOf = (obj) => Object.getPrototypeOf(obj);\n"},
	{"var __hasOwnProp = Object.prototype.hasOwnProperty;\n", "var __hasOwnProp = function (key) { return Object.prototype.hasOwnProperty.call(this, key); };\n"},
	{`var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);`,
		`var __toCommonJS = (mod) => __defProp(mod, "__esModule", { value: true });`},
	{"var __toESM = (mod, isNodeMode, target) => (",
		"var __toESM = (mod, isNodeMode, target) => mod != null && mod." + builtinMarker + " === true ? mod : ("},
	{`var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};`, `var __export = (target, all) => {
  for (var names = Object.keys(all), i = 0; i < names.length; i++)
    __defProp(target, names[i], { get: all[names[i]], enumerable: true });
};`},
	{`    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
`, `    for (let keys = __getOwnPropNames(from), i = 0; i < keys.length; i++) { let key = keys[i];
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable }); }
`},
}

// cheapInterop applies cheaperHelpers to a bundle; it returns how many
// it replaced.
func cheapInterop(code string) (string, int) {
	n := 0
	for _, h := range cheaperHelpers {
		if strings.Contains(code, h.esbuild) {
			code = strings.Replace(code, h.esbuild, h.throng, 1)
			n++
		}
	}
	return code, n
}

// rareHelpers are the helpers that only __toESM's slow path needs (for a
// module that is not built in: a bundled CommonJS file, which scripts
// rarely import; esbuild also writes some of them for a bundle that
// imports no module at all, where nothing uses them). lazyHelpers moves
// their definitions onto that slow path, so they are made the first time
// it runs: each is a function object (about 430 bytes) that every VU
// would otherwise make and never call, and __defProp and the Object
// functions behind the others cost more when first read (goja builds a
// built-in function object on first access).
var rareHelpers = []string{"__create", "__defProp", "__getOwnPropDesc", "__getOwnPropNames", "__getProtoOf", "__hasOwnProp", "__copyProps"}

// copyPropsHelper is __copyProps after cheapInterop, as esbuild v0.28
// writes it around the loop that cheaperHelpers replaces.
const copyPropsHelper = `var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let keys = __getOwnPropNames(from), i = 0; i < keys.length; i++) { let key = keys[i];
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable }); }
  }
  return to;
};
`

// helperDef is the definition of helper name after cheapInterop.
func helperDef(name string) string {
	switch name {
	case "__copyProps":
		return copyPropsHelper
	case "__defProp":
		return "var __defProp = Object.defineProperty;\n"
	case "__toESM":
		return toESMHelper
	}
	for _, h := range cheaperHelpers {
		if strings.HasPrefix(h.throng, "var "+name+" = ") {
			return h.throng
		}
	}
	panic("no helper " + name)
}

// toESMHelper is __toESM after cheapInterop.
const toESMHelper = `var __toESM = (mod, isNodeMode, target) => mod != null && mod.` + builtinMarker + ` === true` + toESMSlowPath +
	`  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));
`

// toESMSlowPath is where __toESM, after cheapInterop, starts the copy of
// a module that is not built in.
const toESMSlowPath = " ? mod : (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(\n"

// nativeHelpers are __export and __toCommonJS after cheapInterop, and
// what lazyHelpers puts in their place: the bundle's require function,
// which does their work when called with an object (see VU.requireFunc
// and VU.interop). That spares every VU a function object for each, and
// Object.keys and Object.defineProperty, which goja would build in every
// VU on first access (about 600 bytes each).
var nativeHelpers = []struct{ js, native string }{
	{helperDef("__export"), "var __export = require;\n\n\n"},
	{helperDef("__toCommonJS"), "var __toCommonJS = require;"},
}

// lazyHelpers rewrites the rare helpers and __export and __toCommonJS as
// rareHelpers and nativeHelpers say. Each definition of a rare helper
// becomes a bare `var` declaration (blank lines keep its line count, so
// the source map still lines up: the helpers carry no mapping of their
// own), assigned on __toESM's slow path, the first time it runs. It does
// so only when the bundle names the rare helpers nowhere else than in
// those helpers (another esbuild helper, such as __reExport, __commonJS
// or __spreadValues, may use them): otherwise it returns the bundle as it
// is.
func lazyHelpers(code string) string {
	// The helpers whose text is known: the rare ones, __export,
	// __toCommonJS and __toESM.
	var known []string
	var defs []string // of the rare helpers present
	var names []string
	for _, name := range rareHelpers {
		def := helperDef(name)
		switch strings.Count(code, def) {
		case 0:
			if countIdentifier(code, name) != 0 {
				return code // written differently
			}
			continue
		case 1:
		default:
			return code
		}
		known, defs, names = append(known, def), append(defs, def), append(names, name)
	}
	for _, h := range nativeHelpers {
		if n := strings.Count(code, h.js); n > 1 || n == 0 && countIdentifier(code, strings.Fields(h.js)[1]) != 0 {
			return code
		}
		known = append(known, h.js)
	}
	slow := strings.Count(code, toESMHelper)
	if slow > 1 || slow == 0 && countIdentifier(code, "__toESM") != 0 {
		return code
	}
	if slow == 1 && len(defs) != len(rareHelpers) {
		return code // __toESM without the helpers it uses
	}
	known = append(known, toESMHelper)
	for _, name := range names {
		inKnown := 0
		for _, k := range known {
			inKnown += strings.Count(code, k) * countIdentifier(k, name)
		}
		if countIdentifier(code, name) != inKnown {
			return code // something else uses it
		}
	}
	assign := make([]string, len(defs))
	for i, def := range defs {
		code = strings.Replace(code, def, "var "+names[i]+";"+strings.Repeat("\n", strings.Count(def, "\n")), 1)
		// "var __create = (proto) => …;\n" → "__create = (proto) => …"
		assign[i] = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(def, "var "), ";\n"), "\n", " ")
	}
	for _, h := range nativeHelpers {
		code = strings.Replace(code, h.js, h.native, 1)
	}
	if slow == 1 {
		lazy := " ? mod : (__copyProps || (" + strings.Join(assign, ", ") + "), target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(\n"
		code = strings.Replace(code, toESMSlowPath, lazy, 1)
	}
	return code
}

// countIdentifier counts the occurrences of name that are not part of a
// longer identifier (__copyProps, but not __copyProps2).
func countIdentifier(code, name string) int {
	isIdent := func(c byte) bool {
		return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
	}
	n := 0
	for i := 0; ; {
		j := strings.Index(code[i:], name)
		if j < 0 {
			return n
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || !isIdent(code[start-1])) && (end == len(code) || !isIdent(code[end])) {
			n++
		}
		i = start + 1
	}
}

// builtinPrefixes are the imports the second build leaves to require:
// the built-in modules, and remote URLs (require maps the jslib modules
// throng has built in, and the first build has refused the others).
var builtinPrefixes = []string{"k6", "k6/*", "throng", "throng/*", "https://*", "http://*"}

func buildError(msgs []api.Message) error {
	m := msgs[0]
	e := &ScriptError{Message: m.Text}
	if loc := m.Location; loc != nil {
		e.File, e.Line, e.Column = displayPath(loc.File), loc.Line, loc.Column+1
	}
	if len(msgs) > 1 {
		e.Message += fmt.Sprintf(" (and %d more errors)", len(msgs)-1)
	}
	return e
}

// displayPath shortens an absolute path to one relative to the working
// directory when that is shorter, as users expect in messages.
func displayPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
