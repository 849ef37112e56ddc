package js

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
)

// BenchmarkVUMemory reports the heap a VU holds once its init context
// has run and it has done one iteration of a sleeping script that imports
// what most scripts do.
func BenchmarkVUMemory(b *testing.B) {
	h := newHarness(b, `import http from 'k6/http';
import { check, sleep } from 'k6';
export const options = { vus: 1 };
export default function () { sleep(0.001); }`, nil)
	const n = 1000
	vus := make([]*VU, 0, n)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		vus = vus[:0]
		for i := range n {
			vu := h.vu(uint64(i + 1))
			vu.Iterate(context.Background(), testIteration)
			vus = append(vus, vu)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/VU")
	if path := os.Getenv("VU_HEAP_PROFILE"); path != "" {
		f, _ := os.Create(path)
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	runtime.KeepAlive(vus)
}

// BenchmarkNewVU is the cost of creating one VU (a runtime that has run
// the init context of a script importing what most scripts do): the
// start-up of a run is this times the VUs, spread over the cores.
func BenchmarkNewVU(b *testing.B) {
	h := newHarness(b, `import http from 'k6/http';
import { check, sleep } from 'k6';
export const options = { vus: 1 };
export default function () { sleep(0.001); }`, nil)
	b.ReportAllocs()
	for i := uint64(1); b.Loop(); i++ {
		h.vu(i)
	}
}

// BenchmarkNewVUWithOptions is BenchmarkNewVU in a run, where the CLI
// has set the consolidated options (the HTTP client reads its own).
func BenchmarkNewVUWithOptions(b *testing.B) {
	h := newHarness(b, `import http from 'k6/http';
import { check, sleep } from 'k6';
export const options = { vus: 1 };
export default function () { sleep(0.001); }`, nil)
	h.bundle.SetOptions([]byte(`{"vus":5000,"duration":"30s","insecureSkipTLSVerify":true,"userAgent":"bench/1.0",` +
		`"scenarios":{"default":{"executor":"constant-vus","vus":5000,"duration":"30s","gracefulStop":"30s","exec":"default"}},` +
		`"thresholds":{"http_req_duration":["p(95)<500"],"checks":["rate>0.99"]},` +
		`"summaryTrendStats":["avg","min","med","max","p(90)","p(95)"],"tags":{"testid":"bench"},"hosts":{"example.com":"127.0.0.1"}}`))
	b.ReportAllocs()
	for i := uint64(1); b.Loop(); i++ {
		h.vu(i)
	}
}
