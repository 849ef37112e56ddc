// Package outputs is where samples and the end-of-test summary go. Each
// kind of output lives in its own sub-package (summary: the terminal text
// k6 users know, handleSummary data, the summary export and JUnit; later json, csv, influxdb, prometheus, html) and imports
// only metrics, so the CLI can wire any of them without cycles.
package outputs
