package metrics

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// soakFull and soakShort are the sample counts of TestSoakHeapStaysBounded:
// the full soak (about 15 s on a 2-core machine, longer under -race) runs
// only when THRONG_SOAK=1 is set (make soak), so that go test ./... and CI
// stay fast with the short one (about 1 s).
const (
	soakFull  = 100_000_000
	soakShort = 5_000_000
)

// soakHeapLimit and soakHeapGrowth are the bounds the live heap must stay
// within: far above what the sinks need (a few MB of histograms), far below
// what a leak of even a few bytes per sample would reach over the run.
const (
	soakHeapLimit  = 64 << 20
	soakHeapGrowth = 8 << 20
)

// soakDrainWait bounds how long the test waits for the engine to consume
// what was pushed, so that a stuck engine fails the test instead of hanging it.
const soakDrainWait = 2 * time.Minute

// TestSoakHeapStaysBounded feeds synthetic samples through the whole
// metrics path — a VU's Buffer, the engine's goroutine, the sinks, a
// sub-metric threshold's sink, the checks tree, the status counts and a
// consumer standing in for an output — and samples the live heap (after a
// GC) ten times. A load test runs for hours: its memory must depend on the
// number of metrics and tag sets, never on the number of samples, so the
// heap must stay under soakHeapLimit and must not grow between the first
// and the last sample by more than soakHeapGrowth.
//
// It runs 5M samples by default and 100M (make soak) with THRONG_SOAK=1;
// no network is involved.
func TestSoakHeapStaysBounded(t *testing.T) {
	total := soakShort
	if os.Getenv("THRONG_SOAK") == "1" {
		total = soakFull
	}
	reg := NewRegistry()
	bi := RegisterBuiltins(reg)
	e := NewEngine(bi)
	sets, err := ParseThresholds([]byte(`{
		"http_req_duration": ["p(95)<1000", "avg<600"],
		"http_req_duration{name:home}": ["p(99)<1000"],
		"http_req_failed{status:500}": ["rate<0.5"],
		"checks": ["rate>0.5"]
	}`), reg)
	if err != nil {
		t.Fatal(err)
	}
	e.SetThresholds(sets)
	var consumed atomic.Int64
	e.AddConsumer(func(batch []Sample) { consumed.Add(int64(len(batch))) })
	e.Start()

	feed := newSoakFeed(bi, e.NewBuffer())
	heap := make([]uint64, 0, 10)
	step := total / 10
	for len(heap) < 10 {
		feed.run(step)
		feed.buf.Flush()
		waitConsumed(t, &consumed, feed.sent)
		heap = append(heap, liveHeap())
		t.Logf("after %d samples: heap %.2f MB", feed.sent, float64(heap[len(heap)-1])/(1<<20))
	}
	e.Stop()

	checkHeap(t, heap)
	checkSoakTotals(t, e, feed)
}

// soakFeed produces the samples of a realistic run: per iteration, the 11
// samples of an HTTP request, two checks, and the iteration's own two, over
// a few tag sets.
type soakFeed struct {
	bi     *Builtins
	buf    *Buffer
	tags   []*TagSet
	checks [2]*TagSet
	iter   *TagSet
	now    int64
	sent   int64
	iters  int64
	fails  int64 // check samples with value 0
}

func newSoakFeed(bi *Builtins, buf *Buffer) *soakFeed {
	f := &soakFeed{bi: bi, buf: buf, now: time.Now().UnixNano()}
	for _, tc := range []struct{ name, status string }{
		{"home", "200"}, {"home", "304"}, {"api", "200"}, {"api", "404"}, {"api", "500"},
	} {
		f.tags = append(f.tags, NewTagSet(map[string]string{
			"name": tc.name, "method": "GET", "status": tc.status, "scenario": "default", "group": "::shop",
		}))
	}
	for i, name := range []string{"status is 200", "body has items"} {
		f.checks[i] = NewTagSet(map[string]string{"check": name, "group": "::shop", "scenario": "default"})
	}
	f.iter = NewTagSet(map[string]string{"scenario": "default"})
	return f
}

