// Which responses count as failed: http.expectedStatuses, set for the
// script with http.setResponseCallback or for one request with
// params.responseCallback (null: not counted at all), as k6 documents.
import http from 'k6/http';
import { check } from 'k6';

http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 404));

export const options = {
  iterations: 2,
  thresholds: { http_req_failed: ['rate<0.3'], 'http_reqs{expected_response:true}': ['count==6'] },
};

export default function () {
  const base = __ENV.BASE_URL;
  check(http.get(`${base}/status/404`), { '404 is expected here': (r) => r.status === 404 });
  check(http.get(`${base}/status/201`), { '201 too': (r) => r.status === 201 });
  check(http.get(`${base}/status/409`, { responseCallback: http.expectedStatuses(409) }), {
    'one request expects a 409': (r) => r.status === 409,
  });
  check(http.get(`${base}/status/500`), { '500 is not expected': (r) => r.status === 500 });
  check(http.get(`${base}/status/503`, { responseCallback: null }), { 'not judged': (r) => r.status === 503 });
}
