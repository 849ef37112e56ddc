// http.batch with the batchPerHost option: at most 2 requests to one host
// at a time. The target counts how many it saw at once.
import http from 'k6/http';
import { check } from 'k6';

export const options = { iterations: 1, batch: 10, batchPerHost: 2 };

export default function () {
  const reqs = [];
  for (let i = 0; i < 6; i++) reqs.push(['GET', `${__ENV.BASE_URL}/barrier?i=${i}`]);
  const res = http.batch(reqs);
  check(res, { 'all answered': (rs) => rs.length === 6 && rs.every((r) => r.status === 200) });
  check(http.get(`${__ENV.BASE_URL}/barrier/max`), { 'at most 2 at once': (r) => r.json('max') === 2 });
}
