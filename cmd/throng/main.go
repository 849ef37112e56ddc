package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/mattn/go-isatty"
)

func main() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	e := &env{
		stdout:      os.Stdout,
		stderr:      os.Stderr,
		environ:     os.Environ(),
		signals:     signals,
		stdoutIsTTY: isatty.IsTerminal(os.Stdout.Fd()),
		stderrIsTTY: isatty.IsTerminal(os.Stderr.Fd()),
	}
	stopProfile := startCPUProfile(os.Getenv("THRONG_CPUPROFILE"))
	code := Main(os.Args[1:], e)
	stopProfile()
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
