package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// gcHeadroom is the least room tuneGC leaves the heap to grow between
// two collections.
//
// With Go's default (GOGC=100) the heap may grow by as much as is live
// before the next collection. A run of a few VUs keeps a few MB live and
// allocates a few hundred MB a second (about 8 KB per request), so the
// collector would run dozens of times a second: in A/B runs of
// bench/get-check.js that was about a tenth of the CPU per request
// (GOGC=800: 33 µs per request instead of 37, RSS 58 MB instead of 31).
// A large run (thousands of VUs, 100 MB live) keeps Go's default, so its
// peak memory is what it was.
const gcHeadroom = 32 << 20

// tuneGC keeps the collector's goal at least gcHeadroom above the live
// heap, reading the live heap every 250 ms, until stop is called. A GOGC
// set by the user is left alone.
func tuneGC() (stop func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	debug.SetGCPercent(maxGCPercent) // before the first collection
	go func() {
		defer close(finished)
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		current := maxGCPercent
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(live)
			if live[0].Value.Kind() == metrics.KindUint64 {
				if p := gcPercentFor(live[0].Value.Uint64()); p != current {
					debug.SetGCPercent(p)
					current = p
				}
			}
			select {
			case <-done:
				debug.SetGCPercent(100)
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// gcPercentFor is the GOGC that gives a live heap of live bytes at least
// gcHeadroom to grow, in steps of 100 so that it changes seldom. It is at
// most maxGCPercent: Go's smallest heap goal is 4 MB times GOGC/100,
// whatever is live, so a larger GOGC for a heap of a few MB (or before the
// first collection, when nothing is known to be live) would let it grow
// far past gcHeadroom.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return maxGCPercent
	}
	p := int(gcHeadroom * 100 / live)
	return min(maxGCPercent, max(100, (p+99)/100*100))
}

// maxGCPercent makes Go's smallest heap goal gcHeadroom.
const maxGCPercent = gcHeadroom / (4 << 20) * 100
