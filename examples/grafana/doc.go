// Package grafana is the Grafana example: a dashboard for the InfluxDB
// output (dashboards/throng.json), the provisioning that loads it with its
// data source (provisioning/), and a docker-compose.yml that runs InfluxDB
// 1.8 and Grafana on the loopback interface. README.md walks through it.
//
// The package has no code of its own, only tests:
//   - the dashboard decodes strictly against Grafana's schema types (the
//     grafana-foundation-sdk), every panel queries the throng-influxdb data
//     source, and its queries use the template variables in the one form
//     that also matches points without the tag;
//   - with THRONG_TEST_INFLUXDB_URL set (scripts/services.sh start), every
//     panel's query runs against a real InfluxDB 1.8, on points written in
//     the output's data model and on the points of a real throng run with
//     -o influxdb, and must return data.
package grafana
