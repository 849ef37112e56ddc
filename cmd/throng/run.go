package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/throng-dev/throng/js"
	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs/summary"
	"github.com/throng-dev/throng/runtime"
)

type runFlags struct {
	vus        int64
	duration   string
	iterations int64
	env        []string
	tags       []string
	noColor    bool
	quiet      bool
}

func newRunCommand(e *env) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [flags] SCRIPT",
		Short: "Run a load test script",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{cmd: c, err: fmt.Errorf("run needs exactly one script, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			return runScript(c.Context(), e, c, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.Int64VarP(&f.vus, "vus", "u", 1, "number of virtual users")
	fl.StringVarP(&f.duration, "duration", "d", "", "test duration, e.g. 30s, 5m, 1h30m")
	fl.Int64VarP(&f.iterations, "iterations", "i", 0, "total iterations, shared by the VUs")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set __ENV.KEY for the script (KEY=VALUE, repeatable)")
	fl.StringArrayVar(&f.tags, "tag", nil, "add a tag to every sample (KEY=VALUE, repeatable)")
	fl.BoolVar(&f.noColor, "no-color", false, "no colours in the output")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no banner and no progress line")
	return cmd
}

// runScript is `throng run`: load, configure, run, summarise.
func runScript(ctx context.Context, e *env, c *cobra.Command, f *runFlags, path string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	scriptEnv, err := scriptEnvironment(e, f.env)
	if err != nil {
		return err
	}
	runTags, err := keyValues("--tag", f.tags)
	if err != nil {
		return err
	}
	registry := metrics.NewRegistry()
	builtins := metrics.RegisterBuiltins(registry)
	engine := metrics.NewEngine(builtins)
	logger := js.NewLogger(e.stderr)
	defer logger.Close()

	bundle, err := js.Load(path, js.Config{Env: scriptEnv, Builtins: builtins, Engine: engine, Log: logger})
	if err != nil {
		return scriptFailure(err)
	}
	opts, err := consolidateOptions(e, c, f, bundle)
	if err != nil {
		return err
	}
	tags := metrics.NewTagSet(opts.Tags).WithAll(runTags)
	bundle.SetTags(tags)
	executor, err := runtime.ExecutorFromOptions(opts)
	if err != nil {
		return withCode(exitInvalidConfig, err)
	}
	if !f.quiet {
		printBanner(e, path, executor)
	}
	run := &runtime.Run{Executor: executor, Factory: vuFactory{bundle}, Engine: engine, Builtins: builtins, Tags: tags}
	engine.Start()
	runErr, stoppedBySignal := execute(ctx, e, f, run)
	engine.Stop()
	if runErr != nil {
		return runErr
	}
	snap := engine.Snapshot(run.Elapsed())
	noColor := f.noColor || !e.stdoutIsTTY
	if _, ok := e.lookup("NO_COLOR"); ok {
		noColor = true
	}
	if err := summary.Render(e.stdout, snap, summary.Options{NoColor: noColor}); err != nil {
		return err
	}
	if stoppedBySignal {
		return withCode(exitExternalAbort, errors.New("the run was stopped by a signal"))
	}
	return nil
}

// execute initialises the VUs and runs the executor, stopping gracefully
// at the first signal and at once at the second.
func execute(ctx context.Context, e *env, f *runFlags, run *runtime.Run) (err error, stopped bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var signalled bool
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-e.signals:
			signalled = true
			fmt.Fprintln(e.stderr, "\nStopping: iterations get their graceful stop to finish (signal again to stop at once)")
			cancel()
		}
		select {
		case <-done:
		case <-e.signals:
			fmt.Fprintln(e.stderr, "Stopped at once by a second signal")
			os.Exit(exitExternalAbort)
		}
	}()
	vus, err := run.InitVUs(ctx)
	if err != nil {
		return scriptFailure(err), false
	}
	stopProgress := startProgress(e, f, run)
	err = run.Start(ctx, vus)
	stopProgress()
	return err, signalled
}

// scriptFailure gives script errors (syntax, init exceptions) exit code 107
// and a missing script file a plain one-line error.
func scriptFailure(err error) error {
	if errors.Is(err, js.ErrScript) {
		return withCode(exitScriptError, err)
	}
	if errors.Is(err, os.ErrNotExist) {
		return withCode(exitInvalidConfig, err)
	}
	return withCode(exitScriptError, err)
}

type vuFactory struct{ b *js.Bundle }

