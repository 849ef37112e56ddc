package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/throng-dev/throng/js"
	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs/summary"
)

// handleSummaryTimeout bounds the script's handleSummary, as k6's default.
const handleSummaryTimeout = 2 * time.Minute

// finish reports the run (summary, handleSummary, export, JUnit) and turns
// how it ended into the exit code. stopCause is why the run stopped early,
// or nil.
func (t *testRun) finish(stopCause error) error {
	defer t.logger.Close()
	defer t.closeReport() // when no summary came to finish the report
	if isExitError(stopCause) {
		return stopCause // the run never started: an init error
	}
	snap := t.engine.Snapshot(t.duration)
	writeErr := t.report(snap)
	if err := t.verdict(stopCause, snap); err != nil {
		return err
	}
	return writeErr
}

// verdict maps how the run ended to k6's exit codes.
func (t *testRun) verdict(stopCause error, snap *metrics.Snapshot) error {
	var ta *thresholdAbort
	var ae *js.AbortError
	switch {
	case errors.Is(stopCause, errSignal):
		return withCode(exitExternalAbort, stopCause)
	case errors.As(stopCause, &ae):
		return withCode(exitScriptAborted, ae)
	case t.teardownErr != nil:
		return t.teardownErr
	case errors.As(stopCause, &ta):
		return withCode(exitThresholdsFailed, ta)
	case snap.ThresholdsFailed():
		return withCode(exitThresholdsFailed, errors.New("some thresholds have failed"))
	}
	if reason := t.markedBad.Load(); reason != nil {
		return withCode(exitMarkedFailed, errors.New(*reason))
	}
	return nil
}

func (t *testRun) summaryOptions() summary.Options {
	o := summary.Options{TrendStats: t.opts.SummaryTrendStats, NoColor: t.f.noColor || !t.e.stdoutIsTTY}
	if t.opts.SummaryTimeUnit != nil {
		o.TimeUnit = *t.opts.SummaryTimeUnit
	}
	if _, ok := t.e.lookup("NO_COLOR"); ok {
		o.NoColor = true
	}
	return o
}

// summaryOptionsValid checks the summary flags and options before the run,
// so a typo costs no test time.
func (t *testRun) summaryOptionsValid() error {
	if err := summary.ValidateTrendStats(t.opts.SummaryTrendStats); err != nil {
		return invalidConfig("summaryTrendStats: %v", err)
	}
	if t.opts.SummaryTimeUnit != nil {
		if err := summary.ValidateTimeUnit(*t.opts.SummaryTimeUnit); err != nil {
			return invalidConfig("summaryTimeUnit: %v", err)
		}
	}
	switch t.f.summaryMode {
	case "", "compact", "full", "legacy", "disabled":
	default:
		return invalidConfig("--summary-mode %q: allowed are compact, full, legacy, disabled", t.f.summaryMode)
	}
	return nil
}

func (t *testRun) state() summary.State {
	return summary.State{IsStdOutTTY: t.e.stdoutIsTTY, IsStdErrTTY: t.e.stderrIsTTY}
}

// report writes the machine-readable files, then the summary: the
// script's handleSummary if it has one, else the text summary. A failing
// handleSummary is logged and the text summary printed instead.
func (t *testRun) report(snap *metrics.Snapshot) error {
	o := t.summaryOptions()
	data, err := summary.NewData(snap, o, t.state())
	if err != nil {
		return err
	}
	data.Throng.Outputs = t.outputs.Reports()
	var errs []error
	errs = append(errs, t.finishReport(data)) // the HTML report (report.go)
	if t.f.summaryExport != "" {
		errs = append(errs, writeFileWith(t.f.summaryExport, func(b *bytes.Buffer) error {
			return summary.WriteExport(b, snap, o, t.exportMeta())
		}))
	}
	if t.f.junit != "" {
		errs = append(errs, writeFileWith(t.f.junit, func(b *bytes.Buffer) error { return summary.WriteJUnit(b, data) }))
	}
	if t.f.noSummary || t.f.summaryMode == "disabled" {
		return errors.Join(errs...)
	}
	if t.handleSummary(data) {
		return errors.Join(errs...)
	}
	errs = append(errs, summary.Render(t.e.stdout, data, o))
	return errors.Join(errs...)
}

// handleSummary runs the script's handleSummary, reporting whether it
// took care of the summary.
func (t *testRun) handleSummary(data *summary.Data) bool {
	raw, err := json.Marshal(data)
	if err != nil {
		t.logger.Warnf("handleSummary: %v", err)
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), handleSummaryTimeout)
	defer cancel()
	out, defined, err := t.bundle.HandleSummary(ctx, raw)
	if !defined {
		return false
	}
	if err != nil {
		t.logger.Warnf("%v; printing the default summary instead", err)
		return false
	}
	for dest, content := range out {
		switch dest {
		case "stdout":
			_, err = t.e.stdout.Write(content)
		case "stderr":
			_, err = t.e.stderr.Write(content)
		default:
			err = writeFileWith(dest, func(b *bytes.Buffer) error { _, err := b.Write(content); return err })
		}
		if err != nil {
			t.logger.Warnf("handleSummary: writing %s: %v", dest, err)
		}
	}
	return true
}

// textSummary serves textSummary() in scripts: data is handleSummary's
// argument as JSON.
func (t *testRun) textSummary(raw []byte, indent string, colors bool) (string, error) {
	var data summary.Data
	if err := json.Unmarshal(raw, &data); err != nil {
		return "", fmt.Errorf("the data is not a summary: %v", err)
	}
	o := t.summaryOptions()
	o.NoColor, o.Indent = !colors, indent
	var b bytes.Buffer
	err := summary.Render(&b, &data, o)
	return b.String(), err
}

// writeFileWith renders into memory and writes the file whole, creating
// its folder. The file appears at once, complete: it is written under a
// temporary name and renamed, so a reader waiting for it (the merge step
// of a distributed test) never reads half of it.
func writeFileWith(path string, render func(*bytes.Buffer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
