package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time (make build).
var version = "dev"

// env is all the I/O of one invocation.
type env struct {
	stdout, stderr           io.Writer
	environ                  []string
	signals                  <-chan os.Signal
	stdoutIsTTY, stderrIsTTY bool
}

func (e *env) lookup(key string) (string, bool) {
	for _, kv := range e.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// Main runs the command line args and returns the process exit code.
func Main(args []string, e *env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(e.stderr, "throng: internal error (a bug, please report it): %v\n", r)
			code = exitGoPanic
		}
	}()
	root := newRootCommand(e)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var usage *usageError
	if errors.As(err, &usage) || !isExitError(err) {
		// Cobra's own errors (unknown flag, wrong arguments) are usage errors.
		fmt.Fprintf(e.stderr, "throng: %v\n", err)
		if usage == nil {
			usage = &usageError{cmd: root}
		}
		fmt.Fprintf(e.stderr, "Usage: %s\nRun '%s --help' for the details.\n", usage.cmd.UseLine(), usage.cmd.CommandPath())
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "throng: %v\n", err)
	return exitCodeOf(err)
}

func isExitError(err error) bool {
	var ee *exitError
	return errors.As(err, &ee)
}

// usageError is a command line that cannot be run as written.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (u *usageError) Error() string { return u.err.Error() }

func newRootCommand(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "throng",
		Short:         "throng runs k6-style load-test scripts, faster and leaner",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{cmd: c, err: err} })
	root.AddCommand(newRunCommand(e), newInspectCommand(e), newMergeCommand(e), newK8sManifestsCommand(e), newVersionCommand(e))
	return root
}

func newVersionCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(e.stdout, "throng %s\n", version)
			return err
		},
	}
}
