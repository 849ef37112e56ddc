// Two scenarios with their own executor, exec function, env and tags, as
// in k6's "Scenarios" guide.
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  scenarios: {
    browse: {
      executor: 'per-vu-iterations',
      vus: 2,
      iterations: 2,
      exec: 'browse',
      env: { ROLE: 'browser' },
    },
    buy: {
      executor: 'shared-iterations',
      vus: 1,
      iterations: 3,
      exec: 'buy',
      env: { ROLE: 'buyer' },
      tags: { flow: 'checkout' },
      startTime: '100ms',
    },
  },
  thresholds: {
    'http_reqs{scenario:browse}': ['count==4'],
    'http_reqs{scenario:buy}': ['count==3'],
    'http_reqs{flow:checkout}': ['count==3'],
  },
};

export function browse() {
  check(__ENV.ROLE, { 'browser env': (r) => r === 'browser' });
  http.get(`${__ENV.BASE_URL}/items`);
}

export function buy() {
  check(__ENV.ROLE, { 'buyer env': (r) => r === 'buyer' });
  http.post(`${__ENV.BASE_URL}/echo`, 'order');
}
