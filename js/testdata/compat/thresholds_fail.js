// A threshold that fails makes the run exit 99 after the summary, as k6
// does in CI.
import http from 'k6/http';

export const options = {
  iterations: 4,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(99)<10000'],
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/status/${__ITER % 2 === 0 ? 500 : 200}`);
}
