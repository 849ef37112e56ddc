package js

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

// sharedDataSize is the JSON size of the data set of the memory tests.
const sharedDataSize = 1 << 20

// memoryData is about sharedDataSize bytes of JSON: records that a test
// script would read users or products from.
func memoryData(t testing.TB) string {
	var rows []map[string]any
	size := 2
	for i := 0; size < sharedDataSize; i++ {
		row := map[string]any{"id": i, "name": fmt.Sprintf("user-%d", i), "bio": strings.Repeat("lorem ipsum ", 20)}
		b, _ := json.Marshal(row)
		size += len(b) + 1
		rows = append(rows, row)
	}
	out, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// heapPerVU makes `few` VUs, then `many`, each running one iteration that
// reads a few elements, and returns the heap each VU past the first `few`
// added (after a GC, with every VU still alive).
func heapPerVU(t *testing.T, src string, few, many int) float64 {
	h := newHarnessFiles(t, map[string]string{"script.js": src, "data.json": memoryData(t)}, "script.js", nil)
	vus := make([]*VU, 0, many)
	grow := func(n int) uint64 {
		for len(vus) < n {
			vu := h.vu(uint64(len(vus) + 1))
			h.iterate(vu, 1)
			vus = append(vus, vu)
		}
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := grow(few)
	after := grow(many)
	s := h.snapshot()
	if c := sinkOf[*metrics.RateSink](t, s, "checks"); c.Trues != int64(many) || c.Total != int64(many) {
		t.Fatalf("the VUs did not read the data: checks %d/%d\n%s", c.Trues, c.Total, h.log.String())
	}
	runtime.KeepAlive(vus)
	return float64(int64(after)-int64(before)) / float64(many-few)
}

// TestSharedArrayMemoryDoesNotGrowWithVUs: 1 MB of data in a SharedArray
// costs each VU far less than a copy of it: going from 10 to 1,000 VUs
// that each read a few elements, the heap grows by much less than 1/20 of
// the data per VU, VU included. The control, where each VU parses its own
// copy as scripts without SharedArray do, grows by about the data per VU,
// which shows the measure would catch a copy.
func TestSharedArrayMemoryDoesNotGrowWithVUs(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 1,000 VUs")
	}
	const read = `
export default function () {
  const a = data[__VU % data.length], b = data[(__VU * 7) % data.length], c = data[data.length - 1];
  check(data, { 'read': (d) => d.length > 500 && a.name.startsWith('user-') && b.bio.length > 100 && c.id === d.length - 1 });
}`
	shared := heapPerVU(t, `
import { SharedArray } from 'k6/data';
import { check } from 'k6';
const data = new SharedArray('users', () => JSON.parse(open('./data.json')));`+read, 10, 1000)
	t.Logf("SharedArray: %.0f bytes of heap per VU for %d bytes of data", shared, sharedDataSize)
	if shared >= sharedDataSize/20 {
		t.Errorf("with a SharedArray each VU costs %.0f bytes, want < %d (1/20 of the data)", shared, sharedDataSize/20)
	}

	copied := heapPerVU(t, `
import { check } from 'k6';
const data = JSON.parse(open('./data.json'));`+read, 10, 40)
	t.Logf("control, a copy per VU: %.0f bytes of heap per VU", copied)
	if copied < sharedDataSize/2 {
		t.Errorf("the control grew by %.0f bytes per VU, less than half the data: the measure cannot tell", copied)
	}
}
