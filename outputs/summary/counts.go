package summary

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// maxLineWidth is how wide a count line may grow before status codes wrap
// and errors turn into a list: about as wide as a default Trend line.
const maxLineWidth = 120

// statusLines is "status codes....: 200=30100 201=33052 404=11", codes in
// ascending order, wrapped under the first value when there are many.
func (l layout) statusLines(codes map[string]int64, p palette) []string {
	const name = "status codes"
	if len(codes) == 0 {
		return []string{l.formatRow(row{name: name, kind: freeKind, cells: []cell{p.dim("none")}}, nil, p)}
	}
	items := make([]cell, 0, len(codes))
	for _, c := range byStatus(codes) {
		items = append(items, pair(c, codes[c], "", p))
	}
	col := l.valueColumn()
	chunks := wrap(items, maxLineWidth-col)
	lines := []string{l.formatRow(row{name: name, kind: freeKind, cells: chunks[0]}, nil, p)}
	for _, ch := range chunks[1:] {
		lines = append(lines, spaces(col)+joinStyled(ch))
	}
	return lines
}

// byStatus orders codes numerically: shorter numbers are smaller, so a
// length-then-text order also holds for codes that are not three digits.
func byStatus(codes map[string]int64) []string {
	out := make([]string, 0, len(codes))
	for c := range codes {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	})
	return out
}

// errorLines is "errors....: connection refused=12, request timeout=3",
// most frequent first (the data's order). When that would not fit on
// one line, the row shows the total and each reason gets its own line:
// "↳ 12 connection refused", counts right-aligned.
func (l layout) errorLines(errs []ErrorCount, p palette) []string {
	const name = "errors"
	if len(errs) == 0 {
		return []string{l.formatRow(row{name: name, kind: freeKind, cells: []cell{p.dim("none")}}, nil, p)}
	}
	items := make([]cell, len(errs))
	for i, e := range errs {
		sep := "," // reasons hold spaces, so only commas can part them
		if i == len(errs)-1 {
			sep = ""
		}
		items[i] = pair(reason(e.Reason), e.Count, sep, p)
	}
	if l.valueColumn()+width(joinPlain(items)) <= maxLineWidth {
		return []string{l.formatRow(row{name: name, kind: freeKind, cells: items}, nil, p)}
	}
	return l.errorList(errs, p)
}

func (l layout) errorList(errs []ErrorCount, p palette) []string {
	var total int64
	w := 0
	for _, e := range errs {
		total += e.Count
		w = max(w, len(strconv.FormatInt(e.Count, 10)))
	}
	t := strconv.FormatInt(total, 10)
	head := cell{t + " total", p.cyan.Sprint(t) + p.faint.Sprint(" total")}
	lines := []string{l.formatRow(row{name: "errors", kind: freeKind, cells: []cell{head}}, nil, p)}
	for _, e := range errs {
		n := strconv.FormatInt(e.Count, 10)
		lines = append(lines, l.listIndent()+"↳ "+spaces(w-len(n))+p.cyan.Sprint(n)+" "+reason(e.Reason))
	}
	return lines
}

// reason folds an error's whitespace (an exception may span lines) so
// each reason stays on its line.
func reason(s string) string { return strings.Join(strings.Fields(s), " ") }

// pair is key=count with a faint "=", then suffix (a separator).
func pair(key string, n int64, suffix string, p palette) cell {
	v := strconv.FormatInt(n, 10)
	return cell{key + "=" + v + suffix, key + p.faint.Sprint("=") + p.cyan.Sprint(v) + suffix}
}

// wrap splits items into lines of at most avail columns, at least one
// item a line.
func wrap(items []cell, avail int) [][]cell {
	var lines [][]cell
	used := 0
	for _, it := range items {
		w := width(it.plain)
		if last := len(lines) - 1; last >= 0 && used+1+w <= avail {
			lines[last] = append(lines[last], it)
			used += 1 + w
			continue
		}
		lines = append(lines, []cell{it})
		used = w
	}
	return lines
}

func joinStyled(cells []cell) string {
	s := make([]string, len(cells))
	for i, c := range cells {
		s[i] = c.styled
	}
	return strings.Join(s, " ")
}

func joinPlain(cells []cell) string {
	s := make([]string, len(cells))
	for i, c := range cells {
		s[i] = c.plain
	}
	return strings.Join(s, " ")
}

// outputLines is one "output losses" line per output that did not
// deliver everything, so nothing is lost silently; none when all did.
func (l layout) outputLines(reports map[string]string, p palette) []string {
	var lines []string
	for _, name := range slices.Sorted(maps.Keys(reports)) {
		cells := []cell{p.value(name + ": " + reports[name])}
		lines = append(lines, l.formatRow(row{name: "output losses", kind: freeKind, cells: cells}, nil, p))
	}
	return lines
}
