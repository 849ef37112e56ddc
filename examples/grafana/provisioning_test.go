package grafana

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// yamlValues returns the values of a key in a YAML file, by line: the
// files here are flat enough for that, and the module has no YAML parser.
func yamlValues(t *testing.T, file, key string) []string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- "))
		if strings.HasPrefix(line, "#") {
			continue
		}
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			vals = append(vals, strings.Trim(strings.TrimSpace(v), `"`))
		}
	}
	return vals
}

// yamlItems returns the scalar items of the YAML lists of a file ("- x",
// not "- key: value"), unquoted.
func yamlItems(t *testing.T, file string) []string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var items []string
	for _, line := range strings.Split(string(raw), "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "- ")
		if ok && !strings.Contains(v, ": ") && !strings.HasPrefix(v, "#") {
			items = append(items, strings.Trim(strings.TrimSpace(v), `"`))
		}
	}
	return items
}

func want1(t *testing.T, file, key, want string) {
	t.Helper()
	if got := yamlValues(t, file, key); len(got) != 1 || got[0] != want {
		t.Errorf("%s: %s is %q, want %q", file, key, got, want)
	}
}

// TestProvisioningFitsTogether checks what ties the files together: the
// data source's uid the dashboard names, the dashboards folder the
// provider reads and compose mounts, loopback-only ports.
func TestProvisioningFitsTogether(t *testing.T) {
	const ds, provider, compose = "provisioning/datasources/influxdb.yml", "provisioning/dashboards/throng.yml", "docker-compose.yml"
	want1(t, ds, "uid", datasourceUID)
	want1(t, ds, "type", datasourceType)
	want1(t, ds, "url", "http://influxdb:8086")
	want1(t, ds, "database", "throng")
	want1(t, ds, "dbName", "throng")
	want1(t, ds, "apiVersion", "1")

	want1(t, provider, "type", "file")
	paths := yamlValues(t, provider, "path")
	if len(paths) != 1 {
		t.Fatalf("%s: paths %q, want one", provider, paths)
	}
	items := yamlItems(t, compose) // volumes and ports
	mounted := map[string]bool{}
	for _, v := range items {
		mounted[v] = true
	}
	for _, m := range []string{"./dashboards:" + paths[0] + ":ro", "./provisioning:/etc/grafana/provisioning:ro"} {
		if !mounted[m] {
			t.Errorf("%s: no volume %s (have %q)", compose, m, items)
		}
	}
	want1(t, compose, "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH", paths[0]+"/"+strings.TrimPrefix(dashboardFile, "dashboards/"))
	want1(t, compose, "INFLUXDB_DB", "throng")
	want1(t, compose, "GF_AUTH_ANONYMOUS_ENABLED", "true")
	want1(t, compose, "GF_AUTH_ANONYMOUS_ORG_ROLE", "Viewer")
	for _, img := range yamlValues(t, compose, "image") {
		if img != "influxdb:1.8" && !strings.HasPrefix(img, "grafana/grafana:") {
			t.Errorf("%s: unexpected image %s", compose, img)
		}
	}

	port := regexp.MustCompile(`^\d+:\d+$|^[\d.]+:\d+:\d+$`)
	published := 0
	for _, v := range items {
		if !port.MatchString(v) {
			continue
		}
		published++
		if !strings.HasPrefix(v, "127.0.0.1:") {
			t.Errorf("%s: port %s is published on every interface, want 127.0.0.1 only", compose, v)
		}
	}
	if published != 2 {
		t.Errorf("%s: %d published ports, want 8086 and 3000", compose, published)
	}
}
