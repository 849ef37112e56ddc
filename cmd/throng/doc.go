// Command throng runs k6-style load-test scripts.
//
//	throng run [flags] script.js
//	throng version
//
// It wires package js (the script and its VUs), runtime (the executor) and
// outputs (the summary) together around the metrics engine. All process
// I/O goes through the env struct, so tests run the whole command in
// memory.
package main
