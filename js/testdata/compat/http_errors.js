// Unexpected statuses: error_code is 1000 + status, http_req_failed counts
// them, and the expected_response tag splits http_req_duration.
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  iterations: 2,
  thresholds: { 'http_req_duration{expected_response:true}': ['max<10000'] },
};

export default function () {
  const base = __ENV.BASE_URL;
  const missing = http.get(`${base}/status/404`);
  check(missing, {
    '404 status': (r) => r.status === 404,
    '404 error_code': (r) => r.error_code === 1404,
  });
  check(http.get(`${base}/status/503`), { '503 error_code': (r) => r.error_code === 1503 });
  http.get(`${base}/`);
}
