package summary

import (
	"errors"
	"io"
	"strings"

	"github.com/throng-dev/throng/metrics"
)

// Render writes the end-of-test summary of s to w: the tree of groups and
// checks, one line per metric, then the status codes and errors. It is a
// pure function of its arguments; it returns an invalid option before
// writing anything, or the first write error.
func Render(w io.Writer, s *metrics.Snapshot, o Options) error {
	if s == nil {
		return errors.New("summary: nil snapshot")
	}
	o, err := o.resolved()
	if err != nil {
		return err
	}
	// One write: the summary is a few KB, and a partial summary interleaved
	// with other output is worse than none.
	_, err = io.WriteString(w, strings.Join(summaryLines(s, o, newPalette(!o.NoColor)), "\n")+"\n")
	return err
}

// summaryLines opens and closes with a blank line, as k6 prints it.
func summaryLines(s *metrics.Snapshot, o Options, p palette) []string {
	lines := []string{""}
	if s.Root != nil {
		lines = append(lines, treeLines(s.Root, treeIndent, p)...)
	}
	nw := nameWidth(append(metricNames(s), "status codes", "errors"))
	if rows := metricRows(s, o, p); len(rows) > 0 {
		widths := columnWidths(rows)
		for _, r := range rows {
			lines = append(lines, formatRow(r, nw, widths[r.kind], p))
		}
		lines = append(lines, "")
	}
	lines = append(lines, statusLines(s.StatusCodes, nw, p)...)
	lines = append(lines, errorLines(s.Errors, nw, p)...)
	return append(lines, "")
}

func metricNames(s *metrics.Snapshot) []string {
	names := make([]string, len(s.Metrics))
	for i, m := range s.Metrics {
		names[i] = m.Metric.Name
	}
	return names
}
