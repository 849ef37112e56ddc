package js

import (
	"strings"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

// runChecks runs one iteration of src in VU 1 and returns every check's
// outcome by name ("group::name" inside groups). It fails the test when
// the iteration threw: a check that never ran is no check at all.
func runChecks(t *testing.T, files map[string]string, main string) map[string]bool {
	t.Helper()
	h := newHarnessFiles(t, files, main, nil)
	h.iterate(h.vu(1), 1)
	s := h.snapshot()
	if len(s.Errors) > 0 {
		t.Fatalf("the iteration threw: %v\nlog:\n%s", s.Errors, h.log.String())
	}
	out := map[string]bool{}
	var walk func(g *metrics.Group)
	walk = func(g *metrics.Group) {
		for _, c := range g.Checks {
			out[strings.TrimPrefix(g.Path+"::"+c.Name, "::")] = c.Fails == 0 && c.Passes > 0
		}
		for _, sub := range g.Groups {
			walk(sub)
		}
	}
	walk(s.Root)
	return out
}

// expectAllPass runs src and requires want checks, all passing.
func expectAllPass(t *testing.T, src string, want int) {
	t.Helper()
	checks := runChecks(t, map[string]string{"script.js": src}, "script.js")
	if len(checks) != want {
		t.Errorf("%d checks ran, want %d: %v", len(checks), want, checks)
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("check %q failed", name)
		}
	}
}
