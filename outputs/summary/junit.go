package summary

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
)

// JUnit XML, the subset CI servers read: suites of test cases, a failure
// element on the failed ones.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Time     string      `xml:"time,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		ClassName string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Failure   *junitFailure `xml:"failure"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
	}
)

// WriteJUnit writes d's thresholds and checks as JUnit XML: a suite
// "thresholds" with one case per threshold ("metric: expression") and a
// suite "checks" with one case per check (named by its path), so CI shows
// which ones failed. Suite times are the test's duration.
func WriteJUnit(w io.Writer, d *Data) error {
	if d == nil {
		return errors.New("summary: nil data")
	}
	secs := strconv.FormatFloat(d.State.TestRunDurationMs/1000, 'f', 3, 64)
	doc := junitSuites{Time: secs, Suites: []junitSuite{
		newSuite("thresholds", secs, thresholdCases(d)),
		newSuite("checks", secs, checkCases(d.RootGroup, nil)),
	}}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append([]byte(xml.Header), append(out, '\n')...))
	return err
}

func newSuite(name, secs string, cases []junitCase) junitSuite {
	s := junitSuite{Name: name, Tests: len(cases), Time: secs, Cases: cases}
	for _, c := range cases {
		if c.Failure != nil {
			s.Failures++
		}
	}
	return s
}

// thresholdCases follow the summary's order: metrics as listed there,
// each metric's thresholds by expression.
func thresholdCases(d *Data) []junitCase {
	var unit string
	if ValidateTimeUnit(d.Options.SummaryTimeUnit) == nil {
		unit = d.Options.SummaryTimeUnit
	}
	var out []junitCase
	for _, e := range metricEntries(d) {
		for _, expr := range sortedKeys(e.m.Thresholds) {
			t := e.m.Thresholds[expr]
			c := junitCase{ClassName: "thresholds", Name: e.key + ": " + expr}
			if !t.OK {
				c.Failure = &junitFailure{Message: thresholdFailure(e.m, expr, t, unit), Type: "threshold"}
			}
			out = append(out, c)
		}
	}
	return out
}

// thresholdFailure is "p(95)=312.5ms, want p(95)<200": what was measured,
// then what the threshold asked for.
func thresholdFailure(m Metric, expr string, t ThresholdState, unit string) string {
	got := "no data"
	if t.Value != nil {
		got = thresholdValue(m, expr, t, unit, newPalette(false)).plain
	}
	return got + ", want " + expr
}

// checkCases walks the tree as the summary prints it: a group's checks,
// then its sub-groups.
func checkCases(g Group, out []junitCase) []junitCase {
	for _, c := range g.Checks {
		rate := formatPercent(c.Passes, c.Passes+c.Fails) + " passed: ✓ " +
			strconv.FormatInt(c.Passes, 10) + " / ✗ " + strconv.FormatInt(c.Fails, 10)
		jc := junitCase{ClassName: "checks", Name: c.Path, SystemOut: rate}
		if c.Fails > 0 {
			jc.Failure = &junitFailure{Message: rate, Type: "check"}
		}
		out = append(out, jc)
	}
	for _, sub := range g.Groups {
		out = checkCases(sub, out)
	}
	return out
}
