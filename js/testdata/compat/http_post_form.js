// Log in with a form post, then call an API with the token, as k6's
// "HTTP Authentication" examples do; a wrong password is an expected 401.
import http from 'k6/http';
import { check } from 'k6';

export const options = { vus: 2, iterations: 4 };

export default function () {
  const base = __ENV.BASE_URL;
  const user = `user${__VU}`;
  const login = http.post(`${base}/login`, { user: user, pass: 'secret' });
  check(login, {
    'logged in': (r) => r.status === 200,
    'token is for this VU': (r) => r.json('token') === `tok-${user}`,
  });
  const me = http.get(`${base}/me`, { headers: { Authorization: `Bearer ${login.json('token')}` } });
  check(me, { 'profile readable': (r) => r.status === 200 && r.json('user') === user });

  const bad = http.post(`${base}/login`, { user: user, pass: 'wrong' });
  check(bad, { 'wrong password refused': (r) => r.status === 401 });
}
