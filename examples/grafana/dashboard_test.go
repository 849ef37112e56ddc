package grafana

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

const (
	dashboardFile  = "dashboards/throng.json"
	datasourceUID  = "throng-influxdb"
	datasourceType = "influxdb"
)

// influxQLTarget is a panel query of Grafana's InfluxDB data source in
// InfluxQL mode (the InfluxQuery type of Grafana's influxdb plugin). The
// foundation SDK has no schema for it (it has none for InfluxDB at all):
// it keeps such a target as an UnknownDataquery, a map that takes
// anything, so the targets are decoded strictly against this type instead.
// It lists the fields Grafana's backend reads (pkg/tsdb/influxdb/models),
// and the ones every Grafana query has.
type influxQLTarget struct {
	RefID        string          `json:"refId"`
	Datasource   *datasourceRef  `json:"datasource,omitempty"`
	Hide         *bool           `json:"hide,omitempty"`
	Query        string          `json:"query"`
	RawQuery     bool            `json:"rawQuery"`
	ResultFormat string          `json:"resultFormat,omitempty"` // time_series, table or logs
	Alias        string          `json:"alias,omitempty"`
	Policy       string          `json:"policy,omitempty"`
	Measurement  string          `json:"measurement,omitempty"`
	Select       json.RawMessage `json:"select,omitempty"`
	GroupBy      json.RawMessage `json:"groupBy,omitempty"`
	Tags         json.RawMessage `json:"tags,omitempty"`
	OrderByTime  string          `json:"orderByTime,omitempty"`
	Limit        json.RawMessage `json:"limit,omitempty"`
	Slimit       json.RawMessage `json:"slimit,omitempty"`
	Tz           string          `json:"tz,omitempty"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// panelTargets is a panel as far as its queries go.
type panelTargets struct {
	ID         int               `json:"id"`
	Title      string            `json:"title"`
	Type       string            `json:"type"`
	Datasource *datasourceRef    `json:"datasource"`
	Targets    []json.RawMessage `json:"targets"`
}

// panelQuery is one target of one panel.
type panelQuery struct {
	PanelID int
	Panel   string // the panel's title
	Type    string // the panel's type
	Target  influxQLTarget
}

func (q panelQuery) String() string { return q.Panel + "/" + q.Target.RefID }

var registerPlugins sync.Once

func readDashboard(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// decodeStrict decodes a dashboard as strictly as Grafana's schema allows,
// in three passes, because no single one covers everything:
//
//  1. encoding/json with DisallowUnknownFields into dashboard.Dashboard:
//     catches unknown fields in the dashboard, its time settings and its
//     template variables, but not in the panels or the annotation queries:
//     their SDK types (PanelOrRowPanel, Panel, AnnotationQuery) have their
//     own, lenient UnmarshalJSON, which DisallowUnknownFields does not reach.
//  2. The SDK's own UnmarshalJSONStrict, which walks the whole tree,
//     panels, template variables and annotations included, and checks each
//     panel's options and fieldConfig.defaults.custom against the schema of
//     its panel type (timeseries, stat, table), once those are registered.
//     It decodes the rest of fieldConfig leniently, and keeps the targets
//     of a data source it has no schema for (InfluxDB) as a free-form map.
//  3. So each panel's fieldConfig goes again through
//     FieldConfigSource.UnmarshalJSONStrict, and each target is decoded
//     with DisallowUnknownFields into influxQLTarget.
func decodeStrict(raw []byte) (*dashboard.Dashboard, []panelQuery, error) {
	registerPlugins.Do(plugins.RegisterDefaultPlugins)

	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var lenient dashboard.Dashboard
	if err := dec.Decode(&lenient); err != nil {
		return nil, nil, fmt.Errorf("json decode with DisallowUnknownFields: %w", err)
	}

	var d dashboard.Dashboard
	if err := sdkError(d.UnmarshalJSONStrict(raw)); err != nil {
		return nil, nil, fmt.Errorf("strict decode: %w", err)
	}

	var top struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, nil, err
	}
	var queries []panelQuery
	for i, rawPanel := range top.Panels {
		var p struct {
			panelTargets
			FieldConfig json.RawMessage `json:"fieldConfig"`
		}
		if err := json.Unmarshal(rawPanel, &p); err != nil {
			return nil, nil, fmt.Errorf("panel %d: %w", i, err)
		}
		if p.FieldConfig != nil {
			var fc dashboard.FieldConfigSource
			if err := sdkError(fc.UnmarshalJSONStrict(p.FieldConfig)); err != nil {
				return nil, nil, fmt.Errorf("panel %q: fieldConfig: %w", p.Title, err)
			}
		}
		for j, rawTarget := range p.Targets {
			var tgt influxQLTarget
			dec := json.NewDecoder(bytes.NewReader(rawTarget))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&tgt); err != nil {
				return nil, nil, fmt.Errorf("panel %q: target %d: %w", p.Title, j, err)
			}
			queries = append(queries, panelQuery{PanelID: p.ID, Panel: p.Title, Type: p.Type, Target: tgt})
		}
	}
	return &d, queries, nil
}

// sdkError returns the error of an SDK UnmarshalJSONStrict, which on
// success returns an empty cog.BuildErrors: a non-nil error interface
// holding a nil slice.
func sdkError(err error) error {
	var errs cog.BuildErrors
	if errors.As(err, &errs) && len(errs) == 0 {
		return nil
	}
	return err
}

func TestDashboardDecodesStrictly(t *testing.T) {
	d, queries, err := decodeStrict(readDashboard(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.Uid == nil || *d.Uid == "" || d.Title == nil || *d.Title == "" {
		t.Errorf("the dashboard needs a uid and a title (provisioning and links use the uid)")
	}
	if d.Id != nil {
		t.Errorf("a provisioned dashboard must not carry an id: got %d", *d.Id)
	}
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
		t.Errorf("schemaVersion %d: want one of Grafana 10/11 (36..41)", d.SchemaVersion)
	}
	if len(d.Panels) < 10 || len(queries) < len(d.Panels) {
		t.Errorf("%d panels with %d queries: too few", len(d.Panels), len(queries))
	}
}

// TestStrictDecodeRejectsUnknownFields makes sure decodeStrict is strict
// where it claims to be: an unknown field anywhere is an error.
func TestStrictDecodeRejectsUnknownFields(t *testing.T) {
	raw := readDashboard(t)
	for _, c := range []struct {
		name string
		edit func(d map[string]any)
	}{
		{"dashboard", func(d map[string]any) { d["bogus"] = 1 }},
		{"panel", func(d map[string]any) { panel(d, 0)["bogus"] = 1 }},
		{"panel options", func(d map[string]any) { panel(d, 0)["options"].(map[string]any)["bogus"] = 1 }},
		{"table options", func(d map[string]any) {
			for _, p := range d["panels"].([]any) {
				if p.(map[string]any)["type"] == "table" {
					p.(map[string]any)["options"].(map[string]any)["bogus"] = 1
				}
			}
		}},
		{"fieldConfig", func(d map[string]any) {
			panel(d, 0)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["bogus"] = 1
		}},
		{"timeseries custom field config", func(d map[string]any) {
			for _, p := range d["panels"].([]any) {
				if p.(map[string]any)["type"] == "timeseries" {
					p.(map[string]any)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["custom"].(map[string]any)["bogus"] = 1
				}
			}
		}},
		{"target", func(d map[string]any) {
			panel(d, 0)["targets"].([]any)[0].(map[string]any)["bogus"] = 1
		}},
		{"template variable", func(d map[string]any) {
			d["templating"].(map[string]any)["list"].([]any)[0].(map[string]any)["bogus"] = 1
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			c.edit(d)
			edited, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := decodeStrict(edited); err == nil || !strings.Contains(err.Error(), "bogus") {
				t.Errorf("an unknown field was accepted (err = %v)", err)
			}
		})
	}
}

func panel(d map[string]any, i int) map[string]any {
	return d["panels"].([]any)[i].(map[string]any)
}

// TestPanelsQueryTheDatasource checks what Grafana would only show at run
// time: every panel and every target use the provisioned data source, in
// InfluxQL raw mode, and the queries use the variables as they must.
func TestPanelsQueryTheDatasource(t *testing.T) {
	raw := readDashboard(t)
	var d struct {
		Panels     []panelTargets `json:"panels"`
		Templating struct {
			List []struct {
				Name       string         `json:"name"`
				Type       string         `json:"type"`
				Query      string         `json:"query"`
				Datasource *datasourceRef `json:"datasource"`
				Multi      bool           `json:"multi"`
				IncludeAll bool           `json:"includeAll"`
				AllValue   string         `json:"allValue"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	_, queries, err := decodeStrict(raw)
	if err != nil {
		t.Fatal(err)
	}

	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel %q: id %d is used twice", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.Datasource == nil || p.Datasource.UID != datasourceUID || p.Datasource.Type != datasourceType {
			t.Errorf("panel %q: datasource %+v, want uid %s of type %s", p.Title, p.Datasource, datasourceUID, datasourceType)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no target", p.Title)
		}
	}

	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if v.Type != "query" || v.Datasource == nil || v.Datasource.UID != datasourceUID {
			t.Errorf("variable %s: want a query variable on %s", v.Name, datasourceUID)
		}
		want := fmt.Sprintf(`WITH KEY = %q`, v.Name)
		if !strings.HasPrefix(v.Query, "SHOW TAG VALUES FROM ") || !strings.HasSuffix(v.Query, want) {
			t.Errorf("variable %s: query %q, want SHOW TAG VALUES ... %s", v.Name, v.Query, want)
		}
		// All must be the regexp .*, which matches points without the tag
		// too (InfluxQL compares a missing tag as ""); without allValue
		// Grafana would send the list of the values it found instead.
		if !v.Multi || !v.IncludeAll || v.AllValue != ".*" {
			t.Errorf("variable %s: multi %v, includeAll %v, allValue %q: want true, true, .*", v.Name, v.Multi, v.IncludeAll, v.AllValue)
		}
	}
	for _, name := range []string{"scenario", "instance"} {
		if !vars[name] {
			t.Errorf("no template variable %s", name)
		}
	}

	refs := map[string]bool{} // panel id/refId
	anyVar := regexp.MustCompile(`\$(\w+)`)
	for _, q := range queries {
		tgt := q.Target
		ref := fmt.Sprintf("%d/%s", q.PanelID, tgt.RefID)
		if refs[ref] || tgt.RefID == "" {
			t.Errorf("%s: refId empty or used twice in the panel", q)
		}
		refs[ref] = true
		if tgt.Datasource == nil || tgt.Datasource.UID != datasourceUID || tgt.Datasource.Type != datasourceType {
			t.Errorf("%s: datasource %+v, want uid %s", q, tgt.Datasource, datasourceUID)
		}
		if !tgt.RawQuery || tgt.Query == "" {
			t.Errorf("%s: want a raw InfluxQL query", q)
		}
		wantFormat := "time_series"
		if q.Type == "table" {
			wantFormat = "table"
		}
		if tgt.ResultFormat != wantFormat {
			t.Errorf("%s: resultFormat %q, want %q", q, tgt.ResultFormat, wantFormat)
		}
		if !strings.Contains(tgt.Query, "$timeFilter") {
			t.Errorf("%s: the query ignores the time range ($timeFilter)", q)
		}
		if !strings.Contains(tgt.Query, `"instance" =~ /^$instance$/`) {
			t.Errorf("%s: the query does not filter on $instance", q)
		}
		for _, m := range anyVar.FindAllStringSubmatch(tgt.Query, -1) {
			name := m[1]
			switch {
			case name == "timeFilter" || name == "__interval" || name == "__interval_ms":
			case vars[name]:
				// A variable is used only as a whole anchored regexp, the
				// form that works for several values, All, and a missing tag.
				form := fmt.Sprintf(`%q =~ /^$%s$/`, name, name)
				if strings.Count(tgt.Query, "$"+name) != strings.Count(tgt.Query, form) {
					t.Errorf("%s: $%s used other than as %s", q, name, form)
				}
			default:
				t.Errorf("%s: unknown variable $%s", q, name)
			}
		}
		for _, m := range measurementsOf(tgt.Query) {
			if !slices.Contains(dataModel, m) {
				t.Errorf("%s: measurement %q is not one the output writes", q, m)
			}
		}
	}
}

