package runtime

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The fuzz targets of the runtime's parsers: durations, options JSON and
// execution segments, which come from users' scripts, flags and
// environments. Each must never panic, must reject with a message, and
// what it accepts must hold together.

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "1m30s", "500ms", "1h", "2d", "1d12h", "1.5", "0", " 10s ", "-1s",
		"", "d", "1d", "3x", "1e3", "NaN", "Inf", "-Inf", "1e300", "106752d", "106751d23h47m16s", "9223372037"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error message", s)
			}
			return
		}
		// Without a minus sign, no duration is negative: one that is has
		// overflowed (or was NaN).
		if !strings.Contains(s, "-") && d < 0 {
			t.Fatalf("%q parsed as %v: overflow", s, d)
		}
		// What the parser prints, it reads back the same.
		if again, err := ParseDuration(d.String()); err != nil || again != d {
			t.Fatalf("%q → %v → %q → %v, %v", s, d, d.String(), again, err)
		}
	})
}

// optionSeeds are options as scripts and config files write them.
var optionSeeds = []string{
	`{}`, `null`, `{"vus": 10, "duration": "30s"}`, `{"iterations": 1000, "vus": 20}`,
	`{"stages": [{"duration": "30s", "target": 10}, {"duration": "1m", "target": 10}, {"duration": "10s", "target": 0}]}`,
	`{"vus": 5, "duration": 2000, "tags": {"team": "core"}, "setupTimeout": "10s", "teardownTimeout": "1m"}`,
	`{"thresholds": {"http_req_duration": ["p(95)<200"]}, "summaryTrendStats": ["avg", "p(99)"], "summaryTimeUnit": "ms"}`,
	`{"executionSegment": "1/4:2/4", "executionSegmentSequence": "0,1/4,2/4,3/4,1", "vus": 8, "duration": "10s"}`,
	`{"noSetup": true, "noTeardown": false, "iterations": 3}`,
	`{"scenarios": {
		"browse": {"executor": "ramping-vus", "startVUs": 0, "stages": [{"duration": "1m", "target": 50}, {"duration": "30s", "target": 0}]},
		"api": {"executor": "constant-arrival-rate", "rate": 200, "timeUnit": "1s", "duration": "2m", "preAllocatedVUs": 20, "maxVUs": 200,
			"exec": "api", "env": {"KIND": "api"}, "tags": {"team": "core"}, "startTime": "30s"},
		"shared": {"executor": "shared-iterations", "vus": 4, "iterations": 100, "maxDuration": "1m"},
		"pervu": {"executor": "per-vu-iterations", "vus": 2, "iterations": 5, "gracefulStop": "5s"},
		"const": {"executor": "constant-vus", "vus": 3, "duration": "20s"},
		"ramprate": {"executor": "ramping-arrival-rate", "startRate": 10, "timeUnit": "1m", "preAllocatedVUs": 5,
			"stages": [{"target": 100, "duration": "30s"}]}}}`,
	`{"scenarios": {"x": {"executor": "nope"}}}`, `{"vus": "ten"}`, `{"duration": "-1s"}`, `[1, 2]`,
	`{"scenarios": {"a": {"executor": "constant-vus", "vus": 1, "duration": "1s"}}, "iterations": 3}`,
	`{"stages": [{"duration": "9223372036s", "target": 1}, {"duration": "9223372036s", "target": 1}]}`,
}

func FuzzParseOptions(f *testing.F) {
	for _, s := range optionSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := ParseOptions(raw)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error message", raw)
			}
			return
		}
		// Accepted options survive a round trip through JSON: what the
		// export and exec.test.options write is read back the same.
		first, err := json.Marshal(o)
		if err != nil {
			t.Fatalf("%q parsed, but does not marshal: %v", raw, err)
		}
		again, err := ParseOptions(first)
		if err != nil {
			t.Fatalf("%s (from %q) does not parse back: %v", first, raw, err)
		}
		if second, _ := json.Marshal(again); string(second) != string(first) {
			t.Fatalf("round trip changed the options:\n%s\n%s", first, second)
		}
		execs, err := ScenariosFromOptions(o)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error message from ScenariosFromOptions", raw)
			}
			return
		}
		checkExecutors(t, raw, execs)
	})
}

