package summary

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// The formatters below reproduce k6's legacy summary.js (humanizeValue and
// friends) so numbers read the same in both tools. Time values are
// milliseconds, as metrics stores them; data values are bytes.

// formatDuration renders ms in the forced unit, or humanised when unit is "".
func formatDuration(ms float64, unit string) string {
	switch unit {
	case "s":
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + "s"
	case "ms":
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	case "us":
		return strconv.FormatFloat(ms*1000, 'f', 2, 64) + "µs"
	}
	return humanizeDuration(ms)
}

// humanizeDuration picks the largest unit below the value and truncates to
// two decimals, as k6 does: 812ns, 2.1µs, 47.04ms, 4.57s.
func humanizeDuration(ms float64) string {
	switch {
	case ms == 0:
		return "0s"
	case ms < 0.001:
		return strconv.FormatFloat(math.Trunc(clean(ms*1e6)), 'f', 0, 64) + "ns"
	case ms < 1:
		return truncTrimmed(ms*1000, 2) + "µs"
	case ms < 1000:
		return truncTrimmed(ms, 2) + "ms"
	}
	return humanizeClock(ms)
}

// humanizeClock renders a second or more as [Xh][Ym]Zs. Past a minute k6
// drops the fraction of the seconds (90.5s is 1m30s), and so do we.
func humanizeClock(ms float64) string {
	prec := 2
	if ms > 60000 {
		prec = 0
	}
	s := truncTrimmed(math.Mod(ms, 60000)/1000, prec) + "s"
	minutes := math.Trunc(ms / 60000)
	if minutes < 1 {
		return s
	}
	s = strconv.FormatFloat(math.Mod(minutes, 60), 'f', 0, 64) + "m" + s
	if hours := math.Trunc(minutes / 60); hours >= 1 {
		s = strconv.FormatFloat(hours, 'f', 0, 64) + "h" + s
	}
	return s
}

var byteUnits = []string{"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}

// formatBytes renders SI bytes (kB = 1000) the way k6 does: one decimal
// below 10 units ("1.3 MB", "1.0 MB"), none above ("11 MB", "519 kB").
// Values under 10 B are printed as they are.
func formatBytes(b float64) string {
	if !(b >= 10) { // also catches NaN, which has no unit
		return strconv.FormatFloat(b, 'f', -1, 64) + " B"
	}
	e := 0
	for e+1 < len(byteUnits) && b >= math.Pow(1000, float64(e+1)) {
		e++
	}
	v := math.Floor(b/math.Pow(1000, float64(e))*10+0.5) / 10
	prec := 1
	if v >= 10 {
		prec = 0
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + byteUnits[e]
}

// formatPercent renders trues/total as a percentage truncated, not
// rounded, to two decimals (99.999% is 99.99%), as k6 does so that a rate
// short of 100% never reads as 100.00%. Integer arithmetic keeps it exact
// where k6's float product can lose a hundredth (29% as 28.99%).
func formatPercent(trues, total int64) string {
	if total <= 0 {
		return "0.00%"
	}
	bp := floorRatio(trues, total, 10000)
	return strconv.FormatUint(bp/100, 10) + "." + twoDigits(bp%100) + "%"
}

// floorRatio is floor(scale·n/d) for 0 <= n <= d, without overflow.
func floorRatio(n, d int64, scale uint64) uint64 {
	hi, lo := bits.Mul64(uint64(max(n, 0)), scale)
	q, _ := bits.Div64(hi, lo, uint64(d))
	return q
}

func twoDigits(n uint64) string {
	if n < 10 {
		return "0" + strconv.FormatUint(n, 10)
	}
	return strconv.FormatUint(n, 10)
}

// formatNumber renders a plain value with up to six decimals, trailing
// zeros dropped: 152.3, 10, 0.333333.
func formatNumber(v float64) string { return roundTrimmed(v, 6) }

// roundTrimmed is k6's toFixedNoTrailingZeros: round to prec decimals and
// drop trailing zeros.
func roundTrimmed(v float64, prec int) string {
	return trimZeros(strconv.FormatFloat(v, 'f', prec, 64))
}

// truncTrimmed is k6's toFixedNoTrailingZerosTrunc: truncate to prec
// decimals and drop trailing zeros.
func truncTrimmed(v float64, prec int) string {
	mult := math.Pow(10, float64(prec))
	return roundTrimmed(math.Trunc(clean(v*mult))/mult, prec)
}

// clean drops the binary error of a scaling product (0.29·100 is
// 28.999999999999996) so truncation cuts the decimal the user would read.
func clean(x float64) float64 {
	c, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	if err != nil {
		return x
	}
	return c
}

func trimZeros(s string) string {
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}
