// Package remotewrite reads Prometheus remote-write requests back, for
// the tests of the Prometheus output and of runs that push to a stand-in
// server: a snappy-compressed WriteRequest decoded with protowire, the
// package that encodes it, checking every field number and wire type on
// the way.
package remotewrite
