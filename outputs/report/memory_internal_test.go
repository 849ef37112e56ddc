package report

import (
	"os"
	"testing"
	"time"
)

// The real reader gives throng's RSS (on Linux) and Go heap in use.
func TestMemReaderReadsThisProcess(t *testing.T) {
	m := newMemSampler()
	rss, heap := m.sample()
	if _, err := os.Stat("/proc/self/statm"); err == nil && !(rss > 1<<20) {
		t.Errorf("RSS %v bytes, want more than 1 MB", rss)
	}
	if !(heap > 0) || (rss > 0 && heap > 4*rss) {
		t.Errorf("Go heap in use %v bytes (RSS %v)", heap, rss)
	}
	t.Logf("RSS %.1f MB, Go heap in use %.1f MB", rss/(1<<20), heap/(1<<20))
}

// Readings closer together than memReadEvery of wall-clock time reuse the
// last one: a batch covering many seconds costs one reading.
func TestMemSamplerReadsAtMostEveryInterval(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	reads := 0
	m := &memSampler{every: memReadEvery, now: func() time.Time { return now },
		read: func() (float64, float64) { reads++; return float64(reads), float64(reads) }}
	for range 100 {
		m.sample()
	}
	now = now.Add(memReadEvery)
	if rss, _ := m.sample(); reads != 2 || rss != 2 {
		t.Errorf("%d readings (last %v) for 101 samples over one interval, want 2", reads, rss)
	}
}

// The cost of one reading (tens of microseconds, most of it opening
// /proc/self/statm): at one a second, nothing next to the run.
func BenchmarkMemReading(b *testing.B) {
	m := newMemSampler()
	m.every = 0
	for b.Loop() {
		m.sample()
	}
}
