package summary

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// parsed JUnit, read back with encoding/xml as a CI server would.
type parsedSuites struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Time     string `xml:"time,attr"`
		Cases    []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
			} `xml:"failure"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestWriteJUnit(t *testing.T) {
	d, err := NewData(thresholded(t), Options{}, State{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), xml.Header) || !strings.Contains(buf.String(), `name="http_req_duration: p(95)&lt;250"`) {
		t.Errorf("not escaped XML with a header:\n%s", buf.String())
	}
	var got parsedSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Suites) != 2 || got.Suites[0].Name != "thresholds" || got.Suites[1].Name != "checks" {
		t.Fatalf("suites %+v", got.Suites)
	}
	th, ch := got.Suites[0], got.Suites[1]
	if th.Tests != 13 || th.Failures != 7 || ch.Tests != 6 || ch.Failures != 3 ||
		got.Tests != 19 || got.Failures != 10 || th.Time != "300.000" {
		t.Errorf("counts: total %d/%d, thresholds %d/%d, checks %d/%d, time %s",
			got.Tests, got.Failures, th.Tests, th.Failures, ch.Tests, ch.Failures, th.Time)
	}
	failures := map[string]string{}
	for _, s := range got.Suites {
		for _, c := range s.Cases {
			if c.ClassName != s.Name {
				t.Errorf("%s: classname %q", c.Name, c.ClassName)
			}
			if c.Failure != nil {
				failures[c.Name] = c.Failure.Type + ": " + c.Failure.Message
			}
		}
	}
	want := map[string]string{
		"http_req_duration: avg<200":                  "threshold: avg=468.3ms, want avg<200",
		"http_req_duration{name:browse}: max<100":     "threshold: max=1m30s, want max<100",
		"http_req_duration{name:login}: avg<150":      "threshold: avg=558.12ms, want avg<150",
		"http_req_failed: rate<0.01":                  "threshold: rate=3.20%, want rate<0.01",
		"http_reqs: rate>10":                          "threshold: rate=3.33/s, want rate>10",
		"data_received: count<10000000":               "threshold: count=11 MB, want count<10000000",
		"orders_placed: count>0":                      "threshold: no data, want count>0",
		"::is status 201 or 200":                      "check: 96.92% passed: ✓ 756 / ✗ 24",
		"::login::has token":                          "check: 90.00% passed: ✓ 180 / ✗ 20",
		"::login::mfa::code accepted":                 "check: 75.00% passed: ✓ 3 / ✗ 1",
		"http_req_duration{name:checkout}: p(99)<300": "",
	}
	for name, msg := range want {
		if failures[name] != msg {
			t.Errorf("%s: failure %q, want %q", name, failures[name], msg)
		}
	}
	if len(failures) != 10 {
		t.Errorf("%d failures, want 10: %v", len(failures), failures)
	}
	if out := ch.Cases[1].SystemOut; ch.Cases[1].Name != "::body is JSON" || out != "100.00% passed: ✓ 780 / ✗ 0" {
		t.Errorf("check %q system-out %q", ch.Cases[1].Name, out)
	}
}

// Names with XML's special characters and no thresholds at all.
func TestWriteJUnitEscapesAndEmpty(t *testing.T) {
	d := &Data{RootGroup: Group{Groups: []Group{{Name: `a<b>&"c"`, Path: `::a<b>&"c"`,
		Checks: []Check{{Name: "x < 1 & y > 2", Path: `::a<b>&"c"::x < 1 & y > 2`, Passes: 1, Fails: 1}}}}}}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, d); err != nil {
		t.Fatal(err)
	}
	var got parsedSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v in\n%s", err, buf.String())
	}
	if got.Suites[0].Tests != 0 || got.Suites[1].Cases[0].Name != `::a<b>&"c"::x < 1 & y > 2` || got.Failures != 1 {
		t.Errorf("parsed %+v", got)
	}
	if err := WriteJUnit(&buf, nil); err == nil {
		t.Error("WriteJUnit(nil) succeeded")
	}
}