func (f vuFactory) NewVU(ctx context.Context, id uint64) (runtime.VU, error) {
	vu, err := f.b.NewVU(ctx, id)
	if err != nil {
		return nil, err
	}
	return vuAdapter{vu}, nil
}

type vuAdapter struct{ vu *js.VU }

func (a vuAdapter) Iterate(ctx context.Context, sc *runtime.Scenario) bool {
	return a.vu.Iterate(ctx, sc.Name, sc.Exec)
}

// scriptEnvironment is __ENV: the process environment, then -e pairs.
func scriptEnvironment(e *env, pairs []string) (map[string]string, error) {
	m := make(map[string]string, len(e.environ)+len(pairs))
	for _, kv := range e.environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	extra, err := keyValues("-e/--env", pairs)
	for k, v := range extra {
		m[k] = v
	}
	return m, err
}

func keyValues(flag string, pairs []string) (map[string]string, error) {
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, invalidConfig("%s %q: want KEY=VALUE", flag, p)
		}
		m[k] = v
	}
	return m, nil
}

// consolidateOptions merges, lowest first: the script's options, the
// environment (THRONG_* and K6_* names), the command line.
func consolidateOptions(e *env, c *cobra.Command, f *runFlags, b *js.Bundle) (runtime.Options, error) {
	raw, err := b.Options()
	if err != nil {
		return runtime.Options{}, scriptFailure(err)
	}
	opts, err := runtime.ParseOptions(raw)
	if err != nil {
		return opts, invalidConfig("script options: %v", err)
	}
	fromEnv, err := envOptions(e)
	if err != nil {
		return opts, err
	}
	fromFlags, err := flagOptions(c, f)
	if err != nil {
		return opts, err
	}
	return opts.Apply(fromEnv).Apply(fromFlags), nil
}

func envOptions(e *env) (runtime.Options, error) {
	var o runtime.Options
	for _, name := range []string{"VUS", "DURATION", "ITERATIONS"} {
		key, val, ok := "THRONG_"+name, "", false
		if val, ok = e.lookup(key); !ok {
			key = "K6_" + name
			val, ok = e.lookup(key)
		}
		if !ok {
			continue
		}
		if err := setOption(&o, strings.ToLower(name), val); err != nil {
			return o, invalidConfig("environment variable %s: %v", key, err)
		}
	}
	return o, nil
}

func flagOptions(c *cobra.Command, f *runFlags) (runtime.Options, error) {
	var o runtime.Options
	fl := c.Flags()
	if fl.Changed("vus") {
		o.VUs = &f.vus
	}
	if fl.Changed("iterations") {
		o.Iterations = &f.iterations
	}
	if fl.Changed("duration") {
		if err := setOption(&o, "duration", f.duration); err != nil {
			return o, invalidConfig("--duration: %v", err)
		}
	}
	return o, nil
}

func setOption(o *runtime.Options, name, val string) error {
	switch name {
	case "vus", "iterations":
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", val)
		}
		if name == "vus" {
			o.VUs = &n
		} else {
			o.Iterations = &n
		}
	case "duration":
		d, err := runtime.ParseDuration(val)
		if err != nil {
			return err
		}
		rd := runtime.Duration(d)
		o.Duration = &rd
	}
	return nil
}

func printBanner(e *env, path string, ex runtime.Executor) {
	fmt.Fprintf(e.stdout, "  execution: local\n     script: %s\n     output: -\n\n", path)
	fmt.Fprintf(e.stdout, "  scenarios: (100.00%%) 1 scenario, %d max VUs, %s max duration (incl. graceful stop):\n",
		ex.MaxVUs(), runtime.FormatDuration(ex.MaxRunTime()))
	fmt.Fprintf(e.stdout, "           * default: %s\n\n", ex.Description())
}

// startProgress prints k6's running line on a terminal, once a second.
func startProgress(e *env, f *runFlags, run *runtime.Run) (stop func()) {
	if f.quiet || !e.stderrIsTTY {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(e.stderr, "\r\033[K")
				return
			case <-t.C:
				c := &run.Counters
				fmt.Fprintf(e.stderr, "\r\033[Krunning (%s), %d/%d VUs, %d complete and %d interrupted iterations",
					run.Elapsed().Round(100*time.Millisecond), c.ActiveVUs.Load(), run.Executor.MaxVUs(),
					c.Completed.Load(), c.Interrupted.Load())
			}
		}
	}()
	return func() { close(done); <-finished }
}
