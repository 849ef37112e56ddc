package grafana

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/internal/testservice"
)

// influxURL is the InfluxDB 1.8 the query tests use, from
// THRONG_TEST_INFLUXDB_URL. Without it they skip, or fail when
// THRONG_REQUIRE_SERVICES=1 (as in CI).
func influxURL(t *testing.T) string {
	t.Helper()
	u := testservice.Need(t, "THRONG_TEST_INFLUXDB_URL")
	return u
}

// influxDB is one database of an InfluxDB 1.x server.
type influxDB struct {
	base, name string
	client     *http.Client
}

// newTestDB creates a database of its own for the test, dropped at the end.
func newTestDB(t *testing.T, base string) *influxDB {
	t.Helper()
	db := &influxDB{
		base:   base,
		name:   fmt.Sprintf("throng_grafana_test_%d", time.Now().UnixNano()),
		client: &http.Client{Timeout: 30 * time.Second},
	}
	if _, err := db.exec(fmt.Sprintf("CREATE DATABASE %q", db.name), ""); err != nil {
		t.Fatalf("creating the test database on %s: %v", base, err)
	}
	t.Cleanup(func() {
		if _, err := db.exec(fmt.Sprintf("DROP DATABASE %q", db.name), ""); err != nil {
			t.Logf("dropping %s: %v", db.name, err)
		}
	})
	return db
}

// series is one series of an InfluxQL result.
type series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// exec runs one InfluxQL statement through /query, as Grafana's data
// source does, and returns its series (times in epoch ms).
func (db *influxDB) exec(q, database string) ([]series, error) {
	form := url.Values{"q": {q}, "epoch": {"ms"}}
	if database != "" {
		form.Set("db", database)
	}
	resp, err := db.client.PostForm(db.base+"/query", form)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Error   string `json:"error"`
		Results []struct {
			Error  string   `json:"error"`
			Series []series `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, body)
	}
	if r.Error != "" {
		return nil, fmt.Errorf("%s", r.Error)
	}
	if len(r.Results) != 1 {
		return nil, fmt.Errorf("%d results for one statement", len(r.Results))
	}
	if r.Results[0].Error != "" {
		return nil, fmt.Errorf("%s", r.Results[0].Error)
	}
	return r.Results[0].Series, nil
}

func (db *influxDB) query(q string) ([]series, error) { return db.exec(q, db.name) }

// write sends line protocol (nanosecond timestamps) to /write.
func (db *influxDB) write(lines string) error {
	resp, err := db.client.Post(db.base+"/write?db="+url.QueryEscape(db.name), "text/plain", strings.NewReader(lines))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("write: HTTP %d: %.300s", resp.StatusCode, body)
	}
	return nil
}

// grafanaVars are the values Grafana gives the variables of a query.
type grafanaVars struct {
	scenario, instance string // as Grafana formats them for a regexp: .* for All, (a|b) for several
}

var allVars = grafanaVars{scenario: ".*", instance: ".*"}

// interpolate does what Grafana does to a raw InfluxQL query before it
// sends it: the dashboard's variables first (in the browser), then
// $timeFilter and the interval macros (in the data source's backend).
// The time range here is the last hour, the interval one second.
func interpolate(q string, v grafanaVars) string {
	return strings.NewReplacer(
		"$scenario", v.scenario,
		"$instance", v.instance,
		"$timeFilter", "time > now() - 1h",
		"$__interval_ms", "1000",
		"$__interval", "1s",
	).Replace(q)
}

var leftover = regexp.MustCompile(`\$\w+`)

// runQuery interpolates and runs one panel query and checks it returns at
// least one series with at least one value that is not null.
func runQuery(t *testing.T, db *influxDB, q panelQuery, v grafanaVars) []series {
	t.Helper()
	stmt := interpolate(q.Target.Query, v)
	if m := leftover.FindString(stmt); m != "" {
		t.Errorf("%s: %s is left in %s", q, m, stmt)
		return nil
	}
	got, err := db.query(stmt)
	if err != nil {
		t.Errorf("%s: %v\n\t%s", q, err, stmt)
		return nil
	}
	if !hasValue(got) {
		t.Errorf("%s: no data (%d series, all empty or null)\n\t%s", q, len(got), stmt)
	}
	return got
}

// hasValue tells whether a result has a non-null value in a column other
// than time.
func hasValue(ss []series) bool {
	for _, s := range ss {
		for _, row := range s.Values {
			for i, c := range s.Columns {
				if c != "time" && i < len(row) && row[i] != nil {
					return true
				}
			}
		}
	}
	return false
}

// tagValues collects the values of one tag over a result's series.
func tagValues(ss []series, key string) map[string]bool {
	vals := map[string]bool{}
	for _, s := range ss {
		if hasValue([]series{s}) {
			vals[s.Tags[key]] = true
		}
	}
	return vals
}

// tagValuesOf lists the values a SHOW TAG VALUES returned (columns key
// and value).
func tagValuesOf(ss []series) []string {
	var vals []string
	for _, s := range ss {
		for _, row := range s.Values {
			if len(row) == 2 {
				vals = append(vals, fmt.Sprint(row[1]))
			}
		}
	}
	return vals
}

// firstNumber is the first non-null number of a result.
func firstNumber(ss []series) float64 {
	for _, s := range ss {
		for _, row := range s.Values {
			for i, c := range s.Columns {
				if f, ok := row[i].(float64); ok && c != "time" {
					return f
				}
			}
		}
	}
	return 0
}

// dashboardQueries decodes the dashboard and returns its queries.
func dashboardQueries(t *testing.T) []panelQuery {
	t.Helper()
	_, queries, err := decodeStrict(readDashboard(t))
	if err != nil {
		t.Fatal(err)
	}
	return queries
}

// variableQueries are the queries of the template variables.
func variableQueries(t *testing.T) map[string]string {
	t.Helper()
	var d struct {
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query string `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(readDashboard(t), &d); err != nil {
		t.Fatal(err)
	}
	qs := map[string]string{}
	for _, v := range d.Templating.List {
		qs[v.Name] = v.Query
	}
	return qs
}

// findQuery returns the query of a panel and refId.
func findQuery(t *testing.T, queries []panelQuery, panel, refID string) panelQuery {
	t.Helper()
	for _, q := range queries {
		if q.Panel == panel && q.Target.RefID == refID {
			return q
		}
	}
	t.Fatalf("no query %s/%s in the dashboard", panel, refID)
	return panelQuery{}
}

// waitForData polls until measurement has points: the output may still be
// flushing, and InfluxDB makes a write visible to queries shortly after.
func waitForData(t *testing.T, db *influxDB, measurement string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err := db.query(fmt.Sprintf(`SELECT count("value") FROM %q`, measurement))
		if err == nil && hasValue(got) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s points in %s after 15s (last error: %v)", measurement, db.name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
