// Package outputs owns where results go. The end-of-test summary, its JSON
// export and JUnit live in outputs/summary; streaming outputs (files,
// databases) implement Output, and the Manager fans the engine's sample
// batches out to them, each on its own goroutine with a bounded queue, so
// a slow output never slows the test and what it drops is counted.
package outputs
