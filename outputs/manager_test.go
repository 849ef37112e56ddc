package outputs

import (
	"sync"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// blockingOutput holds every batch until released, like a dead backend.
type blockingOutput struct {
	release chan struct{}
	mu      sync.Mutex
	got     int
	stopped bool
}

func (b *blockingOutput) Description() string { return "blocking" }
func (b *blockingOutput) Start() error        { return nil }
func (b *blockingOutput) AddSamples(batch []metrics.Sample) {
	<-b.release
	b.mu.Lock()
	b.got += len(batch)
	b.mu.Unlock()
}
func (b *blockingOutput) Stop() error { b.stopped = true; return nil }

type countingOutput struct {
	mu  sync.Mutex
	got int
}

func (c *countingOutput) Description() string { return "counting" }
func (c *countingOutput) Start() error        { return nil }
func (c *countingOutput) AddSamples(batch []metrics.Sample) {
	c.mu.Lock()
	c.got += len(batch)
	c.mu.Unlock()
}
func (c *countingOutput) Stop() error { return nil }

func (c *countingOutput) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got
}

// TestSlowOutputBlocksNobody: an output that never returns does not slow
// Consume (the engine, and through it the VUs) nor the other outputs; its
// losses are counted and reported.
func TestSlowOutputBlocksNobody(t *testing.T) {
	slow := &blockingOutput{release: make(chan struct{})}
	fast := &countingOutput{}
	var warnings int
	m := NewManager([]Output{slow, fast}, func(string, ...any) { warnings++ })
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	batch := make([]metrics.Sample, 10)
	const batches = queueBatches + 500
	done := make(chan struct{})
	go func() {
		// In rounds that let the healthy output catch up, as it does in a
		// run (its queue holds queueBatches; a producer that outran it
		// on a loaded machine would overflow it too), while the stuck
		// one's queue fills and then drops.
		for sent := 0; sent < batches; {
			for range min(100, batches-sent) {
				m.Consume(batch)
				sent++
			}
			for deadline := time.Now().Add(10 * time.Second); fast.count() < sent*10 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Consume blocked behind a stuck output")
	}
	close(slow.release)
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	if fast.got != batches*10 {
		t.Errorf("the healthy output got %d samples, want %d", fast.got, batches*10)
	}
	delivered := slow.got
	reports := m.Reports()
	if delivered+int(m.outputs[0].dropped.Load()) != batches*10 || reports["blocking"] == "" || warnings != 1 {
		t.Errorf("slow output: delivered %d, dropped %d, report %q, %d warnings", delivered, m.outputs[0].dropped.Load(), reports["blocking"], warnings)
	}
	if _, ok := reports["counting"]; ok || !slow.stopped {
		t.Error("a healthy output has no report, and every output is stopped")
	}
}
