package js

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCompile feeds script sources to the loader's compile step, which
// parses them (esbuild, then goja) without running anything, so a source
// that would loop forever in its init context costs nothing here. No
// source may panic it; every rejection must be a ScriptError that points
// at file:line:column in the user's script, since that is what the user
// is shown.
func FuzzCompile(f *testing.F) {
	for _, pattern := range []string{"testdata/compat/*.js", "testdata/compat/lib/*.js", "../examples/eventstore/*.js"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			if src, err := os.ReadFile(p); err == nil {
				f.Add(string(src))
			}
		}
	}
	for _, s := range []string{
		"", "export default function () {}\n", "export default function () {\n  let x = ;\n}\n",
		"import http from 'k6/http';\nexport default function () { http.get('http://127.0.0.1/'); }\n",
		"import ws from 'k6/ws';\nexport default function () {}\n",
		"import { nope } from 'k6/http';\nexport default function () {}\n",
		"import x from './missing.js';\nexport default function () {}\n",
		"import x from 'https://example.com/x.js';\n",
		"while (true) {}\nexport default function () {}\n",
		"export const options = { vus: 1 };\nexport async function setup() { await 1; }\nexport default () => {}\n",
		"class A { #p = 1; static s() { return this?.x ?? 2; } }\nexport default function () { for await (const x of []) {} }\n",
		"const re = /a(?<n>b)\\k<n>/u;\nexport default function* () { yield `t${1}`; }\n",
		"#!/usr/bin/env k6\nexport default function () {}\n", // a hashbang, kept first by esbuild
		"let a: number = 1;\n", "export { x as default };\n", "})\n(function(){\n", "/*", "`${", "\u2028\u2029\ufeff",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "script.js")
	f.Fuzz(func(t *testing.T, src string) {
		// Imports are read from disk: a device or /proc file could block
		// or never end, which is not what this target is about.
		for _, risky := range []string{"/dev", "/proc", "/sys", "..", "\x00"} {
			if strings.Contains(src, risky) {
				t.Skip()
			}
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := compile(path)
		if err == nil {
			return
		}
		var se *ScriptError
		if !errors.As(err, &se) {
			t.Fatalf("%q: not a located script error: %v", src, err)
		}
		if se.Message == "" || se.File == "" || se.Line < 1 || se.Column < 1 {
			t.Fatalf("%q: %q lacks a message or file:line:col (%+v)", src, err, se)
		}
		if !strings.Contains(err.Error(), se.File+":") {
			t.Fatalf("%q: %q does not name the file", src, err)
		}
	})
}
