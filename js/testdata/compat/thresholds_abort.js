// abortOnFail stops a long test as soon as the threshold fails.
import http from 'k6/http';
import { sleep } from 'k6';

export const options = {
  vus: 2,
  duration: '1m',
  thresholds: {
    http_req_failed: [{ threshold: 'rate==0', abortOnFail: true }],
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/status/500`);
  sleep(0.05);
}
