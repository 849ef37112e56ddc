package summary

import (
	"strconv"
)

// treeLines renders a group's checks, then its sub-groups, each group as
// "█ name" and a blank line with its content two columns further in, as
// k6's summarizeGroup does. The root has no name and no header.
func treeLines(g Group, indent string, p palette) []string {
	var out []string
	if g.Name != "" {
		out = append(out, indent+"█ "+g.Name, "")
		indent += "  "
	}
	for _, c := range g.Checks {
		out = append(out, checkLines(c, indent, p)...)
	}
	if len(g.Checks) > 0 {
		out = append(out, "")
	}
	for _, sub := range g.Groups {
		out = append(out, treeLines(sub, indent, p)...)
	}
	return out
}

// checkLines is "✓ name" for a check that never failed; otherwise "✗ name"
// and the share that passed, floored so that 99.9% never reads as 100%.
func checkLines(c Check, indent string, p palette) []string {
	if c.Fails == 0 {
		return []string{indent + p.green.Sprint("✓ "+c.Name)}
	}
	pct := floorRatio(c.Passes, c.Passes+c.Fails, 100)
	detail := "↳  " + strconv.FormatUint(pct, 10) + "% — ✓ " + strconv.FormatInt(c.Passes, 10) +
		" / ✗ " + strconv.FormatInt(c.Fails, 10)
	return []string{indent + p.red.Sprint("✗ "+c.Name), indent + " " + p.red.Sprint(detail)}
}
