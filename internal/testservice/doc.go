// Package testservice gives tests the real servers they run against:
// the InfluxDB and Prometheus that scripts/services.sh starts on loopback
// (found through THRONG_TEST_* variables), and InfluxDB instances a test
// starts and stops itself. A test whose server is missing is skipped with
// a hint, or fails when THRONG_REQUIRE_SERVICES=1 (as under make test).
package testservice