// dataModel lists the measurements of the InfluxDB output.
var dataModel = []string{
	"http_reqs", "http_req_duration", "http_req_blocked", "http_req_connecting",
	"http_req_tls_handshaking", "http_req_sending", "http_req_waiting", "http_req_receiving",
	"http_req_failed", "iterations", "iteration_duration", "vus", "vus_max", "checks",
	"group_duration", "data_sent", "data_received", "dropped_iterations",
}

var fromClause = regexp.MustCompile(`FROM ((?:"[^"]+"(?:, )?)+)`)

// measurementsOf lists the measurements a query reads.
func measurementsOf(q string) []string {
	var ms []string
	for _, m := range fromClause.FindAllStringSubmatch(q, -1) {
		for _, name := range strings.Split(m[1], ", ") {
			ms = append(ms, strings.Trim(name, `"`))
		}
	}
	return ms
}

// TestPanelLayout checks that the panels fit the 24-column grid without
// overlapping: Grafana would push overlapping panels around on load.
func TestPanelLayout(t *testing.T) {
	// decodeStrict has checked the panels, but v0.0.18's strict decode
	// does not keep them: PanelOrRowPanel.UnmarshalJSONStrict drops the
	// panel it decoded when Panel.UnmarshalJSONStrict returns its empty
	// cog.BuildErrors (see sdkError). So read the layout on its own.
	var d struct {
		Panels []struct {
			Title   string             `json:"title"`
			GridPos *dashboard.GridPos `json:"gridPos"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(readDashboard(t), &d); err != nil {
		t.Fatal(err)
	}
	type cell struct{ x, y uint32 }
	taken := map[cell]string{}
	overlaps := map[[2]string]bool{}
	for _, p := range d.Panels {
		g := p.GridPos
		if g == nil || g.W == 0 || g.H == 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v does not fit the 24-column grid", p.Title, g)
			continue
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := taken[cell{x, y}]; ok && !overlaps[[2]string{other, p.Title}] {
					overlaps[[2]string{other, p.Title}] = true
					t.Errorf("panels %q and %q overlap at %d,%d", other, p.Title, x, y)
				}
				taken[cell{x, y}] = p.Title
			}
		}
	}
}
