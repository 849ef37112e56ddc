// Request params: headers, a timeout, and tags, with a name tag grouping
// dynamic URLs so thresholds can target them (k6's "Tags and Groups" and
// "URL grouping").
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  iterations: 6,
  thresholds: {
    'http_reqs{name:user}': ['count==6'],
    'http_req_duration{name:user}': ['p(95)<5000'],
    'http_reqs{kind:lookup}': ['count==6'],
  },
};

export default function () {
  const id = __ITER + 1;
  http.get(`${__ENV.BASE_URL}/users/${id}`, { tags: { name: 'user', kind: 'lookup' } });
  const res = http.get(`${__ENV.BASE_URL}/echo?id=${id}`, {
    headers: { 'X-Trace-Id': `trace-${id}` },
    timeout: '10s',
  });
  check(res, {
    'header sent': (r) => r.json('headers.X-Trace-Id') === `trace-${id}`,
    'query sent': (r) => r.json('query.id') === String(id),
  });
}
