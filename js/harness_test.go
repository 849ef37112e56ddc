package js

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// harness runs scripts in real VUs and gives access to what they measured.
type harness struct {
	t        testing.TB
	builtins *metrics.Builtins
	engine   *metrics.Engine
	log      *bytes.Buffer
	bundle   *Bundle
	started  bool
	stopped  bool
}

// writeScript writes files (name → source) into a temp dir and returns the
// path of the first one given as main.
func writeScript(t testing.TB, files map[string]string, main string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, main)
}

func newHarness(t testing.TB, src string, env map[string]string) *harness {
	t.Helper()
	return newHarnessFiles(t, map[string]string{"script.js": src}, "script.js", env)
}

func newHarnessFiles(t testing.TB, files map[string]string, main string, env map[string]string) *harness {
	t.Helper()
	h := &harness{t: t, log: &bytes.Buffer{}}
	h.builtins = metrics.RegisterBuiltins(metrics.NewRegistry())
	h.engine = metrics.NewEngine(h.builtins)
	t.Cleanup(h.stop)
	b, err := Load(writeScript(t, files, main), Config{
		Env: env, Builtins: h.builtins, Engine: h.engine, Log: NewLogger(h.log),
		Tags: metrics.NewTagSet(nil),
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	h.bundle = b
	return h
}

// vu makes a VU; the first call starts the engine, so tests can add
// consumers before it.
func (h *harness) vu(id uint64) *VU {
	h.t.Helper()
	if !h.started {
		h.started = true
		h.engine.Start()
	}
	vu, err := h.bundle.NewVU(context.Background(), id)
	if err != nil {
		h.t.Fatalf("NewVU: %v", err)
	}
	return vu
}

// iterate runs n iterations of the default function on one VU.
func (h *harness) iterate(vu *VU, n int) {
	for range n {
		if !vu.Iterate(context.Background(), testIteration) {
			h.t.Fatal("iteration interrupted")
		}
	}
}

func (h *harness) stop() {
	if h.started && !h.stopped {
		h.stopped = true
		h.engine.Stop()
	}
}

// snapshot stops the engine and returns what it aggregated.
func (h *harness) snapshot() *metrics.Snapshot {
	h.stop()
	return h.engine.Snapshot(time.Second)
}

func sinkOf[T metrics.Sink](t *testing.T, s *metrics.Snapshot, name string) T {
	t.Helper()
	m, ok := s.Metric(name)
	if !ok {
		t.Fatalf("metric %s has no samples", name)
	}
	return m.Sink.(T)
}

// testScenario is the scenario the tests' iterations belong to.
var testScenario = &Scenario{Name: "default", Executor: "shared-iterations", Exec: "default"}

var testIteration = Iteration{Scenario: testScenario}
