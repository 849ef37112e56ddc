// Package faulttarget is an HTTP server on loopback that misbehaves on
// request, so that tests can see how throng measures and reports what
// real targets do on a bad day: refused connections, resets in the
// middle of a response, stalls before the headers or during the body,
// responses that are not HTTP, bodies of gigabytes, keep-alive
// connections closed under the client, every class of status, and
// latency that grows as a test goes on.
//
// The path picks the fault (see Start); the target counts what it
// injected, per fault, so that a test can compare throng's summary with
// the truth rather than with an expectation. It listens on 127.0.0.1
// only. Faults that are not a normal response (a reset, garbage, an
// early close) are written on the raw connection, taken over from
// net/http.
package faulttarget
