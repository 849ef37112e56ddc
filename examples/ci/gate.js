// A CI gate around the event-store scenario: the same iteration (write a
// stream of 10 events, read it back, check it), judged by thresholds. When a
// threshold is crossed, throng still prints the summary and writes the
// reports, then exits with code 99, which fails the CI job.
//
// These options replace the scenario's own (vus: 10, duration: '30s'), so
// VUs and duration come from the command line, e.g.:
//
//   throng run -u 10 -d 30s -e ES_URL=http://127.0.0.1:2113 \
//     --summary-export results/summary.json --junit results/junit.xml examples/ci/gate.js
import scenario from '../eventstore/scenario.js';

export const options = {
  thresholds: {
    // Fewer than 1% of requests fail (network errors and status >= 400).
    http_req_failed: ['rate<0.01'],
    // Latency of every request, reads and writes together.
    http_req_duration: ['p(95)<200', 'p(99)<500'],
    // Appends alone, through the name tag the scenario gives its POSTs.
    'http_req_duration{name:POST /streams/{stream}}': ['p(95)<150'],
    // More than 99% of checks pass: writes return 201, reads return what was written.
    checks: ['rate>0.99'],
  },
};

export default scenario;
