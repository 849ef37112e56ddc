package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/throng-dev/throng/runtime"
)

// printBanner describes the run before it starts, as k6 does.
func printBanner(e *env, path string, run *runtime.Run, seg *runtime.Segment, outs []string) {
	plan := runtime.NewPlan(run.Executors)
	n := len(run.Executors)
	plural := "s"
	if n == 1 {
		plural = ""
	}
	output := "-"
	if len(outs) > 0 {
		output = strings.Join(outs, ", ")
	}
	fmt.Fprintf(e.stdout, "  execution: local\n     script: %s\n     output: %s\n\n", path, output)
	fmt.Fprintf(e.stdout, "  scenarios: (%.2f%%) %d scenario%s, %d max VUs, %s max duration (incl. graceful stop):\n",
		100*seg.Share(), n, plural, plan.MaxVUs, runtime.FormatDuration(plan.MaxDuration))
	for _, ex := range run.Executors {
		fmt.Fprintf(e.stdout, "           * %s: %s\n", ex.Scenario().Name, ex.Description())
	}
	fmt.Fprintln(e.stdout)
}

// Progress is redrawn in place about once a second on a terminal; when
// stderr is not a terminal (CI logs), a plain status line is printed every
// plainProgressEvery instead.
const plainProgressEvery = 10 * time.Second

// startProgress shows the run's progress on stderr until stop is called.
func startProgress(e *env, f *runFlags, run *runtime.Run) (stop func()) {
	if f.quiet {
		return func() {}
	}
	every, draw := plainProgressEvery, plainProgress
	if e.stderrIsTTY {
		every, draw = time.Second, newTTYProgress()
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				draw(e.stderr, run, true)
				return
			case <-t.C:
				draw(e.stderr, run, false)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// statusLine is k6's summary line of a running test.
func statusLine(run *runtime.Run) string {
	completed, interrupted, _, active := run.Totals()
	maxVUs := int64(0)
	if p := run.Pool(); p != nil {
		maxVUs = p.Initialized()
	}
	return fmt.Sprintf("running (%s), %d/%d VUs, %d complete and %d interrupted iterations",
		clock(run.Elapsed()), active, maxVUs, completed, interrupted)
}

// clock formats a duration as k6's progress does: 0m12.0s, 1h02m03.0s.
func clock(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, (d % time.Minute).Seconds()
	if h > 0 {
		return fmt.Sprintf("%dh%02dm%04.1fs", h, m, s)
	}
	return fmt.Sprintf("%dm%04.1fs", m, s)
}

// scenarioLine is one scenario's bar: name, percent, VUs, time.
func scenarioLine(ex runtime.Executor, nameWidth, barWidth int) string {
	sc := ex.Scenario()
	var elapsed time.Duration
	if start := sc.StartedAt(); !start.IsZero() {
		elapsed = time.Since(start)
	}
	p := min(max(ex.Progress(elapsed), 0), 1)
	filled := int(p * float64(barWidth))
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		bar += ">" + strings.Repeat("-", barWidth-filled-1)
	}
	total := ex.MaxRunTime() - sc.GracefulStop
	return fmt.Sprintf("%-*s [%s] %3.0f%% %d VUs  %s/%s", nameWidth, sc.Name, bar, p*100,
		sc.Counters.ActiveVUs.Load(), clock(min(elapsed, total)), clock(total))
}

func plainProgress(w io.Writer, run *runtime.Run, final bool) {
	if final {
		return
	}
	parts := []string{statusLine(run)}
	for _, ex := range run.Executors {
		sc := ex.Scenario()
		var elapsed time.Duration
		if start := sc.StartedAt(); !start.IsZero() {
			elapsed = time.Since(start)
		}
		parts = append(parts, fmt.Sprintf("%s %.0f%%", sc.Name, 100*min(max(ex.Progress(elapsed), 0), 1)))
	}
	fmt.Fprintln(w, strings.Join(parts, "; "))
}

// newTTYProgress redraws the status line and one bar per scenario in
// place, moving the cursor back up over what it drew last time.
func newTTYProgress() func(io.Writer, *runtime.Run, bool) {
	drawn := 0
	return func(w io.Writer, run *runtime.Run, final bool) {
		var b strings.Builder
		if drawn > 0 {
			fmt.Fprintf(&b, "\033[%dA", drawn)
		}
		nameWidth := 0
		for _, ex := range run.Executors {
			nameWidth = max(nameWidth, len(ex.Scenario().Name))
		}
		lines := []string{statusLine(run)}
		for _, ex := range run.Executors {
			lines = append(lines, scenarioLine(ex, nameWidth, 40))
		}
		for _, l := range lines {
			b.WriteString("\r\033[K" + l + "\n")
		}
		drawn = len(lines)
		if final {
			b.WriteString("\n")
		}
		io.WriteString(w, b.String())
	}
}
