package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/throng-dev/throng/js"
	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
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
	stages        []string
	config        string
	outs          []string
	adhoc         adhocFlags
	adhocDir      string // the ad-hoc script's folder, removed at the end

	segment, segmentSequence string
	noSetup, noTeardown      bool
	dist                     distributedFlags
	html                     reportFlags // --report, --dashboard (report.go)
}

func newRunCommand(e *env) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [flags] SCRIPT | run --url URL [flags]",
		Short: "Run a load test script, or an ad-hoc test of one URL",
		Args: func(c *cobra.Command, args []string) error {
			if f.adhoc.url != "" {
				return cobra.NoArgs(c, args)
			}
			return exactlyOneScript(c, args)
		},
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			path, display, err := scriptPath(f, args)
			if f.adhocDir != "" {
				defer os.RemoveAll(f.adhocDir)
			}
			if err != nil {
				return err
			}
			signals := watchSignals(e) // main.go: what a signal stops at each stage
			defer signals.close()
			t, err := prepare(e, c, f, path)
			if err != nil {
				return err
			}
			if signals.signalled() { // while the script loaded: nothing has run
				return t.finish(withCode(exitExternalAbort, errSignal))
			}
			t.path, t.signals = display, signals
			return signals.outcome(t.finish(t.execute(ctx)))
		},
	}
	addOptionFlags(cmd, f)
	fl := cmd.Flags()
	fl.BoolVar(&f.noColor, "no-color", false, "no colours in the output")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no banner and no progress line")
	fl.BoolVar(&f.noThresholds, "no-thresholds", false, "do not evaluate thresholds")
	fl.BoolVar(&f.noSummary, "no-summary", false, "print no end-of-test summary")
	fl.StringVar(&f.summaryMode, "summary-mode", "compact", "compact (the summary) or disabled (none)")
	fl.StringVar(&f.summaryExport, "summary-export", "", "write the results as versioned JSON to this file")
	fl.StringVar(&f.junit, "junit", "", "write thresholds and checks as JUnit XML to this file")
	fl.StringArrayVarP(&f.outs, "out", "o", nil, "stream samples to an output: json[=FILE], csv[=FILE], influxdb=URL, prometheus-rw=URL (repeatable)")
	fl.StringVar(&f.adhoc.url, "url", "", "ad-hoc test of this URL, without a script")
	fl.StringVarP(&f.adhoc.method, "method", "X", "GET", "ad-hoc: the HTTP method")
	fl.StringArrayVarP(&f.adhoc.headers, "header", "H", nil, "ad-hoc: a request header 'Name: value' (repeatable)")
	fl.StringVar(&f.adhoc.body, "body", "", "ad-hoc: the request body, or @FILE")
	fl.StringVar(&f.adhoc.rate, "rate", "", "ad-hoc: a constant arrival rate, e.g. 200/s (with -d; -u VUs pre-allocated)")
	fl.StringArrayVar(&f.adhoc.thresholds, "threshold", nil, "ad-hoc: a threshold 'metric: expression' (repeatable)")
	addDistributedFlags(cmd, f)
	addReportFlags(cmd, &f.html)
	return cmd
}

// addOptionFlags adds the flags that set options, shared by run and
// inspect.
func addOptionFlags(cmd *cobra.Command, f *runFlags) {
	fl := cmd.Flags()
	fl.Int64VarP(&f.vus, "vus", "u", 1, "number of virtual users")
	fl.StringVarP(&f.duration, "duration", "d", "", "test duration, e.g. 30s, 5m, 1h30m")
	fl.Int64VarP(&f.iterations, "iterations", "i", 0, "total iterations, shared by the VUs")
	fl.StringArrayVarP(&f.stages, "stage", "s", nil, "a ramping stage DURATION:TARGET, e.g. 30s:10 (repeatable)")
	fl.StringVarP(&f.config, "config", "c", "", "JSON config file with options (lowest precedence after defaults)")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set __ENV.KEY for the script (KEY=VALUE, repeatable)")
	fl.StringArrayVar(&f.tags, "tag", nil, "add a tag to every sample (KEY=VALUE, repeatable)")
	fl.StringVar(&f.trendStats, "summary-trend-stats", "", `Trend columns of the summary, e.g. "avg,p(99),p(99.9),count"`)
	fl.StringVar(&f.timeUnit, "summary-time-unit", "", "unit of the summary's times: s, ms or us (default: humanised)")
	addSegmentFlags(cmd, f)
}

