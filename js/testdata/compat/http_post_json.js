// POST a JSON payload with a Content-Type header, as in k6's http.post
// example.
import http from 'k6/http';
import { check } from 'k6';

export const options = { iterations: 3 };

export default function () {
  const url = `${__ENV.BASE_URL}/echo`;
  const payload = JSON.stringify({ email: 'aaa', password: 'bbb' });
  const params = { headers: { 'Content-Type': 'application/json' } };
  const res = http.post(url, payload, params);
  check(res, {
    'status is 200': (r) => r.status === 200,
    'server saw POST': (r) => r.json().method === 'POST',
    'content type sent': (r) => r.json('headers.Content-Type') === 'application/json',
    'body round-trips': (r) => JSON.parse(r.json('body')).email === 'aaa',
  });
}
