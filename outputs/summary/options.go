package summary

import (
	"fmt"
	"regexp"
	"strconv"
)

// Options are the user's choices about the summary: k6's summaryTrendStats,
// summaryTimeUnit and --no-color, and the indent of k6's textSummary.
type Options struct {
	// NoColor turns ANSI colours off. The caller decides, from --no-color
	// and whether the destination is a terminal: this package never looks
	// at the terminal or the environment, so its output is reproducible.
	NoColor bool
	// TrendStats are the columns of Trend lines, in order. Empty means
	// k6's default: avg, min, med, max, p(90), p(95).
	TrendStats []string
	// TimeUnit forces time values into "s", "ms" or "us" with two
	// decimals; "" picks a readable unit for each value, as k6 does.
	TimeUnit string
	// Indent replaces the default left margin (one space) when not empty,
	// as the indent option of k6's textSummary(data, {indent}).
	Indent string
}

// defaultTrendStats returns a fresh slice so no caller can change the
// default for everyone.
func defaultTrendStats() []string {
	return []string{"avg", "min", "med", "max", "p(90)", "p(95)"}
}

// percentileRE matches p(N) with N a plain decimal: k6 accepts p(99.9) but
// not p(1e2) or p(-1).
var percentileRE = regexp.MustCompile(`^p\((\d+(?:\.\d+)?)\)$`)

// ValidateTrendStats reports the first stat the summary cannot show.
// Allowed: avg, min, med, max, count and p(N) with 0 <= N <= 100.
func ValidateTrendStats(stats []string) error {
	for _, s := range stats {
		if !validStat(s) {
			return fmt.Errorf("invalid trend stat %q: allowed stats are avg, min, med, max, count and p(N) with N from 0 to 100, e.g. p(90) or p(99.9)", s)
		}
	}
	return nil
}

// ValidateTimeUnit reports whether u is a unit the summary can force.
func ValidateTimeUnit(u string) error {
	switch u {
	case "", "s", "ms", "us":
		return nil
	}
	return fmt.Errorf("invalid time unit %q: allowed units are s, ms and us, or none to pick one per value", u)
}

func validStat(s string) bool {
	switch s {
	case "avg", "min", "med", "max", "count":
		return true
	}
	_, ok := percentile(s)
	return ok
}

// percentile returns N of a p(N) stat.
func percentile(stat string) (float64, bool) {
	m := percentileRE.FindStringSubmatch(stat)
	if m == nil {
		return 0, false
	}
	p, err := strconv.ParseFloat(m[1], 64)
	return p, err == nil && p <= 100
}

// forData fills the stats and unit o leaves unset from the options the
// data was built with, as k6's textSummary merges its options over
// data.options. Colours stay o's alone: k6's textSummary follows its
// enableColors, whatever data.options.noColor says.
func (o Options) forData(d *Data) (Options, error) {
	if len(o.TrendStats) == 0 {
		o.TrendStats = d.Options.SummaryTrendStats
	}
	if o.TimeUnit == "" {
		o.TimeUnit = d.Options.SummaryTimeUnit
	}
	return o.resolved()
}

// resolved validates o and fills in the defaults, so rendering never meets
// a stat it cannot compute.
func (o Options) resolved() (Options, error) {
	if err := ValidateTrendStats(o.TrendStats); err != nil {
		return o, err
	}
	if err := ValidateTimeUnit(o.TimeUnit); err != nil {
		return o, err
	}
	if len(o.TrendStats) == 0 {
		o.TrendStats = defaultTrendStats()
	}
	return o, nil
}
