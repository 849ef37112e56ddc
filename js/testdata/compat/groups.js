// Nested groups, as in k6's "Tags and Groups": checks and requests inside
// get the group path, and group() returns the function's value.
import http from 'k6/http';
import { check, group } from 'k6';

export const options = { iterations: 2 };

export default function () {
  const base = __ENV.BASE_URL;
  group('login', function () {
    const res = http.post(`${base}/login`, { user: 'ann', pass: 'secret' });
    check(res, { 'logged in': (r) => r.status === 200 });
  });
  const count = group('browse', function () {
    const list = http.get(`${base}/items`);
    check(list, { 'list loaded': (r) => r.status === 200 });
    group('details', function () {
      check(http.get(`${base}/users/1`), { 'item loaded': (r) => r.status === 200 });
    });
    return list.json('total');
  });
  check(count, { 'group returns its value': (n) => n === 2 });
  http.get(`${base}/`);
}
