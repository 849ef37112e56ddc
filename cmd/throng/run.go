package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/throng-dev/throng/js"
	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/runtime"
)

type runFlags struct {
	vus           int64
	duration      string
	iterations    int64
	env           []string
	tags          []string
	noColor       bool
	quiet         bool
	noThresholds  bool
	trendStats    string
	timeUnit      string
	noSummary     bool
	summaryMode   string
	summaryExport string
	junit         string
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
			ctx := c.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			t, err := prepare(e, c, f, args[0])
			if err != nil {
				return err
			}
			return t.finish(t.execute(ctx))
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
	fl.BoolVar(&f.noThresholds, "no-thresholds", false, "do not evaluate thresholds")
	fl.StringVar(&f.trendStats, "summary-trend-stats", "", `Trend columns of the summary, e.g. "avg,p(99),p(99.9),count"`)
	fl.StringVar(&f.timeUnit, "summary-time-unit", "", "unit of the summary's times: s, ms or us (default: humanised)")
	fl.BoolVar(&f.noSummary, "no-summary", false, "print no end-of-test summary")
	fl.StringVar(&f.summaryMode, "summary-mode", "compact", "compact (the summary) or disabled (none)")
	fl.StringVar(&f.summaryExport, "summary-export", "", "write the results as versioned JSON to this file")
	fl.StringVar(&f.junit, "junit", "", "write thresholds and checks as JUnit XML to this file")
	return cmd
}

// testRun is one `throng run`: everything prepared before the VUs start,
// and what happened while they ran.
type testRun struct {
	e           *env
	f           *runFlags
	path        string
	bundle      *js.Bundle
	engine      *metrics.Engine
	builtins    *metrics.Builtins
	logger      *js.Logger
	opts        runtime.Options
	optsJSON    []byte
	run         *runtime.Run
	cancel      context.CancelCauseFunc
	markedBad   atomic.Pointer[string] // exec.test.fail()'s reason
	setupData   []byte                 // setup()'s result as JSON, for teardown
	teardownErr error
}

// stop causes: why a run ended before its time.
var errSignal = errors.New("the run was stopped by a signal")

type thresholdAbort struct{ r metrics.ThresholdResult }

func (t *thresholdAbort) Error() string {
	return fmt.Sprintf("threshold %q crossed (%s=%g) and abortOnFail is set: the run was stopped", t.r.Threshold.Source, t.r.Threshold.AggName(), t.r.Value)
}

// prepare loads the script, merges the options, and checks everything that
// can be checked before a VU starts.
func prepare(e *env, c *cobra.Command, f *runFlags, path string) (*testRun, error) {
	scriptEnv, err := scriptEnvironment(e, f.env)
	if err != nil {
		return nil, err
	}
	runTags, err := keyValues("--tag", f.tags)
	if err != nil {
		return nil, err
	}
	t := &testRun{e: e, f: f, path: path, logger: js.NewLogger(e.stderr)}
	t.builtins = metrics.RegisterBuiltins(metrics.NewRegistry())
	t.engine = metrics.NewEngine(t.builtins)
	t.bundle, err = js.Load(path, js.Config{
		Env: scriptEnv, Builtins: t.builtins, Engine: t.engine, Log: t.logger,
		OnAbort:     func(reason string) { t.stop(&js.AbortError{Reason: reason}) },
		OnFail:      func(reason string) { t.markedBad.CompareAndSwap(nil, &reason) },
		TextSummary: t.textSummary,
	})
	if err != nil {
		return nil, scriptFailure(err)
	}
	if t.opts, err = consolidateOptions(e, c, f, t.bundle); err != nil {
		return nil, err
	}
	if err := t.configure(runTags); err != nil {
		return nil, err
	}
	return t, nil
}

// configure validates the consolidated options and builds the executor and
// the thresholds.
func (t *testRun) configure(runTags map[string]string) error {
	tags := metrics.NewTagSet(t.opts.Tags).WithAll(runTags)
	t.bundle.SetTags(tags)
	executor, err := runtime.ExecutorFromOptions(t.opts)
	if err != nil {
		return withCode(exitInvalidConfig, err)
	}
	if err := t.summaryOptionsValid(); err != nil {
		return err
	}
	if !t.f.noThresholds {
		sets, err := metrics.ParseThresholds(t.opts.Thresholds, t.builtins.Registry())
		if err != nil {
			return invalidConfig("%v", err)
		}
		t.engine.SetThresholds(sets)
	}
	t.optsJSON = readableJSON(t.opts)
	t.run = &runtime.Run{Executor: executor, Factory: vuFactory{t.bundle}, Engine: t.engine, Builtins: t.builtins, Tags: tags}
	return nil
}

