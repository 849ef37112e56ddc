// Credentials in the URL: basic authentication by default, digest with
// auth: 'digest' (two requests; the first, a 401, counts as expected), as
// in k6's "HTTP Authentication" examples.
import http from 'k6/http';
import { check } from 'k6';

export const options = { iterations: 2, thresholds: { http_req_failed: ['rate==0'] } };

export default function () {
  const host = __ENV.BASE_URL.replace('http://', '');
  const basic = http.get(`http://user:passwd@${host}/basic-auth/user/passwd`);
  check(basic, { 'basic authenticated': (r) => r.status === 200 && r.json('authenticated') === true && r.json('user') === 'user' });
  const digest = http.get(`http://user:passwd@${host}/digest-auth/auth/user/passwd`, { auth: 'digest' });
  check(digest, { 'digest authenticated': (r) => r.status === 200 && r.json('authenticated') === true && r.json('user') === 'user' });
}