// checkExecutors checks what every executor of a valid configuration
// promises before it runs.
func checkExecutors(t *testing.T, raw []byte, execs []Executor) {
	if len(execs) == 0 {
		t.Fatalf("%q: valid options without a scenario", raw)
	}
	for _, ex := range execs {
		sc := ex.Scenario()
		if ex.MaxRunTime() < 0 || sc.StartTime < 0 || sc.GracefulStop < 0 {
			t.Fatalf("%q: scenario %s: max run time %v, start %v, graceful stop %v", raw, sc.Name, ex.MaxRunTime(), sc.StartTime, sc.GracefulStop)
		}
		if ex.PreAllocatedVUs() < 0 || ex.MaxVUs() < ex.PreAllocatedVUs() {
			t.Fatalf("%q: scenario %s: %d pre-allocated VUs, %d at most", raw, sc.Name, ex.PreAllocatedVUs(), ex.MaxVUs())
		}
		for _, at := range []time.Duration{0, ex.MaxRunTime() / 2, ex.MaxRunTime()} {
			if p := ex.Progress(at); !(p >= 0 && p <= 1) {
				t.Fatalf("%q: scenario %s: progress %v at %v", raw, sc.Name, p, at)
			}
		}
		if ex.Description() == "" {
			t.Fatalf("%q: scenario %s has no description", raw, sc.Name)
		}
	}
	p := NewPlan(execs)
	if p.MaxVUs < p.PreAllocatedVUs || p.PreAllocatedVUs < 0 || p.MaxDuration < 0 {
		t.Fatalf("%q: plan %+v", raw, p)
	}
}

func FuzzParseSegment(f *testing.F) {
	for _, s := range [][2]string{
		{"1/4:2/4", ""}, {"0:1/3", ""}, {"0.25:0.5", ""}, {"25%:50%", ""}, {"1/4", ""}, {"0:1", ""},
		{"1/4:2/4", "0,1/4,2/4,3/4,1"}, {"0:1/2", "0,1/3,1/2,1"}, {"2/3:1", "0,1/6,1/3,2/3,1"}, {"", "0,1/2,1"},
		{"1/2:1/4", ""}, {"0:2", ""}, {"x", ""}, {"0:1/2", "0,1"}, {"", "1,0"}, {"0:1/1048577", ""},
		{"0:1/1000000000000", ""}, {"1e-1000000:1", ""}, {"0:1/1048576", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, segment, sequence string) {
		seg, err := ParseSegment(segment, sequence)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q %q: empty error message", segment, sequence)
			}
			return
		}
		if seg == nil {
			return // the whole test
		}
		if share := seg.Share(); !(share > 0 && share <= 1) {
			t.Fatalf("%q %q: share %v", segment, sequence, share)
		}
		checkSequenceAddsUp(t, seg)
	})
}

// checkSequenceAddsUp checks the promise of striping: the segments of
// seg's sequence split any count exactly, and never share an index.
func checkSequenceAddsUp(t *testing.T, seg *Segment) {
	bounds := strings.Split(seg.Sequence(), ",")
	if len(bounds) > 17 {
		return // each part stripes the whole sequence again: keep execs fast
	}
	const n = 1000
	var total int64
	seen := map[int64]bool{}
	for i := range len(bounds) - 1 {
		part, err := ParseSegment(bounds[i]+":"+bounds[i+1], seg.Sequence())
		if err != nil {
			t.Fatalf("part %s:%s of %s: %v", bounds[i], bounds[i+1], seg.Sequence(), err)
		}
		k := part.Scale(n)
		total += k
		for j := range k {
			g := part.Global(j)
			if g < 0 || g >= n || seen[g] {
				t.Fatalf("%s: index %d of part %s:%s is global %d, out of range or taken", seg.Sequence(), j, bounds[i], bounds[i+1], g)
			}
			seen[g] = true
		}
	}
	if total != n {
		t.Fatalf("the parts of %s scale %d to %d in all", seg.Sequence(), n, total)
	}
}