// stop ends the run early for cause; the first cause wins.
func (t *testRun) stop(cause error) {
	if t.cancel != nil {
		t.cancel(cause)
	}
}

// execute initialises the VUs and runs the executor, stopping gracefully
// at the first signal and at once at the second, and when a threshold with
// abortOnFail fails. It returns why the run stopped early, if it did.
func (t *testRun) execute(parent context.Context) error {
	ctx, cancel := context.WithCancelCause(parent)
	t.cancel = cancel
	defer cancel(nil)
	if !t.f.quiet {
		printBanner(t.e, t.path, t.run.Executor)
	}
	t.engine.Start()
	done := make(chan struct{})
	defer close(done)
	go t.watchSignals(ctx, done)
	vus, err := t.run.InitVUs(ctx)
	if err == nil {
		err = t.setup(ctx)
	}
	if err != nil {
		t.engine.Stop()
		return err
	}
	stopProgress := startProgress(t.e, t.f, t.run)
	stopThresholds := t.watchThresholds(ctx)
	err = t.run.Start(ctx, vus)
	stopThresholds()
	stopProgress()
	t.teardownErr = t.teardown()
	t.engine.Stop()
	if err != nil {
		return err
	}
	return context.Cause(ctx)
}

// setup runs the script's setup() and hands its result to the VUs. An
// exception is exit 107, running past setupTimeout exit 100.
func (t *testRun) setup(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, t.opts.SetupTimeout.Timeout(runtime.DefaultLifecycleTimeout))
	defer cancel()
	data, _, err := t.bundle.RunLifecycle(ctx, "setup", nil)
	switch {
	case errors.Is(err, js.ErrTimeout):
		return withCode(exitSetupTimeout, fmt.Errorf("%v (setupTimeout: %s)", err, t.opts.SetupTimeout.Timeout(runtime.DefaultLifecycleTimeout)))
	case err != nil:
		return scriptFailure(fmt.Errorf("setup() failed, so no VU ran: %w", err))
	}
	t.setupData = data
	t.bundle.SetSetupData(data)
	return nil
}

// teardown runs the script's teardown(data) after the VUs, however the run
// ended: with its own time limit, not the run's (possibly cancelled)
// context.
func (t *testRun) teardown() error {
	limit := t.opts.TeardownTimeout.Timeout(runtime.DefaultLifecycleTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	_, _, err := t.bundle.RunLifecycle(ctx, "teardown", t.setupData)
	switch {
	case errors.Is(err, js.ErrTimeout):
		return withCode(exitTeardownTimeout, fmt.Errorf("%v (teardownTimeout: %s)", err, limit))
	case err != nil:
		return withCode(exitScriptError, fmt.Errorf("teardown() failed: %w", err))
	}
	return nil
}

func (t *testRun) watchSignals(ctx context.Context, done <-chan struct{}) {
	select {
	case <-done:
		return
	case <-t.e.signals:
		fmt.Fprintln(t.e.stderr, "\nStopping: iterations get their graceful stop to finish (signal again to stop at once)")
		t.stop(errSignal)
	}
	select {
	case <-done:
	case <-t.e.signals:
		fmt.Fprintln(t.e.stderr, "Stopped at once by a second signal")
		os.Exit(exitExternalAbort)
	}
}

// thresholdInterval is how often thresholds are evaluated during the run.
const thresholdInterval = 2 * time.Second

// watchThresholds evaluates the thresholds during the run and stops it
// when one with abortOnFail fails.
func (t *testRun) watchThresholds(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(thresholdInterval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				if _, abort := t.engine.EvaluateThresholds(t.run.Elapsed()); abort != nil {
					t.stop(&thresholdAbort{*abort})
					return
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// scriptFailure gives script errors (syntax, init exceptions) exit code 107,
// an abort from the init context 108, and a missing script a plain
// one-line error.
func scriptFailure(err error) error {
	switch {
	case errors.Is(err, js.ErrAborted):
		return withCode(exitScriptAborted, err)
	case errors.Is(err, js.ErrScript):
		return withCode(exitScriptError, err)
	case errors.Is(err, os.ErrNotExist):
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
	if fl.Changed("summary-trend-stats") {
		o.SummaryTrendStats = splitList(f.trendStats)
	}
	if fl.Changed("summary-time-unit") {
		o.SummaryTimeUnit = &f.timeUnit
	}
	return o, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
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

// readableJSON marshals v keeping <, > and & as they are, so thresholds
// such as "p(95)<200" stay readable in the files users open.
func readableJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil
	}
	return bytes.TrimSpace(b.Bytes())
}
