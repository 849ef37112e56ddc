// Package runtime owns the run: options and their validation, the
// executors that decide when each VU starts an iteration, the VU pool, and
// graceful stop. It drives VUs through the small VU and VUFactory
// interfaces, which package js satisfies; runtime never imports js.
package runtime
