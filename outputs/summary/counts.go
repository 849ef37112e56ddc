package summary

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/throng-dev/throng/metrics"
)

// maxLineWidth is how wide a count line may grow before status codes wrap
// and errors turn into a list: about as wide as a default Trend line.
const maxLineWidth = 120

// listIndent puts listed errors two columns in from the names, like the
// checks of a group.
const listIndent = lineIndent + "  "

// statusLines is "status codes....: 200=30100 201=33052 404=11", codes in
// ascending order, wrapped under the first value when there are many.
func statusLines(codes []metrics.Count, nw int, p palette) []string {
	const name = "status codes"
	if len(codes) == 0 {
		return []string{formatRow(row{name: name, kind: freeKind, cells: []cell{p.dim("none")}}, nw, nil, p)}
	}
	items := make([]cell, len(codes))
	for i, c := range byStatus(codes) {
		items[i] = pair(c.Key, c.N, "", p)
	}
	col := valueColumn(nw)
	chunks := wrap(items, maxLineWidth-col)
	lines := []string{formatRow(row{name: name, kind: freeKind, cells: chunks[0]}, nw, nil, p)}
	for _, ch := range chunks[1:] {
		lines = append(lines, spaces(col)+joinStyled(ch))
	}
	return lines
}

// byStatus orders codes numerically: shorter numbers are smaller, so a
// length-then-text order also holds for codes that are not three digits.
func byStatus(codes []metrics.Count) []metrics.Count {
	out := slices.Clone(codes)
	slices.SortStableFunc(out, func(a, b metrics.Count) int {
		return cmp.Or(cmp.Compare(len(a.Key), len(b.Key)), strings.Compare(a.Key, b.Key))
	})
	return out
}

// errorLines is "errors....: connection refused=12, request timeout=3",
// most frequent first (the snapshot's order). When that would not fit on
// one line, the row shows the total and each reason gets its own line:
// "↳ 12 connection refused", counts right-aligned.
func errorLines(errs []metrics.Count, nw int, p palette) []string {
	const name = "errors"
	if len(errs) == 0 {
		return []string{formatRow(row{name: name, kind: freeKind, cells: []cell{p.dim("none")}}, nw, nil, p)}
	}
	items := make([]cell, len(errs))
	for i, e := range errs {
		sep := "," // reasons hold spaces, so only commas can part them
		if i == len(errs)-1 {
			sep = ""
		}
		items[i] = pair(reason(e.Key), e.N, sep, p)
	}
	if valueColumn(nw)+width(joinPlain(items)) <= maxLineWidth {
		return []string{formatRow(row{name: name, kind: freeKind, cells: items}, nw, nil, p)}
	}
	return errorList(errs, nw, p)
}

func errorList(errs []metrics.Count, nw int, p palette) []string {
	var total int64
	w := 0
	for _, e := range errs {
		total += e.N
		w = max(w, len(strconv.FormatInt(e.N, 10)))
	}
	t := strconv.FormatInt(total, 10)
	head := cell{t + " total", p.cyan.Sprint(t) + p.faint.Sprint(" total")}
	lines := []string{formatRow(row{name: "errors", kind: freeKind, cells: []cell{head}}, nw, nil, p)}
	for _, e := range errs {
		n := strconv.FormatInt(e.N, 10)
		lines = append(lines, listIndent+"↳ "+spaces(w-len(n))+p.cyan.Sprint(n)+" "+reason(e.Key))
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
