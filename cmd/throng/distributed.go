package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/throng-dev/throng/outputs/summary"
	"github.com/throng-dev/throng/runtime"
)

// A distributed test is several throng processes, each given a segment
// of the same script's work (--execution-segment), started together
// (--start-at), each tagging its samples with its --instance-id and
// writing a --summary-export; `throng merge` then gives one summary and
// one verdict for the whole.

// distributedFlags are the run flags of a distributed test that are not
// options of the script.
type distributedFlags struct {
	startAt    string
	instanceID string
}

// addSegmentFlags adds the flags that set the segment options, shared by
// run and inspect.
func addSegmentFlags(cmd *cobra.Command, f *runFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.segment, "execution-segment", "", "run this share of the test, FROM:TO of the sequence, e.g. 1/4:2/4")
	fl.StringVar(&f.segmentSequence, "execution-segment-sequence", "", "the boundaries all instances share, e.g. 0,1/4,2/4,3/4,1 (default: even parts)")
	fl.BoolVar(&f.noSetup, "no-setup", false, "do not run setup() (another instance runs it)")
	fl.BoolVar(&f.noTeardown, "no-teardown", false, "do not run teardown() (another instance runs it)")
}

func addDistributedFlags(cmd *cobra.Command, f *runFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.dist.startAt, "start-at", "", "wait until this RFC 3339 time before setup and the scenarios, so instances start together")
	fl.StringVar(&f.dist.instanceID, "instance-id", "", "tag every sample with instance=ID (default: the host name)")
}

// instanceID is --instance-id, THRONG_INSTANCE_ID or K6_INSTANCE_ID, else
// the host name, which is the pod's name on Kubernetes.
func (t *testRun) instanceID() string {
	if t.f.dist.instanceID != "" {
		return t.f.dist.instanceID
	}
	if v, key := lookupEither(t.e, "INSTANCE_ID"); key != "" {
		return v
	}
	host, err := os.Hostname()
	if err != nil {
		return "local"
	}
	return host
}

// startTime reads --start-at (or THRONG_START_AT): zero when not set.
func (t *testRun) startTime() (time.Time, error) {
	val, from := t.f.dist.startAt, "--start-at"
	if val == "" {
		val, from = lookupEither(t.e, "START_AT")
	}
	if val == "" {
		return time.Time{}, nil
	}
	at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(val))
	if err != nil {
		return time.Time{}, invalidConfig("%s %q: want an RFC 3339 time such as 2026-11-24T10:00:00Z", from, val)
	}
	return at, nil
}

// waitForStart waits until --start-at, after the VUs are initialised, so
// that instances whose initialisation took different times still begin
// setup and the scenarios together. A signal ends the wait.
func (t *testRun) waitForStart(ctx context.Context) error {
	if t.startAt.IsZero() {
		return nil
	}
	wait := time.Until(t.startAt)
	if wait <= 0 {
		t.logger.Warnf("--start-at %s had passed when the VUs were ready (%s late); starting now",
			t.startAt.Format(time.RFC3339), (-wait).Round(time.Millisecond))
		return nil
	}
	if !t.f.quiet {
		fmt.Fprintf(t.e.stderr, "waiting %s for the start at %s\n", wait.Round(time.Millisecond), t.startAt.Format(time.RFC3339Nano))
	}
	if !runtime.Sleep(ctx, runtime.RealClock{}, wait) {
		return context.Cause(ctx)
	}
	return nil
}

// vuIDInTest maps VU ids of this instance to ids unique across the
// instances of a segmented test, through the segment's striping.
func vuIDInTest(seg *runtime.Segment) func(uint64) uint64 {
	if seg == nil {
		return nil
	}
	return func(id uint64) uint64 { return uint64(seg.Global(int64(id)-1)) + 1 }
}

// segmentOptions are the segment flags as options.
func segmentOptions(c *cobra.Command, f *runFlags, o *runtime.Options) {
	fl := c.Flags()
	if fl.Changed("execution-segment") {
		o.ExecutionSegment = &f.segment
	}
	if fl.Changed("execution-segment-sequence") {
		o.ExecutionSegmentSequence = &f.segmentSequence
	}
	if fl.Changed("no-setup") {
		o.NoSetup = &f.noSetup
	}
	if fl.Changed("no-teardown") {
		o.NoTeardown = &f.noTeardown
	}
}

// segmentEnvOption sets a segment option from its environment variable.
func segmentEnvOption(o *runtime.Options, name, val string) error {
	switch name {
	case "EXECUTION_SEGMENT":
		o.ExecutionSegment = &val
	case "EXECUTION_SEGMENT_SEQUENCE":
		o.ExecutionSegmentSequence = &val
	case "NO_SETUP", "NO_TEARDOWN":
		b, err := strconv.ParseBool(strings.TrimSpace(val))
		if err != nil {
			return fmt.Errorf("%q is not true or false", val)
		}
		if name == "NO_SETUP" {
			o.NoSetup = &b
		} else {
			o.NoTeardown = &b
		}
	}
	return nil
}

func isSet(b *bool) bool { return b != nil && *b }

// exportMeta is what --summary-export records of the run, so that
// `throng merge` can check that instances belong together.
func (t *testRun) exportMeta() summary.ExportMeta {
	m := summary.ExportMeta{Version: version, Script: t.path, Options: t.optsJSON, ScriptHash: t.bundle.Hash(), Instance: t.instance}
	if t.segment != nil {
		m.Segment, m.Sequence = t.segment.String(), t.segment.Sequence()
	}
	return m
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
