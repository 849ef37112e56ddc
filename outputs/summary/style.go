package summary

import (
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"
)

// palette holds the colours of one rendering. Each colour is switched on or
// off explicitly, so neither fatih/color's global NoColor nor the NO_COLOR
// variable it reads can override what the caller chose.
type palette struct {
	green, red, cyan, faint *color.Color
}

func newPalette(enabled bool) palette {
	mk := func(a color.Attribute) *color.Color {
		c := color.New(a)
		if enabled {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{green: mk(color.FgGreen), red: mk(color.FgRed), cyan: mk(color.FgCyan), faint: mk(color.Faint)}
}

// cell is one value column of a dotted line. plain, without colours,
// decides widths; styled is what is printed.
type cell struct {
	plain, styled string
}

// value is a number in cyan, as k6 shows values.
func (p palette) value(s string) cell { return cell{s, p.cyan.Sprint(s)} }

// labelled is label=value with a faint label.
func (p palette) labelled(label, v string) cell {
	return cell{label + v, p.faint.Sprint(label) + p.cyan.Sprint(v)}
}

// dim is text that is not a value, such as "none".
func (p palette) dim(s string) cell { return cell{s, p.faint.Sprint(s)} }

// width is the number of terminal columns of plain text: every character
// the summary prints (µ, ✓, ↳, █) takes one.
func width(s string) int { return utf8.RuneCountInString(s) }

// spaces never panics on a negative count, which a value wider than its
// column would otherwise cause.
func spaces(n int) string { return strings.Repeat(" ", max(n, 0)) }
