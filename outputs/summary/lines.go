package summary

import (
	"strconv"
	"strings"
	"time"

	"github.com/throng-dev/throng/metrics"
)

// lineIndent is where k6 starts metric names: one-space base indent, two
// more, then the threshold mark column (empty here) and a space.
const lineIndent = "     "

// minNameWidth keeps the dots running to column 31 as in every k6 summary
// users have seen: k6 HTTP tests always print the 28-column sub-metric
// line "  { expected_response:true }", which sets k6's width.
const minNameWidth = 28

// kind groups the rows whose columns align with each other, as in k6:
// Trend rows align stat by stat, other metric rows value by value, and the
// count rows beyond k6 stand alone.
type kind int

const (
	trendKind kind = iota
	valueKind
	freeKind
)

// row is one dotted line: "name.....: cells".
type row struct {
	name  string
	kind  kind
	cells []cell
}

// metricRows returns one row per metric, in the snapshot's name order.
func metricRows(s *metrics.Snapshot, o Options, p palette) []row {
	rows := make([]row, 0, len(s.Metrics))
	for _, m := range s.Metrics {
		rows = append(rows, metricRow(m, s.Duration, o, p))
	}
	return rows
}

func metricRow(m metrics.MetricSnapshot, d time.Duration, o Options, p palette) row {
	f := valueFormat(m.Metric, o.TimeUnit)
	r := row{name: m.Metric.Name, kind: valueKind}
	switch s := m.Sink.(type) {
	case *metrics.TrendSink:
		r.kind, r.cells = trendKind, trendCells(s, o.TrendStats, f, p)
	case *metrics.CounterSink:
		r.cells = counterCells(s, m.Metric, d, f, p)
	case *metrics.GaugeSink:
		r.cells = []cell{p.value(f(s.Value)), p.labelled("min=", f(s.Min)), p.labelled("max=", f(s.Max))}
	case *metrics.RateSink:
		r.cells = rateCells(s, p)
	default:
		r.cells = []cell{p.dim("[no data]")}
	}
	return r
}

// valueFormat picks how a metric's values read: durations, bytes or plain.
func valueFormat(m *metrics.Metric, unit string) func(float64) string {
	switch m.Contains {
	case metrics.Time:
		return func(ms float64) string { return formatDuration(ms, unit) }
	case metrics.Data:
		return formatBytes
	}
	return formatNumber
}

func trendCells(s *metrics.TrendSink, stats []string, f func(float64) string, p palette) []cell {
	cells := make([]cell, len(stats))
	for i, st := range stats {
		cells[i] = p.labelled(st+"=", trendValue(s, st, f))
	}
	return cells
}

// trendValue computes one stat; stats were validated before rendering.
func trendValue(s *metrics.TrendSink, stat string, f func(float64) string) string {
	switch stat {
	case "count":
		return strconv.FormatUint(s.Count(), 10)
	case "avg":
		return f(s.Mean())
	case "min":
		return f(s.Min())
	case "med":
		return f(s.Median())
	case "max":
		return f(s.Max())
	}
	pct, _ := percentile(stat)
	return f(s.Percentile(pct))
}

// counterCells is the total and the rate per second of the test's running
// time. Plain rates get two decimals: six (k6's) is noise at this scale.
func counterCells(s *metrics.CounterSink, m *metrics.Metric, d time.Duration, f func(float64) string, p palette) []cell {
	rate := f(s.Rate(d))
	if m.Contains == metrics.Default {
		rate = roundTrimmed(s.Rate(d), 2)
	}
	return []cell{p.value(f(s.Sum)), p.value(rate + "/s")}
}

// rateCells is the share of non-zero values and the two counts, k6's
// legacy "✓ trues ✗ falses" (for http_req_failed too).
func rateCells(s *metrics.RateSink, p palette) []cell {
	trues, falses := strconv.FormatInt(s.Trues, 10), strconv.FormatInt(s.Total-s.Trues, 10)
	return []cell{
		p.value(formatPercent(s.Trues, s.Total)),
		{"✓ " + trues, p.green.Sprint("✓") + " " + p.cyan.Sprint(trues)},
		{"✗ " + falses, p.red.Sprint("✗") + " " + p.cyan.Sprint(falses)},
	}
}

// columnWidths is the widest plain cell of each column, per kind of row.
func columnWidths(rows []row) map[kind][]int {
	widths := map[kind][]int{}
	for _, r := range rows {
		ws := widths[r.kind]
		for i, c := range r.cells {
			if i == len(ws) {
				ws = append(ws, 0)
			}
			ws[i] = max(ws[i], width(c.plain))
		}
		widths[r.kind] = ws
	}
	return widths
}

// nameWidth is the widest name among the rows, at least minNameWidth.
func nameWidth(names []string) int {
	w := minNameWidth
	for _, n := range names {
		w = max(w, width(n))
	}
	return w
}

// valueColumn is where values start on a row, for lines that continue one.
func valueColumn(nameWidth int) int { return width(lineIndent) + nameWidth + len("...: ") }

// formatRow pads the name with dots (k6: three past the widest name) and
// each cell to its column width. The last cell is not padded, so lines
// carry no trailing blanks.
func formatRow(r row, nameWidth int, widths []int, p palette) string {
	var b strings.Builder
	b.WriteString(lineIndent + r.name)
	b.WriteString(p.faint.Sprint(strings.Repeat(".", nameWidth-width(r.name)+3) + ":"))
	for i, c := range r.cells {
		b.WriteString(" " + c.styled)
		if i < len(r.cells)-1 && i < len(widths) {
			b.WriteString(spaces(widths[i] - width(c.plain)))
		}
	}
	return b.String()
}
