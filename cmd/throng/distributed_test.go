package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs/summary"
)

// distributedScript has one scenario of each kind the issue names. Every
// request reports its scenario, iterationInTest, idInTest and instance,
// so the server can check they are unique across instances; /slow sleeps
// the milliseconds it is told, which the script also records in a Trend,
// so both runs have the same multiset of values.
const distributedScript = `
import http from 'k6/http';
import exec from 'k6/execution';
import { check } from 'k6';
import { Trend } from 'k6/metrics';

const serverDelay = new Trend('server_delay', true);
const base = __ENV.BASE;

export const options = {
  scenarios: {
    shared: { executor: 'shared-iterations', vus: 6, iterations: 203, exec: 'work' },
    pervu: { executor: 'per-vu-iterations', vus: 5, iterations: 7, exec: 'slow' },
    arrival: { executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '3s',
               preAllocatedVUs: 8, maxVUs: 20, exec: 'work' },
  },
  thresholds: {
    'iterations{scenario:shared}': ['count>0'],
    'iterations{scenario:pervu}': ['count>0'],
    'iterations{scenario:arrival}': ['count>0'],
    'http_reqs{scenario:shared}': ['count>0'],
    'http_reqs{scenario:pervu}': ['count>0'],
    'checks': ['rate==1'],
  },
};

function ids() {
  return 'sc=' + exec.scenario.name + '&it=' + exec.scenario.iterationInTest +
    '&vu=' + exec.vu.idInTest + '&inst=' + __ENV.INST;
}

export function setup() { http.get(base + '/setup'); }

export function work() {
  const res = http.get(base + '/work?' + ids());
  check(res, { 'status 200': (r) => r.status === 200 });
}

export function slow() {
  const ms = 10 + (exec.vu.iterationInScenario % 4) * 5;
  const res = http.get(base + '/slow?ms=' + ms + '&' + ids());
  check(res, { 'status 200': (r) => r.status === 200 });
  serverDelay.add(ms);
}

export function teardown() { http.get(base + '/teardown'); }
`

// idServer records what the distributed script's requests report.
type idServer struct {
	mu        sync.Mutex
	calls     map[string]int            // by path
	itOwner   map[string]string         // scenario/iterationInTest → instance
	vuOwner   map[string]string         // idInTest → instance
	dupes     []string                  // ids seen from two places
	perInst   map[string]map[string]int // instance → scenario → requests
	instances map[string]bool
}

func newIDServer() *idServer {
	return &idServer{calls: map[string]int{}, itOwner: map[string]string{}, vuOwner: map[string]string{},
		perInst: map[string]map[string]int{}, instances: map[string]bool{}}
}

