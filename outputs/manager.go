package outputs

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/throng-dev/throng/metrics"
)

// queueBatches bounds each output's queue: at the engine's batch size
// that is about a million samples, many seconds of a busy run, before an
// output that cannot keep up loses data (counted and reported).
const queueBatches = 4096

// Manager fans the engine's batches out to the outputs. Each output has
// its own goroutine and bounded queue, so a slow one delays nobody: when
// its queue is full, the batch is dropped for that output and counted.
type Manager struct {
	outputs []*worker
	warnf   func(format string, args ...any)
}

type worker struct {
	out     Output
	queue   chan []metrics.Sample
	done    chan struct{}
	dropped atomic.Int64 // samples
	warned  atomic.Bool
}

// NewManager wraps outs; warnf logs drops while the run goes on.
func NewManager(outs []Output, warnf func(string, ...any)) *Manager {
	m := &Manager{warnf: warnf}
	for _, o := range outs {
		m.outputs = append(m.outputs, &worker{out: o, queue: make(chan []metrics.Sample, queueBatches), done: make(chan struct{})})
	}
	return m
}

// Start starts every output, stopping those already started if one fails.
func (m *Manager) Start() error {
	for i, w := range m.outputs {
		if err := w.out.Start(); err != nil {
			for _, started := range m.outputs[:i] {
				started.out.Stop()
			}
			return fmt.Errorf("%s: %w", w.out.Description(), err)
		}
		go w.run()
	}
	return nil
}

func (w *worker) run() {
	defer close(w.done)
	for batch := range w.queue {
		w.out.AddSamples(batch)
	}
}

// Consume is the engine's consumer: it copies the batch once (the engine
// reuses its slices) and queues it for every output without blocking.
func (m *Manager) Consume(batch []metrics.Sample) {
	if len(m.outputs) == 0 || len(batch) == 0 {
		return
	}
	shared := append([]metrics.Sample(nil), batch...)
	for _, w := range m.outputs {
		select {
		case w.queue <- shared:
		default:
			w.dropped.Add(int64(len(shared)))
			if !w.warned.Swap(true) {
				m.warnf("output %s cannot keep up: its queue is full and samples are being dropped (counted in the summary)", w.out.Description())
			}
		}
	}
}

// Stop lets every output drain its queue, then stops it. Call it after the
// engine has stopped, on every kind of end.
func (m *Manager) Stop() error {
	var errs []error
	for _, w := range m.outputs {
		close(w.queue)
	}
	for _, w := range m.outputs {
		<-w.done
		if err := w.out.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", w.out.Description(), err))
		}
	}
	return errors.Join(errs...)
}

// Descriptions lists the outputs for the banner.
func (m *Manager) Descriptions() []string {
	var d []string
	for _, w := range m.outputs {
		d = append(d, w.out.Description())
	}
	return d
}

// Reports says, per output, what was not delivered: queue drops here, and
// whatever the output itself reports. Outputs that delivered everything
// are left out.
func (m *Manager) Reports() map[string]string {
	reports := map[string]string{}
	for _, w := range m.outputs {
		var parts []string
		if n := w.dropped.Load(); n > 0 {
			parts = append(parts, fmt.Sprintf("%d samples dropped (queue full)", n))
		}
		if r, ok := w.out.(Reporter); ok {
			if s := r.Report(); s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) > 0 {
			reports[w.out.Description()] = strings.Join(parts, ", ")
		}
	}
	return reports
}
