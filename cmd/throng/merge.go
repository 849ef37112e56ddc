package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/throng-dev/throng/outputs/summary"
	"github.com/throng-dev/throng/runtime"
)

type mergeFlags struct {
	summaryExport string
	junit         string
	noColor       bool
	trendStats    string
	timeUnit      string
}

func newMergeCommand(e *env) *cobra.Command {
	f := &mergeFlags{}
	cmd := &cobra.Command{
		Use:   "merge [flags] EXPORT.json...",
		Short: "Merge the --summary-export files of a distributed test's instances into one summary and one verdict",
		Long: `merge reads the summary exports of the instances of one test, checks that they
ran the same script with the same options and that their execution segments
cover the whole test once, merges their metrics, judges the thresholds on the
merged data, prints the summary and exits as 'throng run' would: 99 when a
threshold failed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runMerge(e, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.summaryExport, "summary-export", "", "write the merged results as a summary export to this file")
	fl.StringVar(&f.junit, "junit", "", "write the merged thresholds and checks as JUnit XML to this file")
	fl.BoolVar(&f.noColor, "no-color", false, "no colours in the output")
	fl.StringVar(&f.trendStats, "summary-trend-stats", "", "Trend columns of the summary (default: the exports' options)")
	fl.StringVar(&f.timeUnit, "summary-time-unit", "", "unit of the summary's times: s, ms or us")
	return cmd
}

// exportFile is one instance's summary export.
type exportFile struct {
	path     string
	export   *summary.Export
	from, to *big.Rat // its segment's ends
}

func runMerge(e *env, f *mergeFlags, paths []string) error {
	files, err := readExports(paths)
	if err != nil {
		return err
	}
	if err := sameTest(files); err != nil {
		return err
	}
	if err := coverWhole(files); err != nil {
		return err
	}
	exports := make([]*summary.Export, len(files))
	for i, ef := range files {
		exports[i] = ef.export
	}
	merged, err := summary.Merge(exports)
	if err != nil {
		return invalidConfig("%v", err)
	}
	o, err := mergeSummaryOptions(e, f, files[0].export.Options)
	if err != nil {
		return err
	}
	snap := merged.Snapshot
	data, err := summary.NewData(snap, o, summary.State{IsStdOutTTY: e.stdoutIsTTY, IsStdErrTTY: e.stderrIsTTY})
	if err != nil {
		return err
	}
	data.Throng.Outputs = merged.Outputs
	first := files[0].export
	meta := summary.ExportMeta{Version: version, Script: first.Script, Options: wholeOptions(first.Options), ScriptHash: first.ScriptHash, Instance: "merged"}
	var errs []error
	if f.summaryExport != "" {
		errs = append(errs, writeFileWith(f.summaryExport, func(b *bytes.Buffer) error { return summary.WriteExport(b, snap, o, meta) }))
	}
	if f.junit != "" {
		errs = append(errs, writeFileWith(f.junit, func(b *bytes.Buffer) error { return summary.WriteJUnit(b, data) }))
	}
	fmt.Fprintf(e.stdout, "     merged: %s\n\n", describeFiles(files))
	errs = append(errs, summary.Render(e.stdout, data, o))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if snap.ThresholdsFailed() {
		return withCode(exitThresholdsFailed, errors.New("some thresholds have failed"))
	}
	return nil
}

func readExports(paths []string) ([]exportFile, error) {
	files := make([]exportFile, 0, len(paths))
	for _, p := range paths {
		fh, err := os.Open(p)
		if err != nil {
			return nil, invalidConfig("%v", err)
		}
		ex, err := summary.ReadExport(fh)
		fh.Close()
		if err != nil {
			return nil, invalidConfig("%s: %v", p, err)
		}
		seg, err := runtime.ParseSegment(ex.Segment, ex.Sequence)
		if err != nil {
			return nil, invalidConfig("%s: %v", p, err)
		}
		from, to := seg.Bounds()
		files = append(files, exportFile{path: p, export: ex, from: from, to: to})
	}
	return files, nil
}

// sameTest refuses exports of different scripts, options or sequences:
// merged, they would describe no test that ran.
func sameTest(files []exportFile) error {
	a := files[0]
	for _, b := range files[1:] {
		switch {
		case a.export.ScriptHash != b.export.ScriptHash:
			return invalidConfig("%s and %s come from different scripts (%s and %s): merge only the instances of one test",
				a.path, b.path, describeScript(a.export), describeScript(b.export))
		case !bytes.Equal(wholeOptions(a.export.Options), wholeOptions(b.export.Options)):
			return invalidConfig("%s and %s ran with different options:\n  %s\n  %s",
				a.path, b.path, wholeOptions(a.export.Options), wholeOptions(b.export.Options))
		case a.export.Sequence != b.export.Sequence:
			return invalidConfig("%s and %s used different execution segment sequences (%q and %q), so their segments do not add up exactly",
				a.path, b.path, a.export.Sequence, b.export.Sequence)
		}
	}
	return nil
}

func describeScript(e *summary.Export) string {
	h := e.ScriptHash
	if len(h) > 12 {
		h = h[:12]
	}
	return fmt.Sprintf("%s, sha256 %s", e.Script, h)
}

// segmentOptionKeys are the options that differ between the instances of
// one test by design.
var segmentOptionKeys = []string{"executionSegment", "executionSegmentSequence", "noSetup", "noTeardown"}

// wholeOptions is options without the per-instance keys, in a canonical
// form (sorted keys), for comparison and for the merged export.
func wholeOptions(raw json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return raw
	}
	for _, k := range segmentOptionKeys {
		delete(m, k)
	}
	return readableJSON(m)
}

// coverWhole checks that the segments cover [0, 1) exactly once.
func coverWhole(files []exportFile) error {
	sorted := slices.Clone(files)
	slices.SortStableFunc(sorted, func(a, b exportFile) int { return a.from.Cmp(b.from) })
	at, atFile := new(big.Rat), ""
	for _, ef := range sorted {
		switch ef.from.Cmp(at) {
		case -1:
			return invalidConfig("%s (segment %s) overlaps %s, which covers up to %s: each segment must be merged once",
				ef.path, segmentOf(ef), atFile, at.RatString())
		case 1:
			return invalidConfig("no export covers the segment %s:%s: an instance is missing (got %s)",
				at.RatString(), ef.from.RatString(), describeFiles(files))
		}
		at, atFile = ef.to, ef.path
	}
	if at.Cmp(big.NewRat(1, 1)) != 0 {
		return invalidConfig("no export covers the segment %s:1: an instance is missing (got %s)", at.RatString(), describeFiles(files))
	}
	return nil
}

func segmentOf(ef exportFile) string { return ef.from.RatString() + ":" + ef.to.RatString() }

func describeFiles(files []exportFile) string {
	parts := make([]string, len(files))
	for i, ef := range files {
		parts[i] = fmt.Sprintf("%s (%s)", ef.path, segmentOf(ef))
	}
	return strings.Join(parts, ", ")
}

// mergeSummaryOptions takes the summary options from the flags, else from
// the exports' options.
func mergeSummaryOptions(e *env, f *mergeFlags, options json.RawMessage) (summary.Options, error) {
	o, err := runtime.ParseOptions(options)
	if err != nil {
		return summary.Options{}, invalidConfig("the exports' options: %v", err)
	}
	so := summary.Options{TrendStats: o.SummaryTrendStats, NoColor: f.noColor || !e.stdoutIsTTY}
	if o.SummaryTimeUnit != nil {
		so.TimeUnit = *o.SummaryTimeUnit
	}
	if f.trendStats != "" {
		so.TrendStats = splitList(f.trendStats)
	}
	if f.timeUnit != "" {
		so.TimeUnit = f.timeUnit
	}
	if _, ok := e.lookup("NO_COLOR"); ok {
		so.NoColor = true
	}
	if err := summary.ValidateTrendStats(so.TrendStats); err != nil {
		return so, invalidConfig("summary trend stats: %v", err)
	}
	if err := summary.ValidateTimeUnit(so.TimeUnit); err != nil {
		return so, invalidConfig("summary time unit: %v", err)
	}
	return so, nil
}
