// Package samplegen makes the samples a run makes, for the benchmarks of
// the outputs: the same load measured the same way in each.
package samplegen