func (s *idServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.URL.Path == "/slow" {
		ms, _ := strconv.Atoi(q.Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[r.URL.Path]++
	if sc := q.Get("sc"); sc != "" {
		inst := q.Get("inst")
		it := sc + "/" + q.Get("it")
		if owner, ok := s.itOwner[it]; ok {
			s.dupes = append(s.dupes, fmt.Sprintf("iterationInTest %s from %s and %s", it, owner, inst))
		}
		s.itOwner[it] = inst
		if owner, ok := s.vuOwner[q.Get("vu")]; ok && owner != inst {
			s.dupes = append(s.dupes, fmt.Sprintf("idInTest %s from %s and %s", q.Get("vu"), owner, inst))
		}
		s.vuOwner[q.Get("vu")] = inst
		if s.perInst[inst] == nil {
			s.perInst[inst] = map[string]int{}
		}
		s.perInst[inst][sc]++
	}
}

func buildThrong(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "throng")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func readExportFile(t *testing.T, path string) *summary.Export {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := summary.ReadExport(f)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func exportCount(t *testing.T, e *summary.Export, name string) int64 {
	t.Helper()
	s, err := e.Sink(name)
	if err != nil {
		t.Fatal(err)
	}
	switch s := s.(type) {
	case *metrics.CounterSink:
		return int64(s.Sum)
	case *metrics.TrendSink:
		return int64(s.Count())
	}
	t.Fatalf("%s: unexpected sink %T", name, s)
	return 0
}

// TestSegmentedRunMergesToTheSingleRun runs the script once whole and once
// as four segment processes started together, merges the four exports,
// and compares: exact iteration and request counts for the iteration
// executors, the arrival rate's count within 1%, the same server-delay
// percentiles, one setup and one teardown, and ids unique across
// instances.
func TestSegmentedRunMergesToTheSingleRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs five throng processes")
	}
	bin := buildThrong(t)
	script := writeFile(t, "dist.js", distributedScript)
	dir := t.TempDir()

	single := newIDServer()
	srv := httptest.NewServer(single)
	defer srv.Close()
	wholeExport := filepath.Join(dir, "whole.json")
	cmd := exec.Command(bin, "run", "-q", "--instance-id", "whole", "-e", "BASE="+srv.URL, "-e", "INST=whole",
		"--summary-export", wholeExport, script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("single run: %v\n%s", err, out)
	}

	split := newIDServer()
	srv2 := httptest.NewServer(split)
	defer srv2.Close()
	segments := []string{"0:1/4", "1/4:2/4", "2/4:3/4", "3/4:1"}
	startAt := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
	procs := make([]*exec.Cmd, len(segments))
	outs := make([]*bytes.Buffer, len(segments))
	var exports []string
	for i, seg := range segments {
		export := filepath.Join(dir, fmt.Sprintf("part%d.json", i))
		exports = append(exports, export)
		args := []string{"run", "--execution-segment", seg, "--execution-segment-sequence", "0,1/4,2/4,3/4,1",
			"--start-at", startAt, "--instance-id", fmt.Sprintf("pod-%d", i),
			"-e", "BASE=" + srv2.URL, "-e", fmt.Sprintf("INST=pod-%d", i), "--summary-export", export}
		if i > 0 {
			args = append(args, "--no-setup", "--no-teardown")
		}
		procs[i] = exec.Command(bin, append(args, script)...)
		outs[i] = &bytes.Buffer{}
		procs[i].Stdout, procs[i].Stderr = outs[i], outs[i]
		if err := procs[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range procs {
		if err := p.Wait(); err != nil {
			t.Fatalf("segment %s: %v\n%s", segments[i], err, outs[i])
		}
	}
	if !strings.Contains(outs[1].String(), "scenarios: (25.00%)") || !strings.Contains(outs[1].String(), "waiting") {
		t.Errorf("segment 1/4:2/4 banner lacks the 25%% share or the wait for --start-at:\n%s", outs[1])
	}

	merged := filepath.Join(dir, "merged.json")
	junit := filepath.Join(dir, "merged.xml")
	r := runCLI(t, nil, nil, append([]string{"merge", "--summary-export", merged, "--junit", junit}, exports...)...)
	if r.code != 0 {
		t.Fatalf("merge: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "checks") || !strings.Contains(r.stdout, "http_reqs") {
		t.Errorf("merge printed no summary:\n%s", r.stdout)
	}
	whole, all := readExportFile(t, wholeExport), readExportFile(t, merged)

	for _, name := range []string{"iterations{scenario:shared}", "iterations{scenario:pervu}", "http_reqs{scenario:shared}", "http_reqs{scenario:pervu}"} {
		if w, m := exportCount(t, whole, name), exportCount(t, all, name); w != m {
			t.Errorf("%s: merged %d, single run %d", name, m, w)
		}
	}
	if got := exportCount(t, all, "iterations{scenario:shared}"); got != 203 {
		t.Errorf("shared-iterations: merged %d iterations, want 203", got)
	}
	if got := exportCount(t, all, "iterations{scenario:pervu}"); got != 35 {
		t.Errorf("per-vu-iterations: merged %d iterations, want 35", got)
	}
	wa, ma := exportCount(t, whole, "iterations{scenario:arrival}"), exportCount(t, all, "iterations{scenario:arrival}")
	if d := ma - wa; d*100 > 300 || -d*100 > 300 || ma < 297 {
		t.Errorf("constant-arrival-rate: merged %d iterations, single run %d, expected 300 (within 1%%)", ma, wa)
	}

	ws, _ := whole.Sink("server_delay")
	ms, _ := all.Sink("server_delay")
	for _, p := range []float64{50, 90, 95, 99} {
		w, m := ws.(*metrics.TrendSink).Percentile(p), ms.(*metrics.TrendSink).Percentile(p)
		if d := (m - w) / w; d > 0.004 || d < -0.004 {
			t.Errorf("server_delay p(%v): merged %v, single %v: beyond the histogram's 0.4%%", p, m, w)
		}
	}

	split.mu.Lock()
	defer split.mu.Unlock()
	if split.calls["/setup"] != 1 || split.calls["/teardown"] != 1 {
		t.Errorf("setup ran %d times and teardown %d times, want once each", split.calls["/setup"], split.calls["/teardown"])
	}
	if len(split.dupes) > 0 {
		t.Errorf("ids not unique across instances: %v", split.dupes[:min(5, len(split.dupes))])
	}
	if len(split.perInst) != 4 {
		t.Errorf("requests came from %d instances, want 4: %v", len(split.perInst), split.perInst)
	}

	// merge refuses sets that do not make one whole test.
	otherScript := rewriteExport(t, exports[0], func(m map[string]any) { m["scriptHash"] = "0123456789abcdef" })
	otherOptions := rewriteExport(t, exports[0], func(m map[string]any) { m["options"].(map[string]any)["vus"] = 99 })
	for _, c := range []struct {
		files []string
		want  string
	}{
		{[]string{otherScript, exports[1], exports[2], exports[3]}, "come from different scripts"},
		{[]string{otherOptions, exports[1], exports[2], exports[3]}, "ran with different options"},
		{exports[:3], "no export covers the segment 3/4:1"},
		{[]string{exports[0], exports[1], exports[1], exports[2], exports[3]}, "overlaps"},
		{[]string{exports[0], exports[2], exports[3]}, "no export covers the segment 1/4:1/2"},
		{[]string{wholeExport, exports[0]}, "different execution segment sequences"},
	} {
		r := runCLI(t, nil, nil, append([]string{"merge"}, c.files...)...)
		if r.code != exitInvalidConfig || !strings.Contains(r.stderr, c.want) {
			t.Errorf("merge %v: exit %d, stderr %q; want %d saying %q", c.files, r.code, r.stderr, exitInvalidConfig, c.want)
		}
	}
}

// rewriteExport writes a copy of the export at path changed by edit.
func rewriteExport(t *testing.T, path string, edit func(map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if raw, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(out, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
