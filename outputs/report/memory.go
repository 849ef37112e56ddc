package report

import (
	"bytes"
	"math"
	"os"
	rtmetrics "runtime/metrics"
	"strconv"
	"time"
)

// memReadEvery is the least wall-clock time between two readings of
// throng's memory. The aggregator asks for one reading per second of
// samples; in a real run that second is a wall-clock second, so every
// second gets a fresh reading. A batch that covers many seconds at once
// (a test feeding a synthetic day, an output catching up) reuses the last
// reading instead of reading again for each of its seconds.
const memReadEvery = 200 * time.Millisecond

// heapMetrics are the runtime/metrics whose sum is the Go heap in use
// (runtime.MemStats.HeapInuse): the spans holding objects, live or not
// yet swept, and their free slots. Reading them does not stop the world,
// unlike runtime.ReadMemStats.
var heapMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

// memSampler reads throng's own memory: its resident set (RSS, from
// /proc/self/statm; Linux only, NaN elsewhere) and the Go heap in use.
// It is not safe for concurrent use: the aggregator calls it under its
// lock.
type memSampler struct {
	read  func() (rss, heap float64) // one reading
	every time.Duration              // the least time between two readings
	now   func() time.Time

	at        time.Time // when the last reading was taken
	rss, heap float64   // the last reading
	read1     bool      // there is a last reading
}

func newMemSampler() *memSampler {
	r := &memReader{statm: "/proc/self/statm", pageSize: float64(os.Getpagesize())}
	r.samples = make([]rtmetrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		r.samples[i].Name = name
	}
	return &memSampler{read: r.read, every: memReadEvery, now: time.Now}
}

// sample returns throng's memory now, or the last reading when it was
// taken less than every ago.
func (m *memSampler) sample() (rss, heap float64) {
	now := m.now()
	if !m.read1 || now.Sub(m.at) >= m.every || now.Before(m.at) {
		m.rss, m.heap = m.read()
		m.at, m.read1 = now, true
	}
	return m.rss, m.heap
}

// memReader takes the readings: a small procfs file (tens of
// microseconds, most of it opening the file) and two runtime counters
// (well under a microsecond).
type memReader struct {
	statm    string
	noStatm  bool // not there (not Linux) or unreadable: do not try again
	pageSize float64
	samples  []rtmetrics.Sample
	buf      [128]byte
}

func (r *memReader) read() (rss, heap float64) {
	return r.rss(), r.heap()
}

// rss is the resident set in bytes: the second field of /proc/self/statm
// is resident pages.
func (r *memReader) rss() float64 {
	if r.noStatm {
		return math.NaN()
	}
	f, err := os.Open(r.statm)
	if err != nil {
		r.noStatm = true
		return math.NaN()
	}
	n, _ := f.Read(r.buf[:])
	f.Close()
	fields := bytes.Fields(r.buf[:n])
	if len(fields) < 2 {
		r.noStatm = true
		return math.NaN()
	}
	pages, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		r.noStatm = true
		return math.NaN()
	}
	return float64(pages) * r.pageSize
}

func (r *memReader) heap() float64 {
	rtmetrics.Read(r.samples)
	var sum float64
	for _, s := range r.samples {
		if s.Value.Kind() != rtmetrics.KindUint64 {
			return math.NaN() // a Go without these metrics
		}
		sum += float64(s.Value.Uint64())
	}
	return sum
}
