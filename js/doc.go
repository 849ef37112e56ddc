// Package js runs k6-style scripts. It compiles a script and its local
// imports once per run (esbuild bundles the ES modules into one CommonJS
// program with an inline source map, so errors name the user's
// file:line:column), then gives each VU its own goja runtime built from
// that one program, with the built-in modules importable as k6/… and
// throng/…: k6 (check, group, sleep, fail), k6/http and k6/metrics.
//
// A VU's runtime is used only by the goroutine that drives it. Samples go
// to the VU's metrics.Buffer and reach the engine in batches.
package js
