// handleSummary replaces the summary: custom text on stdout, the data as
// JSON and the text summary in files, as in k6's "Custom summary".
import http from 'k6/http';
import { check } from 'k6';
import { textSummary } from 'https://jslib.k6.io/k6-summary/0.0.2/index.js';

export const options = { iterations: 3 };

export default function () {
  check(http.get(`${__ENV.BASE_URL}/`), { ok: (r) => r.status === 200 });
}

export function handleSummary(data) {
  const checks = data.metrics.checks.values;
  return {
    stdout: `custom summary: ${data.metrics.http_reqs.values.count} requests, checks ${checks.passes}/${checks.passes + checks.fails}\n`,
    [`${__ENV.OUT_DIR}/summary.json`]: JSON.stringify(data),
    [`${__ENV.OUT_DIR}/summary.txt`]: textSummary(data, { indent: ' ', enableColors: false }),
  };
}
