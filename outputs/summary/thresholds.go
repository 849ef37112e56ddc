package summary

import (
	"math"
	"slices"
	"strconv"

	"github.com/throng-dev/throng/metrics"
)

// thresholdLines are "✓ 'p(95)<200' p(95)=148.21ms", one per threshold of
// the entry, two columns in from its name. They come sorted by expression:
// Data holds thresholds in a map, as k6's data object does.
func (l layout) thresholdLines(e entry, unit string, p palette) []string {
	indent := l.nameIndent() + e.indent + "  "
	out := make([]string, 0, len(e.m.Thresholds))
	for _, expr := range sortedKeys(e.m.Thresholds) {
		t := e.m.Thresholds[expr]
		c, text := p.green, "✓ '"+expr+"'"
		if !t.OK {
			c, text = p.red, "✗ '"+expr+"'"
		}
		out = append(out, indent+c.Sprint(text)+" "+thresholdValue(e.m, expr, t, unit, p).styled)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// thresholdValue is the aggregate the threshold was judged on, labelled
// with its aggregation and formatted like the metric's own values:
// p(95)=148.21ms, rate=0.00%, count=1000, rate=24.5/s. "(no data)" when
// the metric had no samples.
func thresholdValue(m Metric, expr string, t ThresholdState, unit string, p palette) cell {
	if t.Value == nil {
		return p.dim("(no data)")
	}
	agg := aggregation(expr)
	v := formatAggregate(m, agg, *t.Value, unit)
	if agg == "" {
		return p.value(v)
	}
	return p.labelled(agg+"=", v)
}

// aggregation is the aggregate an expression tests ("p(95)" for
// "p(95) < 200"), or "" when it does not parse: data handed back by a
// script may hold anything.
func aggregation(expr string) string {
	t, err := metrics.ParseThreshold(expr)
	if err != nil {
		return ""
	}
	return t.AggName()
}

func formatAggregate(m Metric, agg string, v float64, unit string) string {
	switch {
	case m.Type == "rate":
		return percent(v)
	case m.Type == "counter" && agg == "rate":
		return counterRate(v, m.Contains, unit)
	}
	return valueFormat(m.Contains, unit)(v)
}

// percent renders a share in [0, 1] truncated to two decimals, like
// formatPercent, when only the share is known.
func percent(v float64) string {
	if !finite(v) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(math.Trunc(clean(v*10000))/100, 'f', 2, 64) + "%"
}