func exactlyOneScript(c *cobra.Command, args []string) error {
	if len(args) != 1 {
		return &usageError{cmd: c, err: fmt.Errorf("%s needs exactly one script, got %d arguments", c.Name(), len(args))}
	}
	return nil
}

// scriptPath is the script to run and the name the banner shows: the
// script given, or the one written for an ad-hoc --url test.
func scriptPath(f *runFlags, args []string) (path, display string, err error) {
	if f.adhoc.url == "" {
		return args[0], args[0], nil
	}
	dir, err := os.MkdirTemp("", "throng-adhoc-")
	if err != nil {
		return "", "", err
	}
	f.adhocDir = dir
	path, err = writeAdhocScript(dir, f)
	return path, fmt.Sprintf("(ad-hoc) %s %s", strings.ToUpper(f.adhoc.method), f.adhoc.url), err
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
	outputs     *outputs.Manager
	cancel      context.CancelCauseFunc
	markedBad   atomic.Pointer[string] // exec.test.fail()'s reason
	setupData   []byte                 // setup()'s result as JSON, for teardown
	teardownErr error
	duration    time.Duration    // from the start of the scenarios to the end of teardown
	segment     *runtime.Segment // this instance's share of the test; nil: all of it
	startAt     time.Time        // --start-at; zero: at once
	instance    string           // --instance-id, tagged on every sample
	html        *runReport       // the HTML report and dashboard; nil without (report.go)
	signals     *signalWatch     // what a signal stops (main.go); nil: signals are not watched
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
	if t.opts, err = consolidateOptions(e, c, f, t.bundle, t.logger); err != nil {
		return nil, err
	}
	if err := t.configure(runTags); err != nil {
		return nil, err
	}
	if err := t.newOutputs(); err != nil {
		return nil, err
	}
	if err := t.startReport(); err != nil {
		return nil, err
	}
	return t, nil
}

// configure validates the consolidated options and builds the scenarios
// and the thresholds.
func (t *testRun) configure(runTags map[string]string) error {
	t.instance = t.instanceID()
	tags := metrics.NewTagSet(t.opts.Tags).WithAll(runTags).With("instance", t.instance)
	t.bundle.SetTags(tags)
	executors, err := runtime.ScenariosFromOptions(t.opts)
	if err != nil {
		return withCode(exitInvalidConfig, err)
	}
	// ScenariosFromOptions has checked the segment already.
	t.segment, _ = runtime.ParseSegment(deref(t.opts.ExecutionSegment), deref(t.opts.ExecutionSegmentSequence))
	t.bundle.SetIDInTest(vuIDInTest(t.segment))
	if t.startAt, err = t.startTime(); err != nil {
		return err
	}
	if err := t.exportsExist(executors); err != nil {
		return err
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
	t.bundle.SetOptions(t.optsJSON)
	t.run = &runtime.Run{Executors: executors, Engine: t.engine, Builtins: t.builtins, Tags: tags}
	t.run.Factory = newVUFactory(t.bundle, executors, t.run)
	return nil
}

// exportsExist checks that every scenario's exec function is exported,
// before any VU starts.
func (t *testRun) exportsExist(executors []runtime.Executor) error {
	for _, ex := range executors {
		sc := ex.Scenario()
		if !t.bundle.Exports(sc.Exec) {
			return invalidConfig("scenario %q: the script exports no function %q to run", sc.Name, sc.Exec)
		}
	}
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
		printBanner(t.e, t.path, t.run, t.segment, t.outputs.Descriptions())
	}
	if err := t.outputs.Start(); err != nil {
		return invalidConfig("starting an output: %v", err)
	}
	t.engine.Start()
	t.signals.stopWith(t.stop)    // a first signal stops the run gracefully (main.go)
	defer t.signals.stopWith(nil) // and only marks it while the results are written
	vus, err := t.run.InitVUs(ctx)
	if err == nil {
		err = t.waitForStart(ctx)
	}
	if err == nil {
		err = context.Cause(ctx) // stopped while the VUs were made: setup() must not start
	}
	if errors.Is(err, errSignal) {
		// Nothing has run: no summary to print, as when stopped while the
		// script loaded.
		t.engine.Stop()
		t.stopOutputs()
		return withCode(exitExternalAbort, errSignal)
	}
	if err == nil {
		err = t.setup(ctx)
	}
	if err != nil {
		t.engine.Stop()
		t.stopOutputs()
		return err
	}
	stopProgress := startProgress(t.e, t.f, t.run)
	stopThresholds := t.watchThresholds(ctx)
	err = t.run.Start(ctx, vus)
	stopThresholds()
	stopProgress()
	t.teardownErr = t.teardown()
	// The test's duration, for per-second rates, ends here: flushing the
	// outputs is not part of the test.
	t.duration = t.run.Elapsed()
	t.engine.Stop()
	t.stopOutputs()
	if err != nil {
		return err
	}
	return context.Cause(ctx)
}

