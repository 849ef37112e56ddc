// Package metrics owns what throng measures: metric definitions and their
// registry, tag sets, samples and the per-VU buffers that move them in
// batches, the sinks that fold samples into aggregates (Trend sinks are
// bounded-memory, mergeable log-linear histograms), and the engine that
// consumes batches and produces the end-of-test snapshot.
//
// It imports only the standard library: no JavaScript, no network, no files.
package metrics
