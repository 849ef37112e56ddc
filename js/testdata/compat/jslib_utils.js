// jslib's k6-utils, imported by URL as k6 users do (served built in, no
// network).
import http from 'k6/http';
import { check } from 'k6';
import {
  randomString,
  randomIntBetween,
  randomItem,
  uuidv4,
  findBetween,
} from 'https://jslib.k6.io/k6-utils/1.4.0/index.js';

export const options = { iterations: 3 };

export default function () {
  check(randomString(8), { 'random string': (s) => /^[a-z]{8}$/.test(s) });
  check(randomIntBetween(5, 7), { 'int in range': (n) => Number.isInteger(n) && n >= 5 && n <= 7 });
  check(uuidv4(), { uuid: (u) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u) });
  const res = http.get(`${__ENV.BASE_URL}/page`);
  check(res, { 'token between markers': (r) => findBetween(r.body, 'token:[', ']') === 'csrf-42' });
  check(randomItem(['a', 'b', 'c']), { 'item from list': (i) => ['a', 'b', 'c'].includes(i) });
}
