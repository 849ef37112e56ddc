// Package js runs k6-style scripts. It compiles a script and its local
// imports once per run (esbuild bundles the ES modules into one CommonJS
// program with an inline source map, so errors name the user's
// file:line:column), then gives each VU its own goja runtime built from
// that one program, with the built-in modules importable as k6/… and
// throng/…: k6 (check, group, sleep, fail), k6/http, k6/metrics,
// k6/execution, k6/data (SharedArray, held once in Go for all VUs),
// k6/encoding, k6/crypto and k6/html, and built-in stand-ins for the
// jslib.k6.io modules scripts commonly import (k6-summary, k6-utils).
// Modules throng lacks, and names a built-in module does not export, are
// refused when the script is compiled, naming the API (unsupported.go).
// A .ts script has its types stripped by esbuild.
//
// A VU's runtime is used only by the goroutine that drives it. Samples go
// to the VU's metrics.Buffer and reach the engine in batches.
package js
