package summary

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// minNameWidth keeps the dots running to column 31 as in every k6 summary
// users have seen: k6 HTTP tests always print the 28-column sub-metric
// line "  { expected_response:true }", which sets k6's width.
const minNameWidth = 28

// subIndent is how much further in a sub-metric's name sits than its
// parent's, as in k6.
const subIndent = "  "

// layout is where the columns of one rendering start. k6 puts a margin
// (textSummary's indent, one space by default), then the tree four columns
// in; metric lines two columns in, then a two-column mark ("✓ ", "✗ " or
// blanks), then the name.
type layout struct {
	margin    string
	nameWidth int // the widest name, sub-metric indent included
}

func (l layout) treeIndent() string { return l.margin + "    " }
func (l layout) markIndent() string { return l.margin + "  " }
func (l layout) nameIndent() string { return l.markIndent() + "  " }

// listIndent puts listed errors two columns in from the names, like the
// checks of a group.
func (l layout) listIndent() string { return l.nameIndent() + "  " }

// valueColumn is where values start on a row, for lines that continue one.
func (l layout) valueColumn() int { return width(l.nameIndent()) + l.nameWidth + len("...: ") }

// kind groups the rows whose columns align with each other, as in k6:
// Trend rows align stat by stat, other metric rows value by value, and the
// count rows beyond k6 stand alone.
type kind int

const (
	trendKind kind = iota
	valueKind
	freeKind
)

// row is one dotted line: "[indent][mark]name.....: cells".
type row struct {
	indent string // subIndent for a sub-metric
	mark   cell   // two columns; blank when zero
	name   string
	kind   kind
	cells  []cell
}

// entry is one metric of the data in display order.
type entry struct {
	key    string // the name in Data.Metrics
	name   string // as displayed: the name, or "{ k:v }" for a sub-metric
	indent string // subIndent for a sub-metric shown under its parent
	m      Metric
}

// metricEntries orders the metrics as k6 does, parents by name and each
// parent's sub-metrics right after it. A sub-metric whose parent is absent
// (no samples, no thresholds) keeps its full name, so it is not read as
// belonging to the line above.
func metricEntries(d *Data) []entry {
	keys := make([]string, 0, len(d.Metrics))
	for k := range d.Metrics {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		pa, sa := splitSub(a)
		pb, sb := splitSub(b)
		return cmp.Or(strings.Compare(pa, pb), strings.Compare(sa, sb))
	})
	out := make([]entry, len(keys))
	for i, k := range keys {
		out[i] = entry{key: k, name: k, m: d.Metrics[k]}
		if parent, sub := splitSub(k); sub != "" {
			if _, ok := d.Metrics[parent]; ok {
				out[i].name, out[i].indent = "{ "+strings.TrimSuffix(sub[1:], "}")+" }", subIndent
			}
		}
	}
	return out
}

// splitSub splits "metric{k:v}" into "metric" and "{k:v}".
func splitSub(name string) (parent, sub string) {
	if i := strings.IndexByte(name, '{'); i >= 0 {
		return name[:i], name[i:]
	}
	return name, ""
}

// metricRow is one metric's dotted line, marked when it has thresholds.
func metricRow(e entry, o Options, p palette) row {
	m := e.m
	f := valueFormat(m.Contains, o.TimeUnit)
	r := row{indent: e.indent, mark: thresholdMark(m, p), name: e.name, kind: valueKind}
	switch m.Type {
	case "trend":
		r.kind, r.cells = trendKind, trendCells(m.Values, o.TrendStats, f, p)
	case "counter":
		r.cells = []cell{p.value(f(m.Values["count"])), p.value(counterRate(m.Values["rate"], m.Contains, o.TimeUnit))}
	case "gauge":
		v := m.Values
		r.cells = []cell{p.value(f(v["value"])), p.labelled("min=", f(v["min"])), p.labelled("max=", f(v["max"]))}
	case "rate":
		r.cells = rateCells(m.Values, p)
	default:
		r.cells = []cell{p.dim("[no data]")}
	}
	return r
}

