// The http.url tagged template names requests by their template, so URLs
// that differ by ids are one entry for thresholds and the summary, as in
// k6's "URL grouping".
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  iterations: 3,
  thresholds: {
    'http_reqs{name:${}/users/${}}': ['count==6'],
    'http_req_duration{name:${}/users/${}}': ['p(95)<10000'],
    'http_reqs{name:UserByID}': ['count==3'],
  },
};

export default function () {
  for (const id of [__ITER * 2 + 1, __ITER * 2 + 2]) {
    const res = http.get(http.url`${__ENV.BASE_URL}/users/${id}`);
    check(res, { 'user found': (r) => r.json('id') === String(id) });
  }
  const tagged = http.get(`${__ENV.BASE_URL}/users/99`, { tags: { name: 'UserByID' } });
  check(tagged, { 'tags.name': (r) => r.json('name') === 'user 99' });
}
