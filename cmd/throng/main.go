package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"

	"github.com/mattn/go-isatty"
)

func main() {
	signals := make(chan os.Signal, 2)
	if runsATest(os.Args[1:]) {
		signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	}
	e := &env{
		stdout:      os.Stdout,
		stderr:      os.Stderr,
		environ:     os.Environ(),
		signals:     signals,
		stdoutIsTTY: isatty.IsTerminal(os.Stdout.Fd()),
		stderrIsTTY: isatty.IsTerminal(os.Stderr.Fd()),
	}
	stopProfile := startCPUProfile(os.Getenv("THRONG_CPUPROFILE"))
	stopTuning := func() {}
	if runsATest(os.Args[1:]) {
		stopTuning = tuneGC()
	}
	code := Main(os.Args[1:], e)
	stopTuning()
	stopProfile()
	writeHeapProfile(os.Getenv("THRONG_MEMPROFILE"))
	os.Exit(code)
}

// startCPUProfile writes a CPU profile of the whole run to path, for
// performance work (THRONG_CPUPROFILE=cpu.out throng run …; then go tool
// pprof). An empty path profiles nothing.
func startCPUProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "throng: THRONG_CPUPROFILE: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "throng: THRONG_CPUPROFILE: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// writeHeapProfile writes a heap profile of the end of the run to path,
// for memory work (THRONG_MEMPROFILE=mem.out throng run …; then go tool
// pprof -sample_index=inuse_space). An empty path writes nothing.
func writeHeapProfile(path string) {
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "throng: THRONG_MEMPROFILE: %v\n", err)
	}
}

// runsATest reports whether args are a `throng run`, the one command
// that stops gracefully on SIGINT and SIGTERM. The others keep the
// default, which ends the process at once: a `throng inspect` of a script
// whose init context never ends must stay interruptible.
func runsATest(args []string) bool {
	for _, a := range args {
		if a == "--" || !strings.HasPrefix(a, "-") {
			return a == "run"
		}
	}
	return false
}

// A `throng run` handles SIGINT and SIGTERM at every stage: the first
// stops gracefully what runs at that moment, and the run exits 105 after
// its summary; the second exits at once, also 105.
//
//   - Loading the script (compiling it, running its init context once
//     for the options): the loader cannot be interrupted, so the stop
//     takes effect when it returns, before anything has run: no summary.
//   - Initialising the VUs, --start-at's wait: no more VUs are made, and
//     the run ends without a summary, as nothing has run.
//   - setup(): it is interrupted; teardown() does not run (there is no
//     setup data), the summary prints what setup() measured.
//   - The scenarios: no new iterations, running ones get gracefulStop,
//     teardown() runs, the summary prints.
//   - teardown(), the summary, handleSummary(), the exports: they finish
//     (teardown within teardownTimeout), then the run exits 105.
//
// Outputs are flushed and closed on every graceful path.

// signalWatch follows one `throng run` through its stages and turns the
// signals it gets into stops.
type signalWatch struct {
	e        *env
	done     chan struct{}
	finished chan struct{}

	mu       sync.Mutex
	received bool        // a first signal came
	stop     func(error) // stops the stage running now; nil: none can be stopped
}

// watchSignals starts watching e's signals until close.
func watchSignals(e *env) *signalWatch {
	w := &signalWatch{e: e, done: make(chan struct{}), finished: make(chan struct{})}
	go w.watch()
	return w
}

func (w *signalWatch) watch() {
	defer close(w.finished)
	for first := true; ; first = false {
		select {
		case <-w.done:
			return
		case <-w.e.signals:
		}
		if !first {
			fmt.Fprintln(w.e.stderr, "Stopped at once by a second signal")
			os.Exit(exitExternalAbort)
		}
		w.mu.Lock()
		w.received = true
		stop := w.stop
		w.mu.Unlock()
		if stop != nil {
			stop(errSignal) // before saying so: once it is said, the stop is under way
			fmt.Fprintln(w.e.stderr, "\nStopping: iterations get their graceful stop to finish (signal again to stop at once)")
		} else {
			fmt.Fprintln(w.e.stderr, "\nStopping once the current step ends (signal again to stop at once)")
		}
	}
}

// stopWith makes stop what a first signal calls from now on; nil makes
// the signal only mark the run as stopped. If the signal came already,
// stop is called at once: one that came between two stages is not lost.
func (w *signalWatch) stopWith(stop func(error)) {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.stop = stop
	received := w.received
	w.mu.Unlock()
	if received && stop != nil {
		stop(errSignal)
	}
}

// signalled reports whether a first signal came.
func (w *signalWatch) signalled() bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.received
}

// outcome is the command's result once a signal may have come: a run
// that got one exits 105, whatever stage it came in.
func (w *signalWatch) outcome(err error) error {
	switch {
	case !w.signalled() || exitCodeOf(err) == exitExternalAbort:
		return err
	case err == nil:
		return withCode(exitExternalAbort, errSignal)
	}
	return withCode(exitExternalAbort, fmt.Errorf("%w (and: %v)", errSignal, err))
}

// close stops the watching and waits for it to end.
func (w *signalWatch) close() {
	close(w.done)
	<-w.finished
}