// thresholdMark is ✓ when every threshold of m passes, ✗ when one fails,
// and blank (keeping names aligned) when m has none.
func thresholdMark(m Metric, p palette) cell {
	if len(m.Thresholds) == 0 {
		return cell{}
	}
	for _, t := range m.Thresholds {
		if !t.OK {
			return cell{"✗ ", p.red.Sprint("✗") + " "}
		}
	}
	return cell{"✓ ", p.green.Sprint("✓") + " "}
}

// valueFormat picks how a metric's values read: durations, bytes or plain.
// NaN and ±Inf (a script may record them) read as Go writes them.
func valueFormat(contains, unit string) func(float64) string {
	f := formatNumber
	switch contains {
	case "time":
		f = func(ms float64) string { return formatDuration(ms, unit) }
	case "data":
		f = formatBytes
	}
	return func(v float64) string {
		if !finite(v) {
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		return f(v)
	}
}

// counterRate is a counter's rate per second of the test's running time.
// Plain rates get two decimals: six (k6's) is noise at this scale.
func counterRate(rate float64, contains, unit string) string {
	if contains == "default" && finite(rate) {
		return roundTrimmed(rate, 2) + "/s"
	}
	return valueFormat(contains, unit)(rate) + "/s"
}

// trendCells are the chosen stats as stat=value. A stat the data was not
// built with reads "-": there is no sink left to compute it from.
func trendCells(v Values, stats []string, f func(float64) string, p palette) []cell {
	cells := make([]cell, len(stats))
	for i, st := range stats {
		x, ok := v[st]
		s := "-"
		switch {
		case ok && st == "count":
			s = formatCount(x)
		case ok:
			s = f(x)
		}
		cells[i] = p.labelled(st+"=", s)
	}
	return cells
}

// rateCells is the share of non-zero values and the two counts, k6's
// legacy "✓ trues ✗ falses" (for http_req_failed too). The share comes
// from the counts, with integer arithmetic, so it never rounds up.
func rateCells(v Values, p palette) []cell {
	passes, fails := count(v["passes"]), count(v["fails"])
	trues, falses := strconv.FormatInt(passes, 10), strconv.FormatInt(fails, 10)
	return []cell{
		p.value(formatPercent(passes, passes+fails)),
		{"✓ " + trues, p.green.Sprint("✓") + " " + p.cyan.Sprint(trues)},
		{"✗ " + falses, p.red.Sprint("✗") + " " + p.cyan.Sprint(falses)},
	}
}

// count turns a count that went through JSON (a float) back into an
// integer; NaN, from a null, counts as zero.
func count(v float64) int64 {
	if math.IsNaN(v) {
		return 0
	}
	return int64(v)
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

// nameWidth is the widest of the names (with their indents), at least
// minNameWidth.
func nameWidth(names []string) int {
	w := minNameWidth
	for _, n := range names {
		w = max(w, width(n))
	}
	return w
}

// formatRow pads the name with dots (k6: three past the widest name, so
// colons align whatever the indent) and each cell to its column width.
// The last cell is not padded, so lines carry no trailing blanks.
func (l layout) formatRow(r row, widths []int, p palette) string {
	var b strings.Builder
	mark := r.mark.styled
	if r.mark.plain == "" {
		mark = "  "
	}
	b.WriteString(l.markIndent() + r.indent + mark + r.name)
	b.WriteString(p.faint.Sprint(strings.Repeat(".", l.nameWidth-width(r.indent+r.name)+3) + ":"))
	for i, c := range r.cells {
		b.WriteString(" " + c.styled)
		if i < len(r.cells)-1 && i < len(widths) {
			b.WriteString(spaces(widths[i] - width(c.plain)))
		}
	}
	return b.String()
}