// setup runs the script's setup() and hands its result to the VUs. An
// exception is exit 107, running past setupTimeout exit 100.
func (t *testRun) setup(ctx context.Context) error {
	if isSet(t.opts.NoSetup) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, t.opts.SetupTimeout.Timeout(runtime.DefaultLifecycleTimeout))
	defer cancel()
	data, _, err := t.bundle.RunLifecycle(ctx, "setup", nil)
	switch {
	case err != nil && errors.Is(context.Cause(ctx), errSignal):
		return errSignal // interrupted by the signal, not by setupTimeout
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
	if isSet(t.opts.NoTeardown) {
		return nil
	}
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

// vuFactory makes js VUs for the runtime, translating each runtime
// scenario into what a js VU needs to know of it.
type vuFactory struct {
	b         *js.Bundle
	scenarios map[*runtime.Scenario]*js.Scenario
}

func newVUFactory(b *js.Bundle, executors []runtime.Executor, run *runtime.Run) vuFactory {
	f := vuFactory{b: b, scenarios: map[*runtime.Scenario]*js.Scenario{}}
	for _, ex := range executors {
		sc := ex.Scenario()
		f.scenarios[sc] = &js.Scenario{
			Name: sc.Name, Executor: sc.Executor, Exec: sc.Exec, Env: sc.Env, Tags: sc.Tags,
			StartTime: sc.StartedAt,
			Progress:  func() float64 { return ex.Progress(time.Since(sc.StartedAt())) },
		}
	}
	b.SetInstance(func() js.Instance {
		completed, interrupted, _, active := run.Totals()
		in := js.Instance{CurrentTestRunDuration: run.Elapsed(), IterationsCompleted: completed,
			IterationsInterrupted: interrupted, VUsActive: active}
		if p := run.Pool(); p != nil {
			in.VUsInitialized = p.Initialized()
		}
		return in
	})
	return f
}

func (f vuFactory) NewVU(ctx context.Context, id uint64) (runtime.VU, error) {
	if err := context.Cause(ctx); errors.Is(err, errSignal) {
		return nil, err // a VU's init context can take long: make no more
	}
	vu, err := f.b.NewVU(ctx, id)
	if err != nil {
		return nil, err
	}
	return vuAdapter{vu, f.scenarios}, nil
}

type vuAdapter struct {
	vu        *js.VU
	scenarios map[*runtime.Scenario]*js.Scenario
}

func (a vuAdapter) Iterate(ctx context.Context, it runtime.Iteration) bool {
	return a.vu.Iterate(ctx, js.Iteration{Scenario: a.scenarios[it.Scenario], Number: it.Number, InTest: it.InTest})
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