// run adds at least n samples, whole iterations at a time.
func (f *soakFeed) run(n int) {
	for goal := f.sent + int64(n); f.sent < goal; {
		f.iteration()
	}
}

func (f *soakFeed) iteration() {
	i := f.iters
	f.iters++
	tags := f.tags[i%int64(len(f.tags))]
	// Durations spread over four decades, so the histograms meet many buckets.
	ms := float64(1+i%997) * float64(1+i%13) * 0.37
	for _, s := range requestSamples(f.bi, tags, f.now, ms) {
		f.add(s)
	}
	for c, ct := range f.checks {
		v := 1.0
		if (i+int64(c))%7 == 0 {
			v = 0
			f.fails++
		}
		f.add(Sample{Metric: f.bi.Checks, Tags: ct, Time: f.now, Value: v})
	}
	f.add(Sample{Metric: f.bi.Iterations, Tags: f.iter, Time: f.now, Value: 1})
	f.add(Sample{Metric: f.bi.IterationDuration, Tags: f.iter, Time: f.now, Value: ms + 1})
	f.buf.Flush() // as a VU does at the end of each iteration
}

func (f *soakFeed) add(s Sample) {
	f.now += 1000 // a microsecond a sample: the run's clock moves as a real one would
	s.Time = f.now
	f.buf.Add(s)
	f.sent++
}

// waitConsumed waits until the engine's consumer has seen want samples, so
// that no batch in flight is counted in the heap.
func waitConsumed(t *testing.T, consumed *atomic.Int64, want int64) {
	t.Helper()
	deadline := time.Now().Add(soakDrainWait)
	for consumed.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("the engine consumed %d of %d samples in %v", consumed.Load(), want, soakDrainWait)
		}
		time.Sleep(time.Millisecond)
	}
}

// liveHeap is the heap still in use after two full collections: the
// second empties sync.Pool's victim cache, where up to a channel's worth of
// batches (8 MB) rests after a burst, so the figure is what the engine
// keeps, not how far the producer happened to run ahead.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func checkHeap(t *testing.T, heap []uint64) {
	t.Helper()
	for i, h := range heap {
		if h > soakHeapLimit {
			t.Errorf("heap sample %d is %d MB, above the %d MB bound", i, h>>20, soakHeapLimit>>20)
		}
	}
	if first, last := heap[0], heap[len(heap)-1]; last > first+soakHeapGrowth {
		t.Errorf("heap grew from %.1f MB to %.1f MB over the run: %s", mb(first), mb(last), mbs(heap))
	}
}

// checkSoakTotals makes sure every sample was folded in, not just dropped:
// the counts the summary shows must equal what the feed produced.
func checkSoakTotals(t *testing.T, e *Engine, f *soakFeed) {
	t.Helper()
	snap := e.Snapshot(time.Minute)
	reqs, ok := snap.Metric("http_reqs")
	if !ok {
		t.Fatal("no http_reqs in the snapshot")
	}
	if got := reqs.Sink.(*CounterSink).Sum; got != float64(f.iters) {
		t.Errorf("http_reqs = %v, want %d", got, f.iters)
	}
	var passes, fails int64
	for _, c := range snap.Root.group("::shop").Checks {
		passes += c.Passes
		fails += c.Fails
	}
	if passes+fails != 2*f.iters || fails != f.fails {
		t.Errorf("checks: %d passes, %d fails; want %d in all, %d fails", passes, fails, 2*f.iters, f.fails)
	}
	var statuses int64
	for _, c := range snap.StatusCodes {
		statuses += c.N
	}
	if statuses != f.iters {
		t.Errorf("status counts add up to %d, want %d", statuses, f.iters)
	}
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func mbs(heap []uint64) string {
	s := ""
	for _, h := range heap {
		s += fmt.Sprintf(" %.2f", mb(h))
	}
	return s + " MB"
}
