package main

import (
	"os"
	"os/signal"
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
	os.Exit(Main(os.Args[1:], e))
}
