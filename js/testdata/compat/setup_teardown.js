// setup() logs in once and passes the token to every iteration and to
// teardown(), as in k6's "Test lifecycle".
import http from 'k6/http';
import { check } from 'k6';

export const options = { vus: 2, iterations: 3 };

export function setup() {
  const res = http.post(`${__ENV.BASE_URL}/login`, { user: 'setup', pass: 'secret' });
  check(res, { 'setup logged in': (r) => r.status === 200 });
  return { token: res.json('token') };
}

export default function (data) {
  check(data, { 'token from setup': (d) => d.token === 'tok-setup' });
  const me = http.get(`${__ENV.BASE_URL}/me`, { headers: { Authorization: `Bearer ${data.token}` } });
  check(me, { 'profile readable': (r) => r.json('user') === 'setup' });
}

export function teardown(data) {
  http.post(`${__ENV.BASE_URL}/echo`, JSON.stringify({ done: data.token }));
}
