package summary

import (
	"cmp"
	"errors"
	"io"
	"strings"

	"github.com/throng-dev/throng/metrics"
)

// defaultMargin is k6's default textSummary indent.
const defaultMargin = " "

// Render writes the end-of-test summary of d to w: the tree of groups and
// checks, one line per metric (with its thresholds), then the status codes
// and errors. Trend stats and time unit left unset in o come from
// d.Options (as k6's textSummary merges its options over data.options);
// colours follow o.NoColor only. It is a pure
// function of its arguments; it returns an invalid option before writing
// anything, or the first write error.
func Render(w io.Writer, d *Data, o Options) error {
	if d == nil {
		return errors.New("summary: nil data")
	}
	o, err := o.forData(d)
	if err != nil {
		return err
	}
	// One write: the summary is a few KB, and a partial summary interleaved
	// with other output is worse than none.
	_, err = io.WriteString(w, strings.Join(summaryLines(d, o, newPalette(!o.NoColor)), "\n")+"\n")
	return err
}

// RenderSnapshot is NewData then Render, for a run without handleSummary.
func RenderSnapshot(w io.Writer, s *metrics.Snapshot, o Options, st State) error {
	d, err := NewData(s, o, st)
	if err != nil {
		return err
	}
	return Render(w, d, o)
}

// summaryLines opens and closes with a blank line, as k6 prints it.
func summaryLines(d *Data, o Options, p palette) []string {
	l := layout{margin: cmp.Or(o.Indent, defaultMargin)}
	lines := []string{""}
	lines = append(lines, treeLines(d.RootGroup, l.treeIndent(), p)...)
	entries := metricEntries(d)
	names := []string{"status codes", "errors"}
	for _, e := range entries {
		names = append(names, e.indent+e.name)
	}
	l.nameWidth = nameWidth(names)
	if len(entries) > 0 {
		lines = append(lines, l.metricLines(entries, o, p)...)
		lines = append(lines, "")
	}
	lines = append(lines, l.statusLines(d.Throng.StatusCodes, p)...)
	lines = append(lines, l.errorLines(d.Throng.Errors, p)...)
	lines = append(lines, l.outputLines(d.Throng.Outputs, p)...)
	return append(lines, "")
}

// metricLines is each metric's row, followed by its threshold lines.
func (l layout) metricLines(entries []entry, o Options, p palette) []string {
	rows := make([]row, len(entries))
	for i, e := range entries {
		rows[i] = metricRow(e, o, p)
	}
	widths := columnWidths(rows)
	var lines []string
	for i, r := range rows {
		lines = append(lines, l.formatRow(r, widths[r.kind], p))
		lines = append(lines, l.thresholdLines(entries[i], o.TimeUnit, p)...)
	}
	return lines
}
