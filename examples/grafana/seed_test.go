package grafana

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The points of seededRun, as the InfluxDB output writes them (one point
// per sample: measurement = metric, field value, fields url/vu/iter, the
// rest as tags), for two instances of a distributed run, one of which
// writes no instance tag, as a single-instance run does.
const (
	seedSeconds  = 60
	seedInstance = "node-2" // the other instance has no instance tag
)

// lp builds one line of line protocol.
type lp struct {
	b strings.Builder
}

var (
	lpKey   = strings.NewReplacer(",", `\,`, "=", `\=`, " ", `\ `)
	lpField = strings.NewReplacer(`\`, `\\`, `"`, `\"`)
)

func (l *lp) point(measurement string, tags map[string]string, value float64, t time.Time, fields ...string) {
	l.b.WriteString(lpKey.Replace(measurement))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if tags[k] == "" { // line protocol has no empty tag values: the tag is absent
			continue
		}
		fmt.Fprintf(&l.b, ",%s=%s", lpKey.Replace(k), lpKey.Replace(tags[k]))
	}
	l.b.WriteString(" value=")
	l.b.WriteString(strconv.FormatFloat(value, 'f', -1, 64))
	for _, f := range fields {
		l.b.WriteString(",")
		l.b.WriteString(f)
	}
	fmt.Fprintf(&l.b, " %d\n", t.UnixNano())
}

func with(tags map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(tags)+len(kv)/2)
	for k, v := range tags {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// seedPoints writes seedSeconds of a run with two scenarios: browse (a
// group, GET home, and now and then a refused connection) and api (GET
// flaky, every third one answering 500, and dropped iterations). It
// returns the number of requests per instance.
func seedPoints(end time.Time) (lines string, requestsPerInstance int) {
	var l lp
	start := end.Add(-seedSeconds * time.Second)
	iter := 0
	for s := 0; s < seedSeconds; s++ {
		for _, inst := range []string{"", seedInstance} {
			base := map[string]string{"instance": inst}
			t := start.Add(time.Duration(s) * time.Second)
			l.point("vus", base, 3, t)
			l.point("vus_max", base, 5, t)
			for vu, sc := range []string{"browse", "api"} {
				scTags := with(base, "scenario", sc)
				for n := 0; n < 2; n++ {
					iter++
					ts := t.Add(time.Duration(100+400*n+vu*50) * time.Millisecond)
					it := fmt.Sprintf("vu=%di,iter=%di", vu+1, iter)
					name, group, status, url := "home", "::home", 200, "http://127.0.0.1:8080/ok"
					errCode, errMsg := "", ""
					if sc == "api" {
						name, group, url = "flaky", "", "http://127.0.0.1:8080/flaky"
						if iter%3 == 0 {
							status, errCode = 500, "1500"
						}
					} else if s%10 == 0 && n == 0 {
						name, status, url = "refused", 0, "http://127.0.0.1:1/"
						errCode, errMsg = "1212", "connection refused"
					}
					expected := status >= 200 && status < 400
					reqTags := with(scTags, "group", group, "method", "GET", "name", name, "proto", "HTTP/1.1",
						"status", strconv.Itoa(status), "expected_response", strconv.FormatBool(expected),
						"error_code", errCode, "error", errMsg)
					fields := []string{`url="` + lpField.Replace(url) + `"`, it}
					dur := float64(5 + (iter*7)%40)
					requestsPerInstance++
					l.point("http_reqs", reqTags, 1, ts, fields...)
					failed := 0.0
					if !expected {
						failed = 1
					}
					l.point("http_req_failed", reqTags, failed, ts, fields...)
					l.point("http_req_duration", reqTags, dur, ts, fields...)
					l.point("http_req_blocked", reqTags, 0.2, ts, fields...)
					l.point("http_req_connecting", reqTags, 0.1, ts, fields...)
					l.point("http_req_tls_handshaking", reqTags, 0, ts, fields...)
					l.point("http_req_sending", reqTags, 0.05, ts, fields...)
					l.point("http_req_waiting", reqTags, dur-0.1, ts, fields...)
					l.point("http_req_receiving", reqTags, 0.05, ts, fields...)
					check := "status is 200"
					l.point("checks", with(scTags, "group", group, "check", check), 1-failed, ts, it)
					if sc == "browse" {
						l.point("group_duration", with(scTags, "group", group), dur+1, ts, it)
					}
					l.point("iterations", scTags, 1, ts, it)
					l.point("iteration_duration", scTags, dur+2, ts, it)
					l.point("data_sent", scTags, 95, ts, it)
					l.point("data_received", scTags, 240, ts, it)
				}
				if sc == "api" {
					l.point("dropped_iterations", scTags, 2, t.Add(900*time.Millisecond))
				}
			}
		}
	}
	return l.b.String(), requestsPerInstance / 2
}

// TestDashboardQueriesOnSeededPoints runs every panel's query on points
// written in the output's data model by hand, with an instance tag on
// half of them: what a distributed run next to a single-instance one
// writes. It pins the queries to the data model independently of the
// output's code, and checks the variables' filters.
func TestDashboardQueriesOnSeededPoints(t *testing.T) {
	db := newTestDB(t, influxURL(t))
	lines, perInstance := seedPoints(time.Now().Add(-time.Second))
	if err := db.write(lines); err != nil {
		t.Fatal(err)
	}
	waitForData(t, db, "http_reqs")
	queries := dashboardQueries(t)

	t.Run("variables", func(t *testing.T) {
		vq := variableQueries(t)
		want := map[string][]string{"scenario": {"api", "browse"}, "instance": {seedInstance}}
		for name, values := range want {
			got, err := db.query(vq[name])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if found := tagValuesOf(got); strings.Join(found, ",") != strings.Join(values, ",") {
				t.Errorf("variable %s: values %v, want %v", name, found, values)
			}
		}
	})

	// All: every query returns data, whatever the tags.
	t.Run("all", func(t *testing.T) {
		for _, q := range queries {
			runQuery(t, db, q, allVars)
		}
	})

	// Every value selected: Grafana sends (a|b).
	t.Run("selected", func(t *testing.T) {
		for _, q := range queries {
			runQuery(t, db, q, grafanaVars{scenario: "(api|browse)", instance: "(" + seedInstance + ")"})
		}
	})

	// All includes the points without an instance tag; one instance
	// selected counts only its own.
	t.Run("missing instance tag", func(t *testing.T) {
		total := findQuery(t, queries, "Total requests", "A")
		all := firstNumber(runQuery(t, db, total, allVars))
		one := firstNumber(runQuery(t, db, total, grafanaVars{scenario: ".*", instance: "(" + seedInstance + ")"}))
		if int(all) != 2*perInstance || int(one) != perInstance {
			t.Errorf("total requests: All %v, %s %v; want %d and %d", all, seedInstance, one, 2*perInstance, perInstance)
		}
		browse := firstNumber(runQuery(t, db, total, grafanaVars{scenario: "(browse)", instance: ".*"}))
		if int(browse) != perInstance {
			t.Errorf("total requests of scenario browse: %v, want %d", browse, perInstance)
		}
	})

	t.Run("series", func(t *testing.T) { checkSeries(t, db, queries, []string{"home", "flaky", "refused"}) })
}

// checkSeries checks that the panels that split by a tag show what the
// run did: statuses 200, 500 and 0, errors with their code and reason, the
// request names, both scenarios and the check.
func checkSeries(t *testing.T, db *influxDB, queries []panelQuery, names []string) {
	t.Helper()
	status := tagValues(runQuery(t, db, findQuery(t, queries, "Status codes", "A"), allVars), "status")
	for _, s := range []string{"200", "500", "0"} {
		if !status[s] {
			t.Errorf("Status codes: no series for status %s (got %v)", s, status)
		}
	}
	errs := runQuery(t, db, findQuery(t, queries, "Errors", "B"), allVars)
	if codes := tagValues(errs, "error_code"); !codes["1500"] || !codes["1212"] || codes[""] {
		t.Errorf("Errors by reason: error codes %v, want 1500 and 1212 only", codes)
	}
	reasons := tagValues(errs, "error")
	delete(reasons, "") // the 500s have a code but no reason
	if len(reasons) == 0 {
		t.Errorf("Errors by reason: no reason (error tag), want the refused connection's")
	}
	byName := tagValues(runQuery(t, db, findQuery(t, queries, "Requests by name", "A"), allVars), "name")
	for _, n := range names {
		if !byName[n] {
			t.Errorf("Requests by name: no row for %s (got %v)", n, byName)
		}
	}
	if sc := tagValues(runQuery(t, db, findQuery(t, queries, "Iterations", "A"), allVars), "scenario"); !sc["browse"] || !sc["api"] {
		t.Errorf("Iterations: scenarios %v, want browse and api", sc)
	}
	phases := map[string]bool{}
	for _, s := range runQuery(t, db, findQuery(t, queries, "Request phases", "A"), allVars) {
		phases[s.Name] = hasValue([]series{s})
	}
	for _, m := range measurementsOf(findQuery(t, queries, "Request phases", "A").Target.Query) {
		if !phases[m] {
			t.Errorf("Request phases: no data for %s", m)
		}
	}
	if checks := tagValues(runQuery(t, db, findQuery(t, queries, "Checks pass rate", "A"), allVars), "check"); len(checks) == 0 || checks[""] {
		t.Errorf("Checks pass rate: checks %v", checks)
	}
}
